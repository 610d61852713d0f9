import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { importEpcisXmlFile } from '../../src/cli/epcis.command';
import { bytesToBase64 } from '../../src/bytes';
import { readGlnUri } from '../../src/epcis';
import { fromEpcisXml } from '../../src/epcis/xml';
import { LedgerClient } from '../../src/sdk/client';
import { keyIdOf, signEvent } from '../../src/signing/event-signing';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import type { SigningKey } from '../../src/signing/key-file';
import { accept, newTradingPartners, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, testAddress, TestApp } from '../support/test-app';

const FIXTURES = join(__dirname, '../fixtures/epcis');
// The example's lot expired on 2025-03-27, and the ledger refuses to ship expired units (ITEM_EXPIRED): the test moves
// the expiry to 2029 in memory (the fixture's bytes stay GS1's).
const US_EXAMPLE = readFileSync(join(FIXTURES, 'dscsa-1.2/openepcis__GS1_US_Pharma_Example_2_2_1_1.xml'), 'utf8')
  .split('<cbvmda:itemExpirationDate>2025-03-27<')
  .join('<cbvmda:itemExpirationDate>2029-03-27<');
const MFG = readGlnUri('urn:epc:id:sgln:030001.111111.0');
const MFG_DC = readGlnUri('urn:epc:id:sgln:030001.111121.0');
const WHOLESALER = readGlnUri('urn:epc:id:sgln:039999.999999.0');

async function* chunksOf(text: string) {
  for (let i = 0; i < text.length; i += 4096) yield text.slice(i, i + 4096);
}

