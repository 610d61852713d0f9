/**
 * GET /v1/receiving/shipment (issue 13 §2, the scan page's receiving mode): a shipment to me with what it carries,
 * each shipped container followed by its contents, so the page can count expected against scanned.
 */
import {
  accept,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

describe('GET /v1/receiving/shipment', () => {
  let t: TestApp;
  let m: TestManufacturer;
  let p: TestParty;
  let d: TestParty;
  let gtin: string;
  let caseCode: string;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, pharmacy: p, distributor: d } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '291231', serials: ['C1', 'C2', 'U1'] });
    caseCode = m.newContainerCode();
    await accept(t, m, 'pack', { parent: caseCode, children: units(gtin, ['C1', 'C2']) });
    await accept(t, m, 'ship', {
      shipmentId: 'ASN/1',
      recipient: p.gln,
      items: [caseCode, ...units(gtin, ['U1'])],
      transaction,
    });
  });
  afterAll(() => t.close());

  const ask = (party: TestParty, shipper: string, shipmentId: string) =>
    t.http
      .get('/v1/receiving/shipment')
      .query({ shipper, shipmentId })
      .set(...party.auth);

  it('the recipient sees the shipped items, the case followed by the units in it', async () => {
    const answer = await ask(p, m.gln, 'ASN/1');
    expect(answer.status).toBe(200);
    expect(answer.body.shipment).toMatchObject({ shipmentId: 'ASN/1', shipper: m.gln, recipient: p.gln });
    expect(answer.body.unitCount).toBe(3);
    expect(
      answer.body.items.map((i: { code: string; container: string | null; units?: number }) => [
        i.code,
        i.container,
        i.units,
      ]),
    ).toEqual([
      [caseCode, null, 2],
      [units(gtin, ['C1'])[0], caseCode, undefined],
      [units(gtin, ['C2'])[0], caseCode, undefined],
      [units(gtin, ['U1'])[0], null, undefined],
    ]);
    expect(answer.body.items[1]).toMatchObject({ kind: 'unit', lot: 'L1', product: 'Amoxicillin', serial: 'C1' });
  });

  it("another party's shipment reads as none (404), the shipment id and GLN are validated (400)", async () => {
    expect((await ask(d, m.gln, 'ASN/1')).status).toBe(404);
    expect((await ask(p, m.gln, 'ASN-none')).body.error.code).toBe('NOT_FOUND');
    const bad = await ask(p, '123', 'a b');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
});
