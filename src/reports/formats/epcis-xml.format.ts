import { companyPrefixLengthFrom, type EpcisVocabularyElement, IdentifierOptions, toMasterData } from '../../epcis';
import { epcisXmlEvents, xmlFooter, xmlHeader } from '../../epcis/xml';
import { LedgerEvent } from '../../protocol/event';
import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import { ReportSnapshot } from '../reports.repository';
import { eventBatches } from './bundle.format';

/** Most products described in the header's master data. */
const MAX_PRODUCTS = 1000;

/**
 * The products in scope (up to MAX_PRODUCTS) as EPCClass vocabulary elements, through the mapping's `toMasterData`:
 * the header's master data of both EPCIS formats.
 */
export async function scopeMasterData(
  snapshot: ReportSnapshot,
  options: IdentifierOptions,
): Promise<EpcisVocabularyElement[]> {
  const seen = new Set<string>();
  const products: EpcisVocabularyElement[] = [];
  for (const product of await snapshot.products(MAX_PRODUCTS)) {
    if (seen.has(product.gtin)) continue;
    seen.add(product.gtin);
    const element = toMasterData(
      {
        index: 0,
        acceptedAt: '',
        event: {
          id: '',
          type: 'product.register',
          actor: product.manufacturer,
          keyId: '',
          time: '',
          body: {
            gtin: product.gtin,
            ...(product.ndc !== null ? { ndc: product.ndc } : {}),
            name: product.name,
            strength: product.strength,
            dosageForm: product.dosage_form,
            containerSize: product.container_size,
          },
        },
      },
      { ...options, partyName: () => product.manufacturer_name ?? undefined },
    );
    if (element) products.push(element);
  }
  return products;
}

/**
 * The events in scope as an EPCIS 1.2 XML document per the GS1 US DSCSA guideline (src/epcis/xml; the mapping is the
 * one of the JSON-LD format, src/epcis/mapping): an SBDH from the log (sender, Authority RxLedger) to the viewer (its
 * GLN, Authority GS1), the products in scope as EPCClass master data with the guideline's attributes, then one event
 * at a time. Identifiers are EPC URNs wherever the GS1 company prefix is known to the log. What the JSON-LD format
 * leaves out (registry events, events withheld from the viewer) is left out here too, and so is an event whose text
 * XML 1.0 cannot carry (a control character).
 */
export async function writeEpcisXml(
  snapshot: ReportSnapshot,
  context: ReportContext,
  sink: ReportSink,
): Promise<{ events: number; skipped: number }> {
  const options: IdentifierOptions = { companyPrefixLength: companyPrefixLengthFrom(await snapshot.companyPrefixes()) };
  const products = await scopeMasterData(snapshot, options);
  const creationDate = context.generatedAt.toISOString();
  await sink.write(
    xmlHeader({
      creationDate,
      sender: { authority: 'RxLedger', identifier: context.log.origin },
      receiver: { authority: 'GS1', identifier: context.viewer.gln },
      instanceIdentifier: context.exportId,
      products,
    }),
  );
  let events = 0;
  let skipped = 0;
  for await (const rows of snapshot.events(eventBatches())) {
    for (const [index, acceptedAt, eventJson] of rows) {
      if (eventJson === null) {
        skipped++;
        continue;
      }
      const event = JSON.parse(eventJson) as LedgerEvent<unknown>;
      const result = epcisXmlEvents({ index, acceptedAt, event }, options);
      if ('skipped' in result) {
        skipped++;
        continue;
      }
      for (const xml of result.xml) {
        await sink.write(xml);
        events++;
      }
    }
  }
  await sink.write(xmlFooter());
  return { events, skipped };
}
