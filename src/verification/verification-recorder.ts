import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { VerificationRecord, VerificationRepository } from './verification.repository';

interface Waiting {
  record: VerificationRecord;
  done: (error?: Error) => void;
}

/** Attempts at writing one group before its records are given up (and the failure logged): about 3 s in all. */
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 100;

/**
 * Writes verification records in groups: while one insert is in flight, the records that arrive queue and go in
 * the next one, a single statement (one round trip) that does not wait for the WAL flush (synchronous_commit off for
 * that transaction only): a crash of the database itself could lose the last few hundred milliseconds of records,
 * never a logged event, and never leave a record half-written. `record` resolves once the record is written; the
 * caller decides whether its answer waits for that (PROTOCOL.md §8.2: only a verification that releases a saleable
 * return does, so that the next ship or dispense sees it). A group that fails is tried again (the database away for
 * a moment) before its records are given up and the loss logged.
 */
@Injectable()
export class VerificationRecorder implements OnModuleDestroy {
  private readonly logger = new Logger(VerificationRecorder.name);
  private queue: Waiting[] = [];
  private writing?: Promise<void>;
  /** The promise of the record queued last: groups are written in order, so it settles after every earlier one. */
  private last?: Promise<void>;

  constructor(private readonly repository: VerificationRepository) {}

  record(record: VerificationRecord): Promise<void> {
    const written = new Promise<void>((resolve, reject) => {
      this.queue.push({ record, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.writing) this.writing = this.drain();
    });
    this.last = written;
    return written;
  }

  /** Settles once every record queued before the call is written (or given up): a read then sees them. */
  async flushed(): Promise<void> {
    await this.last?.catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.flushed();
    await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const error = await this.write(group.map((w) => w.record));
        if (error) this.logger.error(`could not record ${group.length} verification(s): ${error.message}`);
        group.forEach((w) => w.done(error));
      }
    } finally {
      this.writing = undefined;
    }
  }

  /** Writes one group, trying again with a growing pause; answers the last error if every attempt failed. */
  private async write(records: VerificationRecord[]): Promise<Error | undefined> {
    let error: Error | undefined;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FIRST_RETRY_MS * 2 ** (attempt - 1)));
      try {
        await this.repository.append(records);
        return undefined;
      } catch (caught) {
        error = caught as Error;
      }
    }
    return error;
  }
}
