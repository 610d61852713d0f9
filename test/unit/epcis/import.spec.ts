import { EpcisDocumentError, fromEpcisDocument, toEpcisDocument } from '../../../src/epcis';
import { appendCheckDigit } from '../../../src/gs1';
import { DISTRIBUTOR, gs1Fixture, GTIN, logged, MANUFACTURER, PHARMACY, unit } from './epcis-fixtures';

const SHIPPER_9_6_1 = '0614141073467'; // urn:epc:id:sgln:0614141.07346.1234, also the issuer of the desadv
const RECEIVER_9_6_1 = appendCheckDigit('001234511111'); // urn:epc:id:sgln:0012345.11111.0
const sgtin2017 = `(01)${appendCheckDigit('1061414107346')}(21)2017`; // urn:epc:id:sgtin:0614141.107346.2017
const sgtin2018 = `(01)${appendCheckDigit('1061414107346')}(21)2018`;

const doc = (...eventList: unknown[]) => ({
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-11-30T12:00:00Z',
  epcisBody: { eventList },
});

const object = <T extends object>(fields: T) => ({
  type: 'ObjectEvent',
  eventTime: '2026-11-23T10:00:00.000Z',
  eventTimeZoneOffset: '+00:00',
  ...fields,
});

const commissioning = <T extends object>(fields: T = {} as T) =>
  object({
    eventID: 'urn:uuid:2f1c0d6e-0000-4000-8000-000000000001',
    action: 'ADD',
    bizStep: 'commissioning',
    disposition: 'active',
    epcList: [`https://id.gs1.org/01/${GTIN}/21/A1`, `https://id.gs1.org/01/${GTIN}/21/A2`],
    bizLocation: { id: `https://id.gs1.org/414/${MANUFACTURER}` },
    ilmd: { 'cbvmda:lotNumber': 'L1', 'cbvmda:itemExpirationDate': '2028-06-30' },
    ...fields,
  });

