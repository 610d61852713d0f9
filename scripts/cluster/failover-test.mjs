#!/usr/bin/env node
/**
 * The failover test (issue 11), against a running reference cluster (scripts/cluster/up.sh; run it with
 * `npm run cluster:failover-test`, which starts and removes a cluster of its own).
 *
 * 4 clients post signed `commission` events continuously (signed with the CLI's signer, src/cli/sign.ts, and posted
 * with the SDK, src/sdk/client.ts) to the cluster's two RxLedger processes, whose DATABASE_URL is HAProxy's
 * read-write port. A refused post (503 with Retry-After) is sent again, the same signed event, until it has a receipt:
 * the client's rule of docs/OPERATIONS.md §11.4. A watcher keeps every signed checkpoint the processes serve. Rounds:
 *   1. SIGKILL of the primary's PostgreSQL (the postmaster and every backend): Patroni promotes the synchronous standby;
 *   2. a graceful stop of the primary's Patroni (it stops its PostgreSQL and hands over); the node is started again;
 *   3. SIGKILL of the synchronous standby's PostgreSQL: writes go on (the other standby becomes synchronous);
 *   4. no standby left (both standbys' Patroni stopped): a lone primary goes on committing when Patroni's
 *      synchronous_mode_strict is false (the cluster's default) and /v1/health warns; with strict mode it must not
 *      acknowledge anything until a standby is back. The standbys are started again; the warning must clear.
 * Between rounds the cluster must be whole again (a primary, a synchronous standby, two streaming standbys).
 * Then: every acknowledged event is in the log at its receipt's index with its leaf hash, no index twice, no gap
 * (indexes 0..size-1 all present, each event id once); every checkpoint seen is consistent with the final one
 * (consistency proofs from the API, verified here: hence all of them with each other) and the final one's root is
 * the root of the entries' leaf hashes; `rxledger audit` is clean; both app processes still run (same pids);
 * every answer was a receipt or 503 with Retry-After. Prints the write-unavailable time of each round.
 * Exit code 0 when everything holds, 1 otherwise.
 */
/* global console, fetch, setTimeout, AbortSignal, URL */
import { Buffer } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const env = readClusterEnv();
const dist = (module) => require(join(env.RXLEDGER_DIST, module));
const { LedgerClient, LedgerHttpError } = dist('src/sdk/client.js');
const { signInput } = dist('src/cli/sign.js');
const { formatKeyFile, parseKeyFile } = dist('src/signing/key-file.js');
const { appendCheckDigit } = dist('src/gs1/check-digit.js');
const { makeGtin14 } = dist('src/gs1/identifiers.js');
const { openCheckpoint, parseVerifierKey } = dist('src/checkpoint/index.js');
const { MerkleFrontier, verifyConsistency } = dist('src/merkle/index.js');
const { Client: PgClient } = require('pg');

const CLIENTS = 4;
/** How long writes run before a fault, and after the cluster is whole again. */
const STEADY_MS = Number(process.env.FAILOVER_STEADY_MS ?? 4000);
/** A request taking longer than this is a hang (the app's own bounds: 5 s for a connection, 60 s a statement). */
const HANG_MS = 30_000;
/** A client re-sends a refused event after min(Retry-After, this): finer than Retry-After, to measure the outage. */
const RETRY_MS = 200;
/** How long the cluster may take to be whole again after a fault. */
const RECOVERY_MS = 90_000;

