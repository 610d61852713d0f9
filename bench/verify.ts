/**
 * `npm run bench:verify [-- --serials 10000000 --rate 1000 --duration 10 --concurrency 32 --hops 100]`
 * `--cluster <dir>`: the same on a fresh database of the reference cluster (`npm run cluster`), plus the rich
 * endpoint read from the primary only vs from the standbys (docs/BENCHMARKS.md "Replication")
 *
 * Verification (DESIGN.md §5: p99 ≤ 10 ms server-side at 1,000 req/s with 10 M serials stored; throughput ≥ 50%
 * of the same server's trivial endpoint; latency must not grow with the log or an item's history beyond O(log n)).
 *
 *  1. A fresh embedded PostgreSQL and two servers on it: A (LOG_LEVEL=warn) takes the seeding and the throughput
 *     runs; B (LOG_LEVEL=debug, otherwise the same) takes the fixed-rate runs, and its request logger's line for
 *     each request (`ms`, from the first middleware to the response finishing) is the SERVER-SIDE latency.
 *  2. Seeding through the real API: commission events of 100,000 serials (4 products, lots of 1,000,000), signed
 *     in this process (OpenSSL) as they are posted, two at a time. After the first event, custody is varied with
 *     real ship/receive/dispense events: 20,000 units to a distributor, 5,000 of them on to a pharmacy, 1,000
 *     dispensed, 2,000 left in transit, and 100 units shipped back and forth between two distributors `--hops`
 *     times (long histories).
 *  3. At 1,000,000 serials (when the seeding passes it) and again at `--serials`, with the log padded to
 *     `--log-ratio` × serials entries by synthetic entries (the real events are few: one carries 100,000 serials),
 *     after VACUUM (ANALYZE) and a CHECKPOINT (a steady state, not a bulk load's aftermath):
 *     - open loop on GET /v1/verify?code=… (scanner forms: ]d2 with GS as 0x1D, ]d2 with <GS>, human-readable,
 *       Digital Link): the mix (70% genuine, 30% failing: unknown serial, lot mismatch, custody mismatch, already
 *       dispensed) at `--rate` req/s (the goal's load), then at `--low-rate` req/s the mix, long-history units
 *       only and short-history units only (service time rather than queueing);
 *       server-side p50/p99 (B's own timing) and client-side p50/p99 on loopback from the scheduled send time;
 *     - closed loop at `--concurrency`: GET /v1/health/live, the rich endpoint (the mix) and the Lightweight
 *       Messaging endpoint, interleaved in `--rounds` slices; throughput and the ratio to /v1/health/live;
 *     - EXPLAIN (ANALYZE, BUFFERS) of the verification read (src SQL) for a short- and a long-history unit.
 *  --nested: also units three containers deep (unit in case in tote in pallet, packed with `pack` events, the
 *     pallets shipped to and received by a distributor, which then verifies the inner units), at `--rate` req/s;
 *     their server-side p99 has the same goal as the mix (issue 12 §1, §3).
 *  --profile: server A runs under `node --cpu-prof` and PostgreSQL logs every statement's duration; the rich
 *     endpoint's closed-loop slices are summarized (top functions, areas, statements).
 *  4. Checks: a sample of the answers per cohort has the expected verdict and reasons, and its evidence (an
 *     inclusion proof against the signed checkpoint, verified with the pure verifier and the configured log key).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { openCheckpoint } from '../src/checkpoint';
import { formatDigitalLink, formatElementString, formatHumanReadable, GS } from '../src/gs1';
import { verifyInclusion } from '../src/merkle';
import { unitCode } from '../src/protocol/item-code';
import { BenchArgs } from './lib/args';
import { cpuBetween, cpuSnapshot, CpuSplit, postmasterPid } from './lib/cpu-time';
import { CpuProfileSummary, profileClockUs, summarizeCpuProfiles } from './lib/cpu-profile';
import { explainVerificationFacts } from './lib/explain';
import {
  closedLoop,
  combineResults,
  HttpClient,
  KeptResponse,
  LoadRequest,
  LoadResult,
  openLoop,
} from './lib/http-load';
import { machineInfo } from './lib/machine';
import { StatementCost, StatementLog } from './lib/pg-statements';
import { startBenchDatabase } from './lib/postgres';
import { primaryNode, startClusterDatabase } from './lib/cluster';
import { Random } from './lib/random';
import { count, ms, note, printJsonLine, printTable, ratio, Row } from './lib/report';
import { sourceRevision } from './lib/revision';
import { processMemory } from './lib/rss';
import { benchLogVerifier, startServer } from './lib/server';
import { LatencySummary, nowMs, summarize } from './lib/stats';
import { BENCH_TRANSACTION, BenchNetwork, BenchParty, PreparedEvent } from './lib/supply-chain';
import { CheckpointWatcher, publishSyntheticEntries, writeSyntheticEntries } from './lib/synthetic-log';
import { runBench } from './lib/teardown';

const args = new BenchArgs();
const SERIALS = args.number('serials', 10_000_000);
const FIRST_POINT = args.number('first-point', 1_000_000);
const EVENT_SERIALS = args.number('event-serials', 100_000);
const LOT_SERIALS = 1_000_000;
const PRODUCTS = 4;
const SEED_CLIENTS = args.number('seed-clients', 2);
const RATE = args.number('rate', 1000);
const DURATION_MS = args.number('duration', 10) * 1000;
const WARMUP_MS = args.number('warmup', 3) * 1000;
const CONCURRENCY = args.number('concurrency', 32);
const ROUNDS = args.number('rounds', 5);
const THROUGHPUT_MS = args.number('throughput-duration', 15) * 1000;
const LOW_RATE = args.number('low-rate', 100);
const LOG_RATIO = args.number('log-ratio', 1);
const PROFILE = args.flag('profile');
const HOPS = args.number('hops', 100);
const SEED = args.number('seed', 1);
const KEEP = args.flag('keep');
const NESTED = args.flag('nested');
/** --nested: units per case, cases per tote, totes per pallet, and how many units are packed so. */
const NESTING = { perCase: 10, casesPerTote: 5, totesPerPallet: 4, units: args.number('nested-units', 2_000) };
/**
 * `--cluster <dir>`: a fresh database on the reference cluster of <dir> (`npm run cluster`) instead of an embedded
 * PostgreSQL; each point then also measures the rich endpoint from a server reading the primary only against a
 * server reading the standbys (READ_FROM=replica through HAProxy's read-only port), in interleaved slices.
 */
