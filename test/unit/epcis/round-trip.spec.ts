import fc from 'fast-check';
import {
  companyPrefixLengthFrom,
  fromEpcisDocument,
  toEpcisDocument,
  type ExportContext,
  type ExportEntry,
  type UnsignedEvent,
} from '../../../src/epcis';
import { appendCheckDigit, CHARSET_82, formatYymmdd } from '../../../src/gs1';
import { containerCode, unitCode } from '../../../src/protocol/item-code';
import { DECOMMISSION_REASONS, DESTROY_REASONS } from '../../../src/supply-chain/dto/custody-bodies.dto';
import { gs1SchemaErrors, journey, PREFIX } from './epcis-fixtures';

/** Export, then import the document once per actor (each signs only its own events). */
function roundTrip(entries: ExportEntry[], context: ExportContext = {}) {
  const { document, skipped } = toEpcisDocument(entries, context);
  const actors = [...new Set(entries.map((e) => e.event.actor))];
  const imported: { index: number; event: UnsignedEvent }[] = [];
  const unmappedPerActor: number[] = [];
  for (const actor of actors) {
    const result = fromEpcisDocument(document, { actor });
    result.events.forEach((event, i) => imported.push({ index: result.sourceIndexes[i], event }));
    unmappedPerActor.push(result.unmapped.length);
    expect(result.ignored).toEqual([]);
    // What one actor could not map is exactly the other actors' events.
    expect(result.unmapped.map((u) => u.reason)).toEqual(
      entries
        .filter((e) => e.event.actor !== actor)
        .map((e) => expect.stringContaining(`${e.event.actor}'s event (rxl:actor)`)),
    );
  }
  imported.sort((a, b) => a.index - b.index);
  return { document, skipped, imported: imported.map((i) => i.event) };
}

/** The unsigned event an importer would rebuild: same type, actor, time and body; the id is derived. */
const unsignedOf = ({ event }: ExportEntry) => ({
  type: event.type,
  actor: event.actor,
  time: event.time,
  body: event.body,
});
const withoutId = ({ id: _, ...rest }: UnsignedEvent) => rest;

describe('EPCIS round trip: RxLedger → EPCIS → RxLedger', () => {
  it('gives back every event of a journey (commission … destroy), with Digital Link identifiers', () => {
    const entries = journey();
    const { document, skipped, imported } = roundTrip(entries);
    expect(skipped).toEqual([]);
    expect(imported.map(withoutId)).toEqual(entries.map(unsignedOf));
    // Ids derive from the exported eventIDs, so importing the same export again yields the same ids.
    expect(imported.map((e) => e.id)).toEqual(document.epcisBody.eventList.map((e) => `epcis:${e.eventID}`));
  });

  it('gives back every event with EPC URN identifiers', () => {
    const entries = journey();
    const { imported } = roundTrip(entries, { companyPrefixLength: companyPrefixLengthFrom([PREFIX, '086000']) });
    expect(imported.map(withoutId)).toEqual(entries.map(unsignedOf));
  });

  it('holds for random events of the supported subset, and every export is valid per GS1', () => {
    fc.assert(
      fc.property(fc.array(supportedEntry, { minLength: 1, maxLength: 6 }), fc.boolean(), (generated, urns) => {
        const entries = generated.map((entry, index) => ({ ...entry, index }));
        const context = urns ? { companyPrefixLength: () => 7 } : {};
        const { document, imported } = roundTrip(entries, context);
        expect(gs1SchemaErrors(document)).toEqual([]);
        expect(imported.map(withoutId)).toEqual(entries.map(unsignedOf));
      }),
      { numRuns: 150 },
    );
  });
});

