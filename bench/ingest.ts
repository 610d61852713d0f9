/**
 * `npm run bench:ingest [-- --duration 15 --single 20000 --batched 60000 --bulk-units 200000 --profile]`
 * `--intake-workers <n>`: the server's INTAKE_WORKERS (its intake worker pool; default: the server's default)
 * `--cluster <dir> [--synchronous-commit local]`: the same against a fresh database of the reference cluster
 * (`npm run cluster`, docs/BENCHMARKS.md "Replication")
 *
 * Signed-event intake end to end over HTTP (DESIGN.md §5: ≥ 5,000 single-serial events/s with batches, ≥ 50% of
 * the machine's raw Ed25519-verify ceiling, merge delay p99 ≤ 1 s, ≥ 100,000 serial updates/s in batched events).
 *
 *  1. A fresh embedded PostgreSQL and a real server (child process, default settings: CHECKPOINT_INTERVAL_MS 250).
 *     Through the API: a manufacturer with a granted prefix and two products, four distributors.
 *  2. Everything a timed phase sends is signed (OpenSSL, the same signatures as @noble/curves) and serialized
 *     BEFORE that phase: the timed loop only sends bytes.
 *  3. Serial updates in batched events: commission `--bulk-units` (+ the units of step 4) in events of 10,000
 *     serials; pack the bulk units in cases of 100 and pallets of 50 cases; ship the pallets (5,000 units each) to
 *     the distributors; the distributors receive them. Unit rows changed per second, checked in the database.
 *  4. Single-serial events: each ships ONE unit from the manufacturer to a distributor (its own shipment, with
 *     DSCSA transaction information): `--clients` clients POSTing one event each (batches of 1), then
 *     `--batch-clients` clients POSTing /v1/events/batch of `--batch` events; then the distributors receive every
 *     one of those shipments in batches (the other half of a transfer). Accepted events per second.
 *     Right after the one-event phase, its same-run ceiling (issue 12 §2): the same bodies from the same clients
 *     POSTed to /v1/bench/ceiling, a trivial authenticated endpoint the server mounts only because the bench sets
 *     RXLEDGER_BENCH_CEILING=1 (never set in production).
 *  5. Baseline, same run and same machine: the raw strict Ed25519 verify ceiling, with the server's own code
 *     (`verifyStrictNode` on one core; `verifyStrictNodeAsync` on libuv's thread pool with as many in flight as
 *     the server has), measured before and after the HTTP phases.
 *  6. Merge delay for every event of every phase, from the bench database: accepted_at → created_at of the first
 *     checkpoint whose tree covers the entry.
 * Each phase also splits the CPU it cost between the app server, PostgreSQL and this process (the load).
 * --profile: the server runs under `node --cpu-prof` and PostgreSQL logs every statement's duration; the top
 * functions and statements are printed, and for the one-event phase each function's total (inclusive) time per
 * request beside the trivial POST's (figures then include the profilers' overhead).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { unitCode } from '../src/protocol/item-code';
import { BenchArgs } from './lib/args';
import { cpuBetween, CpuSnapshot, cpuSnapshot, CpuSplit, postmasterPid } from './lib/cpu-time';
import { CpuProfileSummary, profileClockUs, summarizeCpuProfiles } from './lib/cpu-profile';
import { ExplainedStatement, explainIntakeStatements } from './lib/explain';
import { closedLoop, HttpClient, LoadRequest, LoadResult } from './lib/http-load';
import { machineInfo } from './lib/machine';
import { StatementLog } from './lib/pg-statements';
import { startBenchDatabase } from './lib/postgres';
import { primaryNode, startClusterDatabase } from './lib/cluster';
import { count, ms, note, printJsonLine, printTable, ratio, Row } from './lib/report';
import { sourceRevision } from './lib/revision';
import { copyCeiling } from './lib/copy-ceiling';
import { processMemory, RssSampler } from './lib/rss';
import { startServer } from './lib/server';
import { LatencySummary, nowMs, summarize } from './lib/stats';
import { BatchAnswer, batchBody, BENCH_TRANSACTION, BenchNetwork, BenchParty, PreparedEvent } from './lib/supply-chain';
import { CheckpointWatcher } from './lib/synthetic-log';
import { runBench } from './lib/teardown';
import { asyncCeiling, CeilingResult, syncCeiling, verifyInputs } from './lib/verify-ceiling';

const args = new BenchArgs();
const DURATION_MS = args.number('duration', 15) * 1000;
const SINGLE_EVENTS = args.number('single', 20_000);
const BATCHED_EVENTS = args.number('batched', 60_000);
const CLIENTS = args.number('clients', 64);
const BATCH = args.number('batch', 500);
const BATCH_CLIENTS = args.number('batch-clients', 4);
const WARMUP_EVENTS = args.number('warmup', 2_000);
const BULK_UNITS = args.number('bulk-units', 200_000);
const SERIALS_PER_COMMISSION = args.number('commission-serials', 10_000);
const COMMISSIONS_PER_REQUEST = args.number('commissions-per-request', 5);
const CASE_UNITS = 100;
const PALLET_CASES = 50;
const PALLET_UNITS = CASE_UNITS * PALLET_CASES;
const BULK_CLIENTS = args.number('bulk-clients', 2);
const CEILING_MS = args.number('ceiling-duration', 3) * 1000;
const DISTRIBUTORS = 4;
const PROFILE = args.flag('profile');
/** `--intake-workers <n>`: INTAKE_WORKERS of the server (issue 12 §2's A/B of the pool size); '' leaves its default. */
const INTAKE_WORKERS = args.string('intake-workers', '');
const KEEP = args.flag('keep');
/** `--cluster <dir>`: a fresh database on the reference cluster of <dir> (`npm run cluster`), not an embedded one. */
const CLUSTER = args.string('cluster', '');
/** With `--cluster`: the bench database's `synchronous_commit` (`local`: commits wait for no standby). */
const SYNCHRONOUS_COMMIT = args.string('synchronous-commit', '');
const PREFIX = '0614141';
const GOAL = { eventsPerSecond: 5_000, ofCeiling: 0.5, mergeP99Ms: 1_000, serialUpdatesPerSecond: 100_000 };
/** Issue 12 §1: a pallet moves at the cost of a few loose units; peak server RSS per phase. */
const PALLET_GOAL = { cpuOfLooseUnit: 3, unitMovesPerSecond: 1_000_000, peakRssMiB: 1024 };

