import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool, PoolClient, QueryConfig, QueryResultRow, types } from 'pg';
import { DataSource } from 'typeorm';
import { asDatabaseUnavailable, isDatabaseUnavailable } from './database-unavailable';

// Log indexes and counts are BIGINT in PostgreSQL; every value we store fits in a JS number (< 2^53).
types.setTypeParser(types.builtins.INT8, (value: string) => Number(value));

/** Runs SQL: the pool, or one connection inside a transaction. Repositories take one of these. */
export interface Sql {
  query<T extends QueryResultRow = QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Every parameterised statement is sent as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection instead of on every call (planning the verification read costs more than running it). Our SQL texts
 * are fixed strings, so the names stay few.
 */
const names = new Map<string, string>();
function prepared(text: string, params?: unknown[]): QueryConfig {
  if (!params) return { text };
  let name = names.get(text);
  if (!name) {
    name = `rx_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return { name, text, values: params };
}

/** One connection as `Sql` (a transaction's, a standby's); connection-class failures become DatabaseUnavailableError. */
export class ClientSql implements Sql {
  constructor(readonly client: PoolClient) {}
  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    try {
      return (await this.client.query<T>(prepared(text, params))).rows;
    } catch (error) {
      throw asDatabaseUnavailable(error);
    }
  }
}

/** Clients that have this process's `'error'` listener (a client lives on in the pool across checkouts). */
const guarded = new WeakSet<PoolClient>();

/**
 * The one connection pool (TypeORM's), with plain `pg` access for the hot paths that need multi-row
 * `unnest` inserts, row locks and streaming cursors.
 */
@Injectable()
export class Database implements Sql {
  private readonly logger = new Logger(Database.name);

  constructor(readonly dataSource: DataSource) {}

  get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /** A connection-class failure (the database is away) is thrown as DatabaseUnavailableError (503, Retry-After). */
  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query<T>(prepared(text, params))).rows;
    } catch (error) {
      throw asDatabaseUnavailable(error);
    }
  }

  /**
   * Runs `work` in one transaction on one connection; commits if it resolves, rolls back if it throws.
   * `snapshot`: a read-only REPEATABLE READ transaction (one consistent view while others keep writing).
   * A lost connection is thrown as DatabaseUnavailableError, and the connection is dropped, not reused.
   */
  async transaction<T>(
    work: (tx: Sql & { client: PoolClient }) => Promise<T>,
    options: { snapshot?: boolean } = {},
  ): Promise<T> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query(options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const result = await work(new ClientSql(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A dead connection cannot roll back (PostgreSQL already has, when the session ended).
      if (isDatabaseUnavailable(error)) broken = error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw asDatabaseUnavailable(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * A connection of the pool, for a transaction or a dedicated use (advisory locks, LISTEN, a report's snapshot).
   * It always has an `'error'` listener: node-pg emits `'error'` on a client whose session ends (a restart, a
   * failover, `pg_terminate_backend`), and pg-pool listens only to the clients it holds idle, so a checked-out
   * client without one would end the process. The query running then fails on its own; callers handle that.
   */
  async connect(): Promise<PoolClient> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asDatabaseUnavailable(error);
    }
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', (error: Error) => this.logger.warn(`a database connection was lost: ${error.message}`));
    }
    return client;
  }
}
