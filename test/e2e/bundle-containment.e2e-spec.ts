/**
 * PROTOCOL §9, containment context: a unit packed into a case that is already on a pallet (in an outer box) is moved
 * by the pallet's later ship and receive, so its serial and lot bundles carry the packs that built that chain, and
 * verify offline (`verifyBundleText`, what `rxledger verify-bundle` runs). Before, such a bundle failed ("the items'
 * histories list this ship event, but it does not act on them"): a reader could not read what the log had accepted.
 */
import { verifyBundleText } from '../../src/bundle';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

describe('bundles of a unit packed into a container already packed', () => {
  let t: TestApp;
  let regulator: TestParty;
  let distributor: TestParty;
  let gtin: string;
  let vkey: string;
  let chainPacks: number[];

  beforeAll(async () => {
    t = await createTestApp();
    const partners = await newTradingPartners(t);
    ({ regulator, distributor } = partners);
    const m = partners.manufacturer;
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'FILL', expiry: '291231', serials: ['F1'] });
    const [kase, pallet, outer] = [m.newContainerCode(), m.newContainerCode(), m.newContainerCode()];
    await accept(t, m, 'pack', { parent: kase, children: units(gtin, ['F1']) });
    chainPacks = [
      (await accept(t, m, 'pack', { parent: pallet, children: [kase] })).index,
      (await accept(t, m, 'pack', { parent: outer, children: [pallet] })).index,
    ];
    await accept(t, m, 'commission', { gtin, lot: 'LATE', expiry: '291231', serials: ['U1', 'U2'] });
    await accept(t, m, 'pack', { parent: kase, children: units(gtin, ['U1', 'U2']) });
    await accept(t, m, 'ship', { shipmentId: 'S-C', recipient: distributor.gln, items: [outer], transaction });
    await accept(t, distributor, 'receive', { shipper: m.gln, shipmentId: 'S-C', items: [outer] });
    await accept(t, distributor, 'unpack', { parent: outer }, true);
    await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
  });
  afterAll(() => t.close());

  const bundle = async (path: string, query: Record<string, string>, party: TestParty) => {
    const response = await t.http
      .get(path)
      .query(query)
      .set(...party.auth)
      .buffer(true);
    expect(response.status).toBe(200);
    return response.text;
  };

  it.each([
    ['a serial, exported by the regulator', '/v1/reports/serial', { serial: 'U1' }, () => regulator],
    ['the lot, exported by the regulator', '/v1/reports/lot', { lot: 'LATE' }, () => regulator],
    ['a serial, exported by the distributor', '/v1/reports/serial', { serial: 'U2' }, () => distributor],
  ])('%s: carries the packs that built the chain and verifies offline', async (_, path, query, party) => {
    const text = await bundle(path, { gtin, ...query }, party());
    const report = verifyBundleText(text, vkey, { verifySignature: verifyStrictNode });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    const carried = (JSON.parse(text) as { events: { index: number }[] }).events.map((e) => e.index);
    expect(carried).toEqual(expect.arrayContaining(chainPacks));
    // Context only: the units' histories do not list the packs that happened before they entered the case.
    const items = (JSON.parse(text) as { items: { history: number[] }[] }).items;
    for (const item of items) expect(item.history).not.toEqual(expect.arrayContaining([chainPacks[0]]));
  });
});