const apps = env.APP_URLS.split(' ');
const apiPorts = env.PATRONI_API_PORTS.split(' ');
const vkeyText = (await (await fetch(`${apps[0]}/v1/log/vkey`)).text()).trim();
const verifier = parseVerifierKey(vkeyText);
const appPids = readdirSync(join(env.CLUSTER_DIR, 'pids'))
  .filter((f) => /^app\d+\.pid$/.test(f))
  .map((f) => Number(readFileSync(join(env.CLUSTER_DIR, 'pids', f), 'utf8')));

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.log(`FAIL: ${message}`);
};
const log = (message) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${message}`);
const t0 = Date.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- set-up through the API: a manufacturer with a key, a token, a company prefix and a product ----
const operator = new LedgerClient({ url: apps[0], token: env.OPERATOR_TOKEN });
const prefix = '0614141';
const gln = appendCheckDigit(`${prefix}${String(Date.now() % 100000).padStart(5, '0')}`);
const key = parseKeyFile(formatKeyFile(new Uint8Array(randomBytes(32)), { gln }));
await postJson(apps[0], '/v1/parties', env.OPERATOR_TOKEN, {
  gln,
  name: 'Failover Pharma',
  role: 'manufacturer',
  address: { street: '1 Failover Way', city: 'Quorum', postalCode: '12345', country: 'US' },
  publicKeys: [Buffer.from(key.publicKey).toString('base64')],
});
const { token } = await postJson(apps[0], `/v1/parties/${gln}/tokens`, env.OPERATOR_TOKEN, { label: 'failover' });
await postJson(apps[0], `/v1/manufacturers/${gln}/prefixes`, env.OPERATOR_TOKEN, { prefix });
const gtin = makeGtin14('0', prefix, '00001');
await new LedgerClient({ url: apps[0], token }).postEvent(
  signInput(
    {
      id: 'product-1',
      type: 'product.register',
      body: { gtin, name: 'Failoverol', strength: '10 mg', dosageForm: 'tablet', containerSize: '30 tablets' },
    },
    key,
    'product',
  ),
);
log(`manufacturer ${gln} with product ${gtin}; ${CLIENTS} clients start posting to ${apps.join(' and ')}`);

// ---- the clients ----
/** eventId -> receipt (index, leafHash). */
const acknowledged = new Map();
/** Every answer's time and kind, for the unavailability windows: [ms, 'ok' | 'refused']. */
const answers = [];
let resentDuplicates = 0;
let refusals503 = 0;
let stopping = false;

/** `fetch` that checks every 503 carries Retry-After and bounds every request. */
const checkedFetch = async (url, init) => {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(HANG_MS) });
    if (response.status === 503 && !response.headers.get('retry-after')) fail(`503 without Retry-After from ${url}`);
    return response;
  } catch (error) {
    if (Date.now() - started >= HANG_MS) fail(`a request to ${url} hung for ${HANG_MS} ms`);
    throw error;
  }
};

async function client(n) {
  const sdk = new LedgerClient({ url: apps[n % apps.length], token, fetch: checkedFetch });
  for (let i = 1; !stopping; i++) {
    const id = `fo-${n}-${i}`;
    const signed = signInput(
      { id, type: 'commission', body: { gtin, lot: `L${n}`, expiry: '291231', serials: [`S${n}x${i}`] } },
      key,
      id,
    );
    // The client's rule: until this event has a receipt, send it again, unchanged (same id, same signature).
    for (let attempt = 1; ; attempt++) {
      try {
        const receipt = await sdk.postEvent(signed);
        answers.push([Date.now(), 'ok']);
        if (receipt.eventId !== id) fail(`receipt for ${receipt.eventId} answers event ${id}`);
        if (receipt.duplicate) {
          if (attempt === 1) fail(`event ${id} was new but answered as a duplicate`);
          resentDuplicates++;
        }
        acknowledged.set(id, receipt);
        break;
      } catch (error) {
        if (error instanceof LedgerHttpError && error.status === 503) {
          refusals503++;
          answers.push([Date.now(), 'refused']);
        } else {
          fail(`event ${id}, attempt ${attempt}: ${error.message}`);
          answers.push([Date.now(), 'refused']);
        }
        await sleep(RETRY_MS);
      }
    }
  }
}

// ---- the checkpoint watcher ----
/** size -> root (base64) of every checkpoint seen. */
const checkpointsSeen = new Map();
async function watchCheckpoints() {
  for (let n = 0; !stopping; n++) {
    try {
      const note = await new LedgerClient({ url: apps[n % apps.length] }).checkpoint();
      remember(openCheckpoint(note, verifier).checkpoint);
    } catch (error) {
      if (!(error instanceof LedgerHttpError && error.status === 503)) fail(`checkpoint: ${error.message}`);
    }
    await sleep(250);
  }
}
function remember(checkpoint) {
  const root = Buffer.from(checkpoint.rootHash).toString('base64');
  const known = checkpointsSeen.get(checkpoint.size);
  if (known !== undefined && known !== root) fail(`two checkpoints of size ${checkpoint.size}: ${known} and ${root}`);
  checkpointsSeen.set(checkpoint.size, root);
}

// ---- Patroni and PostgreSQL ----
async function patroni(port, path) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: response.status, body: await response.json().catch(() => ({})) };
  } catch {
    return { status: 0, body: {} };
  }
}
async function nodes() {
  return Promise.all(
    apiPorts.map(async (port, i) => ({
      name: `pg${i + 1}`,
      primary: (await patroni(port, '/primary')).status === 200,
      sync: (await patroni(port, '/sync')).status === 200,
      replica: (await patroni(port, '/replica')).status === 200,
    })),
  );
}
async function whole() {
  const all = await nodes();
  return (
    all.filter((n) => n.primary).length === 1 &&
    all.filter((n) => n.sync).length >= 1 &&
    all.filter((n) => n.replica).length === all.length - 1
  );
}
async function waitWhole(why) {
  const started = Date.now();
  while (!(await whole())) {
    if (Date.now() - started > RECOVERY_MS) {
      fail(`the cluster was not whole again ${RECOVERY_MS / 1000} s after ${why}`);
      return;
    }
    await sleep(250);
  }
  log(`cluster whole again (${describe(await nodes())})`);
}
const describe = (all) =>
  all
    .map((n) => `${n.name} ${n.primary ? 'primary' : n.sync ? 'sync standby' : n.replica ? 'standby' : 'down'}`)
    .join(', ');

/** SIGKILL of a node's PostgreSQL: its postmaster and every process it started. */
function killPostgres(name) {
  const pid = Number(readFileSync(join(env.CLUSTER_DIR, name, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map(Number)
    .filter((p) => p > 0);
  for (const p of [pid, ...children]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pid;
}
function patroniPid(name) {
  return Number(readFileSync(join(env.CLUSTER_DIR, 'pids', `${name}.pid`), 'utf8'));
}
async function waitExit(pid, ms) {
  const started = Date.now();
  while (Date.now() - started < ms) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(100);
  }
  return false;
}

/**
 * Writes unavailable after a fault at `faultAt`: the longest time, from the fault to `endAt`, in which no client had
 * an event acknowledged (whether its posts were refused with 503 or waited), and the posts refused meanwhile.
 */
function unavailability(faultAt, endAt) {
  const oks = answers.filter(([t, kind]) => kind === 'ok' && t > faultAt && t <= endAt).map(([t]) => t);
  const points = [faultAt, ...oks.sort((a, b) => a - b), endAt];
  let longest = 0;
  for (let i = 1; i < points.length; i++) longest = Math.max(longest, points[i] - points[i - 1]);
  const refused = answers.filter(([t, kind]) => kind === 'refused' && t > faultAt && t <= endAt).length;
  return { writesStoppedMs: longest, refused };
}

async function primaryName() {
  return (await nodes()).find((n) => n.primary)?.name;
}
async function syncName() {
  return (await nodes()).find((n) => n.sync)?.name;
}

async function healthOf(app) {
  const response = await fetch(`${app}/v1/health`, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.json() };
}

// ---- the rounds ----
const running = [...Array(CLIENTS).keys()].map(client);
const watcher = watchCheckpoints();
const rounds = [];
await sleep(STEADY_MS);
try {
  for (const app of apps) {
    const health = await healthOf(app);
    if (health.status !== 200 || health.body.warnings || health.body.database?.replication?.synchronousStandbys !== 1) {
      fail(`${app}/v1/health with a synchronous standby: ${health.status} ${JSON.stringify(health.body)}`);
    }
  }
  await round('SIGKILL of the primary PostgreSQL', async () => {
    const primary = await primaryName();
    const pid = killPostgres(primary);
    return `${primary} (postmaster ${pid})`;
  });
  await round("graceful stop of the primary's Patroni", async () => {
    const primary = await primaryName();
    const pid = patroniPid(primary);
    process.kill(pid, 'SIGTERM');
    return {
      what: `${primary} (Patroni ${pid})`,
      after: async () => {
        if (!(await waitExit(pid, 60_000))) fail(`${primary}'s Patroni did not stop in 60 s`);
        execFileSync('bash', ['-c', `source "${repo}/scripts/cluster/lib.sh"; start_node ${primary.slice(2)}`], {
          env: { ...process.env, RXLEDGER_CLUSTER_DIR: env.CLUSTER_DIR },
          stdio: 'inherit',
        });
        log(`${primary}'s Patroni started again`);
      },
    };
  });
  await round('SIGKILL of the synchronous standby PostgreSQL', async () => {
    const standby = await syncName();
    const pid = killPostgres(standby);
    return `${standby} (postmaster ${pid})`;
  });
  await round('no standby left: both standbys stopped', async () => {
    const all = await nodes();
    const standbys = all.filter((n) => !n.primary).map((n) => n.name);
    const pids = standbys.map(patroniPid);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    return {
      what: `${standbys.join(' and ')} (Patroni ${pids.join(', ')})`,
      after: async () => {
        for (const pid of pids) if (!(await waitExit(pid, 60_000))) fail(`Patroni ${pid} did not stop in 60 s`);
        // The primary alone: writes go on (synchronous_mode_strict: false) or wait (true); health says so.
        const aloneAt = Date.now();
        await sleep(STEADY_MS);
        const acks = answers.filter(([t, kind]) => kind === 'ok' && t > aloneAt).length;
        log(`primary alone for ${STEADY_MS / 1000} s: ${acks} events acknowledged`);
        if (env.SYNCHRONOUS_MODE_STRICT !== 'true' && acks === 0)
          fail('no write acknowledged by a lone primary in non-strict mode');
        if (env.SYNCHRONOUS_MODE_STRICT === 'true' && acks > 0)
          fail(`${acks} writes acknowledged by a lone primary in strict mode`);
        for (const app of apps) {
          const health = await healthOf(app);
          const said = [...(health.body.warnings ?? []), ...(health.body.problems ?? [])].join('; ');
          log(`${app}/v1/health: ${health.status} ${health.body.status}: ${said}`);
          if (!/no synchronous standby/.test(said)) fail(`${app}/v1/health does not say that no standby is left`);
        }
        for (const name of standbys) {
          execFileSync('bash', ['-c', `source "${repo}/scripts/cluster/lib.sh"; start_node ${name.slice(2)}`], {
            env: { ...process.env, RXLEDGER_CLUSTER_DIR: env.CLUSTER_DIR },
            stdio: 'inherit',
          });
        }
        log(`${standbys.join(' and ')} started again`);
      },
    };
  });
  for (const app of apps) {
    const health = await healthOf(app);
    if (health.status !== 200 || health.body.warnings || health.body.problems) {
      fail(`${app}/v1/health once the standbys are back: ${health.status} ${JSON.stringify(health.body)}`);
    }
  }
} finally {
  stopping = true;
  await Promise.all(running);
  await watcher;
}

