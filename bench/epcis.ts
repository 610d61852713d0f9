/**
 * `npm run bench:epcis`: EPCIS 1.2 XML import throughput. Writes a 100,000-event document (RXLEDGER_BENCH_EVENTS)
 * of a manufacturer's events (commissioning, packing, shipping), then, in this run, (1) merely parses it (saxes, the
 * streaming reader: the baseline), (2) imports it: parse, map (src/epcis/mapping) and sign every event, as
 * `rxledger epcis import --dry-run` does (posting is the ledger's intake, measured by bench:ingest). Prints events/s
 * and peak RSS of each; each step runs in a child process so its peak RSS is its own.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importEpcisXmlFile } from '../src/cli/epcis.command';
import { readEpcisXml, toEpcisXml } from '../src/epcis/xml';
import { appendCheckDigit, makeGtin14, makeSscc } from '../src/gs1';
import { containerCode, unitCode } from '../src/protocol/item-code';
import { generateSecretKey, publicKeyOf } from '../src/signing/ed25519';
import { keyIdOf } from '../src/signing/event-signing';

const PREFIX = '0614141';
const ACTOR = appendCheckDigit(`${PREFIX}00001`);
const RECIPIENT = appendCheckDigit('086000000001');

async function step(kind: string, file: string): Promise<void> {
  const started = process.hrtime.bigint();
  let events = 0;
  if (kind === 'parse') {
    for await (const item of readEpcisXml(createReadStream(file))) if (item.kind === 'event') events++;
  } else {
    const secretKey = generateSecretKey();
    const publicKey = publicKeyOf(secretKey);
    const report = await importEpcisXmlFile(createReadStream(file), {
      key: { secretKey, publicKey, keyId: keyIdOf(publicKey), gln: ACTOR },
    });
    events = report.events;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ kind, events, seconds, peakRssMiB: peak }));
}

function makeDocument(count: number, file: string): void {
  const gtin = makeGtin14('0', PREFIX, '12345');
  const entries = [];
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
  const results = ['parse', 'import'].map((k) =>
    JSON.parse(execFileSync(process.execPath, [__filename, k, document], { encoding: 'utf8' })),
  );
  console.log(`EPCIS 1.2 XML document: ${count} events`);
  for (const r of results) {
    console.log(
      `${r.kind === 'parse' ? 'parse only (baseline)' : 'import (parse, map, sign)'}: ${r.events} events in ` +
        `${r.seconds.toFixed(2)} s = ${Math.round(r.events / r.seconds)} events/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    );
  }
}

void main();