const CLUSTER = args.string('cluster', '');
const PREFIX = '0614141';
const EXPIRY = '291231';
/** Every KEEP_EVERY-th response of a fixed-rate run is kept and checked after the run. */
const KEEP_EVERY = 25;
const GOAL = { p99Ms: 10, ratio: 0.5, growth: 1.5, peakRssMiB: 1024 };

/** Units set aside (all in the first commissioning event) for the custody variety. */
const RANGE = {
  shippedToDistributor: [0, 20_000],
  atPharmacy: [1_000, 5_000],
  dispensed: [0, 1_000],
  inTransit: [20_000, 22_000],
  longHistory: [30_000, 30_100],
  /** --nested: units packed three containers deep (NESTING.units of them from here). */
  nestedFrom: 40_000,
  /** Random genuine units held by the manufacturer are drawn from here up (only commissioned, history 1). */
  untouchedFrom: 100_000,
} as const;

type Cohort =
  | 'genuine: manufacturer, random unit'
  | 'genuine: pharmacy'
  | 'genuine: in transit to requester'
  | 'failing: unknown serial'
  | 'failing: lot mismatch'
  | 'failing: custody mismatch'
  | 'failing: already dispensed'
  | 'long history'
  | 'short history'
  | 'nested: unit in case in tote in pallet';

interface VerifyRequest extends LoadRequest {
  cohort: Cohort;
}

interface RichAnswer {
  verdict: string;
  reasons: { code: string }[];
  item: { custodyTransfers: number } | null;
  evidence: {
    index: number;
    leafHash: string;
    inclusionProof: { treeSize: number; hashes: string[] };
    checkpoint: string;
  } | null;
}

interface FixedRateRun {
  name: string;
  result: LoadResult;
  /** B's own timing of each /v1/verify request during the run. */
  server: LatencySummary;
  cpu: CpuSplit;
}

interface Point {
  serials: number;
  logEntries: number;
  fixedRate: FixedRateRun[];
  /** Closed loop on server A; `cpu` sums the slices (server A, PostgreSQL, this process). */
  throughput: { endpoint: string; result: LoadResult; cpu: CpuSplit }[];
  explain: { label: string; executionMs: number; buffers: number; plan: string[] }[];
  vacuumMs: number;
  itemTableMiB: number;
  /** --profile: server A's CPU profile and PostgreSQL's statements during the rich endpoint's closed-loop slices. */
  profile?: CpuProfileSummary;
  profileWindows?: { fromUs: number; toUs: number }[];
  statements?: StatementCost[];
  /** --cluster: the rich endpoint (the mix) from server A (primary only) and server C (primary + standbys). */
  replicas?: {
    reads: string;
    result: LoadResult;
    cpu: CpuSplit;
    standbyMs: number;
    /** The server's peak RSS (VmHWM) at the end of the slices. */
    peakRssMiB: number;
  }[];
}

const serial = (k: number) => `S${String(k).padStart(9, '0')}`;