describe("EPCIS import of GS1's published examples", () => {
  it('Example 9.6.1 (EPC URNs): maps the shipping for its shipper, given a ship-to, and reports the receiving as not its', () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.1-ObjectEvent.jsonld'), {
      actor: SHIPPER_9_6_1,
      defaultShipTo: DISTRIBUTOR,
    });
    expect(result.events).toEqual([
      {
        id: expect.stringMatching(/^epcis-h:[0-9a-f]{40}$/), // the ni:/// eventID has characters an id may not hold
        type: 'ship',
        actor: SHIPPER_9_6_1,
        time: '2005-04-03T20:33:31.116000-06:00',
        body: {
          shipmentId: expect.stringMatching(/^epcis-h:[0-9a-f]{40}$/), // no despatch advice: derived from the eventID
          recipient: DISTRIBUTOR,
          items: [sgtin2017, sgtin2018],
          transaction: {
            date: '2005-04-03',
            shipmentDate: '2005-04-03', // the local date at -06:00
            purchaseOrder: 'http://transaction.acme.com/po/12345678',
          },
        },
      },
    ]);
    expect(result.unmapped).toEqual([
      {
        eventIndex: 1,
        eventID: 'ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0',
        reason: `it is ${RECEIVER_9_6_1}'s event (bizLocation), not the importing party ${SHIPPER_9_6_1}'s`,
      },
    ]);
    expect(result.ignored).toEqual([]);
  });

  it('Example 9.6.1: without a ship-to the shipping names no recipient', () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.1-ObjectEvent.jsonld'), { actor: SHIPPER_9_6_1 });
    expect(result.events).toEqual([]);
    expect(result.unmapped.map((u) => [u.eventIndex, u.reason])).toEqual([
      [0, 'it names no recipient: no destinationList owning_party (a default ship-to GLN can be given)'],
      [1, expect.stringMatching(/not the importing party/)],
    ]);
  });

  it("Example 9.6.1: the receiver maps its receiving (the shipper is the desadv's issuer) and not the shipping", () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.1-ObjectEvent.jsonld'), { actor: RECEIVER_9_6_1 });
    expect(result.unmapped).toEqual([
      {
        eventIndex: 0,
        eventID: 'ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0',
        reason: `it is ${SHIPPER_9_6_1}'s event (readPoint), not the importing party ${RECEIVER_9_6_1}'s`,
      },
    ]);
    expect(result.events).toEqual([
      {
        id: expect.stringMatching(/^epcis-h:/),
        type: 'receive',
        actor: RECEIVER_9_6_1,
        time: '2005-04-04T20:33:31.116-06:00',
        // The shipper is the issuer of the despatch advice urn:epcglobal:cbv:bt:0614141073467:1152.
        body: { shipper: SHIPPER_9_6_1, shipmentId: '1152', items: [sgtin2018] },
      },
    ]);
    expect(result.ignored).toEqual([
      { eventIndex: 1, eventID: expect.any(String), members: ['example:myField', 'bizTransactionList[po]'] },
    ]);
  });

  it('Example 9.6.1 with Digital Link identifiers maps to the same RxLedger bodies as with EPC URNs', () => {
    const options = { actor: SHIPPER_9_6_1, defaultShipTo: DISTRIBUTOR };
    const urns = fromEpcisDocument(gs1Fixture('Example_9.6.1-ObjectEvent.jsonld'), options);
    const links = fromEpcisDocument(gs1Fixture('Example_9.6.1-ObjectEventWithDigitalLink.jsonld'), options);
    expect(links.events).toHaveLength(1);
    expect(links.events[0].body.items).toEqual(['(01)70614141123451(21)2017', '(01)70614141123451(21)2018']);
    expect({ ...links.events[0].body, items: [], shipmentId: '' }).toEqual({
      ...urns.events[0].body,
      items: [],
      shipmentId: '',
    });
  });

  it('Example 9.6.2 (quantities of a lot only) is reported: RxLedger tracks serialized items', () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.2-ObjectEvent.jsonld'), {
      actor: appendCheckDigit('061414100001'),
    });
    expect(result.events).toEqual([]);
    expect(result.unmapped).toEqual([
      expect.objectContaining({
        eventIndex: 0,
        reason: expect.stringMatching(/only quantities \(quantityList\), no serialized items/),
      }),
    ]);
  });

  it('Example 9.6.3 (AggregationEvent OBSERVE) is reported: only packing and unpacking change an aggregation', () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.3-AggregationEvent.jsonld'), { actor: MANUFACTURER });
    expect(result.unmapped).toEqual([
      expect.objectContaining({
        eventIndex: 0,
        reason: expect.stringMatching(/action OBSERVE only confirms an aggregation/),
      }),
    ]);
  });

  it('Example 9.6.4 (TransformationEvent) is reported as having no RxLedger counterpart', () => {
    const result = fromEpcisDocument(gs1Fixture('Example_9.6.4-TransformationEvent.jsonld'), { actor: MANUFACTURER });
    expect(result.unmapped).toEqual([
      expect.objectContaining({
        eventIndex: 0,
        reason: expect.stringMatching(/TransformationEvent .* has no RxLedger counterpart/),
      }),
    ]);
  });
});