interface Phase {
  name: string;
  kind: 'events' | 'serials';
  /** Events per request. */
  batch: number;
  clients: number;
  /** Events the log accepted (sequencer before → after) and events refused (from the answers). */
  accepted: number;
  refused: number;
  /** Unit rows the phase changed (created, packed, moved): serial phases only. */
  unitsChanged: number;
  result: LoadResult;
  firstIndex: number;
  endIndex: number;
  cpu: CpuSplit;
  merge?: LatencySummary;
  serverRssMiB: number;
  /** The server's highest RSS sampled during the phase (every 50 ms). */
  peakRssMiB: number;
  /** The phase on the CPU profile's clock. */
  fromUs: number;
  toUs: number;
  profile?: CpuProfileSummary;
}

runBench(async (teardown) => {
  if (BULK_UNITS % PALLET_UNITS !== 0) throw new Error(`--bulk-units must be a multiple of ${PALLET_UNITS}`);
  const machine = machineInfo();
  const revision = sourceRevision();
  note(
    `ingest benchmark on ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, load ${machine.loadAverage1m}`,
  );

  // 1. Database, server, parties.
  const statements = PROFILE ? new StatementLog() : undefined;
  if (CLUSTER && PROFILE)
    throw new Error('--profile needs the embedded PostgreSQL (its statement log): drop --cluster');
  const cluster = CLUSTER
    ? await startClusterDatabase(CLUSTER, { keep: KEEP, synchronousCommit: SYNCHRONOUS_COMMIT || undefined })
    : undefined;
  const database = cluster ?? (await startBenchDatabase({ keep: KEEP, log: statements?.collector() }));
  if (cluster) {
    note(
      `target: the cluster of ${CLUSTER} through HAProxy (primary ${primaryNode(cluster).name}), synchronous_commit ` +
        `${SYNCHRONOUS_COMMIT || 'as the cluster sets it'}; "PostgreSQL" CPU is the primary's`,
    );
  }
  teardown.add('stop PostgreSQL', () => database.stop());
  const pool = new Pool({ connectionString: database.url, max: 4 });
  pool.on('error', (error) => note(`idle PostgreSQL connection: ${error.message}`));
  teardown.add('close the pool', () => pool.end());
  const profileDir = path.join(database.dataDir, 'cpu-profile');
  if (PROFILE) {
    fs.mkdirSync(profileDir);
    process.env.BENCH_SERVER_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${profileDir}`;
    await statements!.enable(pool);
  }
  // RXLEDGER_BENCH_CEILING mounts POST /v1/bench/ceiling, the trivial authenticated POST that is the ceiling of the
  // one-event phase (issue 12 §2; src/ledger/bench-ceiling.controller.ts). A build without it answers 404 there.
  const server = await startServer({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    env: { RXLEDGER_BENCH_CEILING: '1', ...(INTAKE_WORKERS ? { INTAKE_WORKERS } : {}) },
  });
  teardown.add('stop the server', () => server.stop());
  const postgres = cluster ? primaryNode(cluster).postmasterPid : postmasterPid(database.dataDir);
  const client = new HttpClient(server.baseUrl, Math.max(CLIENTS, BATCH_CLIENTS, BULK_CLIENTS));
  teardown.add('close HTTP connections', async () => client.close());
  const network = new BenchNetwork(client);
  const manufacturer = await network.register('manufacturer', 'Bench Pharma');
  const distributors: BenchParty[] = [];
  for (let i = 1; i <= DISTRIBUTORS; i++)
    distributors.push(await network.register('distributor', `Bench Wholesale ${i}`));
  await network.grantPrefix(manufacturer, PREFIX);
  const singlesGtin = await network.registerProduct(manufacturer, PREFIX, 1);
  const bulkGtin = await network.registerProduct(manufacturer, PREFIX, 2);
  const seeds = new Map([manufacturer, ...distributors].map((p) => [p.gln, p.seed]));

  // 2. Sign everything the serial phases and the single-serial ship phases send.
  const signingStarted = nowMs();
  const singleUnits = SINGLE_EVENTS + BATCHED_EVENTS + WARMUP_EVENTS;
  const commissions: PreparedEvent[] = [];
  const commission = (gtin: string, lot: string, units: number) => {
    for (let start = 0; start < units; start += SERIALS_PER_COMMISSION) {
      const serials = Array.from({ length: Math.min(SERIALS_PER_COMMISSION, units - start) }, (_, i) =>
        serial(start + i),
      );
      commissions.push(manufacturer.event('commission', { gtin, lot, expiry: '291231', serials }));
    }
  };
  commission(bulkGtin, 'BULK-1', BULK_UNITS);
  commission(singlesGtin, 'SINGLE-1', singleUnits);
  const bulkCodes = Array.from({ length: BULK_UNITS }, (_, i) => unitCode(bulkGtin, serial(i)));
  const caseCodes: string[] = [];
  const casePacks: PreparedEvent[] = [];
  for (let i = 0; i < BULK_UNITS; i += CASE_UNITS) {
    const code = network.newContainer(PREFIX);
    caseCodes.push(code);
    casePacks.push(manufacturer.event('pack', { parent: code, children: bulkCodes.slice(i, i + CASE_UNITS) }));
  }
  const palletCodes: string[] = [];
  const palletPacks: PreparedEvent[] = [];
  for (let i = 0; i < caseCodes.length; i += PALLET_CASES) {
    const code = network.newContainer(PREFIX);
    palletCodes.push(code);
    palletPacks.push(manufacturer.event('pack', { parent: code, children: caseCodes.slice(i, i + PALLET_CASES) }));
  }
  const palletTo = (i: number) => distributors[i % DISTRIBUTORS];
  const palletShips = palletCodes.map((code, i) =>
    manufacturer.event('ship', {
      shipmentId: `PAL-${i}`,
      recipient: palletTo(i).gln,
      items: [code],
      transaction: BENCH_TRANSACTION,
    }),
  );
  const palletReceives = palletCodes.map((code, i) =>
    palletTo(i).event('receive', { shipper: manufacturer.gln, shipmentId: `PAL-${i}`, items: [code] }),
  );
  // One unit per event: unit i goes to distributor i mod 4 as shipment U-i.
  const singleTo = (i: number) => distributors[i % DISTRIBUTORS];
  const singleShip = (i: number) =>
    manufacturer.event('ship', {
      shipmentId: `U-${i}`,
      recipient: singleTo(i).gln,
      items: [unitCode(singlesGtin, serial(i))],
      transaction: BENCH_TRANSACTION,
    });
  const warmupShips = Array.from({ length: WARMUP_EVENTS }, (_, i) => singleShip(i));
  const singleShips = Array.from({ length: SINGLE_EVENTS }, (_, i) => singleShip(WARMUP_EVENTS + i));
  const batchedShips = Array.from({ length: BATCHED_EVENTS }, (_, i) => singleShip(WARMUP_EVENTS + SINGLE_EVENTS + i));
  const signingMs = nowMs() - signingStarted;
  const signedCount = commissions.length + casePacks.length + palletPacks.length + palletShips.length * 2 + singleUnits;
  note(`signed ${count(signedCount)} events in ${ms(signingMs)} ms (OpenSSL, before any timed phase)`);

  // 5 (before). The verify ceiling, with the server idle.
  const inputs = verifyInputs(singleShips.slice(0, 1000), (gln) => seeds.get(gln)!);
  const ceilings: { when: string; sync: CeilingResult; async64: CeilingResult; asyncBatch: CeilingResult }[] = [];
  const measureCeiling = async (when: string) => {
    const sync = syncCeiling(inputs, CEILING_MS);
    const async64 = await asyncCeiling(inputs, CEILING_MS, CLIENTS);
    const asyncBatch = await asyncCeiling(inputs, CEILING_MS, BATCH);
    ceilings.push({ when, sync, async64, asyncBatch });
    note(
      `verify ceiling (${when}): ${count(sync.perSecond)}/s on one core, ${count(async64.perSecond)}/s on the thread ` +
        `pool x${CLIENTS}, ${count(asyncBatch.perSecond)}/s x${BATCH}`,
    );
  };
  await measureCeiling('before');

  // 3 and 4. The timed phases.
  const watcher = await CheckpointWatcher.start(pool);
  teardown.add('stop watching checkpoints', () => watcher.close());
  const sequencer = async () =>
    Number((await pool.query<{ next_index: string }>('SELECT next_index FROM log_sequencer')).rows[0].next_index);
  const phases: Phase[] = [];
  const run = async (
    name: string,
    kind: Phase['kind'],
    work: { party: BenchParty; events: PreparedEvent[] }[],
    options: { batch: number; clients: number; unitsChanged?: number; timed?: boolean },
  ): Promise<Phase | undefined> => {
    const requests: LoadRequest[] = [];
    // Requests of the parties interleaved, so that concurrent clients are different parties where there are several.
    const perParty = work.map(({ party, events }) => {
      const list: LoadRequest[] = [];
      for (let i = 0; i < events.length; i += options.batch) {
        const slice = events.slice(i, i + options.batch);
        list.push(
          options.batch === 1
            ? { path: '/v1/events', method: 'POST', headers: headers(party), body: slice[0].json }
            : { path: '/v1/events/batch', method: 'POST', headers: headers(party), body: batchBody(slice) },
        );
      }
      return list;
    });
    for (let i = 0; perParty.some((list) => i < list.length); i++) {
      for (const list of perParty) if (i < list.length) requests.push(list[i]);
    }
    const firstIndex = await sequencer();
    statements?.mark(name);
    const fromUs = profileClockUs();
    const before: CpuSnapshot = cpuSnapshot([server.pid], postgres);
    const rss = new RssSampler(server.pid).start();
    const result = await closedLoop(client, {
      concurrency: options.clients,
      // Single-serial phases run for --duration (or until their events run out); the serial phases build on each
      // other (cases before pallets before shipping), so they run to the end, bounded only as a safety net.
      durationMs: kind === 'events' && options.timed !== false ? DURATION_MS : 10 * 60_000,
      maxRequests: requests.length,
      next: (i) => requests[i],
      keep: () => true,
    });
    const cpu = cpuBetween(before, cpuSnapshot([server.pid], postgres));
    const peakRssMiB = rss.stop();
    const toUs = profileClockUs();
    statements?.mark(undefined);
    const endIndex = await sequencer();
    let refused = 0;
    for (const response of result.kept) {
      if (response.status !== 200 && response.status !== 201) {
        refused += options.batch;
        continue;
      }
      if (options.batch > 1) refused += (JSON.parse(response.body.toString('utf8')) as BatchAnswer).refused;
    }
    if (result.failed > 0 || refused > 0) {
      const bad = result.kept.find(
        (r) => r.status > 299 || (r.body.includes('"refused":') && !r.body.includes('"refused":0')),
      );
      note(
        `  ${name}: ${result.failed} failed requests, ${refused} refused events; e.g. ${bad?.body.toString('utf8').slice(0, 300)}`,
      );
    }
    result.kept = [];
    const accepted = endIndex - firstIndex;
    if (options.timed === false) return undefined;
    const phase: Phase = {
      name,
      kind,
      batch: options.batch,
      clients: options.clients,
      accepted,
      refused,
      unitsChanged: options.unitsChanged ?? 0,
      result,
      firstIndex,
      endIndex,
      cpu,
      serverRssMiB: processMemory(server.pid)?.rssMiB ?? NaN,
      peakRssMiB,
      fromUs,
      toUs,
    };
    phases.push(phase);
    const rate = kind === 'serials' ? phase.unitsChanged : accepted;
    note(
      `  ${name}: ${count(accepted)} events in ${ms(result.durationMs)} ms = ${count((rate * 1000) / result.durationMs)} ` +
        `${kind === 'serials' ? 'units' : 'events'}/s; server ${count(cpu.serverMs)} ms CPU, PostgreSQL ${count(cpu.postgresMs)} ms, bench ${count(cpu.benchMs)} ms`,
    );
    return phase;
  };

  note(`serial updates in batched events (${count(BULK_UNITS)} bulk units + ${count(singleUnits)} units for later)`);
  const commissioned = BULK_UNITS + singleUnits;
  const commissionPhase = (await run(
    'commission (10,000 serials an event)',
    'serials',
    [{ party: manufacturer, events: commissions }],
    { batch: COMMISSIONS_PER_REQUEST, clients: BULK_CLIENTS, unitsChanged: commissioned },
  ))!;
  // The same-run ceiling for commissioning: COPY of as many rows of the same shape, as many clients, as big a request.
  const copy = await copyCeiling(pool, {
    rows: commissioned,
    clients: BULK_CLIENTS,
    chunk: SERIALS_PER_COMMISSION * COMMISSIONS_PER_REQUEST,
    gtin: bulkGtin,
    lot: 'BULK-1',
    custodian: manufacturer.gln,
  });
  note(
    `  COPY ceiling (pg-copy-streams, same row shape): ${count(copy.rows)} rows in ${ms(copy.durationMs)} ms = ${count(copy.rowsPerSecond)} rows/s`,
  );
  await run(`pack units into cases of ${CASE_UNITS}`, 'serials', [{ party: manufacturer, events: casePacks }], {
    batch: 100,
    clients: BULK_CLIENTS,
    unitsChanged: BULK_UNITS,
  });
  await run(`pack cases into pallets of ${PALLET_CASES}`, 'serials', [{ party: manufacturer, events: palletPacks }], {
    batch: 10,
    clients: BULK_CLIENTS,
    unitsChanged: BULK_UNITS,
  });
  const palletShipPhase = await run(
    `ship pallets (${count(PALLET_UNITS)} units an event)`,
    'serials',
    [{ party: manufacturer, events: palletShips }],
    {
      batch: 10,
      clients: BULK_CLIENTS,
      unitsChanged: BULK_UNITS,
    },
  );
  const palletReceivePhase = await run(
    'receive pallets',
    'serials',
    distributors.map((d, j) => ({ party: d, events: palletReceives.filter((_, i) => i % DISTRIBUTORS === j) })),
    { batch: 5, clients: BULK_CLIENTS, unitsChanged: BULK_UNITS },
  );

  note(`single-serial events (each ships one unit): warm-up of ${count(WARMUP_EVENTS)}`);
  await run('warm-up', 'events', [{ party: manufacturer, events: warmupShips }], {
    batch: 1,
    clients: CLIENTS,
    timed: false,
  });
  const singles = await run('ship 1 unit, batches of 1', 'events', [{ party: manufacturer, events: singleShips }], {
    batch: 1,
    clients: CLIENTS,
  });
  // Issue 12 §2: the ceiling of the phase above, same run: the same bodies, clients and party, POSTed to the trivial
  // authenticated endpoint (HTTP, the bearer-token guard, the body read; no intake).
  const trivialRequests = singleShips.map((e): LoadRequest => ({
    path: '/v1/bench/ceiling',
    method: 'POST',
    headers: headers(manufacturer),
    body: e.json,
  }));
  const trivialBefore = cpuSnapshot([server.pid], postgres);
  const trivialFromUs = profileClockUs();
  const trivial = await closedLoop(client, {
    concurrency: CLIENTS,
    durationMs: DURATION_MS,
    // The endpoint logs nothing: the bodies may repeat, and the phase runs its whole --duration.
    next: (i) => trivialRequests[i % trivialRequests.length],
  });
  const trivialCpu = cpuBetween(trivialBefore, cpuSnapshot([server.pid], postgres));
  const trivialWindow = { fromUs: trivialFromUs, toUs: profileClockUs() };
  note(
    `trivial authenticated POST (/v1/bench/ceiling, ${CLIENTS} clients): ${count(trivial.throughput)}/s, ` +
      `${trivial.failed} failed, server ${count((trivialCpu.serverMs * 1000) / Math.max(1, trivial.completed))} µs CPU a request`,
  );
  const batched = await run(
    `ship 1 unit, batches of ${BATCH}`,
    'events',
    [{ party: manufacturer, events: batchedShips }],
    {
      batch: BATCH,
      clients: BATCH_CLIENTS,
    },
  );
  // The receiving side of every shipment the log accepted, signed now (before its phase).
  const shipped = [
    ...Array.from({ length: WARMUP_EVENTS }, (_, i) => i),
    ...Array.from({ length: singles!.accepted }, (_, i) => WARMUP_EVENTS + i),
    ...Array.from({ length: batched!.accepted }, (_, i) => WARMUP_EVENTS + SINGLE_EVENTS + i),
  ];
  const receives = distributors.map((d, j) => ({
    party: d,
    events: shipped
      .filter((i) => i % DISTRIBUTORS === j)
      .map((i) =>
        d.event('receive', {
          shipper: manufacturer.gln,
          shipmentId: `U-${i}`,
          items: [unitCode(singlesGtin, serial(i))],
        }),
      ),
  }));
  await run(`receive 1 unit, batches of ${BATCH}`, 'events', receives, { batch: BATCH, clients: BATCH_CLIENTS });

  await measureCeiling('after');

  // 6. Merge delay: wait for the checkpoint covering everything, then read both timestamps for every entry.
  const end = await sequencer();
  await watcher.until(end, 60_000);
  for (const phase of phases) phase.merge = summarize(await mergeDelays(pool, phase.firstIndex, phase.endIndex));
  const allMerge = summarize(await mergeDelays(pool, phases[0].firstIndex, end));

  // Checks against the database.
  const bulk = (
    await pool.query<{ units: string; moved: string; history: string }>(
      `SELECT count(*) AS units,
              count(*) FILTER (WHERE status = 'active' AND custodian = ANY($2) AND parent IS NOT NULL) AS moved,
              sum(cardinality(history)) AS history
         FROM item WHERE gtin = $1`,
      [bulkGtin, distributors.map((d) => d.gln)],
    )
  ).rows[0];
  const singleRows = (
    await pool.query<{ received: string; shipped: string }>(
      `SELECT count(*) FILTER (WHERE status = 'active' AND custodian = ANY($2)) AS received,
              count(*) FILTER (WHERE status = 'in_transit') AS shipped
         FROM item WHERE gtin = $1`,
      [singlesGtin, distributors.map((d) => d.gln)],
    )
  ).rows[0];
  const receivedInPhase = phases[phases.length - 1].accepted;
  const failures: string[] = [];
  if (Number(bulk.units) !== BULK_UNITS) failures.push(`${bulk.units} bulk units in the database, not ${BULK_UNITS}`);
  if (Number(bulk.moved) !== BULK_UNITS)
    failures.push(`${bulk.moved} bulk units received in their cases, not ${BULK_UNITS}`);
  // commission, pack into a case, pack the case into a pallet, ship, receive: 5 entries per unit.
  if (Number(bulk.history) !== BULK_UNITS * 5)
    failures.push(`bulk units' histories hold ${bulk.history} entries, not ${BULK_UNITS * 5}`);
  // Every accepted ship event moved its unit; every accepted receive event brought one in (the others still travel).
  if (
    Number(singleRows.received) !== receivedInPhase ||
    Number(singleRows.shipped) !== shipped.length - receivedInPhase
  ) {
    failures.push(
      `single units: ${singleRows.received} received and ${singleRows.shipped} in transit, not ${receivedInPhase} and ${shipped.length - receivedInPhase}`,
    );
  }
  for (const phase of phases) {
    if (phase.refused > 0 || phase.result.failed > 0)
      failures.push(`${phase.name}: ${phase.refused} refused, ${phase.result.failed} failed requests`);
  }

  // Report.
  const ceilingOf = (c: (typeof ceilings)[number]) => Math.max(c.async64.perSecond, c.asyncBatch.perSecond);
  const machineCeiling = ceilings.reduce((sum, c) => sum + ceilingOf(c), 0) / ceilings.length;
  const oneCore = ceilings.reduce((sum, c) => sum + c.sync.perSecond, 0) / ceilings.length;
  printTable(
    `Raw strict Ed25519 verify ceiling of this machine (the server's own verifyStrictNode[Async], ${count(inputs.length)} ship-event signatures, ${CEILING_MS / 1000} s each)`,
    ceilings.flatMap((c) => [
      {
        measured: `${c.when} the HTTP phases`,
        how: 'sync, main thread (one core)',
        'verifies/s': count(c.sync.perSecond),
      },
      {
        measured: `${c.when} the HTTP phases`,
        how: `async, libuv pool, ${CLIENTS} in flight`,
        'verifies/s': count(c.async64.perSecond),
      },
      {
        measured: `${c.when} the HTTP phases`,
        how: `async, libuv pool, ${BATCH} in flight`,
        'verifies/s': count(c.asyncBatch.perSecond),
      },
    ]),
  );
  const eventPhases = phases.filter((p) => p.kind === 'events');
  const perThousand = (value: number, events: number) => count((value * 1000) / events);
  printTable(
    `Signed single-serial events over HTTP (closed loop; ceiling = mean of the async ceilings above, ${count(machineCeiling)}/s)`,
    eventPhases.map((p) => {
      const rate = (p.accepted * 1000) / p.result.durationMs;
      return {
        phase: p.name,
        clients: p.clients,
        events: count(p.accepted),
        seconds: (p.result.durationMs / 1000).toFixed(1),
        'events/s': count(rate),
        '÷ ceiling': ratio(rate / machineCeiling),
        '÷ 1 core': ratio(rate / oneCore),
        'req p50 ms': ms(p.result.latency.p50),
        'req p99 ms': ms(p.result.latency.p99),
        'merge p50 ms': ms(p.merge!.p50),
        'merge p99 ms': ms(p.merge!.p99),
        'CPU ms/1k ev: server': perThousand(p.cpu.serverMs, p.accepted),
        postgres: perThousand(p.cpu.postgresMs, p.accepted),
        bench: perThousand(p.cpu.benchMs, p.accepted),
      };
    }),
  );
  const serialPhases = phases.filter((p) => p.kind === 'serials');
  const serialTotals = serialPhases.reduce(
    (sum, p) => ({ units: sum.units + p.unitsChanged, ms: sum.ms + p.result.durationMs }),
    { units: 0, ms: 0 },
  );
  printTable('Serial updates in batched events (unit rows created or changed; closed loop)', [
    ...serialPhases.map((p) => ({
      phase: p.name,
      'events/request': p.batch,
      clients: p.clients,
      events: count(p.accepted),
      'units changed': count(p.unitsChanged),
      seconds: (p.result.durationMs / 1000).toFixed(1),
      'units/s': count((p.unitsChanged * 1000) / p.result.durationMs),
      'req p50 ms': ms(p.result.latency.p50),
      'merge p99 ms': ms(p.merge!.p99),
      'CPU s: server': (p.cpu.serverMs / 1000).toFixed(1),
      postgres: (p.cpu.postgresMs / 1000).toFixed(1),
    })),
    {
      phase: 'all of the above',
      events: count(serialPhases.reduce((sum, p) => sum + p.accepted, 0)),
      'units changed': count(serialTotals.units),
      seconds: (serialTotals.ms / 1000).toFixed(1),
      'units/s': count((serialTotals.units * 1000) / serialTotals.ms),
    },
  ]);
  const rate = (p: Phase | undefined) => (p ? (p.accepted * 1000) / p.result.durationMs : NaN);
  const bestBatched = Math.max(...eventPhases.filter((p) => p.batch > 1).map(rate));
  const moveRates = serialPhases.slice(1).map((p) => (p.unitsChanged * 1000) / p.result.durationMs);
  const worstMerge = phases.reduce((worst, p) => (p.merge!.p99 > worst.merge!.p99 ? p : worst));
  const goalRows: Row[] = [
    {
      goal: `≥ ${count(GOAL.eventsPerSecond)} single-serial events/s with batches`,
      measured: `${count(bestBatched)}/s`,
      met: bestBatched >= GOAL.eventsPerSecond,
    },
    {
      goal: `≥ ${GOAL.ofCeiling * 100}% of the verify ceiling (batches)`,
      measured: `${((bestBatched / machineCeiling) * 100).toFixed(1)}% of ${count(machineCeiling)}/s`,
      met: bestBatched / machineCeiling >= GOAL.ofCeiling,
    },
    {
      goal: 'merge delay p99 ≤ 1 s: all events of all phases',
      measured: `p50 ${ms(allMerge.p50)} ms, p99 ${ms(allMerge.p99)} ms, max ${ms(allMerge.max)} ms`,
      met: allMerge.p99 <= GOAL.mergeP99Ms,
    },
    {
      // The pooled p99 is mostly single-serial events (they are many); the few big events wait longest.
      goal: 'merge delay p99 ≤ 1 s: worst phase',
      measured: `${ms(worstMerge.merge!.p99)} ms (${worstMerge.name})`,
      met: worstMerge.merge!.p99 <= GOAL.mergeP99Ms,
    },
    {
      goal: `≥ ${count(GOAL.serialUpdatesPerSecond)} serial updates/s in batched events`,
      measured:
        `commission ${count((commissionPhase.unitsChanged * 1000) / commissionPhase.result.durationMs)}/s; ` +
        `pack/ship/receive ${moveRates.map(count).join(' / ')}/s`,
      met:
        Math.min((commissionPhase.unitsChanged * 1000) / commissionPhase.result.durationMs, ...moveRates) >=
        GOAL.serialUpdatesPerSecond,
    },
  ];
  // Issue 12 §2. The one-event phase against the same run's trivial authenticated POST (0 if the build lacks it).
  const trivialRate = trivial.failed > 0 ? 0 : trivial.throughput;
  goalRows.push({
    goal: '≥ 50% of a trivial authenticated POST (one event per request, same clients)',
    measured: `${count(rate(singles))}/s vs ${count(trivialRate)}/s = ${ratio(rate(singles) / trivialRate)}`,
    met: rate(singles) / trivialRate >= 0.5,
  });
  // One verify on one core, from the same run's ceiling; the server's CPU per event in the batched phase.
  const verifyUs = 1e6 / oneCore;
  const batchedCpuUs = (batched!.cpu.serverMs * 1000) / batched!.accepted;
  goalRows.push({
    goal: 'server CPU an event in batches ≤ 1.5 × one Ed25519 verify',
    measured: `${count(batchedCpuUs)} µs vs ${count(verifyUs)} µs = ${(batchedCpuUs / verifyUs).toFixed(2)} ×`,
    met: batchedCpuUs <= 1.5 * verifyUs,
  });
  const commissionRate = (commissionPhase.unitsChanged * 1000) / commissionPhase.result.durationMs;
  goalRows.push({
    goal: 'commissioning ≥ 80% of the same-run COPY ceiling (same row shape, pg-copy-streams)',
    measured: `${count(commissionRate)}/s vs COPY ${count(copy.rowsPerSecond)}/s = ${((commissionRate / copy.rowsPerSecond) * 100).toFixed(1)}%`,
    met: commissionRate >= 0.8 * copy.rowsPerSecond,
  });
  // Issue 12 §1. One loose unit = the batched single-serial ship phase (batched like the pallet phases), per event.
  const cpuPerEventMs = (p: Phase) => (p.cpu.serverMs + p.cpu.postgresMs) / p.accepted;
  const loose = batched!;
  for (const pallet of [palletShipPhase!, palletReceivePhase!]) {
    const times = cpuPerEventMs(pallet) / cpuPerEventMs(loose);
    goalRows.push({
      goal: `${pallet.name}: server + PostgreSQL CPU an event ≤ ${PALLET_GOAL.cpuOfLooseUnit} × shipping one loose unit`,
      measured: `${ms(cpuPerEventMs(pallet))} ms vs ${ms(cpuPerEventMs(loose))} ms (${loose.name}) = ${times.toFixed(1)} ×`,
      met: times <= PALLET_GOAL.cpuOfLooseUnit,
    });
  }
  const palletMoveRates = [palletShipPhase!, palletReceivePhase!].map(
    (p) => (p.unitsChanged * 1000) / p.result.durationMs,
  );
  goalRows.push({
    goal: `≥ ${count(PALLET_GOAL.unitMovesPerSecond)} effective unit moves/s in the pallet phases (ship / receive)`,
    measured: `${palletMoveRates.map(count).join(' / ')}/s`,
    met: Math.min(...palletMoveRates) >= PALLET_GOAL.unitMovesPerSecond,
  });
  const peakPhase = phases.reduce((worst, p) => (p.peakRssMiB > worst.peakRssMiB ? p : worst));
  goalRows.push({
    goal: `peak server RSS ≤ ${count(PALLET_GOAL.peakRssMiB)} MiB in every phase`,
    measured: phases.map((p) => `${p.name}: ${count(p.peakRssMiB)}`).join('; ') + ` MiB (highest: ${peakPhase.name})`,
    met: peakPhase.peakRssMiB <= PALLET_GOAL.peakRssMiB,
  });
  printTable('Goals (DESIGN.md §5)', goalRows);
  printTable('Checks (database)', [
    {
      check: 'bulk units received by the distributors, still in their cases',
      result: `${count(Number(bulk.moved))} of ${count(BULK_UNITS)}`,
    },
    { check: 'history entries of the bulk units (5 events each)', result: count(Number(bulk.history)) },
    {
      check: 'single units shipped (accepted ship events): received / still in transit',
      result: `${count(shipped.length)}: ${count(Number(singleRows.received))} / ${count(Number(singleRows.shipped))}`,
    },
    { check: 'failures', result: failures.length },
  ]);
  for (const failure of failures) console.log(`FAILED: ${failure}`);

  let profile: CpuProfileSummary | undefined;
  let plans: ExplainedStatement[] | undefined;
  if (PROFILE) {
    plans = await explainIntakeStatements(() => pool.connect(), {
      units: Array.from({ length: BATCH }, (_, i) => unitCode(singlesGtin, serial(i))),
      pallets: palletCodes.slice(0, 10),
      shipper: manufacturer.gln,
      recipient: distributors[0].gln,
      gtin: bulkGtin,
      lot: 'BULK-1',
      commissionSerials: SERIALS_PER_COMMISSION,
      logged: batchedShips.slice(0, BATCH).map((e) => ({ actor: e.signed.event.actor, eventId: e.signed.event.id })),
    });
    printTable(
      `EXPLAIN (ANALYZE, BUFFERS) of the intake transaction's heavy statements (src repositories' own SQL, rolled back; log of ${count(end)} entries, ${count(commissioned)} units)`,
      plans.map((p) => ({
        sample: p.label,
        statement: p.statement.slice(0, 60),
        'execution ms': ms(p.executionMs),
        'planning ms': ms(p.planningMs),
      })),
    );
    // Plans with the parameters inlined run to megabytes: keep each line readable.
    const clip = (line: string) => (line.length > 160 ? `${line.slice(0, 157)}...` : line);
    for (const plan of plans)
      console.log(`\n-- ${plan.label}\n${plan.plan.map((line) => `   ${clip(line)}`).join('\n')}`);
    // The profile is written when the server exits.
    await server.stop();
    profile = summarizeCpuProfiles(profileDir);
    for (const phase of phases) phase.profile = summarizeCpuProfiles(profileDir, phase);
    const areas = [...new Set(phases.flatMap((p) => p.profile!.byArea.slice(0, 8).map((a) => a.area)))];
    printTable(
      'Server CPU profile (node --cpu-prof): self time by area, % of the busy (non-idle) time of each phase',
      areas.map((area) => ({
        area,
        ...Object.fromEntries(
          phases.map((p, i) => [
            `${i + 1}`,
            (((p.profile!.byArea.find((a) => a.area === area)?.selfMs ?? 0) * 100) / p.profile!.totalMs).toFixed(1),
          ]),
        ),
      })),
    );
    console.log(
      phases
        .map(
          (p, i) =>
            `  ${i + 1} = ${p.name} (busy ${count(p.profile!.totalMs)} ms, idle ${count(p.profile!.idleMs)} ms)`,
        )
        .join('\n'),
    );
    for (const phase of phases.filter(
      (p) => p.kind === 'events' || p.name.startsWith('commission') || p.name.startsWith('ship'),
    )) {
      printTable(
        `Server CPU profile during "${phase.name}": top functions by self time`,
        phase.profile!.top.slice(0, 15).map((f) => ({
          function: f.name,
          where: f.where,
          'self ms': count(f.selfMs),
          '%': ((f.selfMs * 100) / phase.profile!.totalMs).toFixed(1),
        })),
      );
    }
    // Issue 12 §2: what a one-event request pays that the trivial POST does not, layer by layer (total time of each
    // function with its callees, main thread, per request; self time misplaces preemption, see cpu-profile.ts).
    const trivialProfile = summarizeCpuProfiles(profileDir, trivialWindow);
    const perRequest = (totalMs: number, requests: number) => ((totalMs * 1000) / Math.max(1, requests)).toFixed(1);
    const trivialTotals = new Map(trivialProfile.inclusive.map((f) => [`${f.name}@${f.where}`, f.totalMs]));
    printTable(
      `Server main thread per request, "${singles!.name}" vs the trivial POST: top functions by total time ` +
        `(self + callees; busy ${perRequest(singles!.profile!.totalMs, singles!.accepted)} vs ` +
        `${perRequest(trivialProfile.totalMs, trivial.completed)} µs a request)`,
      singles!.profile!.inclusive.slice(0, 40).map((f) => ({
        function: f.name,
        where: f.where,
        'one event µs': perRequest(f.totalMs, singles!.accepted),
        'trivial µs': perRequest(trivialTotals.get(`${f.name}@${f.where}`) ?? 0, trivial.completed),
        'self µs': perRequest(f.selfMs, singles!.accepted),
      })),
    );
    for (const [phaseName, rows] of statements!.summary()) {
      printTable(
        `PostgreSQL statements during "${phaseName}" (log_min_duration_statement = 0; server-side execution time)`,
        rows.slice(0, 12).map((s) => ({
          statement: s.statement,
          calls: count(s.calls),
          'total ms': count(s.totalMs),
          'mean ms': ms(s.totalMs / s.calls),
          'max ms': ms(s.maxMs),
        })),
      );
    }
  }

  const loadAverageAtEnd = os.loadavg()[0];
  console.log(
    `\nsigning (before the timed phases): ${count(signedCount)} events in ${(signingMs / 1000).toFixed(1)} s. ` +
      `server: RSS ${count(processMemory(server.pid)?.rssMiB ?? NaN)} MiB at the end.` +
      `\nsource: ${revision ?? 'unknown'}. machine: ${machine.cpus} CPUs, node ${machine.node}; load average (1 min) ${machine.loadAverage1m} at the start, ` +
      `${loadAverageAtEnd.toFixed(2)} at the end (other work on this shared machine lowers every figure; compare ratios).`,
  );
  printJsonLine({
    bench: 'ingest',
    revision,
    options: {
      durationS: DURATION_MS / 1000,
      clients: CLIENTS,
      batch: BATCH,
      batchClients: BATCH_CLIENTS,
      bulkUnits: BULK_UNITS,
      serialsPerCommission: SERIALS_PER_COMMISSION,
      profile: PROFILE,
      intakeWorkers: INTAKE_WORKERS || undefined,
      cluster: CLUSTER || undefined,
      synchronousCommit: SYNCHRONOUS_COMMIT || undefined,
    },
    machine: { ...machine, loadAverageAtEnd },
    copyCeiling: copy,
    ceiling: {
      machinePerSecond: machineCeiling,
      oneCorePerSecond: oneCore,
      runs: ceilings.map((c) => ({
        when: c.when,
        sync: c.sync.perSecond,
        [`async${CLIENTS}`]: c.async64.perSecond,
        [`async${BATCH}`]: c.asyncBatch.perSecond,
      })),
    },
    phases: phases.map((p) => ({
      name: p.name,
      kind: p.kind,
      batch: p.batch,
      clients: p.clients,
      events: p.accepted,
      refused: p.refused,
      failedRequests: p.result.failed,
      unitsChanged: p.unitsChanged,
      durationMs: p.result.durationMs,
      eventsPerSecond: (p.accepted * 1000) / p.result.durationMs,
      unitsPerSecond: (p.unitsChanged * 1000) / p.result.durationMs,
      ofCeiling: p.kind === 'events' ? (p.accepted * 1000) / p.result.durationMs / machineCeiling : undefined,
      requestLatencyMs: p.result.latency,
      mergeDelayMs: p.merge,
      cpuMs: p.cpu,
      serverRssMiB: p.serverRssMiB,
      peakRssMiB: p.peakRssMiB,
    })),
    mergeDelayMs: allMerge,
    goals: goalRows,
    signing: { events: signedCount, ms: signingMs },
    profile: profile && {
      totalMs: profile.totalMs,
      byArea: profile.byArea,
      phases: phases.map((p) => ({
        name: p.name,
        busyMs: p.profile!.totalMs,
        byArea: p.profile!.byArea,
        top: p.profile!.top.slice(0, 15),
      })),
    },
    statements: statements && Object.fromEntries(statements.summary()),
    explain: plans?.map((p) => ({
      label: p.label,
      statement: p.statement,
      executionMs: p.executionMs,
      planningMs: p.planningMs,
    })),
    checks: { failures },
  });
  if (failures.length > 0) throw new Error(`${failures.length} check(s) failed`);
});

/** Serial n as a GS1 serial (at most 20 characters from set 82). */
function serial(n: number): string {
  return `S${String(n).padStart(9, '0')}`;
}

function headers(party: BenchParty) {
  return { 'content-type': 'application/json', authorization: party.authorization };
}

/**
 * Milliseconds from each entry's acceptance (log_entry.accepted_at, stamped by the intake transaction) to the
 * creation of the first checkpoint that covers it (checkpoint.created_at, stamped by the integrator's
 * transaction), for entries [from, to).
 */
async function mergeDelays(pool: Pool, from: number, to: number): Promise<Float64Array> {
  if (to <= from) return new Float64Array(0);
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT (EXTRACT(EPOCH FROM c.created_at - e.accepted_at) * 1000)::float8 AS ms
       FROM log_entry e
       CROSS JOIN LATERAL (SELECT created_at FROM checkpoint WHERE tree_size > e.idx ORDER BY tree_size LIMIT 1) c
      WHERE e.idx >= $1 AND e.idx < $2`,
    [from, to],
  );
  return Float64Array.from(rows, (row) => row.ms);
}
