/**
 * Every refusal rule of the supply-chain events, broken on purpose over HTTP: each refusal carries its coded
 * error and HTTP status, names exactly the offending items, and leaves the read model (company_prefix, product,
 * lot, item, shipment, alert) and the log exactly as they were. Next to them, the exceptions the rules allow:
 * returns of recalled units, containers carrying their contents, receipts with discrepancies, verified returns.
 */
import { Client } from 'pg';
import { OperatorService } from '../../src/parties/operator.service';
import { CustodyViewsService } from '../../src/supply-chain/custody-views.service';
import {
  accept,
  connectDb,
  expectRefusal,
  expectRefusedWithoutChange,
  ExpectedRefusal,
  item,
  logSize,
  newManufacturer,
  post,
  postBatch,
  productDetails,
  recordVerification,
  registerProduct,
  serials,
  snapshot,
  TestManufacturer,
  transaction,
  units,
} from '../support/supply-chain';
import { createTestApp, newGln, newParty, TestApp, TestParty } from '../support/test-app';

const REFUSED = 422;
const FORBIDDEN = 403;
const report = {
  reportType: 'initial',
  classification: 'counterfeit',
  description: 'packaging does not match the genuine product',
  contact: { name: 'QA desk', email: 'qa@example.com' },
};

describe('supply-chain refusals', () => {
  let t: TestApp;
  let db: Client;
  let m: TestManufacturer;
  let m2: TestManufacturer;
  let d: TestParty;
  let p: TestParty;
  let p2: TestParty;
  let r: TestParty;
  let shipmentCounter = 0;

  beforeAll(async () => {
    t = await createTestApp();
    db = await connectDb(t);
    m = await newManufacturer(t);
    m2 = await newManufacturer(t);
    d = await newParty(t, 'distributor', 'Big Wholesale');
    p = await newParty(t, 'dispenser', 'Corner Pharmacy');
    p2 = await newParty(t, 'dispenser', 'Other Pharmacy');
    r = await newParty(t, 'regulator', 'FDA');
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  /** Posts the event and checks the refusal and that nothing changed. */
  const refused = (party: TestParty, type: string, body: object, expected: ExpectedRefusal) =>
    expectRefusedWithoutChange(t, db, () => post(t, party, type, body), expected);

  /** A fresh product of `maker` with `count` units of one lot, held by the maker. */
  async function stock(count = 4, { maker = m, lot = 'L1', expiry = '301231' } = {}) {
    const gtin = await registerProduct(t, maker);
    const list = serials(count);
    await accept(t, maker, 'commission', { gtin, lot, expiry, serials: list });
    return { gtin, lot, units: units(gtin, list) };
  }

  const nextShipmentId = () => `S-${++shipmentCounter}`;

  async function ship(from: TestParty, to: TestParty, items: string[], reason: 'sale' | 'return' = 'sale') {
    const shipmentId = nextShipmentId();
    await accept(t, from, 'ship', { shipmentId, recipient: to.gln, items, reason, transaction });
    return shipmentId;
  }

  /** Ships and receives in full: `to` becomes the custodian and `from` the seller. */
  async function deliver(from: TestParty, to: TestParty, items: string[], reason: 'sale' | 'return' = 'sale') {
    const shipmentId = await ship(from, to, items, reason);
    await accept(t, to, 'receive', { shipper: from.gln, shipmentId, items });
    return shipmentId;
  }

  describe('prefixes and products', () => {
    const grant = (gln: string, prefix: string) =>
      t.http
        .post(`/v1/manufacturers/${gln}/prefixes`)
        .set('Authorization', `Bearer ${t.operatorToken}`)
        .send({ prefix });

    it('PREFIX_ALREADY_GRANTED: a prefix held by one manufacturer cannot be granted to another', async () => {
      await expectRefusedWithoutChange(t, db, () => grant(m2.gln, m.prefix), {
        status: 409,
        code: 'PREFIX_ALREADY_GRANTED',
      });
      // The same grant again is a repeat of the request (docs/PROTOCOL.md §3.3): its original receipt, nothing logged.
      const unchanged = await snapshot(t, db);
      const again = await grant(m.gln, m.prefix);
      expect(again.status).toBe(200);
      expect(again.body.receipt.duplicate).toBe(true);
      expect(await snapshot(t, db)).toEqual(unchanged);
      // The rule itself, reached with an event id other than the endpoint's deterministic one.
      const operator = t.app.get(OperatorService);
      const before = await snapshot(t, db);
      const result = await operator.trySubmit('prefix.grant', `grant-again-${m.prefix}`, {
        gln: m2.gln,
        prefix: m.prefix,
      });
      expect(result).toMatchObject({ accepted: false, status: REFUSED, error: { code: 'PREFIX_ALREADY_GRANTED' } });
      expect(await snapshot(t, db)).toEqual(before);
    });

    it('PREFIX_ALREADY_GRANTED: a prefix that overlaps a granted one (one starts the other) is refused', async () => {
      // Otherwise the holder of the shorter prefix could register GTINs inside the longer prefix's range.
      await expectRefusedWithoutChange(t, db, () => grant(m2.gln, m.prefix.slice(0, 6)), {
        status: REFUSED,
        code: 'PREFIX_ALREADY_GRANTED',
      });
      await expectRefusedWithoutChange(t, db, () => grant(m2.gln, `${m.prefix}9`), {
        status: REFUSED,
        code: 'PREFIX_ALREADY_GRANTED',
      });
    });

    it('PARTY_NOT_MANUFACTURER: prefixes go to registered manufacturers only', async () => {
      await expectRefusedWithoutChange(t, db, () => grant(d.gln, '0399001'), {
        status: REFUSED,
        code: 'PARTY_NOT_MANUFACTURER',
      });
      await expectRefusedWithoutChange(t, db, () => grant(newGln(), '0399002'), {
        status: REFUSED,
        code: 'PARTY_NOT_MANUFACTURER',
      });
    });

    it('PREFIX_NOT_HELD: a manufacturer cannot register a GTIN under another one’s prefix', async () => {
      const theirs = m2.gtin(99_001);
      await refused(
        m,
        'product.register',
        { gtin: theirs, ...productDetails },
        { status: REFUSED, code: 'PREFIX_NOT_HELD' },
      );
    });

    it('PREFIX_NOT_HELD: a manufacturer cannot commission serials of another one’s product', async () => {
      const { gtin } = await stock(1, { maker: m2 });
      await refused(
        m,
        'commission',
        { gtin, lot: 'X', expiry: '301231', serials: ['FAKE1'] },
        { status: REFUSED, code: 'PREFIX_NOT_HELD' },
      );
    });

    it('PRODUCT_ALREADY_REGISTERED: a GTIN is registered once', async () => {
      const gtin = await registerProduct(t, m);
      await refused(
        m,
        'product.register',
        { gtin, ...productDetails, name: 'Other' },
        { status: REFUSED, code: 'PRODUCT_ALREADY_REGISTERED' },
      );
    });

    it('PRODUCT_UNKNOWN: serials of an unregistered GTIN cannot be commissioned, nor its lots recalled', async () => {
      const gtin = m.gtin(m.nextItemReference());
      await refused(
        m,
        'commission',
        { gtin, lot: 'L1', expiry: '301231', serials: ['A1'] },
        { status: REFUSED, code: 'PRODUCT_UNKNOWN' },
      );
      await refused(m, 'recall', { gtin, lots: ['L1'], reason: 'test' }, { status: REFUSED, code: 'PRODUCT_UNKNOWN' });
    });

    it('NDC_MISMATCH: the NDC given must be the one the GTIN carries', async () => {
      const gtin = m.gtin(m.nextItemReference());
      expect(gtin.slice(1, 3)).toBe('03'); // an NDC-bearing GTIN
      const wrong = gtin.slice(3, 13) === '1234567890' ? '1234567891' : '1234567890';
      await refused(
        m,
        'product.register',
        { gtin, ndc: wrong, ...productDetails },
        { status: REFUSED, code: 'NDC_MISMATCH' },
      );
      await accept(t, m, 'product.register', { gtin, ndc: gtin.slice(3, 13), ...productDetails });
    });
  });

  describe('commissioning', () => {
    it('SERIAL_ALREADY_COMMISSIONED: a serial is commissioned once, ever (names only the reused serials)', async () => {
      const { gtin, units: old } = await stock(3);
      await refused(
        m,
        'commission',
        { gtin, lot: 'L2', expiry: '311231', serials: ['NEW1', 'SN000002', 'NEW2', 'SN000003'] },
        { status: REFUSED, code: 'SERIAL_ALREADY_COMMISSIONED', items: [old[1], old[2]] },
      );
    });

    it('DUPLICATE_ITEMS: a commissioning event lists each serial once (each repeated serial named once)', async () => {
      const gtin = await registerProduct(t, m);
      await refused(
        m,
        'commission',
        { gtin, lot: 'L1', expiry: '301231', serials: ['A', 'B', 'A', 'C', 'A', 'B'] },
        { status: REFUSED, code: 'DUPLICATE_ITEMS', items: units(gtin, ['A', 'B']) },
      );
    });

    it('EXPIRY_MISMATCH: a lot keeps the expiry it was first commissioned with', async () => {
      const { gtin } = await stock(1, { lot: 'L1', expiry: '301231' });
      await refused(
        m,
        'commission',
        { gtin, lot: 'L1', expiry: '311231', serials: ['MORE1'] },
        { status: REFUSED, code: 'EXPIRY_MISMATCH' },
      );
      await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: ['MORE1'] });
    });

    it('an expiry that is not a calendar date is a validation error, not an internal one', async () => {
      const gtin = await registerProduct(t, m);
      await refused(
        m,
        'commission',
        { gtin, lot: 'L1', expiry: '300231', serials: ['FEB31'] },
        { status: 400, code: 'VALIDATION_FAILED' },
      );
    });
  });

  describe('the items an event names', () => {
    it('ITEM_UNKNOWN: names only the codes never commissioned or packed', async () => {
      const { gtin, units: u } = await stock(2);
      const ghost = units(gtin, ['GHOST'])[0];
      const ghostCase = m.newContainerCode();
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[0], ghost, u[1], ghostCase], transaction },
        { status: REFUSED, code: 'ITEM_UNKNOWN', items: [ghost, ghostCase] },
      );
    });

    it('DUPLICATE_ITEMS: ship, receive and recall name each item or lot once', async () => {
      const { gtin, units: u } = await stock(3);
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[0], u[1], u[0], u[0]], transaction },
        { status: REFUSED, code: 'DUPLICATE_ITEMS', items: [u[0]] },
      );
      const shipmentId = await ship(m, d, [u[0], u[1]]);
      await refused(
        d,
        'receive',
        { shipper: m.gln, shipmentId, items: [u[0], u[1], u[1]] },
        { status: REFUSED, code: 'DUPLICATE_ITEMS', items: [u[1]] },
      );
      await refused(
        m,
        'recall',
        { gtin, lots: ['L1', 'L1'], reason: 'x' },
        { status: REFUSED, code: 'DUPLICATE_ITEMS' },
      );
    });

    it('NOT_CUSTODIAN: names only the items the actor does not hold', async () => {
      const { units: u } = await stock(4);
      await deliver(m, d, [u[0], u[1]]);
      await refused(
        d,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: [u[0], u[2], u[1], u[3]], transaction },
        { status: REFUSED, code: 'NOT_CUSTODIAN', items: [u[2], u[3]] },
      );
      await refused(
        d,
        'decommission',
        { items: [u[2]], reason: 'damaged' },
        { status: REFUSED, code: 'NOT_CUSTODIAN', items: [u[2]] },
      );
      await refused(
        d,
        'pack',
        { parent: m.newContainerCode(), children: [u[0], u[3]] },
        { status: REFUSED, code: 'NOT_CUSTODIAN', items: [u[3]] },
      );
    });

    it('ITEM_IN_TRANSIT: an item on its way cannot be shipped, packed, dispensed or destroyed', async () => {
      const { units: u } = await stock(3);
      await ship(m, d, [u[0]]);
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: [u[0], u[1]], transaction },
        { status: REFUSED, code: 'ITEM_IN_TRANSIT', items: [u[0]] },
      );
      await refused(
        m,
        'pack',
        { parent: m.newContainerCode(), children: [u[1], u[0]] },
        { status: REFUSED, code: 'ITEM_IN_TRANSIT', items: [u[0]] },
      );
      await refused(
        m,
        'destroy',
        { items: [u[0]], reason: 'damaged' },
        { status: REFUSED, code: 'ITEM_IN_TRANSIT', items: [u[0]] },
      );
      // Units shipped to a pharmacy cannot be dispensed before they are received.
      await ship(m, p, [u[2]]);
      await refused(p, 'dispense', { items: [u[2]] }, { status: REFUSED, code: 'NOT_CUSTODIAN', items: [u[2]] });
    });

    it('ITEM_DISPENSED: a dispensed unit never moves again', async () => {
      const { units: u } = await stock(3);
      await deliver(m, p, u);
      await accept(t, p, 'dispense', { items: [u[0]] });
      await refused(p, 'dispense', { items: [u[1], u[0]] }, { status: REFUSED, code: 'ITEM_DISPENSED', items: [u[0]] });
      await refused(
        p,
        'ship',
        { shipmentId: nextShipmentId(), recipient: m.gln, items: [u[0]], reason: 'return', transaction },
        { status: REFUSED, code: 'ITEM_DISPENSED', items: [u[0]] },
      );
      await refused(
        p,
        'decommission',
        { items: [u[0], u[2]], reason: 'lost' },
        { status: REFUSED, code: 'ITEM_DISPENSED', items: [u[0]] },
      );
    });

    it('ITEM_DECOMMISSIONED and ITEM_DESTROYED: retired items stay retired', async () => {
      const { units: u } = await stock(4);
      await accept(t, m, 'decommission', { items: [u[0]], reason: 'sample' });
      await accept(t, m, 'destroy', { items: [u[1]], reason: 'damaged' });
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[2], u[0]], transaction },
        { status: REFUSED, code: 'ITEM_DECOMMISSIONED', items: [u[0]] },
      );
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[1], u[3]], transaction },
        { status: REFUSED, code: 'ITEM_DESTROYED', items: [u[1]] },
      );
      await refused(
        m,
        'destroy',
        { items: [u[0]], reason: 'expired' },
        { status: REFUSED, code: 'ITEM_DECOMMISSIONED', items: [u[0]] },
      );
      await refused(
        m,
        'decommission',
        { items: [u[1]], reason: 'other' },
        { status: REFUSED, code: 'ITEM_DESTROYED', items: [u[1]] },
      );
    });

    it('ITEM_EXPIRED: units past their expiry are not sold (a lot with DD=00 lasts to the month’s end)', async () => {
      const gtin = await registerProduct(t, m);
      await accept(t, m, 'commission', { gtin, lot: 'OLD', expiry: '240100', serials: ['OLD1', 'OLD2'] });
      await accept(t, m, 'commission', { gtin, lot: 'NEW', expiry: '301200', serials: ['NEW1'] });
      const [old1, old2, new1] = units(gtin, ['OLD1', 'OLD2', 'NEW1']);
      expect(await item(t, old1)).toMatchObject({ expiry: '2024-01-31' });
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [new1, old1, old2], transaction },
        { status: REFUSED, code: 'ITEM_EXPIRED', items: [old1, old2] },
      );
      // Not saleable, but the custodian may still take them out of the supply chain.
      await accept(t, m, 'destroy', { items: [old1], reason: 'expired' });
    });
  });

  describe('containers', () => {
    it('ITEM_IN_CONTAINER: a packed unit moves only with its container', async () => {
      const { units: u } = await stock(3);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: [u[0], u[1]] });
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[2], u[1]], transaction },
        { status: REFUSED, code: 'ITEM_IN_CONTAINER', items: [u[1]] },
      );
      await refused(
        m,
        'pack',
        { parent: m.newContainerCode(), children: [u[0], u[2]] },
        { status: REFUSED, code: 'ITEM_IN_CONTAINER', items: [u[0]] },
      );
    });

    it('ITEM_NOT_IN_CONTAINER: unpack names only children of that container', async () => {
      const { units: u } = await stock(3);
      const box = m.newContainerCode();
      const other = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: [u[0]] });
      await accept(t, m, 'pack', { parent: other, children: [u[1]] });
      await refused(
        m,
        'unpack',
        { parent: box, children: [u[0], u[1], u[2]] },
        { status: REFUSED, code: 'ITEM_NOT_IN_CONTAINER', items: [u[1], u[2]] },
      );
    });

    it('CONTAINMENT_CYCLE: a container cannot end up inside itself', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      const pallet = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await accept(t, m, 'pack', { parent: pallet, children: [box] });
      await refused(
        m,
        'pack',
        { parent: box, children: [box] },
        { status: REFUSED, code: 'CONTAINMENT_CYCLE', items: [box] },
      );
      // The pallet is (via nothing else) above the box: packing it into the box is a cycle.
      await accept(t, m, 'unpack', { parent: pallet });
      await accept(t, m, 'pack', { parent: pallet, children: [box] });
      await refused(
        m,
        'pack',
        { parent: box, children: [pallet] },
        { status: REFUSED, code: 'CONTAINMENT_CYCLE', items: [pallet] },
      );
    });

    it('NOT_A_CONTAINER cannot be provoked: a unit named as the parent is refused at validation', async () => {
      const { units: u } = await stock(1);
      await refused(m, 'unpack', { parent: u[0] }, { status: 400, code: 'VALIDATION_FAILED' });
      await refused(
        m,
        'pack',
        { parent: u[0], children: [m.newContainerCode()] },
        { status: 400, code: 'VALIDATION_FAILED' },
      );
    });

    it('NOT_A_UNIT: a container is not dispensed', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, p, [box]);
      await refused(p, 'dispense', { items: [u[0], box] }, { status: REFUSED, code: 'NOT_A_UNIT', items: [box] });
    });

    it('a container’s contents move with it, at any depth, and can be dispensed from the opened case', async () => {
      const { units: u } = await stock(4);
      const [case1, case2, pallet] = [m.newContainerCode(), m.newContainerCode(), m.newContainerCode()];
      await accept(t, m, 'pack', { parent: case1, children: [u[0], u[1]] });
      await accept(t, m, 'pack', { parent: case2, children: [u[2], u[3]] });
      await accept(t, m, 'pack', { parent: pallet, children: [case1, case2] });
      const shipmentId = await ship(m, d, [pallet]);
      for (const code of [pallet, case1, ...u]) {
        expect(await item(t, code)).toMatchObject({
          status: 'in_transit',
          custodian: m.gln,
          shipment: `${m.gln}:${shipmentId}`,
        });
      }
      await accept(t, d, 'receive', { shipper: m.gln, shipmentId, items: [pallet] });
      for (const code of [pallet, case2, ...u]) {
        expect(await item(t, code)).toMatchObject({
          status: 'active',
          custodian: d.gln,
          sellers: [m.gln],
          shipment: null,
        });
      }
      expect(await item(t, u[3])).toMatchObject({ parent: case2 });
      await accept(t, d, 'unpack', { parent: pallet });
      await deliver(d, p, [case1]);
      await accept(t, p, 'dispense', { items: [u[0]] });
      expect(await item(t, u[0])).toMatchObject({ status: 'dispensed', custodian: p.gln, parent: null });
      expect(await item(t, u[1])).toMatchObject({ status: 'active', custodian: p.gln, parent: case1 });
      expect(await item(t, u[2])).toMatchObject({ custodian: d.gln, parent: case2 });
    });
  });

  describe('shipments', () => {
    it('RECIPIENT_UNKNOWN: goods go to registered trading partners only (not regulators)', async () => {
      const { units: u } = await stock(1);
      const body = { shipmentId: nextShipmentId(), items: u, transaction };
      await refused(m, 'ship', { ...body, recipient: newGln() }, { status: REFUSED, code: 'RECIPIENT_UNKNOWN' });
      await refused(m, 'ship', { ...body, recipient: r.gln }, { status: REFUSED, code: 'RECIPIENT_UNKNOWN' });
    });

    it('RECIPIENT_IS_SHIPPER: a party cannot ship to itself', async () => {
      const { units: u } = await stock(1);
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: m.gln, items: u, transaction },
        { status: REFUSED, code: 'RECIPIENT_IS_SHIPPER' },
      );
    });

    it('SHIPMENT_EXISTS: a shipper uses each shipment id once', async () => {
      const { units: u } = await stock(2);
      const shipmentId = await ship(m, d, [u[0]]);
      await refused(
        m,
        'ship',
        { shipmentId, recipient: p.gln, items: [u[1]], transaction },
        { status: REFUSED, code: 'SHIPMENT_EXISTS' },
      );
    });

    it('SHIPMENT_UNKNOWN: only a shipment that exists can be received', async () => {
      const { units: u } = await stock(1);
      await refused(
        d,
        'receive',
        { shipper: m.gln, shipmentId: 'NO-SUCH', items: u },
        { status: REFUSED, code: 'SHIPMENT_UNKNOWN' },
      );
    });

    it('NOT_RECIPIENT: only the named recipient receives', async () => {
      const { units: u } = await stock(1);
      const shipmentId = await ship(m, d, u);
      await refused(p, 'receive', { shipper: m.gln, shipmentId, items: u }, { status: REFUSED, code: 'NOT_RECIPIENT' });
      await refused(m, 'receive', { shipper: m.gln, shipmentId, items: u }, { status: REFUSED, code: 'NOT_RECIPIENT' });
    });

    it('SHIPMENT_ALREADY_RECEIVED: a shipment is received once', async () => {
      const { units: u } = await stock(1);
      const shipmentId = await deliver(m, d, u);
      await refused(
        d,
        'receive',
        { shipper: m.gln, shipmentId, items: u },
        { status: REFUSED, code: 'SHIPMENT_ALREADY_RECEIVED' },
      );
    });

    it('a unit missing from a receipt can be written off by its shipper as lost or stolen, and only so', async () => {
      const { units: u } = await stock(2);
      const shipmentId = await ship(m, d, u);
      await accept(t, d, 'receive', { shipper: m.gln, shipmentId, items: [u[0]] });
      expect(await item(t, u[1])).toMatchObject({ custodian: m.gln, status: 'in_transit' });
      await refused(
        d,
        'decommission',
        { items: [u[1]], reason: 'lost' },
        { status: REFUSED, code: 'NOT_CUSTODIAN', items: [u[1]] },
      );
      await refused(
        m,
        'decommission',
        { items: [u[1]], reason: 'damaged' },
        { status: REFUSED, code: 'ITEM_IN_TRANSIT', items: [u[1]] },
      );
      await accept(t, m, 'decommission', { items: [u[1]], reason: 'lost' });
      expect(await item(t, u[1])).toMatchObject({ custodian: m.gln, status: 'decommissioned', shipment: null });
      // A unit still on its way (its shipment not yet received) is not "lost".
      const [other] = (await stock(1)).units;
      await ship(m, d, [other]);
      await refused(
        m,
        'decommission',
        { items: [other], reason: 'stolen' },
        { status: REFUSED, code: 'ITEM_IN_TRANSIT', items: [other] },
      );
    });

    it('a receipt may name what is inside a container it lists: no discrepancy', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      const shipmentId = await ship(m, d, [box]);
      await accept(t, d, 'receive', { shipper: m.gln, shipmentId, items: [box, u[0]] });
      const row = (
        await db.query('SELECT discrepancy FROM shipment WHERE shipper = $1 AND shipment_id = $2', [m.gln, shipmentId])
      ).rows[0] as { discrepancy: unknown };
      expect(row.discrepancy).toBeNull();
      expect(await item(t, u[0])).toMatchObject({ custodian: d.gln, status: 'active' });
    });

    it('a receipt that does not match is accepted, recorded, and raises a discrepancy alert for both parties and regulators', async () => {
      const { units: u } = await stock(5);
      const stranger = units(m.gtin(m.nextItemReference()), ['NEVER'])[0];
      const shipmentId = await ship(m, d, [u[0], u[1], u[2]]);
      const before = await logSize(t);
      const receipt = await accept(t, d, 'receive', {
        shipper: m.gln,
        shipmentId,
        items: [u[0], u[1], u[3], stranger],
      });
      expect(await logSize(t)).toBe(before + 1);

      expect(await item(t, u[0])).toMatchObject({ custodian: d.gln, status: 'active', sellers: [m.gln] });
      expect(await item(t, u[1])).toMatchObject({ custodian: d.gln, status: 'active' });
      expect(await item(t, u[2])).toMatchObject({ custodian: m.gln }); // missing: not received
      expect(await item(t, u[3])).toMatchObject({ custodian: m.gln, status: 'active', shipment: null }); // extra: untouched
      const [row] = (
        await db.query('SELECT status, discrepancy FROM shipment WHERE id = $1', [`${m.gln}:${shipmentId}`])
      ).rows;
      expect(row).toEqual({ status: 'received', discrepancy: { missing: [u[2]], extra: [u[3], stranger] } });

      const expected = {
        kind: 'discrepancy',
        status: 'open',
        openedIndex: receipt.index,
        items: [u[2], u[3], stranger],
        details: expect.objectContaining({
          shipmentId,
          shipper: m.gln,
          recipient: d.gln,
          missing: [u[2]],
          extra: [u[3], stranger],
        }),
      };
      const seenBy = async (party: TestParty, path: string) =>
        (await t.http.get(`${path}?kind=discrepancy`).set(...party.auth)).body as { openedIndex: number }[];
      const mine = (alerts: { openedIndex: number }[]) => alerts.filter((a) => a.openedIndex === receipt.index);
      expect(mine(await seenBy(m, '/v1/manufacturers/me/alerts'))).toEqual([expect.objectContaining(expected)]);
      expect(mine(await seenBy(d, '/v1/distributors/me/alerts'))).toEqual([expect.objectContaining(expected)]);
      expect(mine(await seenBy(p, '/v1/dispensers/me/alerts'))).toEqual([]);
      // Regulators see every alert: the alert view regulators get, and over HTTP the open-alerts report, which
      // carries the history of the missing unit (the extra ones were not part of the shipment).
      const views = t.app.get(CustodyViewsService);
      const regulator = { kind: 'party' as const, gln: r.gln, role: 'regulator' as const, tokenId: 'test' };
      const forRegulator = await views.alerts(regulator, 'open', 'discrepancy', { limit: 1000, offset: 0 });
      expect(mine(forRegulator)).toEqual([expect.objectContaining(expected)]);
      const alertsReport = await t.http
        .get('/v1/reports/alerts?format=bundle')
        .set(...r.auth)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => done(null, text));
        });
      expect(alertsReport.status).toBe(200);
      const bundled = JSON.parse(alertsReport.body as string) as { items: { code: string }[] };
      expect(bundled.items.map((i) => i.code)).toContain(u[2]);
    });
  });

  describe('returns', () => {
    it('NOT_UPSTREAM: a return goes back to the party that sold the items', async () => {
      const { units: u } = await stock(2);
      await deliver(m, d, u);
      await deliver(d, p, u);
      await refused(
        p,
        'ship',
        { shipmentId: nextShipmentId(), recipient: m.gln, items: u, reason: 'return', transaction },
        { status: REFUSED, code: 'NOT_UPSTREAM', items: u },
      );
      const { units: fresh } = await stock(1);
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: fresh, reason: 'return', transaction },
        { status: REFUSED, code: 'NOT_UPSTREAM', items: fresh },
      );
    });

    it('NOT_UPSTREAM: units packed into a container received from the seller do not go back with it', async () => {
      const { units: u } = await stock(2);
      const { units: theirs } = await stock(1, { maker: m2 });
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, d, [box]);
      await deliver(m2, d, theirs);
      await accept(t, d, 'pack', { parent: box, children: theirs });
      await refused(
        d,
        'ship',
        { shipmentId: nextShipmentId(), recipient: m.gln, items: [box], reason: 'return', transaction },
        { status: REFUSED, code: 'NOT_UPSTREAM', items: theirs },
      );
      await accept(t, d, 'unpack', { parent: box, children: theirs });
      await deliver(d, m, [box], 'return');
      expect(await item(t, u[1])).toMatchObject({ custodian: m.gln, parent: box, returnPending: true });
    });

    it('RETURN_NOT_VERIFIED: a returned unit is saleable again only after a clean verification by its custodian', async () => {
      const { units: u } = await stock(2);
      await deliver(m, d, u);
      await deliver(d, p, u);
      const early = new Date();
      await deliver(p, d, [u[0]], 'return');
      expect(await item(t, u[0])).toMatchObject({ custodian: d.gln, returnPending: true });
      const resale = () => ({ shipmentId: nextShipmentId(), recipient: p.gln, items: [u[0]], transaction });
      await refused(d, 'ship', resale(), { status: REFUSED, code: 'RETURN_NOT_VERIFIED', items: [u[0]] });
      // None of these counts: a verification before the return arrived, by another party, or one that failed.
      await recordVerification(db, d.gln, u[0], { at: early });
      await recordVerification(db, p.gln, u[0]);
      await recordVerification(db, d.gln, u[0], { verified: false });
      await refused(d, 'ship', resale(), { status: REFUSED, code: 'RETURN_NOT_VERIFIED', items: [u[0]] });

      await recordVerification(db, d.gln, u[0]);
      const shipmentId = await ship(d, p, [u[0]]);
      await accept(t, p, 'receive', { shipper: d.gln, shipmentId, items: [u[0]] });
      expect(await item(t, u[0])).toMatchObject({ custodian: p.gln, returnPending: false });
    });

    it('a returned container is saleable again once the units in it are verified', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, d, [box]);
      await deliver(d, m, [box], 'return');
      expect(await item(t, box)).toMatchObject({ custodian: m.gln, returnPending: false });
      const resale = () => ({ shipmentId: nextShipmentId(), recipient: d.gln, items: [box], transaction });
      await refused(m, 'ship', resale(), { status: REFUSED, code: 'RETURN_NOT_VERIFIED', items: u });
      for (const unit of u) await recordVerification(db, m.gln, unit);
      await accept(t, m, 'ship', resale());
    });

    it('NOT_UPSTREAM: a return carries units; containers holding none are not a return', async () => {
      const { units: u } = await stock(1);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, d, [box]);
      await deliver(d, p, [box]);
      await accept(t, p, 'unpack', { parent: box, children: u });
      await refused(
        p,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p2.gln, items: [box], reason: 'return', transaction },
        { status: REFUSED, code: 'NOT_UPSTREAM', items: [box] },
      );
    });

    it('RETURN_NOT_VERIFIED: a pharmacy does not dispense a unit returned to it until it verified it', async () => {
      const { units: u } = await stock(1);
      await deliver(m, p, u);
      await deliver(p, p2, u);
      await deliver(p2, p, u, 'return');
      await refused(p, 'dispense', { items: u }, { status: REFUSED, code: 'RETURN_NOT_VERIFIED', items: u });
      await recordVerification(db, p.gln, u[0]);
      await accept(t, p, 'dispense', { items: u });
    });
  });

  describe('recalls', () => {
    it('ITEM_RECALLED: units of a recalled lot are neither sold nor dispensed, also inside a container', async () => {
      const { gtin, units: u } = await stock(4);
      await accept(t, m, 'commission', { gtin, lot: 'GOOD', expiry: '301231', serials: ['G1'] });
      const good = units(gtin, ['G1'])[0];
      await deliver(m, d, [u[0], u[1], u[2]]);
      await deliver(d, p, [u[0]]);
      const box = m.newContainerCode();
      await accept(t, d, 'pack', { parent: box, children: [u[1], u[2]] });
      await accept(t, m, 'recall', { gtin, lots: ['L1'], reason: 'sub-potent', classification: 'II' });

      await refused(p, 'dispense', { items: [u[0]] }, { status: REFUSED, code: 'ITEM_RECALLED', items: [u[0]] });
      await refused(
        d,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: [box], transaction },
        { status: REFUSED, code: 'ITEM_RECALLED', items: [u[1], u[2]] },
      );
      await refused(
        m,
        'ship',
        { shipmentId: nextShipmentId(), recipient: d.gln, items: [good, u[3]], transaction },
        { status: REFUSED, code: 'ITEM_RECALLED', items: [u[3]] },
      );
    });

    it('a recalled unit CAN be returned to its seller, who may not push it back down the chain as a "return"', async () => {
      const { gtin, units: u } = await stock(2);
      await deliver(m, d, u);
      await deliver(d, p, u);
      await accept(t, m, 'recall', { gtin, lots: ['L1'], reason: 'contamination', classification: 'I' });
      await deliver(p, d, u, 'return');
      expect(await item(t, u[0])).toMatchObject({ custodian: d.gln, status: 'active', returnPending: true });
      await refused(
        d,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: u, reason: 'return', transaction },
        { status: REFUSED, code: 'NOT_UPSTREAM', items: u },
      );
      await accept(t, d, 'destroy', { items: u, reason: 'recalled' });
      // Straight from the manufacturer's first buyer, a recalled unit goes back to the manufacturer.
      const { gtin: gtin2, units: v } = await stock(1);
      await deliver(m, d, v);
      await accept(t, m, 'recall', { gtin: gtin2, lots: ['L1'], reason: 'contamination' });
      await deliver(d, m, v, 'return');
      expect(await item(t, v[0])).toMatchObject({ custodian: m.gln, status: 'active', returnPending: true });
    });

    it('a return goes up the chain hop by hop: pharmacy → distributor → manufacturer, never back down', async () => {
      const { units: u } = await stock(1);
      await deliver(m, d, u);
      await deliver(d, p, u);
      await deliver(p, d, u, 'return');
      expect(await item(t, u[0])).toMatchObject({ custodian: d.gln, sellers: [m.gln], returnPending: true });
      await deliver(d, m, u, 'return');
      expect(await item(t, u[0])).toMatchObject({ custodian: m.gln, sellers: [], returnPending: true });
    });

    it('NOT_MANUFACTURER: only the product’s manufacturer recalls it', async () => {
      const { gtin } = await stock(1);
      await refused(m2, 'recall', { gtin, lots: ['L1'], reason: 'x' }, { status: REFUSED, code: 'NOT_MANUFACTURER' });
      await accept(t, m, 'recall', { gtin, lots: ['L1'], reason: 'x' });
      await refused(
        m2,
        'recall-lift',
        { gtin, lots: ['L1'], reason: 'x' },
        { status: REFUSED, code: 'NOT_MANUFACTURER' },
      );
    });

    it('LOT_UNKNOWN, LOT_ALREADY_RECALLED, LOT_NOT_RECALLED', async () => {
      const { gtin } = await stock(1);
      await accept(t, m, 'commission', { gtin, lot: 'L2', expiry: '301231', serials: ['X2'] });
      await refused(m, 'recall', { gtin, lots: ['L1', 'NOPE'], reason: 'x' }, { status: REFUSED, code: 'LOT_UNKNOWN' });
      await refused(
        m,
        'recall-lift',
        { gtin, lots: ['L1'], reason: 'x' },
        { status: REFUSED, code: 'LOT_NOT_RECALLED' },
      );
      await accept(t, m, 'recall', { gtin, lots: ['L1'], reason: 'x' });
      await refused(
        m,
        'recall',
        { gtin, lots: ['L2', 'L1'], reason: 'again' },
        { status: REFUSED, code: 'LOT_ALREADY_RECALLED' },
      );
      await refused(
        m,
        'recall-lift',
        { gtin, lots: ['L1', 'L2'], reason: 'x' },
        { status: REFUSED, code: 'LOT_NOT_RECALLED' },
      );
    });
  });

  describe('holds', () => {
    it('ITEM_QUARANTINED: a suspect unit is not sold, dispensed or packed, nor quarantined twice', async () => {
      const { units: u } = await stock(3);
      await deliver(m, p, u);
      await accept(t, p, 'quarantine', { items: [u[1]], reason: 'seal broken' });
      await refused(
        p,
        'dispense',
        { items: [u[0], u[1]] },
        { status: REFUSED, code: 'ITEM_QUARANTINED', items: [u[1]] },
      );
      await refused(
        p,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p2.gln, items: [u[1], u[2]], transaction },
        { status: REFUSED, code: 'ITEM_QUARANTINED', items: [u[1]] },
      );
      await refused(
        p,
        'pack',
        { parent: m.newContainerCode(), children: [u[1]] },
        { status: REFUSED, code: 'ITEM_QUARANTINED', items: [u[1]] },
      );
      await refused(
        p,
        'quarantine',
        { items: [u[1]], reason: 'again' },
        { status: REFUSED, code: 'ITEM_QUARANTINED', items: [u[1]] },
      );
    });

    it('ITEM_ILLEGITIMATE: confirmed illegitimate product does not move', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, d, [box]);
      await accept(t, d, 'illegitimate', { items: [u[0]], report });
      await refused(
        d,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: [box], transaction },
        { status: REFUSED, code: 'ITEM_ILLEGITIMATE', items: [u[0]] },
      );
    });

    it('NOT_PERMITTED: holds are placed by the custodian, the manufacturer or a regulator; lifted by the latter two', async () => {
      const { units: u } = await stock(3);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: [u[0], u[1]] });
      // The box is judged by the units in it: those are the items named.
      await refused(
        d,
        'quarantine',
        { items: [box], reason: 'rumour' },
        {
          status: REFUSED,
          code: 'NOT_PERMITTED',
          items: [u[0], u[1]],
        },
      );
      await refused(
        d,
        'illegitimate',
        { items: [u[2]], report },
        { status: REFUSED, code: 'NOT_PERMITTED', items: [u[2]] },
      );
      await accept(t, r, 'quarantine', { items: [u[2]], reason: 'FDA inquiry' });
      await refused(
        m2,
        'clear',
        { items: [u[2]], reason: 'not mine' },
        { status: REFUSED, code: 'NOT_PERMITTED', items: [u[2]] },
      );
      await accept(t, r, 'clear', { items: [u[2]], reason: 'inquiry closed' });
      expect(await item(t, u[2])).toMatchObject({ hold: null });
    });

    it('NOT_ON_HOLD: clear names the items that are not on hold', async () => {
      const { units: u } = await stock(3);
      await accept(t, m, 'quarantine', { items: [u[0]], reason: 'check' });
      await refused(
        m,
        'clear',
        { items: [u[0], u[1], u[2]], reason: 'ok' },
        { status: REFUSED, code: 'NOT_ON_HOLD', items: [u[1], u[2]] },
      );
      await accept(t, m, 'clear', { items: [u[0]], reason: 'ok' });
    });

    const holdAlert = async (openedIndex: number) =>
      (await db.query('SELECT status, closed_idx FROM alert WHERE opened_idx = $1', [openedIndex])).rows[0] as {
        status: string;
        closed_idx: number | null;
      };

    it('a hold alert stays open until every item it put on hold is cleared', async () => {
      const { units: u } = await stock(2);
      const opened = await accept(t, r, 'quarantine', { items: u, reason: 'FDA inquiry' });
      await accept(t, m, 'clear', { items: [u[0]], reason: 'first one checked' });
      expect(await item(t, u[1])).toMatchObject({ hold: 'quarantined' });
      expect(await holdAlert(opened.index)).toMatchObject({ status: 'open' });
      const last = await accept(t, m, 'clear', { items: [u[1]], reason: 'second one checked' });
      expect(await holdAlert(opened.index)).toEqual({ status: 'closed', closed_idx: last.index });
    });

    it('NOT_PERMITTED: a container holding no units is put on hold or cleared only by its custodian or a regulator', async () => {
      const { units: u } = await stock(2);
      const box = m.newContainerCode();
      await accept(t, m, 'pack', { parent: box, children: u });
      await deliver(m, d, [box]);
      const opened = await accept(t, r, 'quarantine', { items: [box], reason: 'FDA inquiry' });
      await accept(t, d, 'unpack', { parent: box, children: u });
      // The box is empty now: a manufacturer with nothing in it may not lift its hold (nor close the alert).
      await refused(
        m2,
        'clear',
        { items: [box], reason: 'not mine' },
        { status: REFUSED, code: 'NOT_PERMITTED', items: [box] },
      );
      expect(await holdAlert(opened.index)).toMatchObject({ status: 'open' });
      // Nor may a party that does not hold an empty container put it on hold.
      const spare = m.newContainerCode();
      const { units: v } = await stock(1);
      await accept(t, m, 'pack', { parent: spare, children: v });
      await accept(t, m, 'unpack', { parent: spare, children: v });
      await refused(
        d,
        'quarantine',
        { items: [spare], reason: 'rumour' },
        { status: REFUSED, code: 'NOT_PERMITTED', items: [spare] },
      );
      await accept(t, m, 'quarantine', { items: [spare], reason: 'damaged seal' });
      await accept(t, m, 'clear', { items: [spare], reason: 'resealed' });
    });
    it('ACTOR_ROLE_NOT_ALLOWED: each event type is signed by its roles only', async () => {
      const { gtin, units: u } = await stock(2);
      await deliver(m, d, u);
      const forbidden = { status: FORBIDDEN, code: 'ACTOR_ROLE_NOT_ALLOWED' };
      await refused(d, 'dispense', { items: [u[0]] }, forbidden);
      await refused(p, 'commission', { gtin, lot: 'L9', expiry: '301231', serials: ['P1'] }, forbidden);
      await refused(d, 'product.register', { gtin: m.gtin(m.nextItemReference()), ...productDetails }, forbidden);
      await refused(d, 'recall', { gtin, lots: ['L1'], reason: 'x' }, forbidden);
      await refused(
        r,
        'ship',
        { shipmentId: nextShipmentId(), recipient: p.gln, items: [u[0]], transaction },
        forbidden,
      );
      await refused(d, 'clear', { items: [u[0]], reason: 'x' }, forbidden);
      await refused(m, 'prefix.grant', { gln: m.gln, prefix: '0398765' }, forbidden);
    });
  });

  describe('a refused event inside a batch', () => {
    it('changes nothing, so the events after it see the state as if it had never been sent', async () => {
      const { gtin, units: u } = await stock(2);
      const ghost = units(gtin, ['GHOST'])[0];
      const good = m.event('ship', { shipmentId: nextShipmentId(), recipient: p.gln, items: [u[0]], transaction });
      const bad = m.event('ship', {
        shipmentId: nextShipmentId(),
        recipient: d.gln,
        items: [u[1], ghost],
        transaction,
      });
      const after = m.event('ship', { shipmentId: nextShipmentId(), recipient: d.gln, items: [u[1]], transaction });
      const before = await logSize(t);
      const answer = await postBatch(t, m, [good, bad, after]);
      expect(answer.results.map((x) => x.accepted)).toEqual([true, false, true]);
      expectRefusal(
        { status: REFUSED, body: answer.results[1] as never },
        { status: REFUSED, code: 'ITEM_UNKNOWN', items: [ghost] },
      );
      expect(await logSize(t)).toBe(before + 2);
      expect(await item(t, u[1])).toMatchObject({
        status: 'in_transit',
        shipment: `${m.gln}:${after.event.body.shipmentId}`,
      });
    });
  });
});
