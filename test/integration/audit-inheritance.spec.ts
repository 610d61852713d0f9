/**
 * `audit` checks the read model's inherited custody (issue 12 §1, migrations/1765000800000-InheritedCustody.ts): a
 * packed item reads its custody through its stored top container, so a stored top that is not the outermost
 * container, an open membership interval that names another container, or more receipts counted than the top has
 * had, would answer verification wrongly. A clean journey (nested packing, ship, receive, unpack) audits clean;
 * each tampering is found.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { runAudit } from '../../src/ledger/audit/audit';
import { accept, newManufacturer, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, newParty, TestApp } from '../support/test-app';

describe('audit: inherited custody', () => {
  let t: TestApp;
  let db: Database;
  let admin: Client;
  let logKey: string;
  let unit: string;
  let caseCode: string;
  let pallet: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestApp();
    const signer = parseSignerKey(t.secrets.logSignerKey);
    logKey = formatVerifierKey(signer.name, signer.publicKey);
    const m = await newManufacturer(t);
    const d = await newParty(t, 'distributor', 'Wholesale');
    const gtin = await registerProduct(t, m);
    const codes = units(gtin, serials(6));
    unit = codes[0];
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: serials(6) });
    caseCode = m.newContainerCode();
    pallet = m.newContainerCode();
    other = m.newContainerCode();
    await accept(t, m, 'pack', { parent: caseCode, children: codes.slice(0, 3) });
    await accept(t, m, 'pack', { parent: other, children: codes.slice(3) });
    await accept(t, m, 'pack', { parent: pallet, children: [caseCode, other] });
    await accept(t, m, 'ship', { items: [pallet], shipmentId: 'A-1', recipient: d.gln, transaction });
    await accept(t, d, 'receive', { items: [pallet], shipper: m.gln, shipmentId: 'A-1' });
    await accept(t, d, 'unpack', { parent: pallet, children: [other] });
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: ['LAST'] }, true);
    const dataSource = new DataSource(dataSourceOptions(t.databaseUrl, 2));
    await dataSource.initialize();
    db = new Database(dataSource);
    admin = new Client({ connectionString: t.databaseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await db?.dataSource.destroy();
    await t?.close();
  });

  const inheritanceFailures = async () =>
    (await runAudit(db, { logVerifierKey: logKey })).failures.filter((f) => f.code === 'CUSTODY_INHERITANCE_INVALID');

  /** Changes one row, audits, and puts the row back. */
  async function tampered(change: [string, unknown[]], undo: [string, unknown[]]) {
    await admin.query(...change);
    try {
      return await inheritanceFailures();
    } finally {
      await admin.query(...undo);
    }
  }

  it('finds the read model of a nested journey clean', async () => {
    const { rows } = await admin.query<{ top: string; n: number }>(
      'SELECT top, count(*)::int AS n FROM item_record WHERE top IS NOT NULL GROUP BY top ORDER BY top',
    );
    // The case and its three units read through the pallet; the other case, unpacked from it, is its units' top.
    expect(rows).toEqual([
      { top: pallet, n: 4 },
      { top: other, n: 3 },
    ]);
    expect(await inheritanceFailures()).toEqual([]);
  });

  it('finds a stored top that is not the outermost container', async () => {
    const failures = await tampered(
      ['UPDATE item_record SET top = $2 WHERE code = $1', [unit, caseCode]],
      ['UPDATE item_record SET top = $2 WHERE code = $1', [unit, pallet]],
    );
    expect(failures.map((f) => f.where)).toEqual([`item ${unit}`]);
    expect(failures[0].message).toContain(`its stored top is ${caseCode}, its outermost container ${pallet}`);
  });

  it('finds an open membership interval that names another container', async () => {
    const failures = await tampered(
      ['UPDATE item_membership SET container = $2 WHERE code = $1 AND to_idx IS NULL', [unit, pallet]],
      ['UPDATE item_membership SET container = $2 WHERE code = $1 AND to_idx IS NULL', [unit, caseCode]],
    );
    expect(failures.map((f) => f.where)).toEqual([`item ${unit}`]);
    expect(failures[0].message).toContain('its open membership interval names');
  });

  it('finds more receipts counted than the top has had', async () => {
    const failures = await tampered(
      ['UPDATE item_record SET ops_base = ops_base + 5 WHERE code = $1', [unit]],
      ['UPDATE item_record SET ops_base = ops_base - 5 WHERE code = $1', [unit]],
    );
    expect(failures.map((f) => f.where)).toEqual([`item ${unit}`]);
    expect(failures[0].message).toContain('receipts of its top');
  });
});
