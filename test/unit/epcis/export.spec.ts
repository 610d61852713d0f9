import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  companyPrefixLengthFrom,
  EPCIS_CONTEXT,
  eventHashHex,
  exportedEventId,
  RXLEDGER_NAMESPACE,
  RXLEDGER_UUID_NAMESPACE,
  toEpcisDocument,
  toEpcisEvents,
  uuidV5,
  validateEpcisDocument,
  type EpcisEvent,
} from '../../../src/epcis';
import {
  DISTRIBUTOR,
  gs1Fixture,
  gs1SchemaErrors,
  GTIN,
  journey,
  logged,
  MANUFACTURER,
  PREFIX,
  sscc,
  transaction,
  unit,
} from './epcis-fixtures';

const byType = (events: EpcisEvent[], bizStep: string) => events.filter((e) => e.bizStep === bizStep);

describe('EPCIS export', () => {
  const entries = journey();
  const { document, skipped } = toEpcisDocument(entries, { creationDate: '2026-11-30T12:00:00.000Z' });
  const events = document.epcisBody.eventList;

  it('writes an EPCIS 2.0 JSON-LD document that declares the RxLedger extension namespace', () => {
    expect(document).toMatchObject({
      '@context': [EPCIS_CONTEXT, { rxl: RXLEDGER_NAMESPACE }],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2026-11-30T12:00:00.000Z',
    });
    expect(events).toHaveLength(entries.length);
    expect(skipped).toEqual([]);
  });

  it("is valid against GS1's EPCIS JSON schema, with Digital Link or with EPC URN identifiers", () => {
    expect(gs1SchemaErrors(document)).toEqual([]);
    const withUrns = toEpcisDocument(entries, { companyPrefixLength: companyPrefixLengthFrom([PREFIX, '086000']) });
    expect(gs1SchemaErrors(withUrns.document)).toEqual([]);
    expect(withUrns.document.epcisBody.eventList[0].epcList![0]).toMatch(/^urn:epc:id:sgtin:0614141\.012345\./);
    expect(validateEpcisDocument(withUrns.document)).toEqual({ valid: true, problems: [] });
  });

  it('maps commissioning: ObjectEvent ADD, active, with lot and expiry in the ILMD', () => {
    const [first, second] = byType(events, 'commissioning');
    expect(first).toMatchObject({
      type: 'ObjectEvent',
      action: 'ADD',
      disposition: 'active',
      eventTime: '2026-11-20T08:00:00.000-05:00',
      eventTimeZoneOffset: '-05:00',
      recordTime: '2026-11-23T10:00:01.250Z',
      readPoint: { id: `https://id.gs1.org/414/${MANUFACTURER}` },
      bizLocation: { id: `https://id.gs1.org/414/${MANUFACTURER}` },
      ilmd: { 'cbvmda:lotNumber': 'LOT2026A', 'cbvmda:itemExpirationDate': '2028-12-31' },
    });
    expect(first.epcList).toEqual(
      ['SN0001', 'SN0002', 'SN0003', 'SN0004', 'SN0005'].map((s) => `https://id.gs1.org/01/${GTIN}/21/${s}`),
    );
    // YYMM00 (day not given) is the month's last day in EPCIS, and the printed form rides along.
    expect(second.ilmd).toEqual({
      'cbvmda:lotNumber': 'LOT2026B',
      'cbvmda:itemExpirationDate': '2029-02-28',
      'rxl:expiry': '290200',
    });
  });

  it('maps packing and unpacking to AggregationEvents ADD and DELETE', () => {
    const [pallet] = byType(events, 'packing').slice(1);
    expect(pallet).toMatchObject({
      type: 'AggregationEvent',
      action: 'ADD',
      disposition: 'in_progress',
      parentID: `https://id.gs1.org/00/${sscc(2).slice(4)}`,
      childEPCs: [`https://id.gs1.org/00/${sscc(1).slice(4)}`, `https://id.gs1.org/01/${GTIN}/21/SN0005`],
    });
    const [all, some] = byType(events, 'unpacking');
    expect(all).toMatchObject({ type: 'AggregationEvent', action: 'DELETE' });
    expect(all).not.toHaveProperty('childEPCs'); // DELETE without children: everything comes out
    expect(some.childEPCs).toEqual([`https://id.gs1.org/01/${GTIN}/21/SN0001`]);
  });

  it('maps shipping with the owning parties, the despatch advice, order and invoice, and the DSCSA dates', () => {
    const [sale, , back] = byType(events, 'shipping');
    expect(sale).toMatchObject({
      type: 'ObjectEvent',
      action: 'OBSERVE',
      disposition: 'in_transit',
      eventTimeZoneOffset: '+01:00',
      // The GS1 US guideline wants owning party and location on both sides: a party's location is its own GLN.
      sourceList: [
        { type: 'owning_party', source: `https://id.gs1.org/417/${MANUFACTURER}` },
        { type: 'location', source: `https://id.gs1.org/414/${MANUFACTURER}` },
      ],
      destinationList: [
        { type: 'owning_party', destination: `https://id.gs1.org/417/${DISTRIBUTOR}` },
        { type: 'location', destination: `https://id.gs1.org/414/${DISTRIBUTOR}` },
      ],
      bizTransactionList: [
        { type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${MANUFACTURER}:ASN-2026-000123` },
        { type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:${DISTRIBUTOR}:PO-2026-1182` },
        { type: 'inv', bizTransaction: `urn:epcglobal:cbv:bt:${MANUFACTURER}:INV-88213` },
      ],
      'rxl:transactionDate': transaction.date,
      'rxl:shipmentDate': transaction.shipmentDate,
      'rxl:reason': 'sale',
    });
    expect(sale).not.toHaveProperty('bizLocation'); // in transit: not at the shipper's any more
    expect(back.disposition).toBe('returned');
    expect(back.bizTransactionList![1].bizTransaction).toBe(
      `urn:epcglobal:cbv:bt:${DISTRIBUTOR}:RMA%205%20(damaged)%20%C3%BC`,
    );
  });

  it('maps receiving, dispensing, decommissioning and destroying to their CBV steps and dispositions', () => {
    const [receipt] = byType(events, 'receiving');
    expect(receipt).toMatchObject({
      action: 'OBSERVE',
      disposition: 'in_progress',
      bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${MANUFACTURER}:ASN-2026-000123` }],
      // The GS1 US guideline wants owning party and location on both sides: a party's location is its own GLN.
      sourceList: [
        { type: 'owning_party', source: `https://id.gs1.org/417/${MANUFACTURER}` },
        { type: 'location', source: `https://id.gs1.org/414/${MANUFACTURER}` },
      ],
      destinationList: [
        { type: 'owning_party', destination: `https://id.gs1.org/417/${DISTRIBUTOR}` },
        { type: 'location', destination: `https://id.gs1.org/414/${DISTRIBUTOR}` },
      ],
    });
    expect(byType(events, 'dispensing')[0]).toMatchObject({ action: 'OBSERVE', disposition: 'dispensed' });
    expect(byType(events, 'decommissioning')[0]).toMatchObject({
      action: 'DELETE',
      disposition: 'inactive',
      'rxl:reason': 'damaged',
    });
    expect(byType(events, 'destroying')[0]).toMatchObject({
      action: 'DELETE',
      disposition: 'destroyed',
      'rxl:reason': 'expired',
    });
  });

  it('puts the log index, event id, event hash, actor and key id in the rxl: extension of every event', () => {
    entries.forEach((entry, i) => {
      expect(events[i]).toMatchObject({
        'rxl:logIndex': entry.index,
        'rxl:eventId': entry.event.id,
        'rxl:eventHash': eventHashHex(entry.event),
        'rxl:actor': entry.event.actor,
        'rxl:keyId': entry.event.keyId,
      });
    });
  });

  it('derives a stable eventID: the UUIDv5 of the event hash in the RxLedger namespace', () => {
    // RFC 4122 version 5 checked against Python's uuid.uuid5 (NAMESPACE_DNS, "python.org").
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(RXLEDGER_UUID_NAMESPACE).toBe('8976ecde-1ca6-5f29-9d58-df83043444a4');
    const again = toEpcisDocument(entries).document.epcisBody.eventList;
    expect(again.map((e) => e.eventID)).toEqual(events.map((e) => e.eventID));
    expect(events[0].eventID).toBe(exportedEventId(eventHashHex(entries[0].event)));
    expect(new Set(events.map((e) => e.eventID)).size).toBe(events.length);
    expect(events[0].eventID).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('skips and reports events with no EPCIS meaning; products become master data, recalls events (issue 14 §3)', () => {
    const others = [
      logged(MANUFACTURER, 'product.register', {
        gtin: GTIN,
        name: 'Amoxicillin',
        strength: '500 mg',
        dosageForm: 'capsule',
        containerSize: '100',
      }),
      logged(MANUFACTURER, 'recall', { gtin: GTIN, lots: ['LOT2026A'], reason: 'sub-potent' }),
      logged(MANUFACTURER, 'party.register', {}),
      logged(MANUFACTURER, 'dispense', { items: ['not an item code'] }),
      logged(MANUFACTURER, 'dispense', { items: [unit('SN0009')] }),
    ];
    const result = toEpcisDocument(others);
    expect(result.document.epcisBody.eventList).toHaveLength(2);
    expect(result.document.epcisHeader?.epcisMasterData.vocabularyList[0].vocabularyElementList).toHaveLength(1);
    expect(result.skipped.map((s) => [s.index, s.type])).toEqual([
      [others[2].index, 'party.register'],
      [others[3].index, 'dispense'],
    ]);
    expect(result.skipped[0].reason).toMatch(/changes no item/);
    expect(result.skipped[1].reason).toMatch(/cannot be expressed in EPCIS: .*not an item code/);
    expect(toEpcisEvents(others[2])).toEqual({ skipped: result.skipped[0].reason });
    expect(toEpcisEvents(others[0])).toEqual({ skipped: expect.stringMatching(/master data/) });
  });
});

describe("GS1's EPCIS JSON schema", () => {
  it('is the copy src/epcis validates with', () => {
    const library = JSON.parse(readFileSync(join(__dirname, '../../../src/epcis/epcis-json-schema.json'), 'utf8'));
    expect(library).toEqual(gs1Fixture('EPCIS-JSON-Schema.json'));
  });

  it.each([
    'Example_9.6.1-ObjectEvent.jsonld',
    'Example_9.6.1-ObjectEventWithDigitalLink.jsonld',
    'Example_9.6.2-ObjectEvent.jsonld',
    'Example_9.6.3-AggregationEvent.jsonld',
    'Example_9.6.4-TransformationEvent.jsonld',
  ])("accepts GS1's example %s", (name) => {
    expect(validateEpcisDocument(gs1Fixture(name))).toEqual({ valid: true, problems: [] });
  });

  it('says where and why a document is invalid', () => {
    const { document } = toEpcisDocument([logged(MANUFACTURER, 'dispense', { items: [unit('SN1')] })]);
    const broken = structuredClone(document) as unknown as { epcisBody: { eventList: Record<string, unknown>[] } };
    broken.epcisBody.eventList[0].eventTimeZoneOffset = '+15:00';
    broken.epcisBody.eventList[0].action = 'MOVE';
    broken.epcisBody.eventList[0].logIndex = 7; // an extension member must be a URI (a compact IRI such as rxl:logIndex)
    const result = validateEpcisDocument(broken);
    expect(result.valid).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: '/epcisBody/eventList/0/eventTimeZoneOffset', message: expect.stringMatching(/pattern/) },
        { path: '/epcisBody/eventList/0/action', message: expect.stringMatching(/allowed values.*OBSERVE/) },
        { path: '/epcisBody/eventList/0', message: 'property name must be valid' },
      ]),
    );
  });
});
