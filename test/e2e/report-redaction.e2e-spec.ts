import { sha256 } from '@noble/hashes/sha2.js';
import { inflateSync } from 'node:zlib';
import { verifyBundleText } from '../../src/bundle';
import { base64ToBytes, bytesToBase64 } from '../../src/bytes';
import { BundledEvent, BundleEntry, EvidenceBundle, WithheldEvent } from '../../src/protocol/bundle';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { signedEventBytes } from '../../src/signing/event-signing';
import { accept, newTradingPartners, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

type Bundle = EvidenceBundle<BundleEntry>;
type Format = 'bundle' | 'csv' | 'pdf' | 'epcis';
const FORMATS: Format[] = ['bundle', 'csv', 'pdf', 'epcis'];

/** Reads any response body as raw bytes. */
function binary(response: unknown, done: (error: Error | null, body: Buffer) => void): void {
  const res = response as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (error: Error) => done(error, Buffer.alloc(0)));
}

/**
 * The text a PDF shows: PDFKit writes each text run as hex strings in a `TJ` array inside Flate-compressed content
 * streams; the strings of one array are one run (the numbers between them are kerning).
 */
function pdfText(pdf: Buffer): string {
  const runs: string[] = [];
  const raw = pdf.toString('latin1');
  const streams = /stream\r?\n/g;
  for (let match = streams.exec(raw); match; match = streams.exec(raw)) {
    const start = match.index + match[0].length;
    const end = raw.indexOf('endstream', start);
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue;
    }
    for (const array of content.match(/\[([^\]]*)\]\s*TJ/g) ?? []) {
      const hex = array.match(/<([0-9a-fA-F]*)>/g) ?? [];
      runs.push(hex.map((h) => Buffer.from(h.slice(1, -1), 'hex').toString('latin1')).join(''));
    }
  }
  return runs.join('\n');
}

/**
 * Event bodies only for the parties they name (docs/PROTOCOL.md §1, §9): a party's own export, in every format, holds
 * the bodies (purchase orders, invoices, shipment ids) only of events that name it; of the others only their type,
 * index and leaf. A regulator's export holds everything. Every bundle, redacted or not, passes the offline verifier,
 * which says what it could not judge; a bundle that withholds from a regulator does not pass.
 */
