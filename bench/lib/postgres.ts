import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { freePort } from '../../src/database/free-port';
import { migrate } from '../../src/database/migrate';

export interface BenchDatabase {
  /** Connection string of the migrated `rxledger` database. */
  url: string;
  /** The temporary folder holding the cluster (and anything else the run keeps on disk). */
  dataDir: string;
  /** Stops PostgreSQL and deletes the folder, unless `keep` was asked for. */
  stop(): Promise<void>;
}

/**
 * A fresh embedded PostgreSQL in a temporary folder on a free port, with the application's migrations applied:
 * every benchmark run starts from an empty, known state and leaves nothing behind.
 */
export async function startBenchDatabase(
  options: { keep?: boolean; log?: (message: string) => void } = {},
): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-bench-'));
  // Run as root, embedded-postgres runs the server as a `postgres` user, which must be able to enter the folder.
  fs.chmodSync(dataDir, 0o755);
  const port = await freePort();
  let server: Awaited<ReturnType<typeof startEmbeddedPostgres>>;
  try {
    server = await startEmbeddedPostgres({ dataDir, port, log: options.log });
    await migrate(server.url);
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: server.url,
    dataDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      if (!options.keep) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
