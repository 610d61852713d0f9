import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { AppConfig } from '../config/app-config';
import { RunMode } from '../config/run-mode';
import { Database } from '../database/database';
import { isDatabaseUnavailable } from '../database/database-unavailable';
import { equalBytes } from '../bytes';
import { MerkleFrontier } from '../merkle/frontier';
import { CheckpointService, PublishedCheckpoint } from './checkpoint.service';
import { LogRepository } from './log.repository';
import { LogSignals } from './log-signals';
import { TreeFault, TreeService } from './tree.service';

/** Arbitrary but fixed: the advisory lock that makes one process (of any number) the integrator. */
const INTEGRATOR_LOCK = 0x52784c6f67; // "RxLog"

/**
 * The single integrator: adds committed log entries to the Merkle tree in batches, stores the new tile hashes
 * and signs a checkpoint, all in one transaction; on a timer (CHECKPOINT_INTERVAL_MS) while entries arrive,
 * and at once on demand. Every process runs this loop, but only the holder of a PostgreSQL advisory lock
 * integrates; if it dies, its session ends, the lock is freed and another process takes over.
 */
@Injectable()
export class IntegratorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IntegratorService.name);
  private lockClient?: PoolClient;
  private frontier?: MerkleFrontier;
  private stopped = true;
  private demanded = false;
  private pending = false;
  private lastPublish = 0;
  private wake: () => void = () => undefined;
  private loop?: Promise<void>;
  private unsubscribe: (() => void)[] = [];
  private halted = false;
  private haltReason?: string;
  /** The tree as this process last recomputed it from the entries (or built and signed it): trusted. */
  private verified?: MerkleFrontier;
  private databaseAway = false;
  /** Removes the lock connection's `'error'` listener (the connection goes back to the pool, healthy). */
  private forgetLockClient: () => void = () => undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly runMode: RunMode,
    private readonly db: Database,
    private readonly log: LogRepository,
    private readonly tree: TreeService,
    private readonly checkpoints: CheckpointService,
    private readonly signals: LogSignals,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.INTEGRATOR === 'off' || !this.runMode.isServer) return;
    this.stopped = false;
    this.unsubscribe = [
      this.signals.on('appended', () => {
        this.pending = true;
        this.wake();
      }),
      this.signals.on('demand', () => {
        this.demanded = true;
        this.wake();
      }),
    ];
    this.pending = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe.forEach((off) => off());
    this.wake();
    await this.loop;
    await this.releaseLock();
  }

  /** True when this process found the stored tree disagreeing with its entries or a checkpoint and stopped integrating. */
  get isHalted(): boolean {
    return this.halted || this.tree.fault !== undefined;
  }

  /** What the tree check found, when halted. */
  get haltMessage(): string | undefined {
    return this.haltReason ?? this.tree.fault;
  }

  /** True while this process holds the integrator lock. */
  get isIntegrator(): boolean {
    return this.lockClient !== undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!(await this.holdLock())) {
          await this.sleep(1000);
          continue;
        }
        if (!this.pending && !this.demanded) {
          await this.sleep(1000);
          // Poll now and then: an append notification from another process can be lost.
          this.pending = true;
          continue;
        }
        const due = this.lastPublish + this.config.CHECKPOINT_INTERVAL_MS - Date.now();
        if (!this.demanded && due > 0) {
          await this.sleep(due);
          if (!this.demanded && this.lastPublish + this.config.CHECKPOINT_INTERVAL_MS > Date.now()) continue;
        }
        this.demanded = false;
        this.pending = false;
        await this.integrate();
        this.databaseAway = false;
      } catch (error) {
        if (this.stopped) break;
        if (!isDatabaseUnavailable(error)) {
          this.logger.error(`integration failed: ${(error as Error).message}; retrying`);
        } else if (!this.databaseAway) {
          // Once per outage: the loop retries every second until the database is back, then takes the lock again.
          this.logger.warn(`integration paused, the database is away (${(error as Error).message}); retrying`);
        }
        this.databaseAway = isDatabaseUnavailable(error);
        this.frontier = undefined;
        await this.releaseLock();
        await this.sleep(1000);
      }
    }
  }

  /**
   * Integrates every committed entry not yet in the tree and publishes a checkpoint for the new size.
   * Returns the checkpoint, or undefined when there was nothing new.
   */
  async integrate(): Promise<PublishedCheckpoint | undefined> {
    if (this.isHalted) return undefined;
    const frontier = this.frontier ?? (await this.loadFrontier());
    if (!frontier) return undefined;
    const committed = await this.log.committedSize();
    if (committed <= frontier.size) return undefined;

    // The new leaves are recomputed from their entries, never taken from the leaf_hash column on trust.
    const extended = await this.checked(() => this.tree.extendVerified(frontier, committed, frontier.size));
    if (!extended) return undefined;
    const { frontier: working, newHashes: tileHashes } = extended;
    const size = working.size;
    const rootHash = working.root();
    const note = this.checkpoints.sign(size, rootHash);
    const createdAt = await this.db.transaction((tx) =>
      this.log.publish(tx, tileHashes, { treeSize: size, rootHash, note }),
    );
    this.frontier = working;
    this.verified = working;
    this.tree.trustRoot(size, rootHash);
    this.lastPublish = Date.now();
    const published = { size, rootHash, note, createdAt };
    this.checkpoints.adopt(published);
    this.signals.published(size);
    return published;
  }

  /**
   * The tree of the latest checkpoint, recomputed from the entries' leaf data, with every stored tile-level hash and
   * the checkpoint's root compared on the way. The first time, that is the whole log (signing waits; serving does
   * not); after that (a lock taken again, another process's checkpoints), only the entries added since the tree this
   * process last verified or built.
   */
  private async loadFrontier(): Promise<MerkleFrontier | undefined> {
    const latest = await this.log.latestCheckpoint();
    const from = this.verified ?? MerkleFrontier.empty();
    const size = latest?.tree_size ?? 0;
    const started = Date.now();
    const extended = await this.checked(async () => {
      if (size < from.size) {
        throw new TreeFault(
          `the latest checkpoint (size ${size}) is older than the tree this process signed (${from.size})`,
        );
      }
      const { frontier } = await this.tree.extendVerified(from, size, size);
      if (latest && !equalBytes(frontier.root(), new Uint8Array(latest.root_hash))) {
        throw new TreeFault(`the entries' tree does not match the root of signed checkpoint ${size}`);
      }
      return frontier;
    });
    if (!extended) return undefined;
    if (size > from.size) {
      this.logger.log(`checked the stored tree against entries ${from.size}..${size - 1}: ${Date.now() - started} ms`);
    }
    this.verified = extended;
    this.frontier = extended;
    if (size > 0) this.tree.trustRoot(size, extended.root());
    return extended;
  }

  /**
   * Runs a tree check; on a `TreeFault`, halts integration (no checkpoint is signed again by this process), withholds
   * tiles and proofs, and says why in the log and in /v1/health. Returns undefined then.
   */
  private async checked<T>(check: () => Promise<T>): Promise<T | undefined> {
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof TreeFault)) throw error;
      // Someone changed the log tables. Stop growing the tree on top of them and leave the evidence for `audit`.
      this.halted = true;
      this.haltReason = error.message;
      this.tree.reportFault(error.message);
      this.logger.error(`${error.message}; integration halted, tiles and proofs withheld — run \`rxledger audit\``);
      return undefined;
    }
  }

  private async holdLock(): Promise<boolean> {
    if (this.lockClient) return true;
    const client = await this.db.connect();
    try {
      const [row] = (
        await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [INTEGRATOR_LOCK])
      ).rows;
      if (!row.locked) {
        client.release();
        return false;
      }
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    // The session holding the lock ended (a restart, a failover, pg_terminate_backend): PostgreSQL freed the lock,
    // and another process may hold it by now. Give the dead connection back (the pool drops it); the loop tries to
    // take the lock again on a new one.
    const lost = (error: Error) => {
      client.removeListener('error', lost);
      if (this.lockClient !== client) return;
      this.lockClient = undefined;
      this.frontier = undefined;
      this.logger.warn(
        `lost the integrator lock with its connection (${error.message}); taking it again when possible`,
      );
      client.release(error);
      this.wake();
    };
    client.on('error', lost);
    this.forgetLockClient = () => client.removeListener('error', lost);
    this.lockClient = client;
    this.frontier = undefined;
    this.logger.log('this process is now the integrator');
    return true;
  }

  private async releaseLock(): Promise<void> {
    const client = this.lockClient;
    this.lockClient = undefined;
    if (!client) return;
    this.forgetLockClient();
    await client.query('SELECT pg_advisory_unlock($1)', [INTEGRATOR_LOCK]).catch(() => undefined);
    client.release();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