async function round(name, fault) {
  await waitWhole('the previous round');
  const before = acknowledged.size;
  const primaryBefore = await primaryName();
  const faultAt = Date.now();
  const done = await fault();
  const what = typeof done === 'string' ? done : done.what;
  log(`round ${rounds.length + 1}: ${name}: ${what}`);
  if (typeof done !== 'string') await done.after();
  // Patroni sees the fault within its loop (1 s): wait for that before waiting for the cluster to be whole again.
  for (const started = Date.now(); Date.now() - started < 15_000 && (await whole());) {
    if ((await primaryName()) !== primaryBefore) break;
    await sleep(100);
  }
  await waitWhole(name);
  const wholeAt = Date.now();
  for (const started = Date.now(); !answers.some(([t, kind]) => kind === 'ok' && t > wholeAt); await sleep(100)) {
    if (Date.now() - started > RECOVERY_MS) {
      fail(`no event acknowledged in the ${RECOVERY_MS / 1000} s after the cluster was whole again`);
      break;
    }
  }
  await sleep(STEADY_MS);
  const measured = unavailability(faultAt, Date.now());
  const primaryAfter = await primaryName();
  rounds.push({ name, what, primaryBefore, primaryAfter, ...measured, acknowledgedDuring: acknowledged.size - before });
  log(
    `round ${rounds.length}: writes unavailable ${(measured.writesStoppedMs / 1000).toFixed(2)} s ` +
      `(${measured.refused} posts answered 503), primary ${primaryBefore} -> ${primaryAfter}`,
  );
}

