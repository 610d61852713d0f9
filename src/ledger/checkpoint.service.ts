import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Ed25519NoteSigner, formatCheckpoint, formatVerifierKey, parseSignerKey, signNote } from '../checkpoint';
import { Secrets } from '../config/secrets';
import { Hash } from '../merkle/hash';
import { LogRepository } from './log.repository';
import { LogSignals } from './log-signals';

export interface PublishedCheckpoint {
  size: number;
  rootHash: Hash;
  /** The signed note, as served at /v1/log/checkpoint. */
  note: string;
  createdAt: Date;
}

/**
 * The log's identity (origin and Ed25519 key), the signing of checkpoints, and the latest published checkpoint,
 * kept current in every process through LogSignals.
 */
@Injectable()
export class CheckpointService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CheckpointService.name);
  readonly origin: string;
  readonly verifierKey: string;
  private readonly signer: Ed25519NoteSigner;
  private current?: PublishedCheckpoint;
  private unsubscribe?: () => void;
  private refreshing?: Promise<PublishedCheckpoint | undefined>;
  private failing = false;

  constructor(
    secrets: Secrets,
    private readonly log: LogRepository,
    private readonly signals: LogSignals,
  ) {
    this.signer = parseSignerKey(secrets.logSignerKey);
    this.origin = this.signer.name;
    this.verifierKey = formatVerifierKey(this.signer.name, this.signer.publicKey);
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.unsubscribe = this.signals.on('checkpoint', (signal) => {
      if (!this.current || signal.size > this.current.size) void this.tryRefresh();
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  latest(): PublishedCheckpoint | undefined {
    return this.current;
  }

  /** Signs the checkpoint for a tree of `size` leaves with root `rootHash` (a C2SP signed note). */
  sign(size: number, rootHash: Hash): string {
    return signNote(formatCheckpoint({ origin: this.origin, size, rootHash, extensions: [] }), this.signer);
  }

  /** Records a checkpoint this process just published. */
  adopt(checkpoint: PublishedCheckpoint): void {
    if (!this.current || checkpoint.size > this.current.size) this.current = checkpoint;
  }

  /** Reads the latest checkpoint from the database; calls while one read runs share it (one connection at most). */
  refresh(): Promise<PublishedCheckpoint | undefined> {
    this.refreshing ??= this.read().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async read(): Promise<PublishedCheckpoint | undefined> {
    const row = await this.log.latestCheckpoint();
    if (row) {
      this.adopt({
        size: row.tree_size,
        rootHash: new Uint8Array(row.root_hash),
        note: row.note,
        createdAt: row.created_at,
      });
    }
    return this.current;
  }

  /**
   * `refresh` for the background (a notification, a poll): a failure (the database away) is logged, never thrown,
   * since nobody awaits it; the next notification or poll tries again.
   */
  private async tryRefresh(): Promise<PublishedCheckpoint | undefined> {
    try {
      const latest = await this.refresh();
      this.failing = false;
      return latest;
    } catch (error) {
      // Once per outage, not on every poll.
      if (!this.failing) this.logger.warn(`could not read the latest checkpoint: ${(error as Error).message}`);
      this.failing = true;
      return this.current;
    }
  }

  /**
   * Resolves with the first checkpoint whose tree contains `index`, asking the integrator to publish one now;
   * null if none arrives within `timeoutMs`.
   */
  async waitFor(index: number, timeoutMs: number): Promise<PublishedCheckpoint | null> {
    if (this.current && this.current.size > index) return this.current;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (value: PublishedCheckpoint | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        off();
        resolve(value);
      };
      const check = async () => {
        const latest = this.current && this.current.size > index ? this.current : await this.tryRefresh();
        if (latest && latest.size > index) finish(latest);
      };
      const off = this.signals.on('checkpoint', () => void check());
      // A notification can be missed (another process, a reconnect); poll as a fallback.
      const poll = setInterval(() => void check(), 500);
      const timer = setTimeout(() => finish(null), timeoutMs);
      this.signals.demand();
      void check();
    });
  }
}
