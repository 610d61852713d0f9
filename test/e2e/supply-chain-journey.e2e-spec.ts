import { openCheckpoint, parseVerifierKey } from '../../src/checkpoint';
import { leafHash as hashLeaf } from '../../src/merkle/hash';
import { verifyInclusion } from '../../src/merkle/verify';
import { base64ToBytes } from '../../src/bytes';
import {
  accept,
  item,
  newTradingPartners,
  post,
  registerProduct,
  serials,
  transaction,
  units,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

describe('a whole journey over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('commission → pack → ship → receive → unpack → ship → receive → dispense → return → recall → quarantine', async () => {
    const { manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t);
    const vkey = parseVerifierKey((await t.http.get('/v1/log/vkey')).text.trim());
    const receipts: {
      index: number;
      leafHash: string;
      checkpoint?: string;
      inclusionProof?: { treeSize: number; hashes: string[] };
    }[] = [];
    const step = async (party: TestParty, type: string, body: object) => {
      const receipt = await accept(t, party, type, body, true);
      receipts.push(receipt);
      return receipt;
    };

    const gtin = await registerProduct(t, m);
    const all = units(gtin, serials(1000));
    await step(m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: serials(1000) });
    expect(await item(t, all[0])).toMatchObject({
      custodian: m.gln,
      status: 'active',
      lot: 'LOT-A',
      expiry: '2029-12-31',
    });

    // 10 cases of 100, on one pallet.
    const cases = Array.from({ length: 10 }, () => m.newContainerCode());
    for (let c = 0; c < 10; c++)
      await step(m, 'pack', { parent: cases[c], children: all.slice(c * 100, c * 100 + 100) });
    const pallet = m.newContainerCode();
    await step(m, 'pack', { parent: pallet, children: cases });
    expect(await item(t, all[0])).toMatchObject({ parent: cases[0] });

    // Manufacturer → distributor: the pallet.
    await step(m, 'ship', { shipmentId: 'ASN-1', recipient: d.gln, items: [pallet], transaction });
    expect(await item(t, all[999])).toMatchObject({ status: 'in_transit', custodian: m.gln });
    const incoming = await t.http.get('/v1/distributors/me/shipments/incoming').set(...d.auth);
    expect(incoming.body).toHaveLength(1);
    expect(incoming.body[0]).toMatchObject({ shipmentId: 'ASN-1', unitCount: 1000, status: 'in_transit' });
    await step(d, 'receive', { shipper: m.gln, shipmentId: 'ASN-1', items: [pallet] });
    expect(await item(t, all[999])).toMatchObject({
      status: 'active',
      custodian: d.gln,
      sellers: [m.gln],
      transfers: 1,
    });

    // Distributor unpacks the pallet and ships one case to the pharmacy.
    await step(d, 'unpack', { parent: pallet });
    await step(d, 'ship', { shipmentId: 'D-77', recipient: p.gln, items: [cases[0]], transaction });
    await step(p, 'receive', { shipper: d.gln, shipmentId: 'D-77', items: [cases[0]] });
    const inventory = await t.http.get('/v1/dispensers/me/inventory').set(...p.auth);
    expect(inventory.body.units).toBe(100);
    expect(inventory.body.lines[0]).toMatchObject({ gtin, lot: 'LOT-A', units: 100, name: 'Amoxicillin' });

    // Pharmacy dispenses three units (taken from the opened case).
    await step(p, 'dispense', { items: all.slice(0, 3) });
    expect(await item(t, all[0])).toMatchObject({ status: 'dispensed', parent: null });
    const again = await post(t, p, 'dispense', { items: [all[0]] });
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('ITEM_DISPENSED');

    // A saleable return: pharmacy → distributor; resale needs the distributor's verification first.
    await step(p, 'unpack', { parent: cases[0], children: [all[10]] });
    await step(p, 'ship', { shipmentId: 'RET-1', recipient: d.gln, items: [all[10]], reason: 'return', transaction });
    await step(d, 'receive', { shipper: p.gln, shipmentId: 'RET-1', items: [all[10]] });
    expect(await item(t, all[10])).toMatchObject({ custodian: d.gln, returnPending: true });
    const returns = await t.http.get('/v1/distributors/me/returns').set(...d.auth);
    expect(returns.body.map((x: { code: string }) => x.code)).toEqual([all[10]]);
    const resale = await post(t, d, 'ship', { shipmentId: 'D-78', recipient: p.gln, items: [all[10]], transaction });
    expect(resale.status).toBe(422);
    expect(resale.body.error.code).toBe('RETURN_NOT_VERIFIED');

    // Recall of the lot: units can no longer be shipped for sale; lifting the recall restores them.
    await step(m, 'recall', { gtin, lots: ['LOT-A'], reason: 'sub-potent', classification: 'II' });
    const blocked = await post(t, d, 'ship', { shipmentId: 'D-79', recipient: p.gln, items: [cases[1]], transaction });
    expect(blocked.body.error.code).toBe('ITEM_RECALLED');
    expect(blocked.body.error.details.count).toBe(100);
    const pharmacyAlerts = await t.http.get('/v1/dispensers/me/alerts').set(...p.auth);
    expect(pharmacyAlerts.body.map((a: { kind: string }) => a.kind)).toContain('recall');
    await step(m, 'recall-lift', { gtin, lots: ['LOT-A'], reason: 'retest passed' });

    // Quarantine by the pharmacy, cleared by the manufacturer.
    await step(p, 'quarantine', { items: [all[20]], reason: 'seal broken' });
    expect(await item(t, all[20])).toMatchObject({ hold: 'quarantined' });
    const held = await post(t, p, 'dispense', { items: [all[20]] });
    expect(held.body.error.code).toBe('ITEM_QUARANTINED');
    const openAlerts = await t.http.get('/v1/manufacturers/me/alerts?kind=quarantine').set(...m.auth);
    expect(openAlerts.body).toHaveLength(1);
    await step(m, 'clear', { items: [all[20]], reason: 'verified genuine' });
    expect(await item(t, all[20])).toMatchObject({ hold: null });
    const closed = await t.http.get('/v1/manufacturers/me/alerts?kind=quarantine').set(...m.auth);
    expect(closed.body).toHaveLength(0);
    const regulatorView = await t.http.get('/v1/manufacturers/me/alerts').set(...r.auth);
    expect(regulatorView.status).toBe(403);
    await step(p, 'dispense', { items: [all[20]] });

    // Every step's event is provable in a signed checkpoint.
    for (const receipt of receipts) {
      const checkpoint = openCheckpoint(receipt.checkpoint!, vkey).checkpoint;
      expect(checkpoint.size).toBe(receipt.inclusionProof!.treeSize);
      expect(
        verifyInclusion(
          base64ToBytes(receipt.leafHash),
          receipt.index,
          checkpoint.size,
          receipt.inclusionProof!.hashes.map(base64ToBytes),
          checkpoint.rootHash,
        ),
      ).toBe(true);
    }
    expect(hashLeaf).toBeDefined();
  });
});
