import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { VerificationRecord, VerificationRepository } from './verification.repository';

interface Waiting {
  record: VerificationRecord;
  done: (error?: Error) => void;
}

/**
 * Writes verification records in groups: while one insert is in flight, the records that arrive queue and go in
 * the next one. Each caller waits until its record is written. The insert does not wait for the WAL flush
 * (synchronous_commit off for that transaction only): a crash of the database itself could lose the last few
 * hundred milliseconds of records, never a logged event, and never leave a record half-written.
 */
@Injectable()
export class VerificationRecorder implements OnModuleDestroy {
  private readonly logger = new Logger(VerificationRecorder.name);
  private queue: Waiting[] = [];
  private writing?: Promise<void>;

  constructor(private readonly repository: VerificationRepository) {}

  record(record: VerificationRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.writing) this.writing = this.drain();
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          await this.repository.append(group.map((w) => w.record));
          group.forEach((w) => w.done());
        } catch (error) {
          this.logger.error(`could not record ${group.length} verification(s): ${(error as Error).message}`);
          group.forEach((w) => w.done(error as Error));
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}
