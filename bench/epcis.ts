/**
 * `npm run bench:epcis`: EPCIS 1.2 XML import throughput. Writes a 100,000-event document (RXLEDGER_BENCH_EVENTS)
 * of a manufacturer's events (its product as master data; commissioning, packing, shipping), then, in this run:
 *  1. merely parses it (saxes, the streaming reader): the baseline;
 *  2. converts it: parse, map (src/epcis/mapping) and sign every event (`rxledger epcis import --dry-run`);
 *  3. imports it: the same, posting batches of 500 to a real server on a fresh embedded PostgreSQL
 *     (`rxledger epcis import`), every event accepted.
 * Prints events/s and peak RSS of each; each step runs in a child process so its peak RSS is its own (the server's
 * memory is not counted: it is the ledger's intake, bench:ingest).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEpcisXmlFile } from '../src/cli/epcis.command';
import { readEpcisXml, toEpcisXml } from '../src/epcis/xml';
import { appendCheckDigit, makeGtin14, makeSscc } from '../src/gs1';
import { containerCode, unitCode } from '../src/protocol/item-code';
import { LedgerClient } from '../src/sdk/client';
import { HttpClient } from './lib/http-load';
import { startBenchDatabase } from './lib/postgres';
import { startServer } from './lib/server';
import { BenchNetwork } from './lib/supply-chain';
import { generateSecretKey, publicKeyOf } from '../src/signing/ed25519';
import { keyIdOf } from '../src/signing/event-signing';

const PREFIX = '0614141';
const ACTOR = appendCheckDigit(`${PREFIX}00001`);
// The GLNs BenchNetwork gives its first two parties (the manufacturer, then the distributor).
const RECIPIENT = appendCheckDigit(`${PREFIX}00002`);

async function step(kind: string, file: string): Promise<void> {
  const started = process.hrtime.bigint();
  let events = 0;
  if (kind === 'parse') {
    for await (const item of readEpcisXml(createReadStream(file))) if (item.kind === 'event') events++;
  } else {
    const secretKey = kind === 'post' ? Buffer.from(process.env.BENCH_SEED!, 'hex') : generateSecretKey();
    const publicKey = publicKeyOf(secretKey);
    const client =
      kind === 'post' ? new LedgerClient({ url: process.env.BENCH_URL!, token: process.env.BENCH_TOKEN }) : undefined;
    const report = await importEpcisXmlFile(createReadStream(file), {
      key: { secretKey, publicKey, keyId: keyIdOf(publicKey), gln: ACTOR },
      client,
    });
    if (client && (report.accepted !== report.events || report.refused > 0 || report.unmapped.length > 0)) {
      throw new Error(
        `not every event was accepted: ${JSON.stringify({ ...report, unmapped: report.unmapped.slice(0, 3) })}`,
      );
    }
    events = report.events;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(JSON.stringify({ kind, events, seconds, cpuSeconds, peakRssMiB: usage.maxRSS / 1024 }));
}

function makeDocument(count: number, file: string): void {
  const gtin = makeGtin14('0', PREFIX, '12345');
  const entries = [];
  const product = { gtin, name: 'Benchamycin', strength: '10 mg', dosageForm: 'tablet', containerSize: '30 tablets' };
  entries.push({
    index: -1,
    acceptedAt: '2026-12-01T08:00:00.000Z',
    event: {
      id: 'p',
      type: 'product.register',
      actor: ACTOR,
      keyId: '00112233445566aa',
      time: '2026-12-01T08:00:00.000Z',
      body: product,
    },
  });
  for (let i = 0; i < count; i++) {
    const serial = `S${i}`;
    const sscc = containerCode(makeSscc('0', PREFIX, String(i).padStart(9, '0')));
    const kind = i % 3;
    const type = kind === 0 ? 'commission' : kind === 1 ? 'pack' : 'ship';
    const body =
      kind === 0
        ? { gtin, lot: 'LOT1', expiry: '301231', serials: [serial] }
        : kind === 1
          ? { parent: sscc, children: [unitCode(gtin, `S${i - 1}`)] }
          : {
              shipmentId: `ASN-${i}`,
              recipient: RECIPIENT,
              items: [containerCode(makeSscc('0', PREFIX, String(i - 1).padStart(9, '0')))],
              transaction: { date: '2026-12-01', shipmentDate: '2026-12-01', purchaseOrder: `PO-${i}` },
            };
    entries.push({
      index: i,
      acceptedAt: '2026-12-01T10:00:00.000Z',
      event: { id: `e${i}`, type, actor: ACTOR, keyId: '00112233445566aa', time: '2026-12-01T09:00:00.000Z', body },
    });
  }
  writeFileSync(file, toEpcisXml(entries, { companyPrefixLength: () => PREFIX.length }).xml);
}

async function main(): Promise<void> {
  const [, , kind, file] = process.argv;
  if (kind) return step(kind, file);
  const count = Number(process.env.RXLEDGER_BENCH_EVENTS ?? 100_000);
  const document = join(mkdtempSync(join(tmpdir(), 'rxl-bench-epcis-')), 'events.xml');
  makeDocument(count, document);
  const run = (k: string, env: Record<string, string> = {}) =>
    JSON.parse(
      execFileSync(process.execPath, [__filename, k, document], { encoding: 'utf8', env: { ...process.env, ...env } }),
    ) as { kind: string; events: number; seconds: number; cpuSeconds: number; peakRssMiB: number };
  const results = [run('parse'), run('convert')];
  const database = await startBenchDatabase();
  const server = await startServer({ databaseUrl: database.url, dataDir: database.dataDir });
  try {
    const network = new BenchNetwork(new HttpClient(server.baseUrl, 4), PREFIX);
    const manufacturer = await network.register('manufacturer', 'Bench Pharma');
    await network.register('distributor', 'Bench Distribution');
    if (manufacturer.gln !== ACTOR) throw new Error(`the manufacturer is ${manufacturer.gln}, not ${ACTOR}`);
    await network.grantPrefix(manufacturer, PREFIX);
    results.push(
      run('post', {
        BENCH_URL: server.baseUrl,
        BENCH_TOKEN: manufacturer.token,
        BENCH_SEED: manufacturer.seed.toString('hex'),
      }),
    );
  } finally {
    await server.stop();
    await database.stop();
  }
  const names: Record<string, string> = {
    parse: 'parse only (baseline)',
    convert: 'convert (parse, map, sign)',
    post: 'import (parse, map, sign, post to the server)',
  };
  console.log(
    `EPCIS 1.2 XML document: ${count} events (+ master data), ${(statSync(document).size / 1e6).toFixed(1)} MB`,
  );
  for (const r of results) {
    console.log(
      `${names[r.kind]}: ${r.events} events in ${r.seconds.toFixed(2)} s = ${Math.round(r.events / r.seconds)} ` +
        `events/s (this process: ${r.cpuSeconds.toFixed(1)} CPU s), peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    );
  }
}

void main();
