/**
 * Bulk supply-chain intake over HTTP: one commissioning event of 100,000 serials, and ship/receive events by the
 * ten thousand through POST /v1/events/batch, in batches and as single requests of MAX_BATCH_EVENTS (10,000)
 * events. Each step prints its timing; the assertions are about what was accepted and stored.
 */
import { Client } from 'pg';
import { base64ToBytes } from '../../src/bytes';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { signedEventBytes } from '../../src/signing/event-signing';
import {
  accept,
  BatchAnswer,
  connectDb,
  logSize,
  newManufacturer,
  postBatch,
  registerProduct,
  signedFast,
  TestManufacturer,
  transaction,
  units,
} from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

const serialsFrom = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);

const timings: string[] = [];
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
let baselineInputs: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }[] = [];

/**
 * Strict Ed25519 verifications per second on one core, on signatures like the ones the tests send, measured
 * just before each timed step: the machine is shared and noisy, so ratios are against the same moment.
 */
function verifyBaseline(): number {
  const started = performance.now();
  for (const { publicKey, message, signature } of baselineInputs) {
    if (!verifyStrictNode(publicKey, message, signature)) throw new Error('baseline: a signature did not verify');
  }
  return perSecond(baselineInputs.length, performance.now() - started);
}

async function timed<T>(what: string, work: () => Promise<T>, per?: { count: number; unit: string }): Promise<T> {
  const baseline = per?.unit === 'events' ? verifyBaseline() : 0;
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  let rate = '';
  if (per) {
    const rateNow = perSecond(per.count, ms);
    const ratio = baseline
      ? `; raw strict verify just before: ${baseline.toLocaleString('en-US')}/s on one core, ratio ${(rateNow / baseline).toFixed(2)}`
      : '';
    rate = ` (${rateNow.toLocaleString('en-US')} ${per.unit}/s${ratio})`;
  }
  timings.push(`${what}: ${(ms / 1000).toFixed(2)} s${rate}`);
  return result;
}

