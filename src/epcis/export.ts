/**
 * EPCIS 2.0 JSON-LD export: a whole document from logged events, through the one mapping (./mapping). Products
 * (`product.register`) go into the header's master data as EPCClass vocabulary elements.
 */
import type { EpcisDocument, EpcisEvent, EpcisVocabularyElement } from './epcis-document';
import {
  toEpcisEvents,
  toMasterData,
  type EpcisExport,
  type ExportContext,
  type ExportEntry,
  type SkippedEntry,
} from './mapping';
import { EPC_CLASS_VOCABULARY, EPCIS_CONTEXT, RXLEDGER_NAMESPACE, RXLEDGER_PREFIX } from './vocabulary';

/** The `@context` of every exported document: the EPCIS 2.0 context and RxLedger's extension prefix. */
export function epcisContext(): EpcisDocument['@context'] {
  return [EPCIS_CONTEXT, { [RXLEDGER_PREFIX]: RXLEDGER_NAMESPACE }];
}

/** A whole EPCIS 2.0 document for `entries`, in their order. */
export function toEpcisDocument(entries: Iterable<ExportEntry>, context: ExportContext = {}): EpcisExport {
  const eventList: EpcisEvent[] = [];
  const products: EpcisVocabularyElement[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    const product = toMasterData(entry, context);
    if (product) {
      products.push(product);
      continue;
    }
    const result = toEpcisEvents(entry, context);
    if ('skipped' in result) {
      skipped.push({ index: entry.index, eventId: entry.event.id, type: entry.event.type, reason: result.skipped });
    } else {
      eventList.push(...result.events);
    }
  }
  const document: EpcisDocument = {
    '@context': epcisContext(),
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: context.creationDate ?? new Date().toISOString(),
    epcisBody: { eventList },
  };
  if (products.length > 0) {
    document.epcisHeader = {
      epcisMasterData: { vocabularyList: [{ type: EPC_CLASS_VOCABULARY, vocabularyElementList: products }] },
    };
  }
  return { document, skipped };
}
