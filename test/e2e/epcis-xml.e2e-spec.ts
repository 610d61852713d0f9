import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { importEpcisXmlFile } from '../../src/cli/epcis.command';
import { bytesToBase64 } from '../../src/bytes';
import { readGlnUri } from '../../src/epcis';
import { fromEpcisXml } from '../../src/epcis/xml';
import { LedgerClient } from '../../src/sdk/client';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf } from '../../src/signing/event-signing';
import type { SigningKey } from '../../src/signing/key-file';
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

  it('imports the guideline example (posted, signed by the manufacturer), re-imports as duplicates, exports it as EPCIS 1.2 XML that imports back to the same bodies; a damaged receipt raises a quarantine alert', async () => {
    const run = { key: parties[MFG].key, ownGlns: [MFG_DC], client: client(MFG) };
    const refusals: unknown[] = [];
    const report = await importEpcisXmlFile(chunksOf(US_EXAMPLE), run, (r) => r.error && refusals.push(r));
    expect(refusals).toEqual([]);
    expect(report).toMatchObject({ events: 6, accepted: 6, refused: 0, duplicates: 0, problems: [] });
    expect(report.unmapped.map((u) => u.eventIndex)).toEqual([2, 3, 4, 5]);
    const again = await importEpcisXmlFile(chunksOf(US_EXAMPLE), run);
    expect(again).toMatchObject({ accepted: 6, duplicates: 6, refused: 0 });

    // The wholesaler receives the pallet damaged: a receipt and a hold, as an EPCIS 1.2 receiving event.
    const receipt =
      `<?xml version="1.0"?>\n<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" schemaVersion="1.2" creationDate="2023-04-02T10:00:00Z">` +
      `<EPCISBody><EventList><ObjectEvent><eventTime>2023-04-02T09:00:00Z</eventTime><eventTimeZoneOffset>-05:00</eventTimeZoneOffset>` +
      `<epcList><epc>urn:epc:id:sscc:030001.41234567890</epc></epcList><action>OBSERVE</action>` +
      `<bizStep>urn:epcglobal:cbv:bizstep:receiving</bizStep><disposition>urn:epcglobal:cbv:disp:damaged</disposition>` +
      `<bizLocation><id>urn:epc:id:sgln:039999.999999.0</id></bizLocation>` +
      `<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:desadv">urn:epcglobal:cbv:bt:${MFG}:DEL100</bizTransaction></bizTransactionList>` +
      `</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;
    const received = await importEpcisXmlFile(chunksOf(receipt), {
      key: parties[WHOLESALER].key,
      client: client(WHOLESALER),
    });
    expect(received).toMatchObject({ events: 2, accepted: 2, refused: 0 });
    const alerts = await t.http
      .get('/v1/distributors/me/alerts')
      .set('Authorization', `Bearer ${parties[WHOLESALER].token}`);
    expect(alerts.status).toBe(200);
    expect(JSON.stringify(alerts.body)).toMatch(/quarantine/);
    expect(JSON.stringify(alerts.body)).toMatch(/damaged shipment/);

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
});
