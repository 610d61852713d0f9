/**
 * `npm run bench:report [-- --units 10000/100000 --rounds 3]`
 *
 * Provenance report export (DESIGN.md §5: a 100,000-unit lot streams at ≥ 20,000 events/s with flat memory,
 * < 300 MB RSS), and how time and memory grow with the lot from 10,000 to 100,000 units.
 *
 *  1. A fresh embedded PostgreSQL and a real server (child process). Each lot is seeded through the real API with
 *     signed events, as trading partners would post them: commissioned in batches of 10,000 serials, packed in cases
 *     of 100 and pallets of 50 cases, every pallet shipped to a distributor and received, half the pallets unpacked,
 *     one case in ten shipped on to a pharmacy and received, one unit in a hundred dispensed.
 *  2. Baseline, same run: the rows behind a lot's CSV (unit, log index) read straight from PostgreSQL through a
 *     cursor in this process, with nothing else done to them.
 *  3. A regulator exports each lot as an evidence bundle and as CSV over HTTP, `--rounds` times each; the client
 *     reads the stream as it comes. Timed from the request to the last byte; the server's RSS is sampled every 20 ms.
 *  4. Checks: the CSV has one row per unit per event of the lot (the sum of the units' history lengths, from the
 *     database); the bundle parses, lists every unit, and its events and histories add up to the same counts.
 *  5. The offline verifier (`verifyBundleText` as `rxledger verify-bundle` runs it: Node's Ed25519 and SHA-256) on each lot's
 *     bundle in this process, `--rounds` times: proofs, signatures, the replay of the custody rules (src/protocol/custody)
 *     and the histories; its events/s beside the export's. It must pass. `--save-bundle FILE` keeps the largest lot's
 *     bundle.
 *
 * Figures: "unit-events" are (unit, event) pairs, one per CSV row and one per history entry in the bundle: the
 * events of each unit's provenance, which is what a lot's report is made of. "Log events" are the distinct signed
 * events (a pack of 100 units is one log event and 100 unit-events).
 */
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, sign as nodeSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { Pool } from 'pg';
import Cursor from 'pg-cursor';
import { verifyBundleText } from '../src/bundle/verify-bundle';
import { formatVerifierKey, parseSignerKey } from '../src/checkpoint';
import { appendCheckDigit } from '../src/gs1/check-digit';
import { makeGtin14, makeSscc } from '../src/gs1/identifiers';
import { LedgerEvent } from '../src/protocol/event';
import { containerCode, unitCode } from '../src/protocol/item-code';
import { PartyRole } from '../src/protocol/registry';
import { verifyStrictNode } from '../src/signing/ed25519-node';
import { nodeTextHash } from '../src/protocol/export-statement-node';
import { signedEventBytes, keyIdOf } from '../src/signing/event-signing';
import { BenchArgs } from './lib/args';
import { HttpClient } from './lib/http-load';
import { machineInfo } from './lib/machine';
import { startBenchDatabase } from './lib/postgres';
import { count, note, printJsonLine, printTable, ratio, Row } from './lib/report';
import { processMemory, RssSampler } from './lib/rss';
import { BENCH_SECRETS, startServer } from './lib/server';
import { nowMs } from './lib/stats';
import { runBench } from './lib/teardown';

const args = new BenchArgs();
const SIZES = args.numbers('units', [10_000, 100_000]);
const ROUNDS = args.number('rounds', 3);
const KEEP = args.flag('keep');
/** Where to save the PDF of the largest lot (it is exported once, for its time and memory, and for a person to read). */
const SAVE_PDF = args.string('save-pdf', '');
/** Where to save the bundle of the largest lot (to time the verifier on it again, e.g. two versions side by side). */
const SAVE_BUNDLE = args.string('save-bundle', '');
const GOAL_EVENTS_PER_S = 20_000;
const GOAL_RSS_MIB = 300;
const COMMISSION_BATCH = 10_000;
const CASE = 100;
const PALLET = 50;
const FORMATS = ['bundle', 'csv'] as const;
type Format = (typeof FORMATS)[number];

