import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  companyPrefixLengthFrom,
  fromEpcisDocument,
  readGlnUri,
  toEpcisDocument,
  type EpcisImport,
  type ExportEntry,
  type UnsignedEvent,
} from '../../../src/epcis';
import { fromEpcisXml, importEpcisXml, toEpcisXml } from '../../../src/epcis/xml';
import { anyEntry } from './arbitraries';
import {
  DISTRIBUTOR,
  gs1SchemaErrors,
  GTIN,
  journey,
  logged,
  MANUFACTURER,
  PREFIX,
  sscc,
  unit,
} from './epcis-fixtures';

const FIXTURES = join(__dirname, '../../fixtures/epcis');
const XSD = join(FIXTURES, 'xsd-1.2/EPCglobal-epcis-1_2.xsd');
const scratch = mkdtempSync(join(tmpdir(), 'rxl-epcis-xml-'));

/** GS1's EPCIS 1.2 XSD, by xmllint (Debian libxml2-utils): the errors, or [] when the document is valid. */
function xsdErrors(xml: string): string[] {
  const file = join(scratch, 'doc.xml');
  writeFileSync(file, xml);
  try {
    execFileSync('xmllint', ['--noout', '--stream', '--schema', XSD, file], { stdio: 'pipe' });
    return [];
  } catch (error) {
    return String((error as { stderr: Buffer }).stderr)
      .split('\n')
      .filter(Boolean);
  }
}

/** What an importer rebuilds of an event: type, actor, body, and time (a product's time is the document's). */
const essence = (event: { type: string; actor: string; time: string; body: unknown }) => ({
  type: event.type,
  actor: event.actor,
  body: event.body,
  ...(event.type === 'product.register' ? {} : { time: event.time }),
});