runBench(async (teardown) => {
  if (SERIALS % EVENT_SERIALS !== 0 || SERIALS < EVENT_SERIALS)
    throw new Error(`--serials must be a multiple of ${EVENT_SERIALS}`);
  const machine = machineInfo();
  const revision = sourceRevision();
  note(
    `verify benchmark: ${count(SERIALS)} serials on ${machine.cpus} CPUs, node ${machine.node}, load ${machine.loadAverage1m}`,
  );

  // 1. Database and servers.
  const statements = PROFILE ? new StatementLog() : undefined;
  if (CLUSTER && PROFILE)
    throw new Error('--profile needs the embedded PostgreSQL (its statement log): drop --cluster');
  const cluster = CLUSTER ? await startClusterDatabase(CLUSTER, { keep: KEEP }) : undefined;
  const database = cluster ?? (await startBenchDatabase({ keep: KEEP, log: statements?.collector() }));
  if (cluster) {
    note(
      `target: the cluster of ${CLUSTER} through HAProxy (primary ${primaryNode(cluster).name}); "PostgreSQL" CPU ` +
        `is the primary's`,
    );
  }
  teardown.add('stop PostgreSQL', () => database.stop());
  note(`PostgreSQL in ${database.dataDir}${KEEP ? ' (kept after the run)' : ''}`);
  const pool = new Pool({ connectionString: database.url, max: 4 });
  pool.on('error', (error) => note(`idle PostgreSQL connection: ${error.message}`));
  teardown.add('close the pool', () => pool.end());
  const watcher = await CheckpointWatcher.start(pool);
  teardown.add('stop watching checkpoints', () => watcher.close());
  const profileDir = path.join(database.dataDir, 'cpu-profile');
  if (PROFILE) {
    fs.mkdirSync(profileDir);
    await statements!.enable(pool);
  }
  // Only server A (seeding, closed loop) is profiled; B's fixed-rate latencies stay free of the profiler.
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS;
  if (PROFILE) process.env.BENCH_SERVER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
  const serverA = await startServer({ databaseUrl: database.url, dataDir: database.dataDir });
  if (nodeArgs === undefined) delete process.env.BENCH_SERVER_NODE_ARGS;
  else process.env.BENCH_SERVER_NODE_ARGS = nodeArgs;
  teardown.add('stop server A', () => serverA.stop());
  let timings: number[] | undefined;
  const serverB = await startServer({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    env: { LOG_LEVEL: 'debug' },
    echo: false,
    onStdoutLine: (line) => {
      const entry = parseRequestLine(line);
      if (!entry) {
        if (line.includes('"error"') || line.includes('"warn"')) process.stderr.write(`[server B] ${line}\n`);
        return;
      }
      if (timings && entry.path === '/v1/verify') timings.push(entry.ms);
    },
  });
  teardown.add('stop server B', () => serverB.stop());
  // --cluster: server C reads from the standbys; A (like every server by default) from the primary only.
  const serverC = cluster
    ? await startServer({
        databaseUrl: database.url,
        dataDir: database.dataDir,
        env: { LOG_LEVEL: 'warn', INTEGRATOR: 'off', READ_FROM: 'replica', READ_DATABASE_URL: cluster.readUrl },
      })
    : undefined;
  if (serverC) teardown.add('stop server C', () => serverC.stop());
  const clientC = serverC && new HttpClient(serverC.baseUrl, CONCURRENCY);
  if (clientC) teardown.add('close HTTP connections to C', async () => clientC.close());
  const postgres = cluster ? primaryNode(cluster).postmasterPid : postmasterPid(database.dataDir);
  const clientA = new HttpClient(serverA.baseUrl, Math.max(CONCURRENCY, SEED_CLIENTS));
  const clientB = new HttpClient(serverB.baseUrl, 256);
  teardown.add('close HTTP connections', async () => {
    clientA.close();
    clientB.close();
  });

  // 2. Parties, products, seeding.
  const network = new BenchNetwork(clientA);
  const m = await network.register('manufacturer', 'Bench Pharma');
  const d1 = await network.register('distributor', 'Bench Wholesale 1');
  const d2 = await network.register('distributor', 'Bench Wholesale 2');
  const p1 = await network.register('dispenser', 'Bench Pharmacy');
  await network.grantPrefix(m, PREFIX);
  const gtins: string[] = [];
  for (let i = 1; i <= PRODUCTS; i++) gtins.push(await network.registerProduct(m, PREFIX, i));
  const eventOf = (k: number) => Math.floor(k / EVENT_SERIALS);
  const gtinOf = (k: number) => gtins[eventOf(k) % PRODUCTS];
  const lotOf = (k: number) => `L${Math.floor((eventOf(k) * EVENT_SERIALS) / LOT_SERIALS)}`;
  const codeOf = (k: number) => unitCode(gtinOf(k), serial(k));

  const seeding: Row[] = [];
  const seedingJson: object[] = [];
  let commissioned = 0;
  const commissionUpTo = async (target: number) => {
    const started = nowMs();
    const before = cpuSnapshot([serverA.pid], postgres);
    const from = commissioned;
    let next = eventOf(from);
    let signingMs = 0;
    const worker = async () => {
      for (let e = next++; e * EVENT_SERIALS < target; e = next++) {
        const signStarted = nowMs();
        const first = e * EVENT_SERIALS;
        const serials = Array.from({ length: EVENT_SERIALS }, (_, i) => serial(first + i));
        const event = m.event('commission', { gtin: gtinOf(first), lot: lotOf(first), expiry: EXPIRY, serials });
        signingMs += nowMs() - signStarted;
        await network.event(m, event);
      }
    };
    await Promise.all(Array.from({ length: SEED_CLIENTS }, worker));
    commissioned = target;
    const elapsed = nowMs() - started;
    const cpu = cpuBetween(before, cpuSnapshot([serverA.pid], postgres));
    const row = {
      step: `commission serials ${count(from)}..${count(target)} (${count((target - from) / EVENT_SERIALS)} events, ${SEED_CLIENTS} at a time)`,
      seconds: (elapsed / 1000).toFixed(1),
      'serials/s': count(((target - from) * 1000) / elapsed),
      'CPU s: server': (cpu.serverMs / 1000).toFixed(0),
      postgres: (cpu.postgresMs / 1000).toFixed(0),
      'bench (signing)': `${(cpu.benchMs / 1000).toFixed(0)} (${(signingMs / 1000).toFixed(0)})`,
    };
    seeding.push(row);
    seedingJson.push({
      from,
      to: target,
      ms: elapsed,
      serialsPerSecond: ((target - from) * 1000) / elapsed,
      cpu,
      signingMs,
    });
    note(`  ${row.step}: ${row.seconds} s, ${row['serials/s']} serials/s`);
  };

  const varyCustody = async () => {
    const started = nowMs();
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => codeOf(from + i));
    const chunks = (codes: string[], size: number) =>
      Array.from({ length: Math.ceil(codes.length / size) }, (_, i) => codes.slice(i * size, (i + 1) * size));
    const ship = (from: BenchParty, to: BenchParty, id: string, items: string[]) =>
      from.event('ship', { shipmentId: id, recipient: to.gln, items, transaction: BENCH_TRANSACTION });
    const receive = (by: BenchParty, from: BenchParty, id: string, items: string[]) =>
      by.event('receive', { shipper: from.gln, shipmentId: id, items });
    let events = 0;
    const post = async (party: BenchParty, list: PreparedEvent[]) => {
      await network.events(party, list, 10);
      events += list.length;
    };
    const toD1 = chunks(range(...RANGE.shippedToDistributor), 1000);
    await post(
      m,
      toD1.map((items, i) => ship(m, d1, `V1-${i}`, items)),
    );
    await post(
      d1,
      toD1.map((items, i) => receive(d1, m, `V1-${i}`, items)),
    );
    const toP1 = chunks(range(0, RANGE.atPharmacy[1]), 1000);
    await post(
      d1,
      toP1.map((items, i) => ship(d1, p1, `V2-${i}`, items)),
    );
    await post(
      p1,
      toP1.map((items, i) => receive(p1, d1, `V2-${i}`, items)),
    );
    await post(p1, [p1.event('dispense', { items: range(...RANGE.dispensed) })]);
    const toD2 = chunks(range(...RANGE.inTransit), 1000);
    await post(
      m,
      toD2.map((items, i) => ship(m, d2, `V4-${i}`, items)),
    );
    const long = range(...RANGE.longHistory);
    await post(m, [ship(m, d1, 'LH-0', long)]);
    await post(d1, [receive(d1, m, 'LH-0', long)]);
    for (let hop = 1; hop <= HOPS; hop++) {
      const [from, to] = hop % 2 === 1 ? [d1, d2] : [d2, d1];
      await post(from, [ship(from, to, `LH-${hop}`, long)]);
      await post(to, [receive(to, from, `LH-${hop}`, long)]);
    }
    const elapsed = nowMs() - started;
    seeding.push({
      step: `custody variety: ${count(events)} ship/receive/dispense events (${HOPS} round trips for the long histories)`,
      seconds: (elapsed / 1000).toFixed(1),
      'serials/s': '',
    });
    seedingJson.push({ custodyVariety: { events, ms: elapsed } });
    note(`  custody variety: ${events} events in ${ms(elapsed)} ms`);
  };
  const longHolder = HOPS % 2 === 1 ? d2 : d1;

  // --nested: units packed into cases, cases into totes, totes into pallets (pack events through the API, as a
  // packing line posts them), the pallets shipped to d1 and received there; d1 then verifies the inner units.
  const nest = async () => {
    const started = nowMs();
    const perTote = NESTING.perCase * NESTING.casesPerTote;
    const perPallet = perTote * NESTING.totesPerPallet;
    if (NESTING.units % perPallet !== 0 || RANGE.nestedFrom + NESTING.units > RANGE.untouchedFrom) {
      throw new Error(
        `--nested-units must be a multiple of ${perPallet} and at most ${RANGE.untouchedFrom - RANGE.nestedFrom}`,
      );
    }
    const pack = (parent: string, children: string[]) => m.event('pack', { parent, children });
    const group = <T>(list: T[], size: number) =>
      Array.from({ length: list.length / size }, (_, i) => list.slice(i * size, (i + 1) * size));
    const units = Array.from({ length: NESTING.units }, (_, i) => codeOf(RANGE.nestedFrom + i));
    const level = async (children: string[], size: number) => {
      const parents = group(children, size).map((members) => ({ parent: network.newContainer(PREFIX), members }));
      await network.events(
        m,
        parents.map((p) => pack(p.parent, p.members)),
        50,
      );
      return parents.map((p) => p.parent);
    };
    const cases = await level(units, NESTING.perCase);
    const totes = await level(cases, NESTING.casesPerTote);
    const pallets = await level(totes, NESTING.totesPerPallet);
    await network.events(m, [
      m.event('ship', { shipmentId: 'NEST-0', recipient: d1.gln, items: pallets, transaction: BENCH_TRANSACTION }),
    ]);
    await network.events(d1, [d1.event('receive', { shipper: m.gln, shipmentId: 'NEST-0', items: pallets })]);
    const elapsed = nowMs() - started;
    const events = cases.length + totes.length + pallets.length + 2;
    seeding.push({
      step: `nesting: ${count(NESTING.units)} units in ${cases.length} cases in ${totes.length} totes in ${pallets.length} pallets, shipped and received (${events} events)`,
      seconds: (elapsed / 1000).toFixed(1),
      'serials/s': '',
    });
    seedingJson.push({
      nesting: { ...NESTING, cases: cases.length, totes: totes.length, pallets: pallets.length, ms: elapsed },
    });
    note(`  nesting: ${events} events in ${ms(elapsed)} ms`);
  };

  // The real events above make a log of a few hundred entries (a commissioning event carries 100,000 serials).
  // To measure at a realistic log size too, the log is padded with synthetic entries (bench/lib/synthetic-log.ts:
  // stub events written by SQL, integrated into the tree by the server itself) up to --log-ratio × serials.
  const padLog = async (serials: number) => {
    const target = Math.floor(serials * LOG_RATIO);
    const from = Number(
      (await pool.query<{ next_index: string }>('SELECT next_index FROM log_sequencer')).rows[0].next_index,
    );
    if (target <= from) return;
    const started = nowMs();
    await writeSyntheticEntries(pool, { from, to: target, chunk: 100_000, parallel: 2 });
    const written = nowMs();
    const integrated = watcher.until(target, 60 * 60_000);
    await publishSyntheticEntries(pool, from, target);
    await integrated;
    const elapsed = nowMs() - started;
    seeding.push({
      step: `pad the log with ${count(target - from)} synthetic entries to ${count(target)} (SQL; tree built by the server)`,
      seconds: (elapsed / 1000).toFixed(1),
      'serials/s': '',
    });
    seedingJson.push({ syntheticEntries: { from, to: target, writeMs: written - started, ms: elapsed } });
    note(`  log padded to ${count(target)} entries in ${ms(elapsed)} ms`);
  };

  // 3. Measurements at each point.
  const random = new Random(SEED);
  const scan = (k: number, lot = lotOf(k)) => {
    const fields = { gtin: gtinOf(k), serial: serial(k), expiry: EXPIRY, lot };
    switch (k % 4) {
      case 0:
        return formatElementString(fields, { symbologyIdentifier: ']d2', gs: GS });
      case 1:
        return formatElementString(fields, { symbologyIdentifier: ']d2', gs: '<GS>' });
      case 2:
        return formatHumanReadable(fields);
      default:
        return formatDigitalLink(fields);
    }
  };
  const rich = (cohort: Cohort, requester: BenchParty, code: string): VerifyRequest => ({
    cohort,
    path: `/v1/verify?code=${encodeURIComponent(code)}`,
    headers: { authorization: requester.authorization },
  });
  const randomIn = (from: number, to: number) => random.int(from, to);
  const mixRequests = (serials: number): VerifyRequest[] =>
    Array.from({ length: 20_000 }, () => {
      const roll = random.next();
      if (roll < 0.55) {
        const k = randomIn(RANGE.untouchedFrom, serials);
        return rich('genuine: manufacturer, random unit', m, scan(k));
      }
      if (roll < 0.65) return rich('genuine: pharmacy', p1, scan(randomIn(...RANGE.atPharmacy)));
      if (roll < 0.7) return rich('genuine: in transit to requester', d2, scan(randomIn(...RANGE.inTransit)));
      if (roll < 0.8) {
        // Never commissioned: serials far beyond any --serials.
        const k = randomIn(RANGE.untouchedFrom, serials);
        return rich('failing: unknown serial', p1, scan(k).replace(serial(k), `U${String(k).padStart(9, '0')}`));
      }
      if (roll < 0.85) return rich('failing: lot mismatch', m, scan(randomIn(RANGE.untouchedFrom, serials), 'LX'));
      if (roll < 0.95) return rich('failing: custody mismatch', p1, scan(randomIn(RANGE.untouchedFrom, serials)));
      return rich('failing: already dispensed', p1, scan(randomIn(...RANGE.dispensed)));
    });
  const longRequests = (): VerifyRequest[] =>
    Array.from({ length: 2_000 }, () => rich('long history', longHolder, scan(randomIn(...RANGE.longHistory))));
  const nestedRequests = (): VerifyRequest[] =>
    Array.from({ length: 20_000 }, () =>
      rich(
        'nested: unit in case in tote in pallet',
        d1,
        scan(randomIn(RANGE.nestedFrom, RANGE.nestedFrom + NESTING.units)),
      ),
    );
  const shortRequests = (serials: number): VerifyRequest[] =>
    Array.from({ length: 20_000 }, () => rich('short history', m, scan(randomIn(RANGE.untouchedFrom, serials))));
  const lightweight = (serials: number): LoadRequest[] =>
    Array.from({ length: 20_000 }, () => {
      const k = randomIn(RANGE.untouchedFrom, serials);
      return {
        path: `/v1/verify/gtin/${gtinOf(k)}/lot/${lotOf(k)}/ser/${serial(k)}?exp=${EXPIRY}&reqGLN=${m.gln}`,
        headers: { authorization: m.authorization },
      };
    });

  const kept: { point: number; response: KeptResponse; cohort: Cohort }[] = [];
  const points: Point[] = [];
  const measure = async (serials: number) => {
    note(`measuring at ${count(serials)} serials`);
    const end = Number(
      (await pool.query<{ next_index: string }>('SELECT next_index FROM log_sequencer')).rows[0].next_index,
    );
    await network.checkpointNow();
    await watcher.until(end, 120_000);
    const vacuumStarted = nowMs();
    // The item rows: `item_record` since the inherited-custody read model (`item` is its view), `item` before.
    const items = (
      await pool.query<{ name: string }>("SELECT coalesce(to_regclass('item_record'), 'item'::regclass)::text AS name")
    ).rows[0].name;
    await pool.query(`VACUUM (ANALYZE) ${items}, log_entry, log_entry_party, shipment, verification`);
    await pool.query('CHECKPOINT');
    const vacuumMs = nowMs() - vacuumStarted;
    const itemTableMiB =
      Number(
        (await pool.query<{ bytes: string }>('SELECT pg_total_relation_size($1) AS bytes', [items])).rows[0].bytes,
      ) /
      2 ** 20;
    const point: Point = {
      serials,
      logEntries: end,
      fixedRate: [],
      throughput: [],
      explain: [],
      vacuumMs,
      itemTableMiB,
    };

    const fixedRate = async (name: string, rate: number, requests: VerifyRequest[]) => {
      await openLoop(clientB, { rate, durationMs: WARMUP_MS, next: (i) => requests[i % requests.length] });
      timings = [];
      const before = cpuSnapshot([serverB.pid], postgres);
      const result = await openLoop(clientB, {
        rate,
        durationMs: DURATION_MS,
        next: (i) => requests[i % requests.length],
        keep: (i) => i % KEEP_EVERY === 0,
      });
      const cpu = cpuBetween(before, cpuSnapshot([serverB.pid], postgres));
      // The request logger writes its line after the response: give the last lines time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const server = summarize(timings);
      timings = undefined;
      for (const response of result.kept) {
        kept.push({ point: serials, response, cohort: (response.request as VerifyRequest).cohort });
      }
      result.kept = [];
      point.fixedRate.push({ name, result, server, cpu });
      note(
        `  ${name}: server p50 ${ms(server.p50)} p99 ${ms(server.p99)} ms; client p50 ${ms(result.latency.p50)} ` +
          `p99 ${ms(result.latency.p99)} ms; ${result.failed} failed; server samples ${server.count}/${result.completed}`,
      );
    };
    // The goal's load first; then a load the server is far from saturated by, where latency is service time
    // rather than queueing: that is where log size and history length would show.
    await fixedRate(`mix (70% genuine, 30% failing) at ${RATE}/s`, RATE, mixRequests(serials));
    await fixedRate(`mix at ${LOW_RATE}/s`, LOW_RATE, mixRequests(serials));
    await fixedRate(`long history (${2 * HOPS + 2} events a unit) at ${LOW_RATE}/s`, LOW_RATE, longRequests());
    await fixedRate(`short history (commissioned only) at ${LOW_RATE}/s`, LOW_RATE, shortRequests(serials));
    if (NESTED) await fixedRate(`nested units (3 containers deep) at ${RATE}/s`, RATE, nestedRequests());

    const mix = mixRequests(serials);
    const light = lightweight(serials);
    const endpoints: Record<string, (i: number) => LoadRequest> = {
      'GET /v1/health/live': () => ({ path: '/v1/health/live' }),
      'GET /v1/verify?code= (mix)': (i) => mix[i % mix.length],
      'GET /v1/verify/gtin/…/lot/…/ser/… (Lightweight)': (i) => light[i % light.length],
    };
    const names = Object.keys(endpoints);
    await closedLoop(clientA, {
      concurrency: CONCURRENCY,
      durationMs: WARMUP_MS,
      next: (i) => endpoints[names[i % 3]](i),
    });
    const slices = new Map(names.map((name) => [name, [] as LoadResult[]]));
    const cpuOf = new Map(names.map((name) => [name, { serverMs: 0, postgresMs: 0, benchMs: 0, wallMs: 0 }]));
    const richWindows: { fromUs: number; toUs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const fromUs = profileClockUs();
        if (name === names[1])
          statements?.mark(`rich endpoint, closed loop x${CONCURRENCY}, ${count(serials)} serials`);
        const before = cpuSnapshot([serverA.pid], postgres);
        slices.get(name)!.push(
          await closedLoop(clientA, {
            concurrency: CONCURRENCY,
            durationMs: THROUGHPUT_MS / ROUNDS,
            next: endpoints[name],
          }),
        );
        const used = cpuBetween(before, cpuSnapshot([serverA.pid], postgres));
        const sum = cpuOf.get(name)!;
        for (const key of ['serverMs', 'postgresMs', 'benchMs', 'wallMs'] as const) sum[key] += used[key];
        statements?.mark(undefined);
        if (name === names[1]) richWindows.push({ fromUs, toUs: profileClockUs() });
      }
    }
    if (PROFILE) point.profileWindows = richWindows;
    for (const name of names) {
      const result = combineResults(slices.get(name)!);
      result.kept = [];
      point.throughput.push({ endpoint: name, result, cpu: cpuOf.get(name)! });
      note(
        `  ${name} x${CONCURRENCY}: ${count(result.throughput)} req/s, p50 ${ms(result.latency.p50)} ms, ${result.failed} failed`,
      );
    }

    if (cluster && serverC && clientC) {
      const sides = [
        { reads: 'primary only (READ_FROM=primary, server A)', client: clientA, pid: serverA.pid },
        { reads: 'primary + standbys (READ_FROM=replica, server C)', client: clientC, pid: serverC.pid },
      ];
      const standbys = cluster.nodes.filter((node) => node.role === 'standby').map((node) => node.name);
      const standbyCpu = () => standbys.reduce((sum, name) => sum + cluster.cpuByNode()[name], 0);
      await closedLoop(clientC, { concurrency: CONCURRENCY, durationMs: WARMUP_MS, next: (i) => mix[i % mix.length] });
      const slicesBySide = sides.map(() => [] as LoadResult[]);
      const cpuBySide = sides.map(() => ({ serverMs: 0, postgresMs: 0, benchMs: 0, wallMs: 0, standbyMs: 0 }));
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, side] of sides.entries()) {
          const before = cpuSnapshot([side.pid], postgres);
          const standbyBefore = standbyCpu();
          slicesBySide[i].push(
            await closedLoop(side.client, {
              concurrency: CONCURRENCY,
              durationMs: THROUGHPUT_MS / ROUNDS,
              next: (k) => mix[k % mix.length],
            }),
          );
          const used = cpuBetween(before, cpuSnapshot([side.pid], postgres));
          for (const key of ['serverMs', 'postgresMs', 'benchMs', 'wallMs'] as const) cpuBySide[i][key] += used[key];
          cpuBySide[i].standbyMs += standbyCpu() - standbyBefore;
        }
      }
      point.replicas = sides.map((side, i) => {
        const result = combineResults(slicesBySide[i]);
        result.kept = [];
        const { standbyMs, ...cpu } = cpuBySide[i];
        const peakRssMiB = processMemory(side.pid)?.peakRssMiB ?? NaN;
        note(
          `  rich endpoint x${CONCURRENCY}, ${side.reads}: ${count(result.throughput)} req/s, primary CPU ` +
            `${(cpu.postgresMs / result.completed).toFixed(3)} ms/req, standbys ${(standbyMs / result.completed).toFixed(3)} ms/req`,
        );
        return { reads: side.reads, result, cpu, standbyMs, peakRssMiB };
      });
    }

    const treeSize = Number(
      (await pool.query<{ size: string }>('SELECT max(tree_size) AS size FROM checkpoint')).rows[0].size,
    );
    const shortK = RANGE.untouchedFrom + 12_345;
    const longK = RANGE.longHistory[0] + 7;
    point.explain = (
      await explainVerificationFacts(
        () => pool.connect(),
        [
          { label: 'short history (1 event)', gtin: gtinOf(shortK), code: codeOf(shortK) },
          { label: `long history (${2 * HOPS + 2} events)`, gtin: gtinOf(longK), code: codeOf(longK) },
          { label: 'unknown serial', gtin: gtinOf(shortK), code: unitCode(gtinOf(shortK), 'U000000001') },
        ],
        treeSize,
      )
    ).map((e) => ({ label: e.label, executionMs: e.executionMs, buffers: e.buffers, plan: e.plan }));
    points.push(point);
  };

  note(`seeding ${count(SERIALS)} serials through the API`);
  await commissionUpTo(EVENT_SERIALS);
  await varyCustody();
  if (NESTED) await nest();
  const firstPoint = FIRST_POINT < SERIALS ? FIRST_POINT : undefined;
  if (firstPoint) {
    await commissionUpTo(firstPoint);
    await padLog(firstPoint);
    await measure(firstPoint);
  }
  if (commissioned < SERIALS) await commissionUpTo(SERIALS);
  await padLog(SERIALS);
  await measure(SERIALS);

  if (PROFILE) {
    await serverA.stop();
    const byPoint = new Map(statements!.summary());
    for (const point of points) {
      point.profile = summarizeCpuProfiles(profileDir, point.profileWindows!);
      point.statements = byPoint.get(`rich endpoint, closed loop x${CONCURRENCY}, ${count(point.serials)} serials`);
    }
  }

  // 4. Checks on the kept answers.
  const logVerifier = benchLogVerifier();
  const failures: string[] = [];
  const checked = new Map<Cohort, number>();
  for (const { point, response, cohort } of kept) {
    const where = `${count(point)} serials, ${cohort}`;
    if (response.status !== 200) {
      failures.push(`${where}: HTTP ${response.status} ${response.body.toString('utf8').slice(0, 200)}`);
      continue;
    }
    const answer = JSON.parse(response.body.toString('utf8')) as RichAnswer;
    const codes = answer.reasons.map((r) => r.code);
    const expected: Record<Cohort, (a: RichAnswer) => boolean> = {
      'genuine: manufacturer, random unit': (a) => a.verdict === 'genuine',
      'genuine: pharmacy': (a) => a.verdict === 'genuine',
      'genuine: in transit to requester': (a) => a.verdict === 'genuine',
      'failing: unknown serial': () => codes.includes('UNKNOWN_SERIAL'),
      'failing: lot mismatch': () => codes.includes('LOT_MISMATCH'),
      'failing: custody mismatch': () => codes.length === 1 && codes[0] === 'CUSTODY_MISMATCH',
      'failing: already dispensed': () => codes.includes('ALREADY_DISPENSED'),
      'long history': (a) => a.verdict === 'genuine' && a.item?.custodyTransfers === HOPS + 1,
      'short history': (a) => a.verdict === 'genuine',
      'nested: unit in case in tote in pallet': (a) => a.verdict === 'genuine',
    };
    if (!expected[cohort](answer)) {
      failures.push(`${where}: verdict ${answer.verdict}, reasons ${codes.join(',')}`);
      continue;
    }
    if (cohort !== 'failing: unknown serial') {
      const evidence = answer.evidence;
      const proven =
        evidence !== null &&
        (() => {
          const checkpoint = openCheckpoint(evidence.checkpoint, logVerifier).checkpoint;
          return verifyInclusion(
            new Uint8Array(Buffer.from(evidence.leafHash, 'base64')),
            evidence.index,
            checkpoint.size,
            evidence.inclusionProof.hashes.map((h) => new Uint8Array(Buffer.from(h, 'base64'))),
            checkpoint.rootHash,
          );
        })();
      if (!proven) failures.push(`${where}: the evidence does not verify against the signed checkpoint`);
    }
    checked.set(cohort, (checked.get(cohort) ?? 0) + 1);
  }
  for (const point of points) {
    for (const run of point.fixedRate) {
      if (run.result.failed > 0)
        failures.push(
          `${count(point.serials)} serials, ${run.name}: ${run.result.failed} failed ${JSON.stringify(run.result.statuses)}`,
        );
    }
    for (const { reads, result } of point.replicas ?? []) {
      if (result.failed > 0)
        failures.push(
          `${count(point.serials)} serials, rich endpoint, ${reads}: ${result.failed} failed ${JSON.stringify(result.statuses)}`,
        );
    }
    for (const { endpoint, result } of point.throughput) {
      if (result.failed > 0)
        failures.push(
          `${count(point.serials)} serials, ${endpoint}: ${result.failed} failed ${JSON.stringify(result.statuses)}`,
        );
    }
  }

  // Report.
  printTable(`Seeding through the API (${count(SERIALS)} serials; PostgreSQL and server CPU in seconds)`, [
    ...seeding,
    ...points.map((p) => ({
      step: `VACUUM (ANALYZE) + CHECKPOINT at ${count(p.serials)} serials (item table ${count(p.itemTableMiB)} MiB)`,
      seconds: (p.vacuumMs / 1000).toFixed(1),
      'serials/s': '',
    })),
  ]);
  const columns = points.map((p) => `${count(p.serials)} serials`);
  const side = (label: string, pick: (p: Point) => number, format: (v: number) => string = ms): Row => {
    const values = points.map(pick);
    return {
      measure: label,
      ...Object.fromEntries(columns.map((c, i) => [c, format(values[i])])),
      ...(points.length > 1 ? { [`${columns[1]} ÷ ${columns[0]}`]: ratio(values[1] / values[0]) } : {}),
    };
  };
  const run = (p: Point, i: number) => p.fixedRate[i];
  const throughputOf = (p: Point, i: number) => p.throughput[i].result.throughput;
  const rows: Row[] = [
    side('log entries (real + synthetic)', (p) => p.logEntries, count),
    side('item table + indexes, MiB', (p) => p.itemTableMiB, count),
  ];
  points[0].fixedRate.forEach((r, i) => {
    rows.push(side(`${r.name}: server p50 ms`, (p) => run(p, i).server.p50));
    rows.push(side(`${r.name}: server p99 ms`, (p) => run(p, i).server.p99));
    rows.push(side(`${r.name}: client p50 ms (loopback, from scheduled send)`, (p) => run(p, i).result.latency.p50));
    rows.push(side(`${r.name}: client p99 ms`, (p) => run(p, i).result.latency.p99));
  });
  rows.push(side(`mix: achieved req/s (target ${RATE})`, (p) => run(p, 0).result.throughput, count));
  rows.push(
    side(
      `mix at ${LOW_RATE}/s: server B + PostgreSQL CPU ms per request`,
      (p) => (run(p, 1).cpu.serverMs + run(p, 1).cpu.postgresMs) / run(p, 1).result.completed,
    ),
  );
  points[0].throughput.forEach((t, i) => {
    rows.push(side(`${t.endpoint} x${CONCURRENCY}: req/s`, (p) => throughputOf(p, i), count));
    if (i > 0) rows.push(side(`  ÷ /v1/health/live`, (p) => throughputOf(p, i) / throughputOf(p, 0), ratio));
    const perRequest = (p: Point, key: 'serverMs' | 'postgresMs') =>
      p.throughput[i].cpu[key] / p.throughput[i].result.completed;
    rows.push(side(`  CPU ms per request: server A`, (p) => perRequest(p, 'serverMs')));
    rows.push(side(`  CPU ms per request: PostgreSQL`, (p) => perRequest(p, 'postgresMs')));
  });
  points[0].explain.forEach((e, i) => {
    rows.push(side(`EXPLAIN facts read, ${e.label}: execution ms`, (p) => p.explain[i].executionMs));
    rows.push(side(`EXPLAIN facts read, ${e.label}: buffers touched`, (p) => p.explain[i].buffers, count));
  });
  printTable(
    `Verification at ${columns.join(' and ')} (fixed rate on server B = server-side timing from its request log; closed loop on server A)`,
    rows,
  );
  const last = points[points.length - 1];
  const goalRatio = throughputOf(last, 1) / throughputOf(last, 0);
  const goalRows: Row[] = [
    {
      goal: `p99 ≤ ${GOAL.p99Ms} ms server-side at ${count(RATE)} req/s with ${count(last.serials)} serials (mix)`,
      measured: `server p99 ${ms(run(last, 0).server.p99)} ms (client-side on loopback ${ms(run(last, 0).result.latency.p99)} ms)`,
      met: run(last, 0).server.p99 <= GOAL.p99Ms,
    },
    {
      goal: `rich endpoint throughput ≥ ${GOAL.ratio} × GET /v1/health/live`,
      measured: `${count(throughputOf(last, 1))} ÷ ${count(throughputOf(last, 0))} = ${ratio(goalRatio)}`,
      met: goalRatio >= GOAL.ratio,
    },
    ...(points.length > 1
      ? [
          {
            goal: `latency O(log n): ${ratio(last.serials / points[0].serials)}× the serials and log, server p50 / p99 of the mix at ${LOW_RATE}/s`,
            measured:
              `${ms(run(points[0], 1).server.p50)} / ${ms(run(points[0], 1).server.p99)} → ` +
              `${ms(run(last, 1).server.p50)} / ${ms(run(last, 1).server.p99)} ms`,
            // Read as: the p50 grows by at most half (O(log n) over a 10× step adds a level or two, not 10×).
            met: run(last, 1).server.p50 <= GOAL.growth * run(points[0], 1).server.p50,
          },
        ]
      : []),
    {
      goal: `long (${2 * HOPS + 2} events) vs short (1 event) history, server p50 / p99 at ${LOW_RATE}/s`,
      measured: `${ms(run(last, 2).server.p50)} / ${ms(run(last, 2).server.p99)} vs ${ms(run(last, 3).server.p50)} / ${ms(run(last, 3).server.p99)} ms`,
      // Read as: a long history keeps the p99 goal.
      met: run(last, 2).server.p99 <= GOAL.p99Ms,
    },
    ...(NESTED
      ? [
          {
            goal: `issue 12 §1/§3: nested units (3 containers deep) p99 ≤ ${GOAL.p99Ms} ms server-side at ${count(RATE)} req/s`,
            measured: `server p99 ${ms(run(last, 4).server.p99)} ms (p50 ${ms(run(last, 4).server.p50)}; mix p99 ${ms(run(last, 0).server.p99)} ms in the same run)`,
            met: run(last, 4).server.p99 <= GOAL.p99Ms,
          },
        ]
      : []),
    ...[
      ['A (seeding, closed loop)', serverA.pid],
      ['B (fixed rate)', serverB.pid],
    ].map(([name, pid]) => {
      const peak = processMemory(pid as number)?.peakRssMiB ?? NaN;
      return {
        goal: `issue 12: server ${name as string} peak RSS ≤ ${count(GOAL.peakRssMiB)} MiB`,
        measured: `${count(peak)} MiB (VmHWM, seeding included)`,
        met: peak <= GOAL.peakRssMiB,
      };
    }),
  ];
  printTable('Goals (DESIGN.md §5)', goalRows);
  if (cluster) {
    printTable(
      `Reads from standbys: the rich endpoint (the mix) x${CONCURRENCY}, ${ROUNDS} interleaved slices each (CPU ms per request; ` +
        `"ratio": req/s against primary only; "standby share": the standbys' part of PostgreSQL's CPU, replay included. ` +
        `The servers' ReadDatabase.served counters are not exposed over HTTP, and the primary's transaction count does ` +
        `not tell: each verification also writes its row on the primary)`,
      points.flatMap((point) =>
        (point.replicas ?? []).map((side, _i, all) => ({
          serials: count(point.serials),
          reads: side.reads,
          'req/s': count(side.result.throughput),
          'p50 ms': ms(side.result.latency.p50),
          'p99 ms': ms(side.result.latency.p99),
          server: (side.cpu.serverMs / side.result.completed).toFixed(3),
          primary: (side.cpu.postgresMs / side.result.completed).toFixed(3),
          standbys: (side.standbyMs / side.result.completed).toFixed(3),
          ratio: (side.result.throughput / all[0].result.throughput).toFixed(2),
          'standby share': `${Math.round((100 * side.standbyMs) / (side.standbyMs + side.cpu.postgresMs))}%`,
          'peak RSS MiB': count(side.peakRssMiB),
          failed: side.result.failed,
        })),
      ),
    );
  }
  printTable('Checks (kept answers: verdict, reasons and evidence verified against the signed checkpoint)', [
    ...[...checked].map(([cohort, n]) => ({ check: cohort, result: `${n} ok` })),
    { check: 'failures', result: failures.length },
  ]);
  for (const failure of failures.slice(0, 20)) console.log(`FAILED: ${failure}`);
  const clip = (line: string) => (line.length > 160 ? `${line.slice(0, 157)}...` : line);
  for (const point of points) {
    const plan = point.explain[1];
    console.log(`\n-- EXPLAIN (ANALYZE, BUFFERS) of the facts read at ${count(point.serials)} serials, ${plan.label}`);
    console.log(plan.plan.map((line) => `   ${clip(line)}`).join('\n'));
  }
  for (const point of PROFILE ? points : []) {
    const profile = point.profile!;
    printTable(
      `Server A CPU profile during the rich endpoint's closed-loop slices at ${count(point.serials)} serials (busy ${count(profile.totalMs)} ms, idle ${count(profile.idleMs)} ms): self time by area`,
      profile.byArea.slice(0, 14).map((a) => ({
        area: a.area,
        'self ms': count(a.selfMs),
        '%': ((a.selfMs * 100) / profile.totalMs).toFixed(1),
      })),
    );
    printTable(
      `... top functions`,
      profile.top.slice(0, 20).map((f) => ({
        function: f.name,
        where: f.where,
        'self ms': count(f.selfMs),
        '%': ((f.selfMs * 100) / profile.totalMs).toFixed(1),
      })),
    );
    printTable(
      `PostgreSQL statements during those slices (log_min_duration_statement = 0; server-side time)`,
      (point.statements ?? []).slice(0, 12).map((st) => ({
        statement: st.statement,
        calls: count(st.calls),
        'total ms': count(st.totalMs),
        'mean ms': ms(st.totalMs / st.calls),
        'max ms': ms(st.maxMs),
      })),
    );
  }
  const loadAverageAtEnd = os.loadavg()[0];
  console.log(
    `\nservers: A RSS ${count(processMemory(serverA.pid)?.rssMiB ?? NaN)} MiB, B RSS ${count(processMemory(serverB.pid)?.rssMiB ?? NaN)} MiB at the end. ` +
      `source: ${revision ?? 'unknown'}.\nmachine: ${machine.cpus} CPUs, node ${machine.node}; load average (1 min) ${machine.loadAverage1m} at the start, ` +
      `${loadAverageAtEnd.toFixed(2)} at the end (other work on this shared machine shows in the p99s).`,
  );
  printJsonLine({
    bench: 'verify',
    revision,
    options: {
      serials: SERIALS,
      rate: RATE,
      lowRate: LOW_RATE,
      logRatio: LOG_RATIO,
      durationS: DURATION_MS / 1000,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      hops: HOPS,
      seed: SEED,
      profile: PROFILE,
    },
    machine: { ...machine, loadAverageAtEnd },
    seeding: seedingJson,
    points: points.map((p) => ({
      serials: p.serials,
      logEntries: p.logEntries,
      itemTableMiB: p.itemTableMiB,
      vacuumMs: p.vacuumMs,
      fixedRate: p.fixedRate.map((r) => ({
        name: r.name,
        targetRate: RATE,
        achieved: r.result.throughput,
        serverMs: r.server,
        clientMs: r.result.latency,
        sendLagMs: r.result.sendLag,
        failed: r.result.failed,
        cpuMs: r.cpu,
      })),
      throughput: p.throughput.map((t) => ({
        endpoint: t.endpoint,
        concurrency: CONCURRENCY,
        perSecond: t.result.throughput,
        latencyMs: t.result.latency,
        vsLive: t.result.throughput / p.throughput[0].result.throughput,
        cpuMs: t.cpu,
        failed: t.result.failed,
      })),
      explain: p.explain.map((e) => ({ label: e.label, executionMs: e.executionMs, buffers: e.buffers })),
      profile: p.profile && {
        busyMs: p.profile.totalMs,
        byArea: p.profile.byArea.slice(0, 14),
        top: p.profile.top.slice(0, 20),
      },
      statements: p.statements?.slice(0, 12),
    })),
    goals: goalRows,
    checks: { checked: Object.fromEntries(checked), failures },
  });
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed`);
});

/** The request logger's line (LOG_FORMAT=json, LOG_LEVEL=debug): `{"message":{"method","path","status","ms"},…}`. */
function parseRequestLine(line: string): { path: string; ms: number } | undefined {
  if (!line.includes('"ms"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { message?: { path?: unknown; ms?: unknown } };
    const message = parsed.message;
    if (message && typeof message.path === 'string' && typeof message.ms === 'number')
      return { path: message.path, ms: message.ms };
  } catch {
    // Not a JSON line.
  }
  return undefined;
}
