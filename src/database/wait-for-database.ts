import type { INestApplication, LoggerService } from '@nestjs/common';
import { Client } from 'pg';
import { CONNECT_TIMEOUT_MS } from './data-source';
import { describeReason, isDatabaseUnavailable } from './database-unavailable';

/** Waits between attempts to reach the database at start-up: doubling from half a second up to ten seconds. */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** `host:port/database` of a connection string, without the credentials, for log lines. */
export function databaseWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * Why the database at `url` cannot take the server now (unreachable, starting, a read-only standby), or undefined
 * when it can. Anything else (a wrong password, no such database) is thrown: waiting would not help.
 */
async function probe(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined); // the failure is the query's; a late socket error must not end the process
  try {
    await client.connect();
    const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    return rows[0].standby ? 'it is a read-only standby; DATABASE_URL must reach the primary' : undefined;
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    return describeReason(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Returns once the database at `url` answers as a writable primary, retrying with back-off meanwhile (a failover,
 * a database that starts after the server) and saying so in the log, once per attempt.
 */
export async function waitForDatabase(url: string, logger: LoggerService): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const problem = await probe(url);
    if (problem === undefined) {
      if (attempt > 1) logger.log(`the database at ${databaseWhere(url)} answers; starting`, 'Database');
      return;
    }
    const delay = Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
    logger.warn(
      `the database at ${databaseWhere(url)} is not available (${problem}); retrying in ${delay / 1000} s`,
      'Database',
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Builds and initialises the application once the database answers; if the database goes away again during
 * start-up (migrations, the first reads), waits for it again instead of exiting. Other failures are thrown.
 */
export async function startWhenDatabaseAnswers(
  url: string,
  create: () => Promise<INestApplication>,
  logger: LoggerService,
): Promise<INestApplication> {
  for (;;) {
    await waitForDatabase(url, logger);
    let app: INestApplication | undefined;
    try {
      app = await create();
      await app.init();
      return app;
    } catch (error) {
      await app?.close().catch(() => undefined);
      if (!isDatabaseUnavailable(error)) throw error;
      logger.warn(`the database went away during start-up (${describeReason(error)}); waiting for it`, 'Database');
    }
  }
}
