import { ReadDatabase } from '../../src/database/read-database';
import { freePort } from '../support/postgres';
import { ReplicatedPostgres, startReplicatedPostgres } from '../support/replica';
import {
  accept,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

/**
 * Reads from standbys (issue 11 §4; OPERATIONS.md §3.2, PROTOCOL.md §8.5) on a real streaming replica of the
 * embedded PostgreSQL: served by the standby while fresh, by the primary once the standby is further behind than
 * READ_REPLICA_MAX_LAG_MS, never missing a dispense acknowledged before the verification, and primary-only mode
 * unchanged.
 */
describe('reads from a standby', () => {
  let pg: ReplicatedPostgres;
  /** READ_FROM=replica with a bound no test reaches: the standby counts as fresh even while its replay is paused. */
  let loose: TestApp;
  let m: TestManufacturer;
  let pharmacy: TestParty;
  let gtin: string;
  const apps: TestApp[] = [];

  const app = async (env: Record<string, string>) => {
    const made = await createTestApp({ INTEGRATOR: 'off', ...env }, pg.primaryUrl);
    apps.push(made);
    return made;
  };
  const served = (t: TestApp) => ({ ...t.app.get(ReadDatabase).served });
  const verify = async (t: TestApp, serial: string, ofGtin = gtin) => {
    const answer = await t.http
      .get('/v1/verify')
      .query({ gtin: ofGtin, serial })
      .set(...pharmacy.auth);
    expect(answer.status).toBe(200);
    return (answer.body.reasons as { code: string }[]).map((r) => r.code);
  };
  const commissionToPharmacy = async (lot: string, serials: string[]) => {
    await accept(t(), m, 'commission', { gtin, lot, expiry: '291231', serials });
    const items = units(gtin, serials);
    const shipmentId = `S-${lot}`;
    await accept(t(), m, 'ship', { shipmentId, recipient: pharmacy.gln, items, transaction });
    await accept(t(), pharmacy, 'receive', { shipper: m.gln, shipmentId, items }, true);
  };
  const t = () => loose;

  beforeAll(async () => {
    pg = await startReplicatedPostgres();
    loose = await app({
      INTEGRATOR: 'on',
      READ_FROM: 'replica',
      READ_DATABASE_URL: pg.standbyUrl,
      READ_REPLICA_MAX_LAG_MS: '600000',
    });
    ({ manufacturer: m, pharmacy } = await newTradingPartners(loose));
    gtin = await registerProduct(loose, m);
    await commissionToPharmacy('LOT-A', ['A1', 'A2', 'A3', 'A4']);
    await commissionToPharmacy('LOT-B', ['B1']);
    await commissionToPharmacy('LOT-C', ['C1']);
    await pg.caughtUp();
  });
  afterAll(async () => {
    for (const made of apps) await made.close();
    await pg?.stop();
  });

  it('a fresh standby answers verifications and entry tiles', async () => {
    const before = served(loose);
    expect(await verify(loose, 'A1')).toEqual([]);
    const tile = await loose.http.get('/v1/log/tile/entries/000.p/1');
    expect(tile.status).toBe(200);
    const after = served(loose);
    expect(after.standby - before.standby).toBeGreaterThanOrEqual(2);
    expect(after.primary).toBe(before.primary);
  });

  it("never misses the requester's own dispense, nor a recall, however far behind the standby is", async () => {
    await pg.pauseReplay();
    let newGtin: string;
    try {
      await accept(loose, pharmacy, 'dispense', { items: units(gtin, ['A2']) });
      // Within the bound the standby still answers about what did not change since it stopped replaying ...
      const before = served(loose);
      expect(await verify(loose, 'A3')).toEqual([]);
      expect(served(loose).standby).toBeGreaterThan(before.standby);
      // ... but the dispensed unit's row is newer on the primary, which answers.
      expect(await verify(loose, 'A2')).toContain('ALREADY_DISPENSED');
      expect(served(loose).primary).toBeGreaterThan(before.primary);
      // So is a recall of the unit's lot.
      await accept(loose, m, 'recall', { gtin, lots: ['LOT-B'], reason: 'test' });
      expect(await verify(loose, 'B1')).toContain('RECALLED');
      // What may lag within the bound (PROTOCOL.md §8.5): product details, here a product registered meanwhile.
      newGtin = await registerProduct(loose, m);
      expect(await verify(loose, 'X1', newGtin)).toEqual(['UNKNOWN_GTIN']);
    } finally {
      await pg.resumeReplay();
    }
    await pg.caughtUp();
    expect(await verify(loose, 'X1', newGtin)).toEqual(['UNKNOWN_SERIAL']);
  });

  it('a standby further behind than READ_REPLICA_MAX_LAG_MS is not read: the primary answers', async () => {
    const strict = await app({
      READ_FROM: 'replica',
      READ_DATABASE_URL: pg.standbyUrl,
      READ_REPLICA_MAX_LAG_MS: '500',
    });
    const reads = strict.app.get(ReadDatabase);
    expect(await verify(strict, 'C1')).toEqual([]);
    expect(reads.served.standby).toBeGreaterThan(0);
    await pg.pauseReplay();
    try {
      const newGtin = await registerProduct(loose, m);
      // Poll the measured lag past the bound (no sleep): the standby stopped before the product's registration.
      for (let lag = 0; lag <= 500; lag = (await reads.standbyLagMs()) ?? 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const before = { ...reads.served };
      expect(await verify(strict, 'X1', newGtin)).toEqual(['UNKNOWN_SERIAL']);
      expect(reads.served.standby).toBe(before.standby);
      expect(reads.served.primary).toBeGreaterThan(before.primary);
    } finally {
      await pg.resumeReplay();
    }
    await pg.caughtUp();
  });

  it('READ_FROM=primary (the default) never reads the standby', async () => {
    const primaryOnly = await app({ READ_DATABASE_URL: pg.standbyUrl });
    expect(primaryOnly.app.get(ReadDatabase).standbys).toBe(false);
    await pg.pauseReplay();
    try {
      await accept(primaryOnly, pharmacy, 'dispense', { items: units(gtin, ['A4']) });
      expect(await verify(primaryOnly, 'A4')).toContain('ALREADY_DISPENSED');
    } finally {
      await pg.resumeReplay();
    }
    expect(primaryOnly.app.get(ReadDatabase).served.standby).toBe(0);
  });

  it('standbys that cannot be reached: the primary answers, no 503', async () => {
    const nobody = await freePort();
    const away = await app({
      READ_FROM: 'replica',
      READ_DATABASE_URL: `postgres://rxledger:rxledger@localhost:${nobody}/rxledger`,
    });
    expect(await verify(away, 'A1')).toEqual([]);
    expect(away.app.get(ReadDatabase).served.standby).toBe(0);
    expect(away.app.get(ReadDatabase).served.primary).toBeGreaterThan(0);
  });
});