/** Import a document once per actor (each signs only its own events), in document order; products first. */
function importPerActor(entries: ExportEntry[], convert: (actor: string) => EpcisImport) {
  const imported: { index: number; event: UnsignedEvent }[] = [];
  for (const actor of new Set(entries.map((e) => e.event.actor))) {
    const result = convert(actor);
    result.events.forEach((event, i) => imported.push({ index: result.sourceIndexes[i], event }));
    // Other actors' events are unmapped (theirs), never half-mapped.
    expect(result.unmapped.every((u) => / is \d{13}'s event /.test(u.reason))).toBe(true);
  }
  return imported.sort((a, b) => a.index - b.index).map((i) => essence(i.event));
}

/** The log's events in the order an import gives them back: products (master data, in the header) first. */
const expected = (entries: ExportEntry[]) => [
  ...entries.filter((e) => e.event.type === 'product.register').map((e) => essence(e.event)),
  ...entries.filter((e) => e.event.type !== 'product.register').map((e) => essence(e.event)),
];

describe('EPCIS 1.2 XML round trip (issue 14): RxLedger → XML → RxLedger gives identical log bodies', () => {
  it('for a whole journey, with EPC URNs; the export is valid per GS1 EPCIS 1.2 XSD', () => {
    const entries = journey();
    const context = { companyPrefixLength: companyPrefixLengthFrom([PREFIX, '086000']) };
    const { xml, skipped } = toEpcisXml(entries, context);
    expect(skipped).toEqual([]);
    expect(xsdErrors(xml)).toEqual([]);
    expect(importPerActor(entries, (actor) => fromEpcisXml(xml, { actor }))).toEqual(expected(entries));
  });

  it('keeps product names as written, spaces included (fast-check found " " lost: seed -1802317257)', () => {
    const body = {
      gtin: '00300000000001',
      name: ' Amoxicillin ',
      strength: ' ',
      dosageForm: 'capsule',
      containerSize: '100 ',
    };
    const entries = [logged(MANUFACTURER, 'product.register', body)];
    expect(fromEpcisXml(toEpcisXml(entries).xml, { actor: MANUFACTURER }).events.map((e) => e.body)).toEqual([body]);
  });

  it('holds for random journeys of every event type with an EPCIS form, in XML and in JSON-LD (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(anyEntry, { minLength: 1, maxLength: 6 }), fc.boolean(), (generated, urns) => {
        const entries = generated.map((entry, index) => ({ ...entry, index }));
        const context = urns ? { companyPrefixLength: () => 7 } : {};
        const { xml, skipped } = toEpcisXml(entries, context);
        expect(skipped).toEqual([]);
        expect(importPerActor(entries, (actor) => fromEpcisXml(xml, { actor }))).toEqual(expected(entries));
        const { document } = toEpcisDocument(entries, context);
        expect(gs1SchemaErrors(document)).toEqual([]);
        expect(importPerActor(entries, (actor) => fromEpcisDocument(document, { actor }))).toEqual(expected(entries));
      }),
      { numRuns: 200 },
    );
  });

  it('every random export is valid per GS1 EPCIS 1.2 XSD (xmllint)', () => {
    fc.assert(
      fc.property(fc.array(anyEntry, { minLength: 1, maxLength: 6 }), (generated) => {
        const entries = generated.map((entry, index) => ({ ...entry, index }));
        expect(xsdErrors(toEpcisXml(entries, { companyPrefixLength: () => 7 }).xml)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('EPCIS 1.2 XML import of published documents', () => {
  const usExample = readFileSync(join(FIXTURES, 'dscsa-1.2/openepcis__GS1_US_Pharma_Example_2_2_1_1.xml'), 'utf8');
  const MFG = readGlnUri('urn:epc:id:sgln:030001.111111.0');
  const MFG_DC = readGlnUri('urn:epc:id:sgln:030001.111121.0');
  const WHOLESALER = readGlnUri('urn:epc:id:sgln:039999.999999.0');

  it.each([
    'dscsa-1.2/openepcis__GS1_US_Pharma_Example_2_2_1_1.xml',
    'gs1-1.2/Example_9.6.1.xml',
    'gs1-1.2/XSL-1.2-XML/ObjectEvent.xml',
    'gs1-1.2/XSL-1.2-XML/AggregationEvent.xml',
  ])('%s is valid per the vendored XSD (the fixture and the validator agree)', (name) => {
    expect(xsdErrors(readFileSync(join(FIXTURES, name), 'utf8'))).toEqual([]);
  });

  it('the GS1 US guideline example (R1.3, 2.2.1.1): products from master data, commissioning, packing, shipping with the TI', () => {
    const result = fromEpcisXml(usExample, { actor: MFG, ownGlns: [MFG_DC] });
    expect(result.problems).toEqual([]);
    expect(result.header).toMatchObject({ schemaVersion: '1.2', hasSbdh: true, guidelineVersion: 'GS1 US DSCSA R1.3' });
    expect(result.events.map((e) => e.type)).toEqual([
      'product.register',
      'product.register',
      'commission',
      'commission',
      'pack',
      'ship',
    ]);
    expect(result.events[0].body).toEqual({
      gtin: '00300010123455',
      ndc: '0001012345',
      name: 'Epcistra',
      strength: '100mg',
      dosageForm: 'PILL',
      containerSize: '500 pills',
    });
    expect(result.events[2].body).toMatchObject({ gtin: '00300010123455', lot: 'A123', expiry: '250327' });
    expect(result.events[5].body).toEqual({
      shipmentId: 'DEL100',
      recipient: WHOLESALER,
      items: ['(00)403000112345678901'],
      transaction: { date: '2023-04-01', shipmentDate: '2023-04-01', purchaseOrder: 'XYZPO189' },
    });
    // Cases are SGTINs in the example; RxLedger's containers are SSCCs, so packing into a case is reported unmapped.
    expect(result.unmapped.map((u) => u.eventIndex)).toEqual([2, 3, 4, 5]);
    expect(result.ignored).toEqual([
      {
        eventIndex: 7,
        members: [
          'gs1ushc:dropShipment',
          'sourceList[urn:epcglobal:cbv:sdt:location]',
          'destinationList[urn:epcglobal:cbv:sdt:location]',
        ],
      },
    ]);
  });

  it('the wholesaler of the same document registers no products of the manufacturer (the SBDH sender)', () => {
    const result = fromEpcisXml(usExample, { actor: WHOLESALER });
    expect(result.events).toEqual([]);
    expect(result.ignored[0]).toEqual({
      eventIndex: -1,
      members: [expect.stringContaining(`a product of ${MFG}`), expect.stringContaining(`a product of ${MFG}`)],
    });
  });

  it('the wholesaler that received the shipment (receiveAt) gets its receipt of the shipment the manufacturer logs', () => {
    const result = fromEpcisXml(usExample, { actor: WHOLESALER, receiveAt: '2023-04-02T09:00:00-05:00' });
    const ship = fromEpcisXml(usExample, { actor: MFG, ownGlns: [MFG_DC] }).events.at(-1)!;
    expect(result.events).toEqual([
      {
        id: expect.stringMatching(/^epcis-h:[0-9a-f]{40}\.receipt$/),
        type: 'receive',
        actor: WHOLESALER,
        time: '2023-04-02T09:00:00-05:00',
        body: {
          shipper: MFG,
          shipmentId: (ship.body as { shipmentId: string }).shipmentId,
          items: ['(00)403000112345678901'],
        },
      },
    ]);
    expect(() => fromEpcisXml(usExample, { actor: WHOLESALER, receiveAt: 'yesterday' })).toThrow(/receiveAt/);
  });

  it("GS1's EPCIS 1.2 example 9.6.1: the receiving party maps its receipt, the vendor extension is reported", () => {
    const receiver = readGlnUri('urn:epc:id:sgln:0012345.11111.0');
    const result = fromEpcisXml(readFileSync(join(FIXTURES, 'gs1-1.2/Example_9.6.1.xml'), 'utf8'), {
      actor: receiver,
    });
    expect(result.events).toEqual([
      {
        id: expect.stringMatching(/^epcis-h:/),
        type: 'receive',
        actor: receiver,
        time: '2005-04-04T20:33:31.116-06:00',
        body: { shipper: '0614141073467', shipmentId: '1152', items: ['(01)10614141073464(21)2018'] },
      },
    ]);
    expect(result.ignored[0].members).toEqual(['example:myField', 'bizTransactionList[urn:epcglobal:cbv:btt:po]']);
    // Not a DSCSA document: no SBDH, no master data, shipping without TI statement.
    expect(result.problems.map((p) => p.rule)).toEqual(
      expect.arrayContaining(['sbdh', 'sourceList', 'destinationList', 'transactionStatement', 'masterData']),
    );
  });

  it.each([
    ['AggregationEvent.xml', [/AggregationEvent with action OBSERVE/]],
    ['AssociationEvent.xml', Array(8).fill(/an AssociationEvent .* has no RxLedger counterpart/)],
    ['TransactionEvent.xml', Array(2).fill(/a TransactionEvent has no RxLedger counterpart/)],
    ['TransformationEvent.xml', [/a TransformationEvent .* has no RxLedger counterpart/]],
  ])(
    "GS1's EPCIS 1.2 %s: every event is read (also inside the 1.2 EventList extension) and reported with its reason",
    (name, reasons) => {
      const result = fromEpcisXml(readFileSync(join(FIXTURES, 'gs1-1.2/XSL-1.2-XML', name), 'utf8'), {
        actor: MANUFACTURER,
      });
      expect(result.events).toEqual([]);
      expect(result.unmapped.map((u) => u.reason)).toEqual(reasons.map((r) => expect.stringMatching(r)));
    },
  );

  it('reads any prefix, a default namespace, CDATA and indentation alike, streamed in 7-byte chunks', async () => {
    const variant = usExample
      .replace(/epcis:EPCISDocument/g, 'e:EPCISDocument')
      .replace('xmlns:epcis="urn:epcglobal:epcis:xsd:1"', 'xmlns:e="urn:epcglobal:epcis:xsd:1"')
      .replace(/cbvmda:/g, 'mda:')
      .replace('xmlns:cbvmda=', 'xmlns="urn:epcglobal:epcis:xsd:1" xmlns:mda=')
      .replace('<mda:lotNumber>A123</mda:lotNumber>', '<mda:lotNumber><![CDATA[A123]]></mda:lotNumber>')
      .replace(/<action>ADD<\/action>/g, '<action>\n   ADD\n</action>');
    async function* chunks() {
      const bytes = new TextEncoder().encode(variant);
      for (let i = 0; i < bytes.length; i += 7) yield bytes.slice(i, i + 7);
    }
    const events: UnsignedEvent[] = [];
    for await (const step of importEpcisXml(chunks(), { actor: MFG, ownGlns: [MFG_DC] })) {
      events.push(...step.mapping.events);
    }
    expect(events).toEqual(fromEpcisXml(usExample, { actor: MFG, ownGlns: [MFG_DC] }).events);
  });

  it('refuses a document that is not well-formed or not EPCIS, saying why', () => {
    expect(() =>
      fromEpcisXml('<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1"><EPCISBody>', { actor: MFG }),
    ).toThrow(/ends before|not well-formed/);
    expect(() => fromEpcisXml('<html/>', { actor: MFG })).toThrow(/root element is html/);
  });
});

describe('Exceptions of the GS1 US guideline (issue 14 §4) map to the events that raise alerts', () => {
  const event = (bizStep: string, disposition: string, extra = '') =>
    `<?xml version="1.0"?><epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:rxl="https://rxledger.dev/epcis/" schemaVersion="1.2" creationDate="2026-11-24T10:00:00Z"><EPCISBody><EventList>` +
    `<ObjectEvent><eventTime>2026-11-24T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>` +
    `<epcList><epc>https://id.gs1.org/01/${GTIN}/21/SN0001</epc></epcList><action>OBSERVE</action>` +
    `<bizStep>urn:epcglobal:cbv:bizstep:${bizStep}</bizStep><disposition>urn:epcglobal:cbv:disp:${disposition}</disposition>` +
    `<readPoint><id>https://id.gs1.org/414/${MANUFACTURER}</id></readPoint>` +
    `<bizTransactionList><bizTransaction type="urn:epcglobal:cbv:btt:desadv">urn:epcglobal:cbv:bt:${DISTRIBUTOR}:ASN-1</bizTransaction></bizTransactionList>` +
    `${extra}</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>`;

  it('a damaged shipment: receiving with disposition damaged is a receipt, then a quarantine', () => {
    const result = fromEpcisXml(event('receiving', 'damaged'), { actor: MANUFACTURER });
    expect(result.events.map((e) => [e.type, e.body])).toEqual([
      ['receive', { shipper: DISTRIBUTOR, shipmentId: 'ASN-1', items: [unit('SN0001')] }],
      ['quarantine', { items: [unit('SN0001')], reason: 'damaged shipment (EPCIS receiving, disposition damaged)' }],
    ]);
  });

  it.each([
    ['inspecting', 'mismatch_class', '', /incorrect product data or lot number discrepancy/],
    ['inspecting', 'mismatch_quantity', '', /overage or shortage found after receipt/],
    ['holding', 'no_pedigree_match', '', /data not received/],
    [
      'inspecting',
      'non_sellable_other',
      '<rxl:exception>lot-number-discrepancy</rxl:exception>',
      /^lot number discrepancy/,
    ],
    ['holding', 'non_sellable_other', '<rxl:exception>concealed-shortage</rxl:exception>', /^concealed shortage/],
  ])('%s with %s %s is a quarantine', (bizStep, disposition, extra, reason) => {
    const result = fromEpcisXml(event(bizStep, disposition, extra), { actor: MANUFACTURER });
    expect(result.events.map((e) => e.type)).toEqual(['quarantine']);
    expect((result.events[0].body as { reason: string }).reason).toMatch(reason);
  });

  it('an inspection that finds nothing wrong is no exception (unmapped, not a hold)', () => {
    const result = fromEpcisXml(event('inspecting', 'sellable_accessible'), { actor: MANUFACTURER });
    expect(result.events).toEqual([]);
    expect(result.unmapped[0].reason).toMatch(/reports no exception/);
  });

  it('an explicit shortage is a receipt of what arrived (the ledger compares it with the shipment)', () => {
    const entries = [logged(MANUFACTURER, 'receive', { shipper: DISTRIBUTOR, shipmentId: 'ASN-1', items: [sscc(1)] })];
    const { xml } = toEpcisXml(entries);
    const result = fromEpcisXml(xml, { actor: MANUFACTURER });
    expect(result.unmapped).toEqual([]);
    expect(result.events.map((e) => e.body)).toEqual([entries[0].event.body]);
  });
});
