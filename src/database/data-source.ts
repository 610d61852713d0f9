import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/** How long to wait for a connection (a new one, or a free one of the pool) before answering 503. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** The server's bound on one SQL statement (PostgreSQL's `statement_timeout`): no request waits forever. */
export const SERVER_STATEMENT_TIMEOUT_MS = 60_000;

/** node-pg pool settings of every pool (the primary's, the standbys' of ReadDatabase). */
export function poolOptions(poolSize: number, { statementTimeoutMs }: { statementTimeoutMs?: number }) {
  return {
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  };
}

/**
 * The one DataSource configuration, used by the application, the CLI and the tests. Never `synchronize`.
 * Every connection gives up connecting after CONNECT_TIMEOUT_MS and has TCP keep-alive (a peer gone without a
 * word is noticed); `statementTimeoutMs` bounds each statement (the server's; operator tools run unbounded).
 */
export function dataSourceOptions(
  url: string,
  poolSize = 20,
  { statementTimeoutMs }: { statementTimeoutMs?: number } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    entities: [],
    extra: poolOptions(poolSize, { statementTimeoutMs }),
    logging: ['error'],
  };
}