// Generators of valid RxLedger events of the supported subset.
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const gs1Text = fc.string({ unit: fc.constantFrom(...CHARSET_82), minLength: 1, maxLength: 20 });
const gln = digits(12).map(appendCheckDigit);
// The company prefix is 7 digits wherever the URN variant needs it (digit 2 onwards of a GTIN or SSCC).
const gtin = digits(13).map(appendCheckDigit);
const unit = fc.tuple(gtin, gs1Text).map(([g, serial]) => unitCode(g, serial));
const container = digits(17).map((d) => containerCode(appendCheckDigit(d)));
const item = fc.oneof(unit, container);
const items = fc.uniqueArray(item, { minLength: 1, maxLength: 4 });
const isoDate = fc
  .date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2060, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const expiry = fc.oneof(
  isoDate.filter((d) => Number(d.slice(0, 4)) >= 2010).map((d) => formatYymmdd(d)),
  fc
    .tuple(fc.integer({ min: 10, max: 60 }), fc.integer({ min: 1, max: 12 }))
    .map(([y, m]) => `${y}${String(m).padStart(2, '0')}00`),
);
const offset = fc.oneof(
  fc.constant('Z'),
  fc
    .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 13 }), fc.constantFrom(0, 30, 45))
    .map(([sign, h, m]) => `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
);
const time = fc
  .tuple(
    fc.date({ min: new Date(Date.UTC(2001, 0, 1)), max: new Date(Date.UTC(2059, 0, 1)), noInvalidDate: true }),
    fc.integer({ min: 0, max: 9 }),
    offset,
  )
  .map(([d, fraction, zone]) => {
    const seconds = d.toISOString().slice(0, 19);
    const digits =
      fraction === 0
        ? ''
        : `.${String(d.getUTCMilliseconds()).padStart(3, '0').padEnd(fraction, '7').slice(0, fraction)}`;
    return `${seconds}${digits}${zone}`;
  });
const shipmentId = fc.string({ unit: fc.constantFrom(...'ABCxyz019._:/-'), minLength: 1, maxLength: 64 });
const reference = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 64 })
  .filter((text) => text.length <= 64 && wellFormed(text));

function wellFormed(text: string): boolean {
  try {
    encodeURIComponent(text); // throws on a lone surrogate, which no JSON text can carry through a signature
    return true;
  } catch {
    return false;
  }
}

const body = fc.oneof(
  fc.record({
    type: fc.constant('commission'),
    body: fc.record({ gtin, lot: gs1Text, expiry, serials: fc.uniqueArray(gs1Text, { minLength: 1, maxLength: 4 }) }),
  }),
  fc.record({ type: fc.constant('pack'), body: fc.record({ parent: container, children: items }) }),
  fc.record({
    type: fc.constant('unpack'),
    body: fc.record({ parent: container, children: items }, { requiredKeys: ['parent'] }),
  }),
  fc.record({
    type: fc.constant('ship'),
    body: fc.record(
      {
        shipmentId,
        recipient: gln,
        reason: fc.constantFrom('sale', 'return'),
        items,
        transaction: fc.record(
          { date: isoDate, shipmentDate: isoDate, purchaseOrder: reference, invoice: reference },
          { requiredKeys: ['date', 'shipmentDate'] },
        ),
      },
      { requiredKeys: ['shipmentId', 'recipient', 'items', 'transaction'] },
    ),
  }),
  fc.record({ type: fc.constant('receive'), body: fc.record({ shipper: gln, shipmentId, items }) }),
  fc.record({ type: fc.constant('dispense'), body: fc.record({ items }) }),
  fc.record({
    type: fc.constant('decommission'),
    body: fc.record({ items, reason: fc.constantFrom(...DECOMMISSION_REASONS) }),
  }),
  fc.record({ type: fc.constant('destroy'), body: fc.record({ items, reason: fc.constantFrom(...DESTROY_REASONS) }) }),
);

const supportedEntry: fc.Arbitrary<ExportEntry> = fc
  .tuple(
    body,
    gln,
    time,
    fc.string({ unit: fc.constantFrom(...'abc123-'), minLength: 1, maxLength: 20 }),
    fc.date({ noInvalidDate: true }),
  )
  .map(([{ type, body: content }, actor, at, id, accepted]) => ({
    index: 0,
    acceptedAt: accepted.toISOString(),
    event: { id, type, actor, keyId: '00112233445566aa', time: at, body: content as Record<string, unknown> },
  }));
