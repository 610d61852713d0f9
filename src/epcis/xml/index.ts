/**
 * EPCIS 1.2 XML in and out, through the one mapping (../mapping): the reader turns XML into EPCIS events in their
 * 2.0 JSON-LD shape, the writer renders that shape as 1.2 XML. `importEpcisXml` streams (header, then one mapped
 * event at a time); `fromEpcisXml` and `toEpcisXml` work on whole documents in memory.
 */
import { isGln } from '../../gs1';
import type { EpcisEvent, EpcisVocabularyElement } from '../epcis-document';
import { readGlnUri } from '../identifiers';
import {
  EpcisDocumentError,
  EpcisEventMapper,
  toEpcisEvents,
  toMasterData,
  type EpcisImport,
  type EventMapping,
  type ExportContext,
  type ExportEntry,
  type ImportOptions,
  type SkippedEntry,
} from '../mapping';
import { cbvWord, EPC_CLASS_VOCABULARY } from '../vocabulary';
import { EpcisXmlReader, readEpcisXml, type XmlDocumentHeader } from './reader';
import { xmlEvent, xmlFooter, xmlHeader, type SbdhParty } from './writer';

export * from './reader';
export * from './writer';

/** A rule of the GS1 US DSCSA guideline (or of EPCIS 1.2) that a document breaks; `eventIndex` -1 is the header. */
export interface GuidelineProblem {
  eventIndex: number;
  rule: string;
  message: string;
}

/** One step of a streamed import: the header's mapping (products), or one event's. */
export type XmlImportStep =
  | { kind: 'header'; header: XmlDocumentHeader; mapping: EventMapping; problems: GuidelineProblem[] }
  | { kind: 'event'; eventIndex: number; mapping: EventMapping; problems: GuidelineProblem[] };

/** The GLN an SBDH identifier names (an SGLN or PGLN URN, a Digital Link, or 13 digits), or undefined. */
export function sbdhGln(identifier: string | undefined): string | undefined {
  if (identifier === undefined) return undefined;
  if (isGln(identifier)) return identifier;
  try {
    return readGlnUri(identifier);
  } catch {
    return undefined;
  }
}

/**
 * Streams an EPCIS 1.2 XML document into the mapping for one importing party: the header first (products from the
 * EPCClass master data, as `product.register`), then each event; each step carries the guideline problems found.
 * The document's SBDH sender, when it is a GLN, stands for the manufacturer of master-data products.
 */
export async function* importEpcisXml(
  chunks: AsyncIterable<string | Uint8Array>,
  options: ImportOptions,
): AsyncGenerator<XmlImportStep> {
  let mapper: EpcisEventMapper | undefined;
  const rules = new GuidelineRules();
  for await (const item of readEpcisXml(chunks)) {
    if (item.kind === 'header') {
      const { header } = item;
      mapper = new EpcisEventMapper({ ...options, sender: options.sender ?? sbdhGln(header.sender) });
      const products = productsOf(header);
      const time = header.creationDate;
      let mapping: EventMapping = { events: [], unmapped: [] };
      if (products.length > 0) {
        if (time === undefined) throw new EpcisDocumentError('a document with master data needs its creationDate');
        mapping = mapper.masterData(products, time);
      }
      yield { kind: 'header', header, mapping, problems: rules.header(header) };
    } else {
      const problems = rules.event(item.event, item.index);
      yield { kind: 'event', eventIndex: item.index, mapping: mapper!.map(item.event, item.index), problems };
    }
  }
  const last = rules.end();
  if (last.length > 0) {
    yield { kind: 'event', eventIndex: -1, mapping: { events: [], unmapped: [] }, problems: last };
  }
}