/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410 §7); the 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A registered party with its key: signs through OpenSSL (the same signatures as @noble/curves, faster). */
class Party {
  readonly token: string;
  private readonly key: KeyObject;
  readonly keyId: string;
  readonly publicKey: Buffer;
  private counter = 0;

  constructor(
    readonly gln: string,
    readonly role: PartyRole,
    seed: Buffer,
    token: string,
  ) {
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    this.publicKey = Party.publicKeyOf(seed);
    this.keyId = keyIdOf(this.publicKey);
    this.token = token;
  }

  static publicKeyOf(seed: Buffer): Buffer {
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return spki.subarray(spki.length - 32);
  }

  event(type: string, body: object): { event: LedgerEvent<object>; signature: string } {
    const event: LedgerEvent<object> = {
      id: `${type}-${this.gln}-${++this.counter}`,
      type,
      actor: this.gln,
      keyId: this.keyId,
      time: new Date().toISOString(),
      body,
    };
    return { event, signature: nodeSign(null, signedEventBytes(event), this.key).toString('base64') };
  }
}

interface Seeded {
  units: number;
  lot: string;
  postedEvents: number;
  seedMs: number;
  /** From the database: (unit, event) pairs and distinct events of the lot. */
  unitEvents: number;
  logEvents: number;
}

interface Download {
  status: number;
  bytes: number;
  lines: number;
  ms: number;
  headers: http.IncomingHttpHeaders;
  body?: Buffer;
}

interface ExportRun {
  units: number;
  format: Format;
  ms: number[];
  bytes: number;
  unitEvents: number;
  logEvents: number;
  peakRssMiB: number;
  idleRssMiB: number;
}

/** The offline verifier (`rxledger verify-bundle`) on a lot's bundle: parse, proofs, signatures, replay of the rules. */
interface VerifyRun {
  units: number;
  ms: number[];
  unitEvents: number;
  logEvents: number;
}

