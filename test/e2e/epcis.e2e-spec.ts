import type { AddressInfo } from 'node:net';
import { importEpcis } from '../../src/cli/epcis.command';
import {
  companyPrefixLengthFrom,
  fromEpcisDocument,
  toEpcisDocument,
  validateEpcisDocument,
  type ExportEntry,
} from '../../src/epcis';
import { formatSgtinUrn } from '../../src/gs1';
import type { LedgerEvent } from '../../src/protocol/event';
import { parseItemCode } from '../../src/protocol/item-code';
import { LedgerClient } from '../../src/sdk/client';
import { base64ToBytes, bytesToHex } from '../../src/bytes';
import type { SigningKey } from '../../src/signing/key-file';
import { item, newTradingPartners, registerProduct, serials, units } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';
import { gs1SchemaErrors } from '../unit/epcis/epcis-fixtures';

const keyOf = (party: TestParty): SigningKey => ({
  secretKey: party.secretKey,
  publicKey: party.publicKey,
  keyId: party.keyId,
  gln: party.gln,
});

describe('EPCIS 2.0 import and export over HTTP', () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  it("imports a manufacturer's EPCIS document (commission → pack → ship) and the distributor's receipt, then exports the log as valid EPCIS that imports back", async () => {
    const { manufacturer: m, distributor: d, regulator: r } = await newTradingPartners(t);
    const gtin = await registerProduct(t, m);
    const lot = serials(20);
    const all = units(gtin, lot);
    const [caseCode, palletCode] = [m.newContainerCode(), m.newContainerCode()];
    const sscc = (code: string) => `https://id.gs1.org/00/${code.slice(4)}`;
    const at = (gln: string) => ({ id: `https://id.gs1.org/414/${gln}` });

    // What a manufacturer's serialization system would send: EPC URNs and Digital Link mixed, CBV URNs and bare words.
    const document = {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2026-11-20T12:00:00Z',
      epcisBody: {
        eventList: [
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:6b0c1a52-0e4f-4d3b-9a51-000000000001',
            eventTime: '2026-11-20T08:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'ADD',
            bizStep: 'urn:epcglobal:cbv:bizstep:commissioning',
            disposition: 'urn:epcglobal:cbv:disp:active',
            epcList: lot.map((serial, i) =>
              i % 2 === 0
                ? formatSgtinUrn(gtin, serial, m.prefix.length)
                : `https://id.gs1.org/01/${gtin}/21/${serial}`,
            ),
            bizLocation: at(m.gln),
            ilmd: { 'cbvmda:lotNumber': 'LOT-E1', 'cbvmda:itemExpirationDate': '2029-12-31' },
          },
          {
            type: 'AggregationEvent',
            eventID: 'urn:uuid:6b0c1a52-0e4f-4d3b-9a51-000000000002',
            eventTime: '2026-11-20T09:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'ADD',
            bizStep: 'packing',
            parentID: sscc(caseCode),
            childEPCs: lot.map((serial) => `https://id.gs1.org/01/${gtin}/21/${serial}`),
            bizLocation: at(m.gln),
          },
          {
            type: 'AggregationEvent',
            eventID: 'urn:uuid:6b0c1a52-0e4f-4d3b-9a51-000000000003',
            eventTime: '2026-11-20T09:30:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'ADD',
            bizStep: 'https://ref.gs1.org/cbv/BizStep-packing',
            parentID: sscc(palletCode),
            childEPCs: [sscc(caseCode)],
            bizLocation: at(m.gln),
          },
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:6b0c1a52-0e4f-4d3b-9a51-000000000004',
            eventTime: '2026-11-20T16:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'OBSERVE',
            bizStep: 'shipping',
            disposition: 'in_transit',
            epcList: [sscc(palletCode)],
            readPoint: at(m.gln),
            bizTransactionList: [
              { type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${m.gln}:ASN-E1` },
              { type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:${d.gln}:PO-77` },
            ],
            sourceList: [{ type: 'owning_party', source: `https://id.gs1.org/417/${m.gln}` }],
            destinationList: [{ type: 'owning_party', destination: `https://id.gs1.org/417/${d.gln}` }],
          },
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:6b0c1a52-0e4f-4d3b-9a51-000000000005',
            eventTime: '2026-11-21T10:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'OBSERVE',
            bizStep: 'receiving',
            disposition: 'in_progress',
            epcList: [sscc(palletCode)],
            bizLocation: at(d.gln),
            bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${m.gln}:ASN-E1` }],
            sourceList: [{ type: 'owning_party', source: `https://id.gs1.org/417/${m.gln}` }],
            destinationList: [{ type: 'owning_party', destination: `https://id.gs1.org/417/${d.gln}` }],
          },
        ],
      },
    };
    expect(validateEpcisDocument(document).problems).toEqual([]);

    // The manufacturer imports its events; the receipt is the distributor's and is reported, not signed.
    const asManufacturer = await importEpcis(document, {
      key: keyOf(m),
      client: new LedgerClient({ url, token: m.token }),
    });
    expect(asManufacturer.results.map((x) => [x.type, x.accepted, x.error?.code])).toEqual([
      ['commission', true, undefined],
      ['pack', true, undefined],
      ['pack', true, undefined],
      ['ship', true, undefined],
    ]);
    expect(asManufacturer.conversion.unmapped).toEqual([
      expect.objectContaining({
        eventIndex: 4,
        reason: `it is ${d.gln}'s event (destinationList owning_party), not the importing party ${m.gln}'s`,
      }),
    ]);
    expect(await item(t, all[19])).toMatchObject({
      status: 'in_transit',
      custodian: m.gln,
      lot: 'LOT-E1',
      expiry: '2029-12-31',
    });

    // The distributor imports the same document: only its receipt is its own.
    const asDistributor = await importEpcis(document, {
      key: keyOf(d),
      client: new LedgerClient({ url, token: d.token }),
    });
    expect(asDistributor.results.map((x) => [x.type, x.accepted, x.error?.code])).toEqual([
      ['receive', true, undefined],
    ]);
    expect(asDistributor.conversion.unmapped.map((u) => u.eventIndex)).toEqual([0, 1, 2, 3]);
    expect(await item(t, all[0])).toMatchObject({ status: 'active', custodian: d.gln, parent: caseCode });
    expect(await item(t, palletCode)).toMatchObject({ custodian: d.gln });
    const inventory = await t.http.get('/v1/distributors/me/inventory').set(...d.auth);
    expect(inventory.status).toBe(200);
    expect(JSON.stringify(inventory.body)).toContain('LOT-E1');

    // Importing again changes nothing: the same ids and bytes are answered as already logged.
    const again = await importEpcis(document, { key: keyOf(m), client: new LedgerClient({ url, token: m.token }) });
    expect(again.results.map((x) => [x.accepted, x.duplicate])).toEqual(Array(4).fill([true, true]));
    expect(again.results.map((x) => x.index)).toEqual(asManufacturer.results.map((x) => x.index));

    // A regulator reads the logged events and exports them.
    const regulator = new LedgerClient({ url, token: r.token });
    const indexes = [...asManufacturer.results, ...asDistributor.results].map((x) => x.index!);
    const entries = await Promise.all(indexes.map((index) => regulator.entry(index)));
    const exported = toEpcisDocument(entries as ExportEntry[], {
      companyPrefixLength: companyPrefixLengthFrom([m.prefix]),
    });
    expect(exported.skipped).toEqual([]);
    expect(gs1SchemaErrors(exported.document)).toEqual([]);
    expect(validateEpcisDocument(exported.document)).toEqual({ valid: true, problems: [] });
    const events = exported.document.epcisBody.eventList;
    expect(events.map((e) => e.bizStep)).toEqual(['commissioning', 'packing', 'packing', 'shipping', 'receiving']);
    expect(events[0].epcList![0]).toBe(formatSgtinUrn(gtin, lot[0], m.prefix.length)); // the prefix is known: EPC URNs
    entries.forEach((entry, i) => {
      expect(events[i]['rxl:logIndex']).toBe(entry.index);
      expect(events[i]['rxl:eventHash']).toBe(
        bytesToHex(base64ToBytes((entry as unknown as { eventHash: string }).eventHash)),
      );
    });

    // … and the export imports back into the same events (new ids, same type, actor, time and body).
    const logged = entries.map((entry) => entry.event as LedgerEvent);
    const back = [m, d].flatMap((party) => fromEpcisDocument(exported.document, { actor: party.gln }).events);
    const sameContent = (e: { type: string; actor: string; time: string; body: unknown }) => [
      e.type,
      e.actor,
      e.time,
      e.body,
    ];
    expect(back.map(sameContent)).toEqual(logged.map(sameContent));
    expect(logged[0].body).toMatchObject({ gtin, lot: 'LOT-E1', expiry: '291231' });
    expect(parseItemCode((logged[3].body as { items: string[] }).items[0])).toEqual({
      kind: 'container',
      sscc: palletCode.slice(4),
    });
  });
});