/** A whole EPCIS 1.2 XML document → unsigned events, as `fromEpcisDocument` for JSON-LD, plus guideline problems. */
export function fromEpcisXml(
  xml: string,
  options: ImportOptions,
): EpcisImport & { header: XmlDocumentHeader; problems: GuidelineProblem[] } {
  const reader = new EpcisXmlReader();
  const items = [...reader.write(xml.replace(/^\uFEFF/, '')), ...reader.close()];
  const result: EpcisImport = { events: [], sourceIndexes: [], unmapped: [], ignored: [] };
  const rules = new GuidelineRules();
  const problems: GuidelineProblem[] = [];
  let header: XmlDocumentHeader | undefined;
  let mapper: EpcisEventMapper | undefined;
  const add = (mapping: EventMapping, eventIndex: number) => {
    for (const event of mapping.events) {
      result.events.push(event);
      result.sourceIndexes.push(eventIndex);
    }
    result.unmapped.push(...mapping.unmapped);
    if (mapping.ignored) result.ignored.push(mapping.ignored);
  };
  for (const item of items) {
    if (item.kind === 'header') {
      header = item.header;
      mapper = new EpcisEventMapper({ ...options, sender: options.sender ?? sbdhGln(header.sender) });
      problems.push(...rules.header(header));
      const products = productsOf(header);
      if (products.length > 0) {
        if (header.creationDate === undefined) {
          throw new EpcisDocumentError('a document with master data needs its creationDate');
        }
        add(mapper.masterData(products, header.creationDate), -1);
      }
    } else {
      problems.push(...rules.event(item.event, item.index));
      add(mapper!.map(item.event, item.index), item.index);
    }
  }
  problems.push(...rules.end());
  return { ...result, header: header!, problems };
}

function productsOf(header: XmlDocumentHeader): EpcisVocabularyElement[] {
  return header.vocabularies
    .filter((v) => v.type === EPC_CLASS_VOCABULARY)
    .flatMap((v) => v.vocabularyElementList.filter((e) => /^urn:epc:idpat:sgtin:|\/01\/\d{14}$/.test(e.id)));
}

export interface XmlExportContext extends ExportContext {
  sender?: SbdhParty;
  receiver?: SbdhParty;
  instanceIdentifier?: string;
  partyName?(gln: string): string | undefined;
}

/** Logged events → a whole EPCIS 1.2 XML document (products in the header's master data). */
export function toEpcisXml(
  entries: readonly ExportEntry[],
  context: XmlExportContext = {},
): { xml: string; skipped: SkippedEntry[] } {
  const products = entries.flatMap((entry) => toMasterData(entry, context) ?? []);
  const skipped: SkippedEntry[] = [];
  const events: string[] = [];
  for (const entry of entries) {
    if (entry.event.type === 'product.register') continue;
    const result = epcisXmlEvents(entry, context);
    if ('skipped' in result) {
      skipped.push({ index: entry.index, eventId: entry.event.id, type: entry.event.type, reason: result.skipped });
    } else events.push(...result.xml);
  }
  const creationDate = context.creationDate ?? new Date().toISOString();
  const anonymous: SbdhParty = { authority: 'RxLedger', identifier: 'rxledger' };
  const header = xmlHeader({
    creationDate,
    sender: context.sender ?? anonymous,
    receiver: context.receiver ?? anonymous,
    instanceIdentifier: context.instanceIdentifier ?? creationDate,
    products,
  });
  return { xml: header + events.join('') + xmlFooter(), skipped };
}

/** The XML of one logged event's EPCIS events, or why it has none (no EPCIS form, or text XML cannot carry). */
export function epcisXmlEvents(entry: ExportEntry, context: ExportContext): { xml: string[] } | { skipped: string } {
  const result = toEpcisEvents(entry, context);
  if ('skipped' in result) return result;
  try {
    return { xml: result.events.map((event: EpcisEvent) => xmlEvent(event)) };
  } catch (error) {
    return { skipped: `the ${entry.event.type} cannot be written as XML: ${(error as Error).message}` };
  }
}

/**
 * The rules of the GS1 US Healthcare Implementation Guideline (DSCSA, R1.2 and later) that XSD validation cannot
 * check, as RxLedger applies them (read from the guideline's example documents; the guideline's text is not vendored):
 * an SBDH naming sender and receiver; EPCIS 1.2 (`schemaVersion`); every product an event names described by
 * EPCClass master data (`urn:epc:idpat:sgtin:….*`); commissioning of SGTINs with lot and expiry in the ILMD; shipping
 * with a purchase order or invoice, owning party and location of source and destination, and the DSCSA transaction
 * statement affirmed in the header (`gs1ushc:dscsaTransactionStatement`).
 */