runBench(async (teardown) => {
  const machine = machineInfo();
  note(
    `report benchmark: lots of ${SIZES.map(count).join(' and ')} units on ${machine.cpus} CPUs, node ${machine.node}`,
  );
  const database = await startBenchDatabase({ keep: KEEP });
  teardown.add('stop PostgreSQL', () => database.stop());
  const pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', (error) => note(`idle PostgreSQL connection: ${error.message}`));
  teardown.add('close the pool', () => pool.end());
  const seeder = await startServer({ databaseUrl: database.url, dataDir: database.dataDir });
  teardown.add('stop the seeding server', () => seeder.stop());
  const client = new HttpClient(seeder.baseUrl, 4);
  teardown.add('close HTTP connections', async () => client.close());
  const api = new Api(client);

  // 1. Trading partners and the lots, through the API.
  const prefix = '0614141';
  const manufacturer = await api.register('manufacturer', 'Acme Pharma');
  const distributor = await api.register('distributor', 'Big Wholesale');
  const pharmacy = await api.register('dispenser', 'Corner Pharmacy');
  const regulator = await api.register('regulator', 'FDA');
  await api.post('/v1/manufacturers/' + manufacturer.gln + '/prefixes', BENCH_SECRETS.operatorToken, { prefix });
  const gtin = makeGtin14('0', prefix, '12345');
  await api.events(manufacturer, [
    manufacturer.event('product.register', {
      gtin,
      name: 'Amoxicillin',
      strength: '500 mg',
      dosageForm: 'capsule',
      containerSize: '100 capsules',
    }),
  ]);
  const ssccs = { next: 0 };
  const newContainer = () =>
    containerCode(makeSscc('0', prefix, String(++ssccs.next).padStart(16 - prefix.length, '0')));
  const lots: Seeded[] = [];
  for (const [i, units] of SIZES.entries()) {
    const lot = `L${i + 1}-${units}`;
    const started = nowMs();
    const posted = await seedLot(api, { manufacturer, distributor, pharmacy }, gtin, lot, units, newContainer);
    const seedMs = nowMs() - started;
    const [{ unit_events, log_events }] = (
      await pool.query<{ unit_events: string; log_events: string }>(
        `SELECT count(*) AS unit_events, count(DISTINCT h) AS log_events
           FROM item, unnest(history) h WHERE gtin = $1 AND lot = $2 AND kind = 'unit'`,
        [gtin, lot],
      )
    ).rows;
    // ... and the product's registration, which every lot report carries.
    const seeded = {
      units,
      lot,
      postedEvents: posted,
      seedMs,
      unitEvents: Number(unit_events),
      logEvents: Number(log_events) + 1,
    };
    lots.push(seeded);
    note(
      `lot ${lot}: ${count(units)} units, ${count(posted)} signed events posted in ${(seedMs / 1000).toFixed(1)} s; ` +
        `${count(seeded.unitEvents)} unit-events`,
    );
  }
  await api.waitForCheckpoint();
  // Bulk loads leave statistics stale and the visibility map unset; a steady-state server would have them done.
  await pool.query('VACUUM (ANALYZE)');
  // The exports run on a fresh server process: its RSS is then what exporting costs, not what intake left behind
  // (V8 keeps the heap it grew while the lots were posted).
  const seededRssMiB = processMemory(seeder.pid)?.rssMiB ?? NaN;
  client.close();
  await seeder.stop();
  // --export-node-args "--max-old-space-size=64": Node options of the exporting server only (to see how much of its
  // RSS is live memory rather than heap V8 has not collected yet).
  const exportNodeArgs = args.string('export-node-args', '');
  if (exportNodeArgs) process.env.BENCH_SERVER_NODE_ARGS = exportNodeArgs;
  const server = await startServer({ databaseUrl: database.url, dataDir: database.dataDir });
  teardown.add('stop the server', () => server.stop());
  const freshRssMiB = processMemory(server.pid)?.rssMiB ?? NaN;
  note(
    `seeding server RSS ${seededRssMiB.toFixed(0)} MiB; fresh server for the exports: ${freshRssMiB.toFixed(0)} MiB`,
  );

  // 2. Baseline: the CSV's (unit, event) rows, straight from PostgreSQL.
  const baseline: Row[] = [];
  const baselineRates = new Map<number, number>();
  for (const lot of lots) {
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { rows, ms } = await readRows(pool, gtin, lot.lot);
      if (rows !== lot.unitEvents) throw new Error(`baseline read ${rows} rows, expected ${lot.unitEvents}`);
      rates.push((rows * 1000) / ms);
    }
    const rate = median(rates);
    baselineRates.set(lot.units, rate);
    baseline.push({ units: count(lot.units), 'unit-events': count(lot.unitEvents), 'rows/s (median)': count(rate) });
  }

  // 3. Exports over HTTP.
  await download(server.baseUrl, `/v1/reports/lot?gtin=${gtin}&lot=${lots[0].lot}&format=csv`, regulator.token); // warm-up
  const runs: ExportRun[] = [];
  const bundles = new Map<number, Buffer>();
  for (const lot of lots) {
    for (const format of FORMATS) {
      const run: ExportRun = {
        units: lot.units,
        format,
        ms: [],
        bytes: 0,
        unitEvents: lot.unitEvents,
        logEvents: lot.logEvents,
        peakRssMiB: 0,
        idleRssMiB: processMemory(server.pid)?.rssMiB ?? NaN,
      };
      for (let round = 0; round < ROUNDS; round++) {
        const sampler = new RssSampler(server.pid, 20).start();
        const result = await download(
          server.baseUrl,
          `/v1/reports/lot?gtin=${gtin}&lot=${lot.lot}&format=${format}`,
          regulator.token,
          format === 'bundle' && round === 0,
        );
        run.peakRssMiB = Math.max(run.peakRssMiB, sampler.stop());
        if (result.status !== 200) throw new Error(`export answered ${result.status}`);
        check(format, result, lot);
        if (result.body && format === 'bundle') bundles.set(lot.units, result.body);
        run.ms.push(result.ms);
        run.bytes = result.bytes;
        note(
          `  ${count(lot.units)} units, ${format}: ${(result.ms / 1000).toFixed(2)} s, ` +
            `${(result.bytes / 2 ** 20).toFixed(1)} MiB, server peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
        );
      }
      runs.push(run);
    }
  }

  // The PDF of the largest lot, once: people read it, so it is summarised, but it reads the same events.
  const largestLot = lots[lots.length - 1];
  const pdfSampler = new RssSampler(server.pid, 20).start();
  const pdf = await download(
    server.baseUrl,
    `/v1/reports/lot?gtin=${gtin}&lot=${largestLot.lot}&format=pdf`,
    regulator.token,
    SAVE_PDF !== '',
  );
  const pdfPeakRssMiB = pdfSampler.stop();
  if (pdf.status !== 200) throw new Error(`PDF export answered ${pdf.status}`);
  if (SAVE_PDF) fs.writeFileSync(SAVE_PDF, pdf.body!);
  note(
    `  ${count(largestLot.units)} units, pdf: ${(pdf.ms / 1000).toFixed(2)} s, ${(pdf.bytes / 1024).toFixed(0)} KiB, ` +
      `server peak RSS ${pdfPeakRssMiB.toFixed(0)} MiB${SAVE_PDF ? `, saved to ${SAVE_PDF}` : ''}`,
  );

  // The verifier on each lot's bundle (the first round's), in this process, as `rxledger verify-bundle` runs it
  // (after the exports: it holds this process's event loop, and the server closes idle keep-alive connections).
  const { verifier } = parseSignerKey(BENCH_SECRETS.logPrivateKey);
  const trustedKey = formatVerifierKey(verifier.name, verifier.publicKey);
  const verifies: VerifyRun[] = [];
  if (SAVE_BUNDLE) fs.writeFileSync(SAVE_BUNDLE, bundles.get(largestLot.units)!);
  for (const lot of lots) {
    const text = bundles.get(lot.units)!.toString('utf8');
    const run: VerifyRun = { units: lot.units, ms: [], unitEvents: lot.unitEvents, logEvents: lot.logEvents };
    for (let round = 0; round < ROUNDS; round++) {
      const started = nowMs();
      const report = verifyBundleText(text, trustedKey, {
        verifySignature: verifyStrictNode,
        textHash: nodeTextHash,
      });
      run.ms.push(nowMs() - started);
      if (!report.ok)
        throw new Error(`verify-bundle refused the ${lot.lot} bundle: ${JSON.stringify(report.failures[0])}`);
      note(`  ${count(lot.units)} units, verify-bundle: ${(run.ms[round] / 1000).toFixed(2)} s`);
    }
    verifies.push(run);
  }

  // 4. Report.
  printTable(
    'Seeding (through the API, signed events)',
    lots.map((lot) => ({
      units: count(lot.units),
      'events posted': count(lot.postedEvents),
      seconds: (lot.seedMs / 1000).toFixed(1),
      'unit-events': count(lot.unitEvents),
      'log events in the report': count(lot.logEvents),
    })),
  );
  printTable('Baseline: the CSV rows read straight from PostgreSQL (cursor, this process)', baseline);
  const rows = runs.map((run) => {
    const seconds = median(run.ms) / 1000;
    return {
      units: count(run.units),
      format: run.format,
      MiB: (run.bytes / 2 ** 20).toFixed(1),
      's (median)': seconds.toFixed(2),
      'unit-events/s': count(run.unitEvents / seconds),
      'log events/s': count(run.logEvents / seconds),
      'vs baseline': ratio(run.unitEvents / seconds / baselineRates.get(run.units)!),
      'server RSS idle MiB': run.idleRssMiB.toFixed(0),
      'server RSS peak MiB': run.peakRssMiB.toFixed(0),
    };
  });
  printTable(`Exports of a lot by a regulator (median of ${ROUNDS})`, rows);
  printTable(
    `The verifier (verify-bundle: proofs, signatures, replay of the custody rules) beside the export (median of ${ROUNDS})`,
    verifies.map((run) => {
      const exported = runs.find((r) => r.units === run.units && r.format === 'bundle')!;
      const [verifyS, exportS] = [median(run.ms) / 1000, median(exported.ms) / 1000];
      return {
        units: count(run.units),
        'verify s': verifyS.toFixed(2),
        'verify log events/s': count(run.logEvents / verifyS),
        'verify unit-events/s': count(run.unitEvents / verifyS),
        'export s': exportS.toFixed(2),
        'export log events/s': count(run.logEvents / exportS),
        'export unit-events/s': count(run.unitEvents / exportS),
      };
    }),
  );
  printTable(`PDF of the ${count(largestLot.units)}-unit lot (once)`, [
    {
      seconds: (pdf.ms / 1000).toFixed(2),
      KiB: (pdf.bytes / 1024).toFixed(0),
      'server RSS peak MiB': pdfPeakRssMiB.toFixed(0),
    },
  ]);
  const growth = FORMATS.map((format) => {
    const [small, large] = [
      runs.find((r) => r.format === format && r.units === SIZES[0])!,
      runs.find((r) => r.format === format && r.units === SIZES[SIZES.length - 1])!,
    ];
    return {
      format,
      units: `${count(small.units)} → ${count(large.units)}`,
      'time ×': ratio(median(large.ms) / median(small.ms)),
      'unit-events ×': ratio(large.unitEvents / small.unitEvents),
      'peak RSS MiB': `${small.peakRssMiB.toFixed(0)} → ${large.peakRssMiB.toFixed(0)}`,
    };
  });
  printTable('Growth', growth);
  const largest = runs.filter((r) => r.units === SIZES[SIZES.length - 1]);
  const goals = largest.map((run) => ({
    format: run.format,
    'unit-events/s': count(run.unitEvents / (median(run.ms) / 1000)),
    [`≥ ${count(GOAL_EVENTS_PER_S)}/s`]: run.unitEvents / (median(run.ms) / 1000) >= GOAL_EVENTS_PER_S ? 'yes' : 'NO',
    'peak RSS MiB': run.peakRssMiB.toFixed(0),
    [`< ${GOAL_RSS_MIB} MiB`]: run.peakRssMiB < GOAL_RSS_MIB ? 'yes' : 'NO',
  }));
  printTable(`Goals at ${count(SIZES[SIZES.length - 1])} units`, goals);
  printJsonLine({
    bench: 'report',
    machine,
    rounds: ROUNDS,
    seededServerRssMiB: seededRssMiB,
    freshServerRssMiB: freshRssMiB,
    lots: lots.map(({ units, postedEvents, seedMs, unitEvents, logEvents }) => ({
      units,
      postedEvents,
      seedMs,
      unitEvents,
      logEvents,
    })),
    baselineRowsPerS: Object.fromEntries(baselineRates),
    pdf: { units: largestLot.units, ms: pdf.ms, bytes: pdf.bytes, peakRssMiB: pdfPeakRssMiB },
    verifies: verifies.map((run) => ({
      units: run.units,
      ms: run.ms,
      medianMs: median(run.ms),
      logEventsPerS: run.logEvents / (median(run.ms) / 1000),
      unitEventsPerS: run.unitEvents / (median(run.ms) / 1000),
    })),
    exports: runs.map((run) => ({
      units: run.units,
      format: run.format,
      bytes: run.bytes,
      ms: run.ms,
      medianMs: median(run.ms),
      unitEventsPerS: run.unitEvents / (median(run.ms) / 1000),
      logEventsPerS: run.logEvents / (median(run.ms) / 1000),
      idleRssMiB: run.idleRssMiB,
      peakRssMiB: run.peakRssMiB,
    })),
  });
});

/** The operator's registry API and the events API, over the keep-alive client. */
class Api {
  private glns = 0;

  constructor(private readonly client: HttpClient) {}

  async post(path: string, token: string, body: unknown): Promise<unknown> {
    const response = await this.client.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const text = response.body.toString('utf8');
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 500)}`);
    }
    return JSON.parse(text) as unknown;
  }

  async register(role: PartyRole, name: string): Promise<Party> {
    const gln = appendCheckDigit(`061414${String(++this.glns).padStart(6, '0')}`);
    const seed = randomBytes(32);
    const address = { street: '1 Bench Way', city: 'Benchville', postalCode: '12345', country: 'US' };
    await this.post('/v1/parties', BENCH_SECRETS.operatorToken, {
      gln,
      name,
      role,
      address,
      publicKeys: [Party.publicKeyOf(seed).toString('base64')],
    });
    const token = (await this.post(`/v1/parties/${gln}/tokens`, BENCH_SECRETS.operatorToken, { label: 'bench' })) as {
      token: string;
    };
    return new Party(gln, role, seed, token.token);
  }

  /** Posts signed events in batches (in order); every one must be accepted. */
  async events(party: Party, events: object[], batch = 500): Promise<void> {
    for (let i = 0; i < events.length; i += batch) {
      const answer = (await this.post('/v1/events/batch', party.token, { events: events.slice(i, i + batch) })) as {
        refused: number;
        results: { accepted: boolean; error?: { code: string; message: string } }[];
      };
      if (answer.refused > 0) {
        const first = answer.results.find((r) => !r.accepted)!;
        throw new Error(`${answer.refused} event(s) refused, first: ${first.error?.code} ${first.error?.message}`);
      }
    }
  }

  /** Asks for a checkpoint covering everything logged so far and waits for it (the answer is the signed note). */
  async waitForCheckpoint(): Promise<void> {
    const response = await this.client.request({
      path: '/v1/log/checkpoint',
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_SECRETS.operatorToken}` },
    });
    if (response.status !== 200) throw new Error(`POST /v1/log/checkpoint: ${response.status}`);
  }
}

/** One lot through its life: returns the number of signed events posted. */
async function seedLot(
  api: Api,
  parties: { manufacturer: Party; distributor: Party; pharmacy: Party },
  gtin: string,
  lot: string,
  units: number,
  newContainer: () => string,
): Promise<number> {
  const { manufacturer: m, distributor: d, pharmacy: p } = parties;
  const serials = Array.from({ length: units }, (_, i) => `${lot}-${String(i).padStart(7, '0')}`);
  const codes = serials.map((serial) => unitCode(gtin, serial));
  let posted = 0;
  const post = async (party: Party, events: object[], batch?: number) => {
    await api.events(party, events, batch);
    posted += events.length;
  };
  const transaction = {
    date: '2026-11-20',
    shipmentDate: '2026-11-20',
    purchaseOrder: `PO-${lot}`,
    invoice: `INV-${lot}`,
  };

  for (let i = 0; i < units; i += COMMISSION_BATCH) {
    const batch = serials.slice(i, i + COMMISSION_BATCH);
    await post(m, [m.event('commission', { gtin, lot, expiry: '291231', serials: batch })], 1);
  }
  const cases: string[][] = [];
  const caseCodes: string[] = [];
  for (let i = 0; i < units; i += CASE) {
    const code = newContainer();
    caseCodes.push(code);
    cases.push(codes.slice(i, i + CASE));
  }
  await post(
    m,
    caseCodes.map((code, i) => m.event('pack', { parent: code, children: cases[i] })),
  );
  const pallets: { code: string; cases: string[] }[] = [];
  for (let i = 0; i < caseCodes.length; i += PALLET)
    pallets.push({ code: newContainer(), cases: caseCodes.slice(i, i + PALLET) });
  await post(
    m,
    pallets.map((pallet) => m.event('pack', { parent: pallet.code, children: pallet.cases })),
  );
  await post(
    m,
    pallets.map((pallet, i) =>
      m.event('ship', { shipmentId: `${lot}-ASN-${i}`, recipient: d.gln, items: [pallet.code], transaction }),
    ),
    20,
  );
  await post(
    d,
    pallets.map((pallet, i) =>
      d.event('receive', { shipper: m.gln, shipmentId: `${lot}-ASN-${i}`, items: [pallet.code] }),
    ),
    20,
  );
  // The distributor opens half the pallets and sends one case in ten on to the pharmacy, ten cases a shipment.
  const opened = pallets.filter((_, i) => i % 2 === 0);
  await post(
    d,
    opened.map((pallet) => d.event('unpack', { parent: pallet.code })),
    20,
  );
  const onward = opened.flatMap((pallet) => pallet.cases).filter((_, i) => i % 5 === 0);
  const shipments: string[][] = [];
  for (let i = 0; i < onward.length; i += 10) shipments.push(onward.slice(i, i + 10));
  await post(
    d,
    shipments.map((items, i) => d.event('ship', { shipmentId: `${lot}-D-${i}`, recipient: p.gln, items, transaction })),
    50,
  );
  await post(
    p,
    shipments.map((items, i) => p.event('receive', { shipper: d.gln, shipmentId: `${lot}-D-${i}`, items })),
    50,
  );
  // The pharmacy dispenses one unit in a hundred: ten from each case it received.
  const caseIndex = new Map(caseCodes.map((code, i) => [code, i]));
  const dispensed = onward.flatMap((code) => cases[caseIndex.get(code)!].slice(0, 10));
  const dispenses: string[][] = [];
  for (let i = 0; i < dispensed.length; i += 100) dispenses.push(dispensed.slice(i, i + 100));
  await post(
    p,
    dispenses.map((items) => p.event('dispense', { items })),
    50,
  );
  return posted;
}

/** Streams a GET, counting bytes and lines; keeps the body only when asked. */
function download(baseUrl: string, path: string, token: string, keep = false): Promise<Download> {
  const started = nowMs();
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      let bytes = 0;
      let lines = 0;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
        if (keep) chunks.push(chunk);
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          bytes,
          lines,
          ms: nowMs() - started,
          headers: response.headers,
          body: keep ? Buffer.concat(chunks) : undefined,
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** The export holds what the database says the lot is made of. */
function check(format: Format, result: Download, lot: Seeded): void {
  const events = Number(result.headers['rxledger-events']);
  const items = Number(result.headers['rxledger-items']);
  if (events !== lot.logEvents || items !== lot.units) {
    throw new Error(
      `${format}: the server reports ${events} events and ${items} units; expected ${lot.logEvents}, ${lot.units}`,
    );
  }
  if (format === 'csv' && result.lines - 1 !== lot.unitEvents) {
    throw new Error(`csv: ${result.lines - 1} rows, expected one per unit per event: ${lot.unitEvents}`);
  }
  if (format === 'bundle' && result.body) {
    const bundle = JSON.parse(result.body.toString('utf8')) as {
      events: unknown[];
      items: { history: number[] }[];
      summary: { events: number; items: number };
    };
    const histories = bundle.items.reduce((sum, item) => sum + item.history.length, 0);
    if (bundle.events.length !== lot.logEvents || bundle.items.length !== lot.units || histories !== lot.unitEvents) {
      throw new Error(
        `bundle: ${bundle.events.length} events, ${bundle.items.length} units, ${histories} history entries; ` +
          `expected ${lot.logEvents}, ${lot.units}, ${lot.unitEvents}`,
      );
    }
  }
}

async function readRows(pool: Pool, gtin: string, lot: string): Promise<{ rows: number; ms: number }> {
  const client = await pool.connect();
  try {
    const started = nowMs();
    const cursor = client.query(
      new Cursor(
        `SELECT i.code, h FROM item i CROSS JOIN LATERAL unnest(i.history) h
          WHERE i.gtin = $1 AND i.lot = $2 AND i.kind = 'unit' ORDER BY i.code`,
        [gtin, lot],
        { rowMode: 'array' },
      ),
    );
    let rows = 0;
    for (;;) {
      const batch = await cursor.read(5000);
      rows += batch.length;
      if (batch.length < 5000) break;
    }
    await cursor.close();
    return { rows, ms: nowMs() - started };
  } finally {
    client.release();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