describe('EPCIS import: commissioning', () => {
  it('maps an ObjectEvent ADD commissioning with ILMD lot and expiry to a commission', () => {
    const result = fromEpcisDocument(doc(commissioning()), { actor: MANUFACTURER });
    expect(result.unmapped).toEqual([]);
    expect(result.events).toEqual([
      {
        id: 'epcis:urn:uuid:2f1c0d6e-0000-4000-8000-000000000001',
        type: 'commission',
        actor: MANUFACTURER,
        time: '2026-11-23T10:00:00.000Z',
        body: { gtin: GTIN, lot: 'L1', expiry: '280630', serials: ['A1', 'A2'] },
      },
    ]);
  });

  it('groups by GTIN and lot, taking a lot carried in a Digital Link over the ILMD', () => {
    const other = appendCheckDigit('0061414154321');
    const result = fromEpcisDocument(
      doc(
        commissioning({
          epcList: [
            `https://id.gs1.org/01/${GTIN}/21/A1`,
            `urn:epc:id:sgtin:0614141.054321.B1`,
            `https://id.gs1.org/01/${GTIN}/10/L2/21/A2?17=290200`,
            `https://id.gs1.org/01/${GTIN}/21/A3`,
          ],
        }),
      ),
      { actor: MANUFACTURER },
    );
    expect(result.events.map((e) => [e.id, e.body])).toEqual([
      [
        'epcis:urn:uuid:2f1c0d6e-0000-4000-8000-000000000001',
        { gtin: GTIN, lot: 'L1', expiry: '280630', serials: ['A1', 'A3'] },
      ],
      [
        'epcis:urn:uuid:2f1c0d6e-0000-4000-8000-000000000001.2',
        { gtin: other, lot: 'L1', expiry: '280630', serials: ['B1'] },
      ],
      [
        'epcis:urn:uuid:2f1c0d6e-0000-4000-8000-000000000001.3',
        { gtin: GTIN, lot: 'L2', expiry: '290200', serials: ['A2'] },
      ],
    ]);
  });

  it('accepts the CBV URN and GS1 web vocabulary spellings of bizStep and the ILMD attributes', () => {
    const spelled = (bizStep: string, ilmd: object) =>
      fromEpcisDocument(doc(commissioning({ bizStep, ilmd })), { actor: MANUFACTURER });
    const urn = spelled('urn:epcglobal:cbv:bizstep:commissioning', {
      'urn:epcglobal:cbv:mda#lotNumber': 'L1',
      'urn:epcglobal:cbv:mda#itemExpirationDate': '2028-06-30',
    });
    const web = spelled('https://ref.gs1.org/cbv/BizStep-commissioning', {
      lotNumber: 'L1',
      itemExpirationDate: '2028-06-30',
    });
    expect(urn.events).toEqual(fromEpcisDocument(doc(commissioning()), { actor: MANUFACTURER }).events);
    expect(web.events).toEqual(urn.events);
  });

  it('reports what is missing or not mappable, by event, and maps the rest', () => {
    const result = fromEpcisDocument(
      doc(
        commissioning({ ilmd: { 'cbvmda:lotNumber': 'L1' } }),
        commissioning({ eventID: 'urn:uuid:x-2', ilmd: { 'cbvmda:itemExpirationDate': '2028-06-30' } }),
        commissioning({ eventID: 'urn:uuid:x-3', action: 'OBSERVE' }),
        commissioning({
          eventID: 'urn:uuid:x-4',
          epcList: [`https://id.gs1.org/01/${GTIN}/21/A9`, `urn:epc:id:sscc:0614141.1234567890`],
        }),
        commissioning({
          eventID: 'urn:uuid:x-5',
          epcList: [],
          quantityList: [{ epcClass: 'urn:epc:class:lgtin:0614141.012345.L1', quantity: 5 }],
        }),
        commissioning({
          eventID: 'urn:uuid:x-6',
          ilmd: { 'cbvmda:lotNumber': 'L1', 'cbvmda:itemExpirationDate': '30 June 2028' },
        }),
        commissioning({
          eventID: 'urn:uuid:x-7',
          epcList: ['urn:epc:id:giai:4000001.12345', 'urn:epc:class:lgtin:0614141.012345.L1'],
        }),
      ),
      { actor: MANUFACTURER },
    );
    expect(result.events.map((e) => [e.id, e.body.serials])).toEqual([['epcis:urn:uuid:x-4', ['A9']]]);
    expect(result.unmapped.map((u) => [u.eventIndex, u.reason])).toEqual([
      [0, expect.stringMatching(/2 serial\(s\) of GTIN \d+, lot L1, have no expiry/)],
      [1, expect.stringMatching(/2 serial\(s\) of GTIN \d+ have no lot/)],
      [2, 'bizStep commissioning with action OBSERVE has no RxLedger counterpart (expected ADD)'],
      [
        3,
        expect.stringMatching(
          /1 container\(s\) \(\(00\)106141412345678908\) are commissioned: RxLedger creates a container when/,
        ),
      ],
      [4, expect.stringMatching(/only quantities/)],
      [5, expect.stringMatching(/itemExpirationDate "30 June 2028" is not a date YYYY-MM-DD/)],
      [6, expect.stringMatching(/2 of 2 epcList identifier\(s\) name no item: .*giai is not supported.*class-level/)],
    ]);
  });
});