// ---- the checks ----
log(
  `clients stopped: ${acknowledged.size} events acknowledged, ${refusals503} answers 503, ${resentDuplicates} re-sent events answered with their first receipt`,
);
// Wait until a checkpoint covers every entry.
const db = new PgClient({ connectionString: env.DATABASE_URL });
await db.connect();
const { rows: sizeRows } = await db.query('SELECT count(*)::int AS n FROM log_entry');
const size = sizeRows[0].n;
let final;
for (const started = Date.now(); Date.now() - started < 30_000; await sleep(250)) {
  const checkpoint = openCheckpoint(await operator.checkpoint(), verifier).checkpoint;
  remember(checkpoint);
  if (checkpoint.size >= size) {
    final = checkpoint;
    break;
  }
}
if (!final) fail(`no checkpoint covers the ${size} entries after 30 s`);

const { rows } = await db.query('SELECT idx::int AS idx, actor, event_id, leaf_hash FROM log_entry ORDER BY idx');
await db.end();
const byIndex = new Map();
const idsSeen = new Set();
const frontier = MerkleFrontier.empty();
rows.forEach((row, i) => {
  if (row.idx !== i) fail(`gap: entry ${i} is missing (found index ${row.idx})`);
  const id = `${row.actor.trim()}/${row.event_id}`;
  if (idsSeen.has(id)) fail(`event ${id} logged twice`);
  idsSeen.add(id);
  byIndex.set(row.idx, row);
  frontier.append(new Uint8Array(row.leaf_hash));
});
const indexesAcked = new Set();
for (const [id, receipt] of acknowledged) {
  const row = byIndex.get(receipt.index);
  if (!row) fail(`acknowledged event ${id} (index ${receipt.index}) is not in the log`);
  else if (row.event_id !== id || row.actor.trim() !== gln)
    fail(`index ${receipt.index} holds ${row.event_id}, not ${id}`);
  else if (row.leaf_hash.toString('base64') !== receipt.leafHash)
    fail(`event ${id}: leaf hash differs from its receipt`);
  if (indexesAcked.has(receipt.index)) fail(`index ${receipt.index} acknowledged twice`);
  indexesAcked.add(receipt.index);
}
const ours = rows.filter((row) => row.actor.trim() === gln && row.event_id.startsWith('fo-')).length;
if (ours !== acknowledged.size)
  fail(`${ours} of the clients' events are logged, ${acknowledged.size} were acknowledged`);
