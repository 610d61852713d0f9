import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { AppConfig } from '../config/app-config';
import { ClientSql, Database, Sql } from './database';
import { poolOptions, SERVER_STATEMENT_TIMEOUT_MS } from './data-source';
import { describeReason, isDatabaseUnavailable } from './database-unavailable';

/** How often the primary's WAL position is sampled: the resolution of the staleness measure. */
export const WAL_SAMPLE_INTERVAL_MS = 100;

/** How long a standby that could not be reached is left alone before it is tried again. */
const STANDBY_RETRY_MS = 5_000;

/** A standby that cannot be reached is given up quickly: the primary answers meanwhile. */
const STANDBY_CONNECT_TIMEOUT_MS = 1_000;

/** SQLSTATE 40001 on a standby: a query cancelled by a conflict with recovery (the primary answers it instead). */
const RECOVERY_CONFLICT = '40001';

/** A PostgreSQL LSN ("16/B374D848") as a number that compares. */
export function parseLsn(lsn: string): bigint {
  const [high, low] = lsn.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/**
 * Reads from standbys (`READ_FROM=replica`, `READ_DATABASE_URL`: HAProxy's read-only port) with a bound on
 * staleness, `READ_REPLICA_MAX_LAG_MS` (docs/OPERATIONS.md §3.3):
 *
 * - every WAL_SAMPLE_INTERVAL_MS this process notes the primary's WAL position (`pg_current_wal_lsn()`) and when it
 *   asked; a standby whose replay position (`pg_last_wal_replay_lsn()`, read on the very connection that will serve
 *   the read) has reached a sample taken at time t holds every transaction acknowledged before t;
 * - a standby serves a read only when that t is at most the bound ago; otherwise, and when no standby can be
 *   reached (or a query is cancelled by a recovery conflict), `fromStandby` answers undefined and the caller reads
 *   from the primary. While the primary is away no sample is taken, so standbys stop serving once the bound has
 *   passed: the staleness cannot be measured without it.
 *
 * Reads that must see the requester's own latest writes check that on the primary (see VerificationService).
 */
@Injectable()
export class ReadDatabase implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadDatabase.name);
  private readonly pool?: Pool;
  private readonly maxLagMs: number;
  /** Primary WAL positions and when they were asked for, oldest first. */
  private samples: { at: number; lsn: bigint }[] = [];
  /** Per standby connection: the time as of which its standby held everything the primary had. */
  private readonly freshAsOf = new WeakMap<PoolClient, number>();
  private readonly guarded = new WeakSet<PoolClient>();
  private sampler?: NodeJS.Timeout;
  private sampling = false;
  private standbyAwayUntil = 0;
  /** How many reads each side served (tests, benchmarks and the operator's curiosity). */
  readonly served = { standby: 0, primary: 0 };

  constructor(
    private readonly primary: Database,
    config: AppConfig,
  ) {
    this.maxLagMs = config.READ_REPLICA_MAX_LAG_MS;
    if (config.READ_FROM === 'replica' && config.READ_DATABASE_URL) {
      this.pool = new Pool({
        connectionString: config.READ_DATABASE_URL,
        ...poolOptions(20, { statementTimeoutMs: SERVER_STATEMENT_TIMEOUT_MS }),
        connectionTimeoutMillis: STANDBY_CONNECT_TIMEOUT_MS,
      });
      // An idle standby connection that dies (a restart, a failover) must not end the process.
      this.pool.on('error', (error) => this.logger.warn(`a standby connection was lost: ${error.message}`));
    }
  }

  /** True when reads may be served from standbys (`READ_FROM=replica`). */
  get standbys(): boolean {
    return this.pool !== undefined;
  }

  onModuleInit(): void {
    if (!this.pool) return;
    this.sampler = setInterval(() => void this.sample(), WAL_SAMPLE_INTERVAL_MS);
    this.sampler.unref();
    void this.sample();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.sampler);
    await this.pool?.end();
  }

  /**
   * Runs `work` on a standby that is fresh within the bound; undefined when there is none (primary-only mode, every
   * standby too far behind or away).
   */
  private async fromStandby<T>(work: (sql: Sql) => Promise<T>): Promise<T | undefined> {
    if (!this.pool || Date.now() < this.standbyAwayUntil) return undefined;
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.standbyAway(error);
      return undefined;
    }
    if (!this.guarded.has(client)) {
      this.guarded.add(client);
      client.on('error', (error: Error) => this.logger.warn(`a standby connection was lost: ${error.message}`));
    }
    let broken: Error | undefined;
    try {
      if (!(await this.isFresh(client))) return undefined;
      return await work(new ClientSql(client));
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        broken = error as Error;
        this.standbyAway(error);
        return undefined;
      }
      if ((error as { code?: unknown }).code === RECOVERY_CONFLICT) return undefined;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * `work` on a standby fresh within the bound, else on the primary (always the primary with `READ_FROM=primary`).
   * `accept` may still turn a standby's answer down, and the primary's is taken: a tile the standby has not replayed
   * yet, a unit whose row the primary has in a newer version.
   */
  async read<T>(
    work: (sql: Sql) => Promise<T>,
    accept: (value: T) => boolean | Promise<boolean> = () => true,
  ): Promise<T> {
    const fromStandby = await this.fromStandby(work);
    if (fromStandby !== undefined && (await accept(fromStandby))) {
      this.served.standby++;
      return fromStandby;
    }
    this.served.primary++;
    return work(this.primary);
  }

  /** How far behind the primary a standby connection is, in ms, as measured now (tests and diagnostics). */
  async standbyLagMs(): Promise<number | undefined> {
    if (!this.pool) return undefined;
    const client = await this.pool.connect();
    try {
      this.freshAsOf.delete(client);
      await this.isFresh(client);
      const asOf = this.freshAsOf.get(client);
      return asOf === undefined ? undefined : Date.now() - asOf;
    } finally {
      client.release();
    }
  }

  /** Whether this standby connection holds everything the primary had acknowledged `maxLagMs` ago. */
  private async isFresh(client: PoolClient): Promise<boolean> {
    const known = this.freshAsOf.get(client);
    if (known !== undefined && Date.now() - known <= this.maxLagMs) return true;
    const {
      rows: [row],
    } = await client.query<{ standby: boolean; lsn: string | null }>(
      'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn',
    );
    // A server that is no standby (the read-only port falling back to the primary, a promoted node) is not read
    // through this pool: whether it is the current primary cannot be told from here.
    if (!row.standby || row.lsn === null) return false;
    const replayed = parseLsn(row.lsn);
    let asOf: number | undefined;
    for (const sample of this.samples) if (sample.lsn <= replayed) asOf = sample.at;
    if (asOf === undefined) return false;
    this.freshAsOf.set(client, asOf);
    return Date.now() - asOf <= this.maxLagMs;
  }

  /** Notes the primary's WAL position; the time noted is before the question, so the position covers it. */
  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    const at = Date.now();
    try {
      const [row] = await this.primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      const lsn = parseLsn(row.lsn);
      const last = this.samples[this.samples.length - 1];
      // A failover starts a new timeline whose positions continue the promoted standby's: never smaller. Should it
      // be smaller anyway (a restore), the old samples say nothing about the new primary.
      if (last && lsn < last.lsn) this.samples = [];
      this.samples.push({ at, lsn });
      const keepAfter = at - 2 * this.maxLagMs;
      while (this.samples.length > 1 && this.samples[0].at < keepAfter) this.samples.shift();
    } catch {
      // The primary is away: no sample; standbys stop serving once the last one is older than the bound.
    } finally {
      this.sampling = false;
    }
  }

  private standbyAway(error: unknown): void {
    if (Date.now() >= this.standbyAwayUntil) {
      this.logger.warn(
        `the standbys (READ_DATABASE_URL) cannot be reached (${describeReason(error)}); the primary serves reads, standbys are tried again in ${STANDBY_RETRY_MS / 1000} s`,
      );
    }
    this.standbyAwayUntil = Date.now() + STANDBY_RETRY_MS;
  }
}

/**
 * `reads.read(work, accept)`; without a ReadDatabase (a tool or bench that builds the services itself) `work` runs on
 * the repository's default connection, the primary.
 */
export function readVia<T>(
  reads: ReadDatabase | undefined,
  work: (sql?: Sql) => Promise<T>,
  accept?: (value: T) => boolean | Promise<boolean>,
): Promise<T> {
  return reads ? reads.read(work, accept) : work(undefined);
}