describe('EPCIS import: parties and the importing actor', () => {
  const shipping = <T extends object>(fields: T = {} as T) =>
    object({
      eventID: 'urn:uuid:00000000-0000-4000-8000-00000000005e',
      action: 'OBSERVE',
      bizStep: 'urn:epcglobal:cbv:bizstep:shipping',
      disposition: 'urn:epcglobal:cbv:disp:in_transit',
      epcList: [`urn:epc:id:sscc:0614141.1234567890`],
      readPoint: { id: 'urn:epc:id:sgln:0614141.00001.7' },
      bizTransactionList: [
        { type: 'urn:epcglobal:cbv:btt:desadv', bizTransaction: `urn:epcglobal:cbv:bt:${MANUFACTURER}:ASN-1` },
        { type: 'https://ref.gs1.org/cbv/BTT-po', bizTransaction: `urn:epcglobal:cbv:bt:${DISTRIBUTOR}:PO-9` },
        { type: 'bol', bizTransaction: 'urn:epcglobal:cbv:bt:0614141000005:BOL-1' },
      ],
      sourceList: [
        { type: 'owning_party', source: `urn:epc:id:pgln:0614141.00001` },
        { type: 'location', source: `urn:epc:id:sgln:0614141.00001.0` }, // the party's own GLN: nothing new
        { type: 'location', source: `urn:epc:id:sgln:0614141.00002.0` }, // another site: not kept
      ],
      destinationList: [
        { type: 'urn:epcglobal:cbv:sdt:owning_party', destination: `https://id.gs1.org/417/${DISTRIBUTOR}` },
      ],
      ...fields,
    });

  it('maps shipping: owning parties, desadv → shipmentId, po → purchase order, local shipment date; reports the rest', () => {
    const result = fromEpcisDocument(doc(shipping({ sensorElementList: [] })), { actor: MANUFACTURER });
    expect(result.events).toEqual([
      {
        id: 'epcis:urn:uuid:00000000-0000-4000-8000-00000000005e',
        type: 'ship',
        actor: MANUFACTURER,
        time: '2026-11-23T10:00:00.000Z',
        body: {
          shipmentId: 'ASN-1',
          recipient: DISTRIBUTOR,
          items: ['(00)106141412345678908'],
          transaction: { date: '2026-11-23', shipmentDate: '2026-11-23', purchaseOrder: 'PO-9' },
        },
      },
    ]);
    expect(result.ignored).toEqual([
      {
        eventIndex: 0,
        eventID: expect.any(String),
        members: ['sensorElementList', 'sourceList[location]', 'bizTransactionList[bol]'],
      },
    ]);
  });

  it("reports a shipping or receiving that another party's owning party or rxl:actor says is not the importer's", () => {
    const result = fromEpcisDocument(
      doc(
        shipping(),
        shipping({ eventID: 'urn:uuid:b', sourceList: undefined, 'rxl:actor': PHARMACY }),
        shipping({
          eventID: 'urn:uuid:c',
          sourceList: [{ type: 'owning_party', source: 'urn:epc:id:grai:4012345.55555.98765' }],
        }),
      ),
      { actor: DISTRIBUTOR },
    );
    expect(result.events).toEqual([]);
    expect(result.unmapped.map((u) => u.reason)).toEqual([
      `it is ${MANUFACTURER}'s event (sourceList owning_party), not the importing party ${DISTRIBUTOR}'s`,
      `it is ${PHARMACY}'s event (rxl:actor), not the importing party ${DISTRIBUTOR}'s`,
      expect.stringMatching(/^sourceList owning_party: urn:epc:id:grai:.* is not a GLN identifier/),
    ]);
  });

  it('counts further GLNs of the importer (its facilities) as the importer', () => {
    const facility = appendCheckDigit('061414100002');
    const event = commissioning({ bizLocation: { id: `urn:epc:id:sgln:0614141.00002.0` } });
    expect(fromEpcisDocument(doc(event), { actor: MANUFACTURER }).unmapped).toHaveLength(1);
    expect(fromEpcisDocument(doc(event), { actor: MANUFACTURER, ownGlns: [facility] }).events).toHaveLength(1);
  });

  it('maps receiving with the shipper from the source owning party and the same shipment id as the shipping', () => {
    const receiving = object({
      eventID: 'urn:uuid:r1',
      action: 'OBSERVE',
      bizStep: 'receiving',
      epcList: [`urn:epc:id:sscc:0614141.1234567890`],
      bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${MANUFACTURER}:ASN-1` }],
      sourceList: [{ type: 'owning_party', source: `https://id.gs1.org/417/${MANUFACTURER}` }],
      destinationList: [{ type: 'owning_party', destination: `https://id.gs1.org/417/${DISTRIBUTOR}` }],
    });
    const received = fromEpcisDocument(doc(receiving), { actor: DISTRIBUTOR }).events[0];
    const shipped = fromEpcisDocument(doc(shipping()), { actor: MANUFACTURER }).events[0];
    expect(received.body).toEqual({ shipper: MANUFACTURER, shipmentId: 'ASN-1', items: ['(00)106141412345678908'] });
    expect(received.body.shipmentId).toBe(shipped.body.shipmentId);
    const withoutDesadv = fromEpcisDocument(doc({ ...receiving, bizTransactionList: [] }), { actor: DISTRIBUTOR });
    expect(withoutDesadv.unmapped[0].reason).toMatch(/no despatch advice .* the shipment it receives is unknown/);
  });

  it('maps dispensing, decommissioning and destroying, with reasons from rxl:reason or the disposition', () => {
    const at = {
      bizLocation: { id: `https://id.gs1.org/414/${PHARMACY}` },
      epcList: [`https://id.gs1.org/01/${GTIN}/21/A1`],
    };
    const result = fromEpcisDocument(
      doc(
        object({ ...at, eventID: 'urn:uuid:1', action: 'OBSERVE', bizStep: 'dispensing', disposition: 'dispensed' }),
        object({ ...at, eventID: 'urn:uuid:2', action: 'DELETE', bizStep: 'decommissioning', disposition: 'stolen' }),
        object({ ...at, eventID: 'urn:uuid:3', action: 'DELETE', bizStep: 'decommissioning', disposition: 'inactive' }),
        object({
          ...at,
          eventID: 'urn:uuid:4',
          action: 'OBSERVE',
          bizStep: 'destroying',
          'rxl:reason': 'illegitimate',
        }),
        object({ ...at, eventID: 'urn:uuid:5', action: 'ADD', bizStep: 'dispensing' }),
        object({ ...at, eventID: 'urn:uuid:6', action: 'OBSERVE', bizStep: 'storing' }),
        object({ ...at, eventID: 'urn:uuid:7', action: 'OBSERVE', bizStep: 'urn:example:bizstep:shelving' }),
        object({ ...at, eventID: 'urn:uuid:8', action: 'OBSERVE' }),
      ),
      { actor: PHARMACY },
    );
    expect(result.events.map((e) => [e.type, e.body])).toEqual([
      ['dispense', { items: [unit('A1')] }],
      ['decommission', { items: [unit('A1')], reason: 'stolen' }],
      ['decommission', { items: [unit('A1')], reason: 'other' }],
      ['destroy', { items: [unit('A1')], reason: 'illegitimate' }],
    ]);
    expect(result.unmapped.map((u) => [u.eventIndex, u.reason])).toEqual([
      [4, 'bizStep dispensing with action ADD has no RxLedger counterpart (expected OBSERVE)'],
      [5, expect.stringMatching(/^bizStep storing has no RxLedger counterpart \(mapped: commissioning, shipping/)],
      [6, 'bizStep "urn:example:bizstep:shelving" is not a CBV business step'],
      [7, expect.stringMatching(/without a bizStep/)],
    ]);
  });
  it('maps an event whose disposition is not CBV, and reports the disposition as not understood', () => {
    const result = fromEpcisDocument(
      doc(
        object({
          action: 'OBSERVE',
          bizStep: 'dispensing',
          disposition: 'https://example.com/disposition/partially_used',
          epcList: [`https://id.gs1.org/01/${GTIN}/21/A1`],
          'rxl:actor': PHARMACY,
        }),
      ),
      { actor: PHARMACY },
    );
    expect(result.events.map((e) => e.type)).toEqual(['dispense']);
    expect(result.ignored).toEqual([{ eventIndex: 0, members: ['disposition'] }]);
  });
});

describe('EPCIS import: aggregation', () => {
  const aggregation = (fields: object) => ({
    type: 'AggregationEvent',
    eventTime: '2026-11-23T10:00:00.000Z',
    eventTimeZoneOffset: '+00:00',
    parentID: 'urn:epc:id:sscc:0614141.1234567890',
    bizLocation: { id: `https://id.gs1.org/414/${MANUFACTURER}` },
    ...fields,
  });

  it('maps packing ADD to pack and unpacking DELETE (with or without children) to unpack', () => {
    const children = [`https://id.gs1.org/01/${GTIN}/21/A1`, 'urn:epc:id:sscc:0614141.0000000017'];
    const result = fromEpcisDocument(
      doc(
        aggregation({ eventID: 'urn:uuid:p', action: 'ADD', bizStep: 'packing', childEPCs: children }),
        aggregation({ eventID: 'urn:uuid:u', action: 'DELETE', bizStep: 'unpacking', childEPCs: children.slice(0, 1) }),
        aggregation({ eventID: 'urn:uuid:a', action: 'DELETE' }),
      ),
      { actor: MANUFACTURER },
    );
    expect(result.events.map((e) => [e.type, e.body])).toEqual([
      ['pack', { parent: '(00)106141412345678908', children: [unit('A1'), '(00)006141410000000173'] }],
      ['unpack', { parent: '(00)106141412345678908', children: [unit('A1')] }],
      ['unpack', { parent: '(00)106141412345678908' }],
    ]);
  });

  it('reports aggregations it cannot map', () => {
    const result = fromEpcisDocument(
      doc(
        aggregation({
          action: 'ADD',
          bizStep: 'packing',
          childQuantityList: [{ epcClass: 'urn:epc:class:lgtin:0614141.012345.L1', quantity: 2 }],
        }),
        aggregation({ action: 'ADD', bizStep: 'shipping', childEPCs: [`https://id.gs1.org/01/${GTIN}/21/A1`] }),
        aggregation({
          action: 'ADD',
          parentID: `https://id.gs1.org/01/${GTIN}/21/A1`,
          childEPCs: [`https://id.gs1.org/01/${GTIN}/21/A2`],
        }),
        aggregation({ action: 'ADD', parentID: undefined, childEPCs: [`https://id.gs1.org/01/${GTIN}/21/A2`] }),
        { type: 'AssociationEvent', eventTime: '2026-11-23T10:00:00Z', eventTimeZoneOffset: '+00:00' },
        { type: 'TransactionEvent', eventTime: '2026-11-23T10:00:00Z', eventTimeZoneOffset: '+00:00' },
        { type: 'example:SpecialEvent', eventTime: '2026-11-23T10:00:00Z', eventTimeZoneOffset: '+00:00' },
        'not an event',
      ),
      { actor: MANUFACTURER },
    );
    expect(result.events).toEqual([]);
    expect(result.unmapped.map((u) => u.reason)).toEqual([
      expect.stringMatching(/packs only quantities \(childQuantityList\)/),
      'an AggregationEvent ADD with bizStep shipping has no RxLedger counterpart (mapped: ADD packing, DELETE unpacking)',
      expect.stringMatching(/parentID https:\/\/id.gs1.org\/01\/.* is not an SSCC: RxLedger containers are SSCCs/),
      'an AggregationEvent needs a parentID (the container)',
      expect.stringMatching(/AssociationEvent .* has no RxLedger counterpart/),
      expect.stringMatching(/TransactionEvent has no RxLedger counterpart/),
      '"example:SpecialEvent" is not an EPCIS event type RxLedger maps (ObjectEvent, AggregationEvent)',
      'not a JSON object',
    ]);
  });
});

describe('EPCIS import: documents and ids', () => {
  it('derives the same ids on every import, from the eventID or else the canonical event', () => {
    const { eventID: _, ...without } = commissioning();
    const first = fromEpcisDocument(doc(commissioning(), without), { actor: MANUFACTURER });
    const again = fromEpcisDocument(doc(commissioning(), { ...without, ilmd: { ...without.ilmd } }), {
      actor: MANUFACTURER,
    });
    expect(first.events.map((e) => e.id)).toEqual(again.events.map((e) => e.id));
    expect(first.events[1].id).toMatch(/^epcis-h:[0-9a-f]{40}$/);
    const changed = fromEpcisDocument(doc({ ...without, epcList: [`https://id.gs1.org/01/${GTIN}/21/A7`] }), {
      actor: MANUFACTURER,
    });
    expect(changed.events[0].id).not.toBe(first.events[1].id);
  });

  it('reports a repeated eventID instead of importing the event twice', () => {
    const result = fromEpcisDocument(doc(commissioning(), commissioning()), { actor: MANUFACTURER });
    expect(result.events).toHaveLength(1);
    expect(result.unmapped).toEqual([
      { eventIndex: 1, eventID: expect.any(String), reason: 'repeats the eventID of event 0' },
    ]);
  });

  it('reports error declarations and unreadable times', () => {
    const result = fromEpcisDocument(
      doc(
        commissioning({ errorDeclaration: { declarationTime: '2026-11-24T00:00:00Z', reason: 'incorrect_data' } }),
        commissioning({ eventID: 'urn:uuid:t', eventTime: 'yesterday' }),
        commissioning({ eventID: 'urn:uuid:u', eventTime: '2026-11-23T10:00:00', eventTimeZoneOffset: '+02:00' }),
      ),
      { actor: MANUFACTURER },
    );
    expect(result.unmapped.map((u) => u.reason)).toEqual([
      expect.stringMatching(/errorDeclaration/),
      'eventTime "yesterday" is not an RFC 3339 date-time with a time zone',
    ]);
    expect(result.events.map((e) => e.time)).toEqual(['2026-11-23T10:00:00+02:00']);
  });

  it('reads an EPCISQueryDocument too, and refuses what is no EPCIS document', () => {
    const query = {
      type: 'EPCISQueryDocument',
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: [commissioning()] } } },
    };
    expect(fromEpcisDocument(query, { actor: MANUFACTURER }).events).toHaveLength(1);
    expect(() => fromEpcisDocument([], { actor: MANUFACTURER })).toThrow(EpcisDocumentError);
    expect(() => fromEpcisDocument({ type: 'ObjectEvent' }, { actor: MANUFACTURER })).toThrow(
      /expected an EPCIS 2.0 JSON-LD "EPCISDocument"/,
    );
    expect(() => fromEpcisDocument({ type: 'EPCISDocument', epcisBody: {} }, { actor: MANUFACTURER })).toThrow(
      /no epcisBody.eventList/,
    );
    expect(() => fromEpcisDocument(doc(), { actor: '0614141000013' })).toThrow(/actor must be a GLN/);
  });

  it('keeps a printed YYMM00 expiry through export and import', () => {
    const { document } = toEpcisDocument([
      logged(MANUFACTURER, 'commission', { gtin: GTIN, lot: 'L', expiry: '290200', serials: ['S'] }),
    ]);
    expect(fromEpcisDocument(document, { actor: MANUFACTURER }).events[0].body.expiry).toBe('290200');
  });
});
