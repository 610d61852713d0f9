/**
 * Issue 13 §2, the card's actions: the events web/src/scan/actions.ts builds, signed by the browser's device-key code
 * (web/src/common/device-key.ts, WebCrypto, here Node's) and posted as the page posts them, are accepted by a real
 * server and are in its log as PROTOCOL.md §7.2 defines them: quarantine (`reason`), illegitimate (the FDA Form 3911
 * `report`), a return (`ship`, `reason: "return"`, to the chosen trading partner) and a dispense.
 */
import { signEvent, StoredDeviceKey, useDeviceKeyStore } from '../../web/src/common/device-key';
import {
  dispenseEvent,
  illegitimateEvent,
  postSignedEvent,
  quarantineEvent,
  returnEvent,
} from '../../web/src/scan/actions';
import { bytesToBase64, hexToBytes } from '../../src/bytes';
import { keyIdOf } from '../../src/signing/event-signing';
import { AddressInfo } from 'node:net';
import {
  accept,
  listening,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

/** The party's Ed25519 seed as a non-extractable WebCrypto key (PKCS#8 of RFC 8410), as the device store keeps one. */
async function asDeviceKey(party: TestParty): Promise<StoredDeviceKey> {
  const pkcs8 = new Uint8Array([...hexToBytes('302e020100300506032b657004220420'), ...party.secretKey]);
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
  const publicKey = party.publicKey;
  return {
    keyId: keyIdOf(publicKey),
    label: 'counter',
    gln: party.gln,
    publicKey: bytesToBase64(publicKey),
    privateKey,
  };
}

describe("scan card actions: signed in the browser's code, accepted and logged", () => {
  let t: TestApp;
  let m: TestManufacturer;
  let p: TestParty;
  let d: TestParty;
  let gtin: string;
  let origin: string;

  beforeAll(async () => {
    t = await createTestApp();
    await listening(t.app);
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    ({ manufacturer: m, pharmacy: p, distributor: d } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '291231', serials: ['Q1', 'I1', 'R1', 'D1'] });
    const items = units(gtin, ['Q1', 'I1', 'R1', 'D1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items });
    const key = await asDeviceKey(p);
    useDeviceKeyStore({
      get: () => Promise.resolve(key),
      put: () => Promise.resolve(),
      delete: () => Promise.resolve(),
    });
  });
  afterAll(() => t.close());

  const post = async (unsigned: Parameters<typeof signEvent>[0]) => {
    const signed = await signEvent(unsigned);
    const receipt = await postSignedEvent(signed, { token: p.token, origin });
    const entry = await t.http.get(`/v1/log/entries/${receipt.index}`).set(...p.auth);
    expect(entry.status).toBe(200);
    expect(entry.body.signature).toBe(signed.signature);
    return entry.body.event as { type: string; actor: string; body: Record<string, unknown> };
  };

  it('quarantine: the hold with its reason; the verify answer then proves it', async () => {
    const event = await post(quarantineEvent({ gtin, serial: 'Q1' }, 'torn seal'));
    expect(event).toMatchObject({ type: 'quarantine', actor: p.gln, body: { reason: 'torn seal' } });
    const answer = await t.http
      .get('/v1/verify')
      .query({ gtin, serial: 'Q1' })
      .set(...p.auth);
    expect(answer.body.reasons.map((r: { code: string }) => r.code)).toContain('QUARANTINED');
  });

  it('illegitimate: the Form 3911 report', async () => {
    const report = {
      reportType: 'initial' as const,
      classification: 'counterfeit' as const,
      description: 'blister foil print differs',
      contact: { name: 'A. Pharmacist', phone: '+1 555 0100' },
    };
    const event = await post(illegitimateEvent({ gtin, serial: 'I1' }, report));
    expect(event).toMatchObject({ type: 'illegitimate', body: { report } });
  });

  it("the Form 3911 fields the page requires are the server's too: each missing one is refused, naming it", async () => {
    const report = {
      reportType: 'initial',
      classification: 'counterfeit',
      description: 'blister foil print differs',
      contact: { name: 'A. Pharmacist' },
    };
    const refusals = [
      [{ reportType: 'initial', description: 'x', contact: { name: 'A' } }, 'report.classification'],
      [{ ...report, description: '' }, 'report.description'],
      [{ ...report, contact: { name: '' } }, 'report.contact.name'],
      [{ ...report, contact: { name: 'A', phone: 'call me' } }, 'report.contact.phone'],
    ] as const;
    for (const [body, field] of refusals) {
      const signed = await signEvent({
        id: `illegitimate:${field}`,
        type: 'illegitimate',
        time: new Date().toISOString(),
        body: { items: units(gtin, ['I1']), report: body },
      });
      const refused = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(signed);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(refused.body.error.details)).toContain(field);
    }
  });

  it('a return: ship with reason return to the chosen trading partner (the seller, §7.3)', async () => {
    const event = await post(returnEvent({ gtin, serial: 'R1' }, m.gln));
    expect(event).toMatchObject({ type: 'ship', body: { reason: 'return', recipient: m.gln } });
  });

  it('a return to a party that did not sell the unit is refused', async () => {
    await expect(
      postSignedEvent(await signEvent(returnEvent({ gtin, serial: 'R1' }, d.gln)), { token: p.token, origin }),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('dispense', async () => {
    const event = await post(dispenseEvent({ gtin, serial: 'D1' }));
    expect(event).toMatchObject({ type: 'dispense', body: { items: units(gtin, ['D1']) } });
  });

  it('a refusal comes back as a coded error', async () => {
    await expect(
      postSignedEvent(await signEvent(dispenseEvent({ gtin, serial: 'D1' })), { token: p.token, origin }),
    ).rejects.toMatchObject({ status: 422 });
  });
});