describe('EPCIS 1.2 XML (GS1 US DSCSA guideline) on a real server (issue 14)', () => {
  let t: TestApp;
  let url: string;
  const parties: Record<string, { key: SigningKey; token: string }> = {};

  async function register(gln: string, role: string) {
    const secretKey = generateSecretKey();
    const registered = await t.http
      .post('/v1/parties')
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({
        gln,
        name: `EPCIS ${role}`,
        role,
        address: testAddress,
        publicKeys: [bytesToBase64(publicKeyOf(secretKey))],
      });
    expect(registered.status).toBe(201);
    const token = await t.http
      .post(`/v1/parties/${gln}/tokens`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ label: 'tests' });
    const publicKey = publicKeyOf(secretKey);
    parties[gln] = { key: { secretKey, publicKey, keyId: keyIdOf(publicKey), gln }, token: token.body.token };
  }

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    await register(MFG, 'manufacturer');
    await register(WHOLESALER, 'distributor');
    const granted = await t.http
      .post(`/v1/manufacturers/${MFG}/prefixes`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ prefix: '030001' });
    expect(granted.status).toBe(201);
  });
  afterAll(() => t.close());

  const client = (gln: string) => new LedgerClient({ url, token: parties[gln].token });

  it('imports the guideline example (posted, signed by the manufacturer; re-imports are duplicates), the wholesaler’s receipt from the same document, a lot number discrepancy found on inspection (quarantine alert); the lot exported as EPCIS 1.2 XML imports back to the same bodies', async () => {
    const run = { key: parties[MFG].key, ownGlns: [MFG_DC], client: client(MFG) };
    const refusals: unknown[] = [];
    const report = await importEpcisXmlFile(chunksOf(US_EXAMPLE), run, { result: (r) => r.error && refusals.push(r) });
    expect(refusals).toEqual([]);
    expect(report).toMatchObject({ events: 6, accepted: 6, refused: 0, duplicates: 0, problems: [] });
    expect(report.unmapped.map((u) => u.eventIndex)).toEqual([2, 3, 4, 5]);
    const again = await importEpcisXmlFile(chunksOf(US_EXAMPLE), run);
    expect(again).toMatchObject({ accepted: 6, duplicates: 6, refused: 0 });

    // The wholesaler imports the same document when the pallet arrives: its receipt of the shipment (DEL100).
    const received = await importEpcisXmlFile(chunksOf(US_EXAMPLE), {
      key: parties[WHOLESALER].key,
      receiveAt: '2023-04-02T09:00:00-05:00',
      client: client(WHOLESALER),
    });
    expect(received).toMatchObject({ events: 1, accepted: 1, refused: 0 });
    const pallet = await t.http
      .get('/v1/distributors/me/inventory')
      .set('Authorization', `Bearer ${parties[WHOLESALER].token}`);
    expect(pallet.body).toMatchObject({ units: 3, containers: [{ code: '(00)403000112345678901', units: 3 }] });

    // Then inspects a case and finds the wrong lot (lot number discrepancy): a hold, and RxLedger's quarantine alert.
    const inspection =
      `<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2023-04-02T10:00:00Z">` +
      `<EPCISBody><EventList><ObjectEvent><eventTime>2023-04-02T10:00:00Z</eventTime><eventTimeZoneOffset>-05:00</eventTimeZoneOffset>` +
      `<epcList><epc>urn:epc:id:sgtin:030001.1012345.110</epc></epcList><action>OBSERVE</action>` +
      `<bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep><disposition>urn:epcglobal:cbv:disp:mismatch_class</disposition>` +
      `<bizLocation><id>urn:epc:id:sgln:039999.999999.0</id></bizLocation>` +
      `</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;
    const inspected = await importEpcisXmlFile(chunksOf(inspection), {
      key: parties[WHOLESALER].key,
      client: client(WHOLESALER),
    });
    expect(inspected).toMatchObject({ events: 1, accepted: 1, refused: 0 });
    const alerts = await t.http
      .get('/v1/distributors/me/alerts')
      .set('Authorization', `Bearer ${parties[WHOLESALER].token}`);
    expect(alerts.status).toBe(200);
    expect(JSON.stringify(alerts.body)).toMatch(/"kind":"quarantine"/);
    expect(JSON.stringify(alerts.body)).toMatch(/lot number discrepancy/);

    // Export the lot as EPCIS 1.2 XML (a report format), import it back: the same event bodies.
    let xml = '';
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await t.http
        .get('/v1/reports/lot')
        .query({ gtin: '00300010123455', lot: 'A123', format: 'epcis-xml' })
        .set('Authorization', `Bearer ${parties[MFG].token}`)
        .buffer(true)
        .parse((res, callback) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => callback(null, text));
        });
      if (response.status === 200) {
        expect(response.headers['content-type']).toMatch(/application\/xml/);
        xml = response.body as string;
        break;
      }
      expect([response.status, response.body]).toEqual([503, expect.anything()]);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const original = fromEpcisXml(US_EXAMPLE, { actor: MFG, ownGlns: [MFG_DC] });
    const exported = fromEpcisXml(xml, { actor: MFG });
    const bodies = (events: { type: string; body: unknown }[]) =>
      events.filter((e) => e.type !== 'product.register').map((e) => [e.type, e.body]);
    // The lot's units were commissioned only (the example packs them into SGTIN cases, which RxLedger cannot hold).
    expect(bodies(exported.events)).toEqual(bodies(original.events).slice(0, 1));
    expect(exported.events.filter((e) => e.type === 'product.register').map((e) => e.body)).toEqual([
      original.events[0].body,
    ]);
  });

  it('an explicit shortage (a receipt short of the shipment) raises the discrepancy alert; a damaged receipt the quarantine alert', async () => {
    const { manufacturer: m, distributor: d } = await newTradingPartners(t);
    const gtin = await registerProduct(t, m);
    const all = units(gtin, serials(4));
    const [case1, case2, case3] = [m.newContainerCode(), m.newContainerCode(), m.newContainerCode()];
    await accept(t, m, 'commission', { gtin, lot: 'LOT-X', expiry: '291231', serials: serials(4) });
    await accept(t, m, 'pack', { parent: case1, children: all.slice(0, 2) });
    await accept(t, m, 'pack', { parent: case2, children: all.slice(2, 3) });
    await accept(t, m, 'pack', { parent: case3, children: all.slice(3) });
    await accept(t, m, 'ship', { shipmentId: 'ASN-S', recipient: d.gln, items: [case1, case2], transaction });
    await accept(t, m, 'ship', { shipmentId: 'ASN-D', recipient: d.gln, items: [case3], transaction });
    const key: SigningKey = { secretKey: d.secretKey, publicKey: d.publicKey, keyId: d.keyId, gln: d.gln };
    const sscc = (code: string) => `https://id.gs1.org/00/${code.slice(4)}`;
    const receiving = (shipmentId: string, code: string, disposition: string) =>
      `<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2026-12-01T10:00:00Z">` +
      `<EPCISBody><EventList><ObjectEvent><eventTime>${new Date().toISOString()}</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>` +
      `<epcList><epc>${sscc(code)}</epc></epcList><action>OBSERVE</action>` +
      `<bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep><disposition>urn:epcglobal:cbv:disp:${disposition}</disposition>` +
      `<bizLocation><id>https://id.gs1.org/414/${d.gln}</id></bizLocation>` +
      `<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:desadv">urn:epcglobal:cbv:bt:${m.gln}:${shipmentId}</bizTransaction></bizTransactionList>` +
      `</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;
    const run = { key, client: new LedgerClient({ url, token: d.token }) };
    expect(await importEpcisXmlFile(chunksOf(receiving('ASN-S', case1, 'in_progress')), run)).toMatchObject({
      accepted: 1,
      refused: 0,
    });
    expect(await importEpcisXmlFile(chunksOf(receiving('ASN-D', case3, 'damaged')), run)).toMatchObject({
      events: 2,
      accepted: 2,
      refused: 0,
    });
    const alerts = await t.http.get('/v1/distributors/me/alerts').set(...d.auth);
    expect(JSON.stringify(alerts.body)).toMatch(/"kind":"discrepancy"/);
    expect(JSON.stringify(alerts.body)).toMatch(/"kind":"quarantine"/);
    expect(JSON.stringify(alerts.body)).toMatch(/damaged shipment/);
    expect(JSON.stringify(alerts.body)).toContain(case2);
  });

  it("GS1's EPCIS 1.2 example 9.6.1 posted: the shipping (recipient given: the example names none) is logged and exports back; the receipt names a despatch advice the shipping does not, so the ledger refuses it", async () => {
    const shipper = readGlnUri('urn:epc:id:sgln:0614141.07346.1234');
    const receiver = readGlnUri('urn:epc:id:sgln:0012345.11111.0');
    await register(shipper, 'manufacturer');
    await register(receiver, 'distributor');
    const granted = await t.http
      .post(`/v1/manufacturers/${shipper}/prefixes`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ prefix: '0614141' });
    expect(granted.status).toBe(201);
    const gtin = '10614141073464';
    const signer = parties[shipper];
    const native = new LedgerClient({ url, token: signer.token });
    for (const [type, body] of [
      ['product.register', { gtin, name: 'Example', strength: '1 mg', dosageForm: 'tablet', containerSize: '10' }],
      ['commission', { gtin, lot: 'L-961', expiry: '291231', serials: ['2017', '2018'] }],
    ] as const) {
      const event = {
        id: `${type}-961`,
        type,
        actor: shipper,
        keyId: signer.key.keyId,
        time: '2005-04-01T10:00:00Z',
        body,
      };
      const answer = await native.postBatch([{ event, signature: signEvent(event, signer.key.secretKey) }]);
      expect(answer.results[0].accepted).toBe(true);
    }
    const example = readFileSync(join(FIXTURES, 'gs1-1.2/Example_9.6.1.xml'), 'utf8');
    const shipped = await importEpcisXmlFile(chunksOf(example), {
      key: signer.key,
      defaultShipTo: receiver,
      client: native,
    });
    expect(shipped).toMatchObject({ events: 1, accepted: 1, refused: 0 });
    const refused: unknown[] = [];
    const receipt = await importEpcisXmlFile(
      chunksOf(example),
      { key: parties[receiver].key, client: client(receiver) },
      { result: (r) => r.error && refused.push(r.error.code) },
    );
    expect(receipt).toMatchObject({ events: 1, accepted: 0, refused: 1 });
    expect(refused).toEqual(['SHIPMENT_UNKNOWN']);

    let xml = '';
    for (let attempt = 0; attempt < 200 && xml === ''; attempt++) {
      const response = await t.http
        .get('/v1/reports/lot')
        .query({ gtin, lot: 'L-961', format: 'epcis-xml' })
        .set('Authorization', `Bearer ${signer.token}`)
        .buffer(true)
        .parse((res, callback) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => callback(null, text));
        });
      if (response.status === 200) xml = response.body as string;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const imported = fromEpcisXml(example, { actor: shipper, defaultShipTo: receiver }).events;
    const exported = fromEpcisXml(xml, { actor: shipper }).events.filter((e) => e.type === 'ship');
    expect(exported.map((e) => [e.time, e.body])).toEqual(imported.map((e) => [e.time, e.body]));
  });
});
