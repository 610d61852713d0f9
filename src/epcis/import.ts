/**
 * EPCIS 2.0 JSON-LD import: a whole document → unsigned RxLedger events of the importing party, through the one
 * mapping (./mapping): the header's EPCClass master data first (products), then the events in order.
 */
import { EpcisDocumentError, EpcisEventMapper, type EpcisImport, type ImportOptions } from './mapping';
import { EPC_CLASS_VOCABULARY } from './vocabulary';

export function fromEpcisDocument(doc: unknown, options: ImportOptions): EpcisImport {
  const mapper = new EpcisEventMapper(options);
  const eventList = eventListOf(doc);
  const result: EpcisImport = { events: [], sourceIndexes: [], unmapped: [], ignored: [] };
  const add = (mapping: ReturnType<EpcisEventMapper['map']>, eventIndex: number) => {
    for (const event of mapping.events) {
      result.events.push(event);
      result.sourceIndexes.push(eventIndex);
    }
    result.unmapped.push(...mapping.unmapped);
    if (mapping.ignored) result.ignored.push(mapping.ignored);
  };
  const products = productsOf(doc);
  if (products.length > 0) add(mapper.masterData(products, creationDateOf(doc)), -1);
  eventList.forEach((raw, eventIndex) => add(mapper.map(raw, eventIndex), eventIndex));
  return result;
}

function eventListOf(doc: unknown): unknown[] {
  if (!isObject(doc)) throw new EpcisDocumentError('an EPCIS document is a JSON object');
  let list: unknown;
  if (doc.type === 'EPCISDocument') {
    list = member(doc.epcisBody, 'eventList');
  } else if (doc.type === 'EPCISQueryDocument') {
    list = member(member(member(doc.epcisBody, 'queryResults'), 'resultsBody'), 'eventList');
  } else {
    throw new EpcisDocumentError(
      `"type" is ${JSON.stringify(doc.type)}: expected an EPCIS 2.0 JSON-LD "EPCISDocument" (or "EPCISQueryDocument")`,
    );
  }
  if (!Array.isArray(list)) throw new EpcisDocumentError('the document has no epcisBody.eventList array');
  return list;
}

/** The EPCClass vocabulary elements of the header's master data. */
function productsOf(doc: unknown): unknown[] {
  const vocabularies = member(member(member(doc, 'epcisHeader'), 'epcisMasterData'), 'vocabularyList');
  if (!Array.isArray(vocabularies)) return [];
  return vocabularies
    .filter((v) => isObject(v) && v.type === EPC_CLASS_VOCABULARY && Array.isArray(v.vocabularyElementList))
    .flatMap((v) => (v as { vocabularyElementList: unknown[] }).vocabularyElementList);
}

function creationDateOf(doc: unknown): string {
  const date = member(doc, 'creationDate');
  if (typeof date !== 'string') throw new EpcisDocumentError('a document with master data needs its creationDate');
  return date;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function member(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}
