import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
export { freePort } from '../../src/database/free-port';

/** Where the global setup leaves the test server's address for the workers. */
export const SERVER_URL_ENV = 'RXLEDGER_TEST_PG';
export const TEMPLATE_DB = 'rxledger_template';

export function testDataDir(): string {
  const dir = path.join(os.tmpdir(), `rxledger-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** The server's base URL (postgres://user:pw@host:port/) set up by global-setup. */
export function serverUrl(): string {
  const url = process.env[SERVER_URL_ENV];
  if (!url)
    throw new Error(`${SERVER_URL_ENV} is not set: run the db tests through jest (global-setup starts PostgreSQL)`);
  return url;
}

/** A fresh, migrated database for one test file, cloned from the template. */
export async function createTestDatabase(): Promise<string> {
  const name = `t_${process.pid}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl() + 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await admin.end();
  }
  return serverUrl() + name;
}
