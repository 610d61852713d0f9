/**
 * PROTOCOL §8.2: records are written in groups after the answer, except that an answer which raises an alert (a
 * suspect product) is sent only once its record is written, so a crash of the server between the answer and the
 * group cannot lose the report of a suspect product. A genuine answer does not wait. Shown by holding the
 * verification table's insert lock from another connection: the genuine answer comes at once, the alert's only
 * after the lock is let go, and then its record is there.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { accept, connectDb, newTradingPartners, registerProduct, TestManufacturer } from '../support/supply-chain';
import { createTestApp, TestApp } from '../support/test-app';

const GS = '\u001d';

describe('verification: an alert is written before its answer is sent', () => {
  let t: TestApp;
  let m: TestManufacturer;
  let gtin: string;
  let db: Client;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['G1'] }, true);
    db = await connectDb(t);
  });
  afterAll(async () => {
    await db?.end();
    await t.close();
  });

  const verify = (serial: string) =>
    t.http
      .get('/v1/verify')
      .query({ code: `]d201${gtin}21${serial}${GS}17291231${GS}10LOT-A` })
      .set(...m.auth)
      .then((response) => response);

  const recorded = async (id: string) =>
    (await db.query('SELECT suspicious FROM verification WHERE id = $1', [id])).rows as { suspicious: boolean }[];

  it('a genuine answer does not wait for its record; an alert does, and is recorded when answered', async () => {
    const locker = await connectDb(t);
    try {
      await locker.query('BEGIN');
      // EXCLUSIVE blocks inserts (ROW EXCLUSIVE) but not the answer's reads (ACCESS SHARE).
      await locker.query('LOCK TABLE verification IN EXCLUSIVE MODE');

      // The holder asks about its own unit: genuine. (Bounded: if it waited for the lock, the test fails, not hangs.)
      const genuine = await Promise.race([
        verify('G1'),
        delay(5_000, null, { ref: false }).then(() => ({ status: 0, body: { verdict: 'waited' } })),
      ]);
      expect([genuine.status, genuine.body.verdict]).toEqual([200, 'genuine']);

      const pending = verify('FAKE-1');
      const first = await Promise.race([
        pending.then(() => 'answered'),
        delay(1_000, null, { ref: false }).then(() => 'waiting'),
      ]);
      expect(first).toBe('waiting');

      await locker.query('COMMIT');
      const suspect = await pending;
      expect([suspect.status, suspect.body.verdict]).toEqual([200, 'not_genuine']);
      expect(await recorded(suspect.body.verificationId)).toEqual([{ suspicious: true }]);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });
});
