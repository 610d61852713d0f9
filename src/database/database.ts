import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool, PoolClient, QueryConfig, QueryResultRow, types } from 'pg';
import { DataSource } from 'typeorm';

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

class ClientSql implements Sql {
  constructor(readonly client: PoolClient) {}
  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.client.query<T>(prepared(text, params))).rows;
  }
}

/**
 * The one connection pool (TypeORM's), with plain `pg` access for the hot paths that need multi-row
 * `unnest` inserts, row locks and streaming cursors.
 */
@Injectable()
export class Database implements Sql {
  constructor(readonly dataSource: DataSource) {}

  get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(prepared(text, params))).rows;
  }

  /**
   * Runs `work` in one transaction on one connection; commits if it resolves, rolls back if it throws.
   * `snapshot`: a read-only REPEATABLE READ transaction (one consistent view while others keep writing).
   */
  async transaction<T>(
    work: (tx: Sql & { client: PoolClient }) => Promise<T>,
    options: { snapshot?: boolean } = {},
  ): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const result = await work(new ClientSql(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A dedicated connection outside the pool's rotation (for advisory locks and LISTEN). */
  async connect(): Promise<PoolClient> {
    return this.pool.connect();
  }
}