if (final && final.size === rows.length) {
  if (Buffer.from(frontier.root()).toString('base64') !== Buffer.from(final.rootHash).toString('base64')) {
    fail('the final checkpoint root is not the root of the logged entries');
  }
}
// Every checkpoint seen is consistent with the final one (so all of them with each other).
if (final) {
  const finalRoot = Buffer.from(final.rootHash);
  for (const [seenSize, root] of checkpointsSeen) {
    if (seenSize === 0 || seenSize === final.size) continue;
    const proof = await operator.consistencyProof(seenSize, final.size);
    const hashes = proof.hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64')));
    if (!verifyConsistency(seenSize, final.size, hashes, new Uint8Array(Buffer.from(root, 'base64')), finalRoot)) {
      fail(`checkpoint of size ${seenSize} is not consistent with the final one (size ${final.size})`);
    }
  }
}
// rxledger audit, with the log's verifier key.
const audit = spawnSync('node', [join(env.RXLEDGER_DIST, 'src/cli/main.js'), 'audit', '--log-key', vkeyText], {
  env: { ...process.env, DATABASE_URL: env.DATABASE_URL },
  encoding: 'utf8',
});
if (audit.status !== 0) fail(`rxledger audit: exit ${audit.status}\n${audit.stdout}${audit.stderr}`);
// The app processes never exited.
for (const pid of appPids) {
  try {
    process.kill(pid, 0);
  } catch {
    fail(`app process ${pid} exited`);
  }
}

console.log('');
console.log(
  'round                                           | fault                      | primary       | writes unavailable | 503s',
);
for (const r of rounds) {
  console.log(
    `${r.name.padEnd(47)} | ${r.what.padEnd(26)} | ${`${r.primaryBefore}->${r.primaryAfter}`.padEnd(13)} | ${`${(r.writesStoppedMs / 1000).toFixed(2)} s`.padStart(18)} | ${r.refused}`,
  );
}
console.log(
  `\n${acknowledged.size} events acknowledged, all in the log at their receipt's index (${rows.length} entries, no gap, ` +
    `no duplicate); ${checkpointsSeen.size} checkpoints seen, all consistent with the final one (size ${final?.size}); ` +
    `audit ${audit.status === 0 ? 'clean' : 'FAILED'}; app processes ${appPids.join(', ')} still running`,
);
console.log(
  `FAILOVER_RESULT ${JSON.stringify({ ok: failures.length === 0, acknowledged: acknowledged.size, refusals503, resentDuplicates, checkpoints: checkpointsSeen.size, rounds })}`,
);
if (failures.length > 0) {
  console.log(`\n${failures.length} failure(s)`);
  process.exit(1);
}
console.log('\nfailover test passed');
process.exit(0);

function readClusterEnv() {
  const dir = process.env.RXLEDGER_CLUSTER_DIR ?? '/tmp/rxledger-cluster';
  const values = {};
  for (const line of readFileSync(join(dir, 'cluster.env'), 'utf8').split('\n')) {
    const match = /^([A-Z_]+)="?(.*?)"?$/.exec(line);
    if (match) values[match[1]] = match[2];
  }
  return values;
}

async function postJson(base, path, bearer, body) {
  const response = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}
