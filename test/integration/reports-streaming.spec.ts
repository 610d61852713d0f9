import * as http from 'node:http';
import * as net from 'node:net';
import { Client } from 'pg';
import { containerCode } from '../../src/protocol/item-code';
import { makeSscc } from '../../src/gs1/identifiers';
import {
  newTradingPartners,
  postBatch,
  registerProduct,
  serials,
  signedFast,
  TestManufacturer,
  units,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

const UNITS = 20_000;

/**
 * Reports stream: a client that stops reading stalls its export (the server waits for the socket instead of
 * buffering), and one that goes away ends it, giving back its database connection and its place among the
 * exports that may run at once.
 */
describe('report streaming', () => {
  let t: TestApp;
  let db: Client;
  let m: TestManufacturer;
  let r: TestParty;
  let gtin: string;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    ({ manufacturer: m, regulator: r } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    const all = serials(UNITS);
    const commissions = [0, 1].map((half) =>
      signedFast(m, 'commission', {
        gtin,
        lot: 'BIG',
        expiry: '291231',
        serials: all.slice(half * 10_000, half * 10_000 + 10_000),
      }),
    );
    expect((await postBatch(t, m, commissions)).accepted).toBe(2);
    const codes = units(gtin, all);
    const packs = Array.from({ length: UNITS / 100 }, (_, c) =>
      signedFast(m, 'pack', {
        parent: containerCode(makeSscc('0', m.prefix, String(c + 1).padStart(16 - m.prefix.length, '0'))),
        children: codes.slice(c * 100, c * 100 + 100),
      }),
    );
    expect((await postBatch(t, m, packs)).accepted).toBe(UNITS / 100);
    await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  const csvPath = () => `/v1/reports/lot?gtin=${gtin}&lot=BIG&format=csv`;

  /** Starts a GET and resolves on the response head, leaving the body unread (the response stays paused). */
  function stalled(path: string): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${base}${path}`, { headers: { authorization: `Bearer ${r.token}` }, agent: false });
      request.on('response', (response) => {
        response.pause();
        resolve({ request, response });
      });
      request.on('error', reject);
    });
  }

  /** Open transactions on the test database other than this test's own: one per running export (nothing else runs). */
  async function exportsRunning(): Promise<number> {
    const rows = await db.query(
      `SELECT 1 FROM pg_stat_activity
        WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`,
    );
    return rows.rowCount ?? 0;
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  it('keeps at most four exports running; a stalled client holds its slot until it goes away', async () => {
    const before = (
      await t.http
        .get('/v1/reports/exports')
        .query({ limit: 1000 })
        .set(...r.auth)
    ).body.length;
    const held = await Promise.all([1, 2, 3, 4].map(() => stalled(csvPath())));
    try {
      for (const { response } of held) expect(response.statusCode).toBe(200);
      // Each stalled export keeps its snapshot open, waiting for its client: nothing more is produced meanwhile.
      await until(async () => (await exportsRunning()) === 4);
      expect(await exportsRunning()).toBe(4);

      const fifth = await t.http
        .get('/v1/reports/lot')
        .query({ gtin, lot: 'BIG', format: 'csv' })
        .set(...r.auth);
      expect(fifth.status).toBe(503);
      expect(fifth.body.error.code).toBe('EXPORTS_BUSY');
      expect(fifth.headers['retry-after']).toBe('5');
    } finally {
      for (const { request } of held) request.destroy();
    }
    await until(async () => (await exportsRunning()) === 0);
    expect(await exportsRunning()).toBe(0);

    // The slots are free again, and a reader that keeps up gets the whole report.
    const whole = await t.http
      .get('/v1/reports/lot')
      .query({ gtin, lot: 'BIG', format: 'csv' })
      .set(...r.auth);
    expect(whole.status).toBe(200);
    const lines = whole.text.split('\r\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1 + UNITS * 2);

    // Every export is on record, the interrupted ones included (recorded when they start).
    const after = (
      await t.http
        .get('/v1/reports/exports')
        .query({ limit: 1000 })
        .set(...r.auth)
    ).body.length;
    expect(after - before).toBe(5);
  });

  it('streams a 20,000-unit bundle with every unit and both its events', async () => {
    const response = await t.http
      .get('/v1/reports/lot')
      .query({ gtin, lot: 'BIG', format: 'bundle' })
      .set(...r.auth);
    expect(response.status).toBe(200);
    expect(response.headers['transfer-encoding']).toBe('chunked');
    const bundle = response.body as { items: { code: string; history: number[] }[]; events: unknown[] };
    expect(bundle.items).toHaveLength(UNITS);
    expect(new Set(bundle.items.map((i) => i.code)).size).toBe(UNITS);
    for (const item of bundle.items) expect(item.history).toHaveLength(2);
    // 2 commissions, 200 packs and the product's registration.
    expect(bundle.events).toHaveLength(2 + UNITS / 100 + 1);
  });
});
