/**
 * The inherited-custody migration (issue 12 §1) on a database that already holds packed items: taken down (packed
 * items' effective state written into their own rows, as before the migration) and up again, every item reads the
 * same through the view `item`, the packed ones get their top and their open membership interval from the pack event
 * that named them, and the bookkeeping audits clean.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { runAudit } from '../../src/ledger/audit/audit';
import { InheritedCustody1765000800000 } from '../../migrations/1765000800000-InheritedCustody';
import { accept, newManufacturer, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, newParty, TestApp } from '../support/test-app';

describe('migration: inherited custody on existing packed items', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await createTestApp();
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('down and up again: the same effective state, tops and open intervals restored', async () => {
    const m = await newManufacturer(t);
    const d = await newParty(t, 'distributor', 'Wholesale');
    const gtin = await registerProduct(t, m);
    const codes = units(gtin, serials(4));
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: serials(4) });
    const box = m.newContainerCode();
    const pallet = m.newContainerCode();
    const packed = await accept(t, m, 'pack', { parent: box, children: codes.slice(0, 2) });
    const palletised = await accept(t, m, 'pack', { parent: pallet, children: [box] });
    await accept(t, m, 'ship', { items: [pallet], shipmentId: 'M-1', recipient: d.gln, transaction });
    await accept(t, d, 'receive', { items: [pallet], shipper: m.gln, shipmentId: 'M-1' });
    const state = async () => (await db.query('SELECT * FROM item ORDER BY code')).rows;
    const columnsOfBefore = (rows: Record<string, unknown>[]) =>
      rows.map((row) => {
        const { top: _t, top_since: _s, ops_length: _o, top_ops_length: _p, inherited: _i, ...old } = row;
        return old;
      });
    const before = await state();
    const migration = new InheritedCustody1765000800000();
    const runner = { query: (text: string) => db.query(text) } as unknown as Parameters<typeof migration.up>[0];

    await migration.down(runner);
    const materialised = await db.query<{ code: string; history: string[] }>(
      'SELECT code, history FROM item ORDER BY code',
    );
    expect(materialised.rows.map((r) => [r.code, r.history])).toEqual(before.map((r) => [r.code, r.history]));
    await migration.up(runner);

    expect(columnsOfBefore(await state())).toEqual(columnsOfBefore(before));
    const { rows } = await db.query<{ code: string; top: string | null; container: string; from_idx: string }>(
      `SELECT r.code, r.top, m.container, m.from_idx FROM item_record r
         JOIN item_membership m ON m.code = r.code AND m.to_idx IS NULL ORDER BY r.code`,
    );
    expect(rows.map((r) => [r.code, r.top, r.container, Number(r.from_idx)])).toEqual(
      [
        [box, pallet, pallet, palletised.index],
        [codes[0], pallet, box, packed.index],
        [codes[1], pallet, box, packed.index],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const dataSource = new DataSource(dataSourceOptions(t.databaseUrl, 2));
    await dataSource.initialize();
    try {
      const signer = parseSignerKey(t.secrets.logSignerKey);
      const report = await runAudit(new Database(dataSource), {
        logVerifierKey: formatVerifierKey(signer.name, signer.publicKey),
      });
      expect(report.failures).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