describe('bulk supply-chain intake', () => {
  let t: TestApp;
  let db: Client;
  let m: TestManufacturer;
  let d: TestParty;

  beforeAll(async () => {
    t = await createTestApp();
    db = await connectDb(t);
    m = await newManufacturer(t);
    d = await newParty(t, 'distributor');
    baselineInputs = Array.from({ length: 1_000 }, (_, i) => signedFast(m, 'probe', { i })).map((s) => ({
      publicKey: m.publicKey,
      message: signedEventBytes(s.event),
      signature: base64ToBytes(s.signature),
    }));
    verifyBaseline(); // warm-up: the first pass runs cold
  });
  afterAll(async () => {
    console.log(`bulk supply-chain timings (this machine, one run):\n  ${timings.join('\n  ')}`);
    await db?.end();
    await t?.close();
  });

  function expectAllAccepted(answer: BatchAnswer, count: number): number[] {
    const refused = answer.results.filter((r) => !r.accepted);
    expect(refused.slice(0, 3)).toEqual([]);
    expect(answer).toMatchObject({ accepted: count, refused: 0 });
    return answer.results.map((r) => (r.accepted ? r.receipt.index : -1));
  }

  it('one commissioning event with 100,000 serials is accepted and every serial stored with its lot and expiry', async () => {
    const gtin = await registerProduct(t, m);
    const list = serialsFrom('BULK', 100_000);
    const signed = await timed('sign a 100,000-serial commission (client side)', async () =>
      signedFast(m, 'commission', { gtin, lot: 'BIG-LOT', expiry: '301231', serials: list }),
    );
    const before = await logSize(t);
    const response = await timed(
      'POST one commission of 100,000 serials',
      () =>
        t.http
          .post('/v1/events')
          .set(...m.auth)
          .send(signed),
      { count: 100_000, unit: 'serials' },
    );
    expect(response.status).toBe(201);
    expect(await logSize(t)).toBe(before + 1);

    const counted = await db.query('SELECT count(*)::int AS n FROM item WHERE gtin = $1', [gtin]);
    expect(counted.rows[0].n).toBe(100_000);
    const sample = [0, 1, 12_345, 50_000, 77_777, 99_998, 99_999].map((i) => list[i]);
    const rows = await db.query(
      `SELECT serial, lot, expiry_code, to_char(expiry, 'YYYY-MM-DD') AS expiry, status, custodian, history::int[] AS history
         FROM item WHERE code = ANY($1) ORDER BY serial`,
      [units(gtin, sample)],
    );
    expect(rows.rows).toEqual(
      [...sample].sort().map((serial) => ({
        serial,
        lot: 'BIG-LOT',
        expiry_code: '301231',
        expiry: '2030-12-31',
        status: 'active',
        custodian: m.gln,
        history: [response.body.index],
      })),
    );
    const lot = await db.query('SELECT expiry_code, commissioned_idx FROM lot WHERE gtin = $1', [gtin]);
    expect(lot.rows).toEqual([{ expiry_code: '301231', commissioned_idx: response.body.index }]);
  });

  it('10,000 ship/receive events in batches of 1,000: 5,000 one-unit shipments, then their 5,000 receipts', async () => {
    const gtin = await registerProduct(t, m);
    const codes = units(gtin, serialsFrom('SR', 5_000));
    await accept(t, m, 'commission', { gtin, lot: 'SR', expiry: '301231', serials: serialsFrom('SR', 5_000) });
    const before = await logSize(t);

    const ships = codes.map((code, i) =>
      signedFast(m, 'ship', { shipmentId: `B1-${i}`, recipient: d.gln, items: [code], transaction }),
    );
    const receives = codes.map((code, i) =>
      signedFast(d, 'receive', { shipper: m.gln, shipmentId: `B1-${i}`, items: [code] }),
    );
    await timed(
      '5,000 ships + 5,000 receives, batches of 1,000 (20 requests, in turn)',
      async () => {
        for (let i = 0; i < ships.length; i += 1_000)
          expectAllAccepted(await postBatch(t, m, ships.slice(i, i + 1_000)), 1_000);
        for (let i = 0; i < receives.length; i += 1_000) {
          expectAllAccepted(await postBatch(t, d, receives.slice(i, i + 1_000)), 1_000);
        }
      },
      { count: 10_000, unit: 'events' },
    );
    expect(await logSize(t)).toBe(before + 10_000);
    const held = await db.query(
      `SELECT custodian, status, sellers, transfers, count(*)::int AS n FROM item WHERE gtin = $1
        GROUP BY custodian, status, sellers, transfers`,
      [gtin],
    );
    expect(held.rows).toEqual([{ custodian: d.gln, status: 'active', sellers: [m.gln], transfers: 1, n: 5_000 }]);
    const shipments = await db.query(
      `SELECT status, count(*)::int AS n FROM shipment WHERE shipper = $1 AND shipment_id LIKE 'B1-%' GROUP BY status`,
      [m.gln],
    );
    expect(shipments.rows).toEqual([{ status: 'received', n: 5_000 }]);
  });

  it('a single request of MAX_BATCH_EVENTS (10,000) ships is accepted, and so are their 10,000 receipts in one request', async () => {
    expect(t.config.MAX_BATCH_EVENTS).toBe(10_000);
    const gtin = await registerProduct(t, m);
    const list = serialsFrom('ONE', 10_000);
    await accept(t, m, 'commission', { gtin, lot: 'ONE', expiry: '301231', serials: list });
    const codes = units(gtin, list);
    const before = await logSize(t);

    const ships = codes.map((code, i) =>
      signedFast(m, 'ship', { shipmentId: `B2-${i}`, recipient: d.gln, items: [code], transaction }),
    );
    const receives = codes.map((code, i) =>
      signedFast(d, 'receive', { shipper: m.gln, shipmentId: `B2-${i}`, items: [code] }),
    );
    const shipIndexes = await timed(
      'one request of 10,000 ships',
      async () => expectAllAccepted(await postBatch(t, m, ships), 10_000),
      {
        count: 10_000,
        unit: 'events',
      },
    );
    const receiveIndexes = await timed(
      'one request of 10,000 receives',
      async () => expectAllAccepted(await postBatch(t, d, receives), 10_000),
      { count: 10_000, unit: 'events' },
    );
    // Applied in order, with gapless indexes.
    expect([...shipIndexes, ...receiveIndexes]).toEqual(Array.from({ length: 20_000 }, (_, i) => before + i));
    expect(await logSize(t)).toBe(before + 20_000);
    const held = await db.query(
      `SELECT custodian, status, count(*)::int AS n FROM item WHERE gtin = $1 GROUP BY custodian, status`,
      [gtin],
    );
    expect(held.rows).toEqual([{ custodian: d.gln, status: 'active', n: 10_000 }]);
  });

  it('one event more than MAX_BATCH_EVENTS is refused as a whole, before any work', async () => {
    const before = await logSize(t);
    const junk = Array.from({ length: 10_001 }, () => ({ event: {}, signature: 'x' }));
    const response = await t.http
      .post('/v1/events/batch')
      .set(...m.auth)
      .send({ events: junk });
    expect({ status: response.status, code: response.body.error?.code }).toEqual({
      status: 413,
      code: 'BATCH_TOO_LARGE',
    });
    expect(await logSize(t)).toBe(before);
  });
});