describe('reports: event bodies only for the parties they name', () => {
  let t: TestApp;
  let m: TestParty;
  let d: TestParty;
  let d2: TestParty;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let vkey: string;
  const lot = 'LOT-R';
  const [u1, u2, u3, u4] = serials(4);

  /** Each shipment's commercial fields carry its own marks, so a report shows whose bodies it holds. */
  const shipment = (name: string) => ({
    shipmentId: `S-${name}`,
    transaction: { ...transaction, purchaseOrder: `PO-${name}`, invoice: `INV-${name}` },
  });
  const marks = (name: string) => [`PO-${name}`, `INV-${name}`, `S-${name}`];

  async function ship(from: TestParty, to: TestParty, name: string, serialList: string[], reason?: 'return') {
    const items = units(gtin, serialList);
    const { shipmentId, transaction: tx } = shipment(name);
    await accept(t, from, 'ship', { shipmentId, recipient: to.gln, items, transaction: tx, ...(reason && { reason }) });
    await accept(t, to, 'receive', { shipper: from.gln, shipmentId, items });
  }

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    d2 = await newParty(t, 'distributor', 'Second Wholesale');
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m as Parameters<typeof registerProduct>[1]);
    await accept(t, m, 'commission', { gtin, lot, expiry: '291231', serials: [u1, u2, u3, u4] });
    await ship(m, d, 'M-D', [u1, u2]);
    await ship(m, d2, 'M-W', [u3, u4]);
    await ship(d, p, 'D-P', [u1]);
    await ship(d2, p, 'W-P', [u3]);
    await ship(d, d2, 'D-W', [u2]);
    await ship(p, d, 'P-D', [u1], 'return');
  });
  afterAll(() => t.close());

  const report = async (party: TestParty, scope: 'serial' | 'lot', format: Format) => {
    const query = scope === 'serial' ? { gtin, serial: u1 } : { gtin, lot };
    const response = await t.http
      .get(`/v1/reports/${scope}`)
      .query({ ...query, format })
      .set(...party.auth)
      .buffer(true)
      .parse(binary);
    expect(response.status).toBe(200);
    const body = response.body as Buffer;
    return { text: format === 'pdf' ? pdfText(body) : body.toString('utf8'), raw: body, headers: response.headers };
  };

  /** Whose shipments' bodies each export must and must not show (who ships and who receives each, above). */
  const cases: {
    who: () => TestParty;
    name: string;
    scope: 'serial' | 'lot';
    shows: string[];
    hides: string[];
    /** Parties only withheld events name (and who holds the units now): not even their GLN may show. */
    unseen?: () => TestParty[];
  }[] = [
    { who: () => m, name: 'manufacturer', scope: 'serial', shows: ['M-D'], hides: ['D-P', 'P-D'], unseen: () => [p] },
    {
      who: () => m,
      name: 'manufacturer',
      scope: 'lot',
      shows: ['M-D', 'M-W'],
      hides: ['D-P', 'W-P', 'D-W', 'P-D'],
      unseen: () => [p],
    },
    { who: () => d, name: 'distributor', scope: 'serial', shows: ['M-D', 'D-P', 'P-D'], hides: [] },
    { who: () => d, name: 'distributor', scope: 'lot', shows: ['M-D', 'D-P', 'D-W', 'P-D'], hides: ['W-P', 'M-W'] },
    { who: () => p, name: 'pharmacy', scope: 'serial', shows: ['D-P', 'P-D'], hides: ['M-D'] },
    { who: () => p, name: 'pharmacy', scope: 'lot', shows: ['D-P', 'W-P', 'P-D'], hides: ['M-D', 'M-W', 'D-W'] },
    {
      who: () => r,
      name: 'regulator',
      scope: 'lot',
      shows: ['M-D', 'M-W', 'D-P', 'W-P', 'D-W', 'P-D'],
      hides: [],
    },
  ];

  describe.each(cases)('the $name’s $scope export', ({ who, scope, shows, hides, unseen }) => {
    it.each(FORMATS)('as %s holds the bodies of the events naming it, and no other', async (format) => {
      const { text, headers } = await report(who(), scope, format);
      for (const name of shows) for (const mark of marks(name)) expect(text).toContain(mark);
      for (const name of hides) for (const mark of marks(name)) expect(text).not.toContain(mark);
      // A bundle's registry lists every party (docs/PROTOCOL.md §9: the whole registry, whatever the scope), so it
      // tells nothing about whom withheld events name; outside it, their GLN must not show.
      const named = format === 'bundle' ? JSON.stringify({ ...JSON.parse(text), registry: [] }) : text;
      for (const party of unseen?.() ?? []) expect(named).not.toContain(party.gln);
      const withheld = Number(headers['rxledger-events-withheld']);
      if (who() === r) expect(withheld).toBe(0);
      else expect(withheld).toBeGreaterThan(0);
    });

    it('as a bundle carries full events only where they name it, and passes the offline verifier', async () => {
      const viewer = who();
      const { raw } = await report(viewer, scope, 'bundle');
      const bundle = JSON.parse(raw.toString('utf8')) as Bundle;
      for (const entry of bundle.events) {
        if ('withheld' in entry) {
          expect(viewer).not.toBe(r);
          expect(Object.keys(entry)).toEqual([
            'index',
            'acceptedAt',
            'withheld',
            'type',
            'eventHash',
            'signature',
            'inclusionProof',
          ]);
          continue;
        }
        const body = entry.event.body as { recipient?: string; shipper?: string };
        if (viewer !== r) expect([entry.event.actor, body.recipient, body.shipper]).toContain(viewer.gln);
      }
      const verdict = verifyBundleText(raw.toString('utf8'), vkey, { verifySignature: verifyStrictNode });
      expect(verdict.failures).toEqual([]);
      expect(verdict.ok).toBe(true);
      if (viewer === r) {
        expect(verdict.limits.join(' ')).not.toMatch(/withheld/);
      } else {
        // It says what it could not judge: the withheld events and the custody after them.
        expect(verdict.limits.join(' ')).toMatch(/events are withheld from \d{13}.*judged only up to it/);
      }
    });
  });

  /** Withholds one event of a bundle the way the server does: its type and leaf's parts instead of the event. */
  function withhold(bundle: Bundle, position: number): Bundle {
    const entry = bundle.events[position] as BundledEvent;
    const withheld: WithheldEvent = {
      index: entry.index,
      acceptedAt: entry.acceptedAt,
      withheld: true,
      type: entry.event.type,
      eventHash: bytesToBase64(sha256(signedEventBytes(entry.event))),
      signature: entry.signature,
      inclusionProof: entry.inclusionProof,
    };
    const events = [...bundle.events];
    events[position] = withheld;
    return { ...bundle, events };
  }

  it('a regulator’s bundle that withholds an event fails, although its proofs hold', async () => {
    const { raw } = await report(r, 'lot', 'bundle');
    const bundle = JSON.parse(raw.toString('utf8')) as Bundle;
    const position = bundle.events.findIndex((e) => 'event' in e && e.event.type === 'ship');
    const verdict = verifyBundleText(JSON.stringify(withhold(bundle, position)), vkey, {
      verifySignature: verifyStrictNode,
    });
    expect(verdict.ok).toBe(false);
    expect(verdict.failures.map((f) => f.check)).toEqual(['structure']);
    expect(verdict.failures[0].message).toMatch(/a regulator, who may read every event, yet it withholds 1/);
  });

  it('a party’s bundle passed off as a regulator’s fails', async () => {
    const { raw } = await report(m, 'serial', 'bundle');
    const bundle = JSON.parse(raw.toString('utf8')) as Bundle;
    const verdict = verifyBundleText(JSON.stringify({ ...bundle, generatedBy: r.gln }), vkey, {
      verifySignature: verifyStrictNode,
    });
    expect(verdict.ok).toBe(false);
    // The bundle holds the whole registry, so the verifier knows the regulator's role (docs/PROTOCOL.md §9).
    expect(verdict.failures.map((f) => f.message).join(' ')).toMatch(
      /a regulator, who may read every event, yet it withholds/,
    );
  });

  it('a withheld event whose leaf parts were altered fails its inclusion proof', async () => {
    const { raw } = await report(m, 'serial', 'bundle');
    const bundle = JSON.parse(raw.toString('utf8')) as Bundle;
    const position = bundle.events.findIndex((e) => 'withheld' in e);
    const entry = bundle.events[position] as WithheldEvent;
    const hash = base64ToBytes(entry.eventHash);
    hash[0] ^= 1;
    const events = [...bundle.events];
    events[position] = { ...entry, eventHash: bytesToBase64(hash) };
    const verdict = verifyBundleText(JSON.stringify({ ...bundle, events }), vkey, {
      verifySignature: verifyStrictNode,
    });
    expect(verdict.failures.map((f) => [f.check, f.index])).toEqual([['inclusion', entry.index]]);
  });
});