export class GuidelineRules {
  private products = new Set<string>();
  private statement = false;
  private readonly gtinsUsed = new Map<string, number>();

  header(header: XmlDocumentHeader): GuidelineProblem[] {
    const problems: GuidelineProblem[] = [];
    const problem = (rule: string, message: string) => problems.push({ eventIndex: -1, rule, message });
    if (header.root === 'EPCISDocument' && header.schemaVersion !== '1.2') {
      problem('schemaVersion', `schemaVersion is ${header.schemaVersion ?? '(none)'}, not 1.2`);
    }
    if (!header.hasSbdh) problem('sbdh', 'the EPCISHeader has no StandardBusinessDocumentHeader');
    else if (header.sender === undefined || header.receiver === undefined) {
      problem('sbdh', 'the SBDH names no Sender or no Receiver identifier');
    }
    for (const vocabulary of header.vocabularies.filter((v) => v.type === EPC_CLASS_VOCABULARY)) {
      for (const element of vocabulary.vocabularyElementList) this.products.add(element.id);
    }
    this.statement = header.transactionStatement?.affirmTransactionStatement === 'true';
    return problems;
  }

  event(event: Record<string, unknown>, eventIndex: number): GuidelineProblem[] {
    const problems: GuidelineProblem[] = [];
    const problem = (rule: string, message: string) => problems.push({ eventIndex, rule, message });
    const bizStep = cbvWord(event.bizStep, 'bizstep');
    const epcs = Array.isArray(event.epcList) ? (event.epcList as string[]) : [];
    for (const epc of epcs) {
      const sgtin = /^urn:epc:id:sgtin:(\d+)\.(\d+)\./.exec(epc);
      if (sgtin && !this.gtinsUsed.has(`${sgtin[1]}.${sgtin[2]}`))
        this.gtinsUsed.set(`${sgtin[1]}.${sgtin[2]}`, eventIndex);
    }
    if (bizStep === 'commissioning' && epcs.some((epc) => epc.startsWith('urn:epc:id:sgtin:'))) {
      const ilmd = (event.ilmd ?? {}) as Record<string, unknown>;
      if (ilmd['cbvmda:lotNumber'] === undefined || ilmd['cbvmda:itemExpirationDate'] === undefined) {
        problem('ilmd', 'commissioning of SGTINs without cbvmda:lotNumber and cbvmda:itemExpirationDate in the ILMD');
      }
    }
    if (bizStep === 'shipping') {
      const types = ((event.bizTransactionList ?? []) as { type?: string }[]).map((t) => cbvWord(t.type, 'btt'));
      if (!types.includes('po') && !types.includes('inv')) {
        problem('bizTransaction', 'shipping without a purchase order (po) or invoice (inv) business transaction');
      }
      for (const [list, key] of [
        ['sourceList', 'source'],
        ['destinationList', 'destination'],
      ] as const) {
        const kinds = ((event[list] ?? []) as { type?: string }[]).map((s) => cbvWord(s.type, 'sdt'));
        for (const kind of ['owning_party', 'location']) {
          if (!kinds.includes(kind)) problem(list, `shipping without a ${key} of type ${kind}`);
        }
      }
      if (!this.statement) {
        problem(
          'transactionStatement',
          'shipping, but the header has no gs1ushc:dscsaTransactionStatement affirmed true',
        );
      }
    }
    return problems;
  }

  end(): GuidelineProblem[] {
    const described = new Set(
      [...this.products].flatMap((id) => {
        const match = /^urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*$/.exec(id);
        return match ? [`${match[1]}.${match[2]}`] : [];
      }),
    );
    return [...this.gtinsUsed]
      .filter(([key]) => !described.has(key))
      .map(([key, eventIndex]) => ({
        eventIndex,
        rule: 'masterData',
        message: `no EPCClass master data (urn:epc:idpat:sgtin:${key}.*) for a product the document names`,
      }));
  }
}
