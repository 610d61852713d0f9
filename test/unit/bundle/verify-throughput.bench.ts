/**
 * Throughput of the offline verifier on the bundle of a large lot (not a jest test: it takes minutes).
 *
 *   npx esbuild test/unit/bundle/verify-throughput.bench.ts --bundle --platform=node --outfile=/tmp/verify-bench.js \
 *     --external:canonicalize --log-level=warning
 *   node /tmp/verify-bench.js generate 100000 /tmp/lot.bundle.json   # writes the bundle and /tmp/lot.bundle.json.vkey
 *   node /tmp/verify-bench.js verify /tmp/lot.bundle.json node        # streamed, Node's OpenSSL signature path (the CLI)
 *   node /tmp/verify-bench.js verify /tmp/lot.bundle.json pure        # streamed, verifyStrict (@noble/curves: the browser)
 *
 * The lot's journey: commissioned 10,000 serials per event, packed 100 per case and 10 cases per pallet, pallets
 * shipped to a distributor and received, unpacked, every case shipped to one of ten pharmacies, received, opened, and
 * every unit dispensed in batches of `DISPENSE_BATCH` (1: one event per unit, the worst case). `verify` runs in a
 * fresh process and reports events per second, peak RSS, and in the same run the raw signature rate of the path
 * used, so that the ratio can be compared across machines (DESIGN.md §5).
 */
import * as fs from 'node:fs';
import { verifyBundleStream } from '../../../src/bundle';
import { verifyStrict, generateSecretKey, publicKeyOf, sign } from '../../../src/signing/ed25519';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { SupplyChain } from './memory-log';

const DISPENSE_BATCH = Number(process.env.DISPENSE_BATCH ?? 10);

function generate(units: number, file: string): void {
  const started = Date.now();
  const chain = new SupplyChain();
  const manufacturer = chain.newManufacturer();
  const distributor = chain.register('distributor', 'Big Wholesale');
  const pharmacies = Array.from({ length: 10 }, (_, i) => chain.register('dispenser', `Pharmacy ${i + 1}`));
  const lot = chain.commission(manufacturer, 'LOT-BIG', units, 10_000);
  const cases: { code: string; units: string[] }[] = [];
  for (let i = 0; i < lot.length; i += 100) {
    const code = chain.newContainer();
    chain.pack(manufacturer, code, lot.slice(i, i + 100));
    cases.push({ code, units: lot.slice(i, i + 100) });
  }
  const pallets: string[] = [];
  for (let i = 0; i < cases.length; i += 10) {
    const pallet = chain.newContainer();
    chain.pack(
      manufacturer,
      pallet,
      cases.slice(i, i + 10).map((c) => c.code),
    );
    pallets.push(pallet);
  }
  pallets.forEach((pallet, i) => chain.ship(manufacturer, [pallet], distributor, `P-${i}`));
  pallets.forEach((_, i) => chain.receive(distributor, manufacturer, `P-${i}`));
  pallets.forEach((pallet) => chain.unpack(distributor, pallet));
  cases.forEach((c, i) => chain.ship(distributor, [c.code], pharmacies[i % 10], `C-${i}`));
  cases.forEach((_, i) => chain.receive(pharmacies[i % 10], distributor, `C-${i}`));
  cases.forEach((c, i) => chain.unpack(pharmacies[i % 10], c.code));
  cases.forEach((c, i) => {
    for (let k = 0; k < c.units.length; k += DISPENSE_BATCH)
      chain.dispense(pharmacies[i % 10], c.units.slice(k, k + DISPENSE_BATCH));
  });
  const bundle = chain.bundle(chain.lotScope('LOT-BIG'), lot);
  // Streamed out member by member: the whole text of a large lot does not fit one JS string comfortably.
  const out = fs.openSync(file, 'w');
  const head = { ...bundle } as Partial<typeof bundle>;
  delete head.registry;
  delete head.events;
  delete head.items;
  delete head.summary;
  fs.writeSync(out, JSON.stringify(head).slice(0, -1));
  for (const list of ['registry', 'events', 'items'] as const) {
    fs.writeSync(out, `,"${list}":[`);
    bundle[list].forEach((element, i) => fs.writeSync(out, (i === 0 ? '\n' : ',\n') + JSON.stringify(element)));
    fs.writeSync(out, ']');
  }
  fs.writeSync(out, `,"summary":${JSON.stringify(bundle.summary)}}\n`);
  fs.closeSync(out);
  fs.writeFileSync(`${file}.vkey`, chain.log.vkey);
  const mb = fs.statSync(file).size / 1e6;
  console.log(
    `generated ${units} units: ${bundle.events.length} events, ${bundle.registry.length} registry events, ${mb.toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

function signatureBaseline(verify: (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean): number {
  const secret = generateSecretKey();
  const key = publicKeyOf(secret);
  const message = new Uint8Array(300);
  const signature = sign(secret, message);
  verify(key, message, signature);
  const started = performance.now();
  let n = 0;
  while (performance.now() - started < 2000) {
    verify(key, message, signature);
    n++;
  }
  return n / ((performance.now() - started) / 1000);
}

async function verify(file: string, path: string): Promise<void> {
  const vkey = fs.readFileSync(`${file}.vkey`, 'utf8');
  const strict = path === 'pure' ? verifyStrict : verifyStrictNode;
  let signatureMs = 0;
  const verifySignature = (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
    const at = performance.now();
    const valid = strict(key, message, signature);
    signatureMs += performance.now() - at;
    return valid;
  };
  const before = signatureBaseline(strict);
  const started = performance.now();
  const report = await verifyBundleStream(
    fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>,
    vkey,
    { verifySignature },
  );
  const seconds = (performance.now() - started) / 1000;
  const events = report.counts.events + report.counts.registryEvents;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  // The machine is shared and noisy: the signature ceiling is measured before and after, in the same process.
  const baseline = (before + signatureBaseline(strict)) / 2;
  console.log(
    JSON.stringify({
      ok: report.ok,
      failures: report.counts.failures,
      path,
      mb: Number((fs.statSync(file).size / 1e6).toFixed(1)),
      events,
      items: report.counts.items,
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(events / seconds),
      itemsPerSecond: Math.round(report.counts.items / seconds),
      peakRssMb: Math.round(rssMb),
      signatureSeconds: Number((signatureMs / 1000).toFixed(2)),
      signatureVerifiesPerSecond: Math.round(baseline),
      ratioToSignatureCeiling: Number((events / seconds / baseline).toFixed(2)),
    }),
  );
  if (!report.ok) console.log(report.failures.slice(0, 5));
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'generate') generate(Number(a), b);
else if (mode === 'verify') void verify(a, b ?? 'node');
else console.log('usage: generate UNITS FILE | verify FILE [node|pure]');
