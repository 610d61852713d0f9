import fc from 'fast-check';
import {
  companyPrefixLengthFrom,
  fromEpcisDocument,
  toEpcisDocument,
  type ExportContext,
  type ExportEntry,
  type UnsignedEvent,
} from '../../../src/epcis';
import { supportedEntry } from './arbitraries';
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
