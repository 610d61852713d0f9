/**
 * A browser's device key (issue 13 §1) is a party key whose `key.add` names the device and the person (PROTOCOL
 * §3.4). Nothing may enter the log that a reader cannot read: an event signed by a device key, and the device's
 * `key.add` and `key.revoke`, must verify in an exported evidence bundle (`verifyBundleText`, what `rxledger
 * verify-bundle` runs, the rules shared with the server), before and after the revocation, and the EPCIS and CSV
 * forms of the same report must carry the event.
 */
import { verifyBundleText } from '../../src/bundle';
import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { newAdministrator, newStaff } from '../support/people';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

describe('a device-signed event in exported reports', () => {
  let t: TestApp;
  let pharmacy: TestParty;
  let regulator: TestParty;
  let gtin: string;
  let vkey: string;

  beforeAll(async () => {
    t = await createTestApp();
    const partners = await newTradingPartners(t);
    ({ pharmacy, regulator } = partners);
    const m = partners.manufacturer;
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'DK1', expiry: '291231', serials: ['D1', 'D2'] });
    await accept(t, m, 'ship', {
      shipmentId: 'S-DK',
      recipient: pharmacy.gln,
      items: units(gtin, ['D1', 'D2']),
      transaction,
    });
    await accept(t, pharmacy, 'receive', { shipper: m.gln, shipmentId: 'S-DK', items: units(gtin, ['D1', 'D2']) });
  });
  afterAll(() => t.close());

  const report = (format: string) =>
    t.http
      .get('/v1/reports/serial')
      .query({ gtin, serial: 'D1', format })
      .set('Authorization', `Bearer ${regulator.token}`)
      .buffer(true);

  async function expectVerifies(): Promise<{ registry: { event: { type: string; body: unknown } }[] }> {
    await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
    const response = await report('bundle');
    expect(response.status).toBe(200);
    const verdict = verifyBundleText(response.text, vkey, { verifySignature: verifyStrictNode });
    expect(verdict.failures).toEqual([]);
    expect(verdict.ok).toBe(true);
    return JSON.parse(response.text) as { registry: { event: { type: string; body: unknown } }[] };
  }

  it('verifies offline with the device key.add (naming device and person), and after its revocation', async () => {
    const admin = await newAdministrator(t, pharmacy);
    const staff = await newStaff(t, admin, 'Counter Staff');
    const secretKey = generateSecretKey();
    const added = await staff.post('/app/devices', {
      publicKey: bytesToBase64(publicKeyOf(secretKey)),
      label: 'till 2 — Zürich',
    });
    expect(added.status).toBe(201);
    const device = new TestParty(pharmacy.gln, 'dispenser', secretKey, '');
    const quarantined = await staff.post(
      '/v1/events',
      device.event('quarantine', { items: units(gtin, ['D1']), reason: 'seal torn' }),
    );
    expect(quarantined.status).toBe(201);

    const bundle = await expectVerifies();
    const keyAdd = bundle.registry.find(
      (entry) => entry.event.type === 'key.add' && (entry.event.body as { device?: unknown }).device,
    );
    expect(keyAdd?.event.body).toMatchObject({ device: { label: 'till 2 — Zürich', person: staff.person.id } });

    expect((await admin.delete(`/app/devices/${added.body.id}`)).status).toBe(200);
    await expectVerifies();

    for (const format of ['epcis', 'csv', 'pdf']) {
      const response = await report(format);
      expect([format, response.status]).toEqual([format, 200]);
    }
    expect((await report('csv')).text).toContain(',quarantine,');
  });
});
