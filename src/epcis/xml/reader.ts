/**
 * EPCIS 1.2 XML (and 2.0 XML) → EPCIS events in their 2.0 JSON-LD shape, streamed: saxes parses the document
 * chunk by chunk; only the header and one event at a time are held as element trees, so a document of any number of
 * events is read in flat memory. Namespaces are resolved (any prefix, a default namespace, or none: EPCIS 1.2's
 * own elements are unqualified), whitespace between elements is ignored, and values of standard fields are trimmed.
 *
 * The shape is what ../mapping reads: CBV values stay as written (URNs in 1.2; the mapping reads every spelling),
 * the 1.2 `extension` and `baseExtension` wrappers are flattened, extension elements become compact members
 * (`rxl:reason`, `cbvmda:lotNumber`, `gs1ushc:dropShipment`, else `<prefix>:<name>`).
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { EpcisVocabulary } from '../epcis-document';
import { RXLEDGER_NAMESPACE } from '../vocabulary';

export const CBV_MDA_NAMESPACE = 'urn:epcglobal:cbv:mda';
export const GS1USHC_NAMESPACE = 'http://epcis.gs1us.org/hc/ns';
export const SBDH_NAMESPACE = 'http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader';
export const EPCIS_1_2_NAMESPACE = 'urn:epcglobal:epcis:xsd:1';

/** A parsed element: local name, namespace URI ('' for none), prefix, attributes by local name, children, text. */
export interface XmlElement {
  local: string;
  uri: string;
  prefix: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export interface DscsaTransactionStatement {
  affirmTransactionStatement?: string;
  legalNotice?: string;
}

/** What the document says before its events: root attributes, the SBDH parties, master data, the DSCSA statement. */
export interface XmlDocumentHeader {
  root: string;
  schemaVersion?: string;
  creationDate?: string;
  /** SBDH Sender and Receiver identifiers, as written (an SGLN URN, a GLN, …). */
  sender?: string;
  receiver?: string;
  hasSbdh: boolean;
  vocabularies: EpcisVocabulary[];
  guidelineVersion?: string;
  transactionStatement?: DscsaTransactionStatement;
}

export type XmlItem =
  { kind: 'header'; header: XmlDocumentHeader } | { kind: 'event'; index: number; event: Record<string, unknown> };

export class EpcisXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpcisXmlError';
  }
}

const EVENT_CONTAINERS = new Set(['EventList']);

/**
 * A push parser: `write` chunks of the document, then `close`; each chunk returns the header (once, before the first
 * event) and the events completed in it.
 */
export class EpcisXmlReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly stack: string[] = [];
  private readonly out: XmlItem[] = [];
  /** The element trees being built: the header, or one event. */
  private capture: XmlElement[] = [];
  private captureDepth = -1;
  private header: XmlDocumentHeader | undefined;
  private headerTree: XmlElement | undefined;
  private headerSent = false;
  private eventCount = 0;
  private error: Error | undefined;

  constructor() {
    const parser = this.parser;
    parser.on('error', (error) => {
      this.error ??= new EpcisXmlError(`not well-formed XML: ${error.message}`);
    });
    parser.on('opentag', (tag) => this.openTag(tag as SaxesTagNS));
    parser.on('closetag', () => this.closeTag());
    parser.on('text', (text) => this.text(text));
    parser.on('cdata', (text) => this.text(text));
  }

  write(chunk: string): XmlItem[] {
    this.parser.write(chunk);
    return this.drain();
  }

  close(): XmlItem[] {
    this.parser.close();
    const items = this.drain();
    if (this.stack.length > 0 || !this.header) throw new EpcisXmlError('the document ends before its root element');
    if (!this.headerSent) {
      items.push({ kind: 'header', header: this.header });
      this.headerSent = true;
    }
    return items;
  }

  private drain(): XmlItem[] {
    if (this.error) throw this.error;
    return this.out.splice(0, this.out.length);
  }

  private openTag(tag: SaxesTagNS): void {
    const depth = this.stack.length;
    const parent = this.stack[depth - 1];
    this.stack.push(tag.local);
    if (depth === 0) {
      if (tag.local !== 'EPCISDocument' && tag.local !== 'EPCISQueryDocument') {
        this.error ??= new EpcisXmlError(
          `the root element is ${tag.name}: expected epcis:EPCISDocument (or epcis:EPCISQueryDocument)`,
        );
      }
      this.header = {
        root: tag.local,
        schemaVersion: attribute(tag, 'schemaVersion'),
        creationDate: attribute(tag, 'creationDate'),
        hasSbdh: false,
        vocabularies: [],
      };
      return;
    }
    const element: XmlElement = {
      local: tag.local,
      uri: tag.uri,
      prefix: tag.prefix,
      attributes: Object.fromEntries(Object.values(tag.attributes).map((a) => [a.local, a.value])),
      children: [],
      text: '',
    };
    if (this.capture.length > 0) {
      this.capture[this.capture.length - 1].children.push(element);
      this.capture.push(element);
      return;
    }
    if (depth === 1 && tag.local === 'EPCISHeader') {
      this.startCapture(element, depth);
      return;
    }
    if (tag.local === 'EPCISBody') {
      this.sendHeader();
      return;
    }
    const inEventList =
      (parent !== undefined && EVENT_CONTAINERS.has(parent)) ||
      (parent === 'extension' && this.stack.slice(0, -1).includes('EventList'));
    if (inEventList && tag.local !== 'extension') this.startCapture(element, depth);
  }

  private startCapture(element: XmlElement, depth: number): void {
    this.capture = [element];
    this.captureDepth = depth;
  }

  private closeTag(): void {
    this.stack.pop();
    if (this.capture.length === 0) return;
    const element = this.capture.pop()!;
    if (this.capture.length > 0 || this.stack.length !== this.captureDepth) return;
    if (element.local === 'EPCISHeader') {
      this.headerTree = element;
      readHeader(element, this.header!);
    } else {
      this.sendHeader();
      this.out.push({ kind: 'event', index: this.eventCount++, event: eventJson(element) });
    }
  }

  private sendHeader(): void {
    if (this.headerSent || !this.header) return;
    this.headerSent = true;
    this.out.push({ kind: 'header', header: this.header });
  }

  private text(text: string): void {
    if (this.capture.length > 0) this.capture[this.capture.length - 1].text += text;
  }

  /** The header element as parsed (for checks of the guideline's rules). */
  get headerElement(): XmlElement | undefined {
    return this.headerTree;
  }
}

/** Reads a whole document from chunks (strings or UTF-8 bytes), yielding the header, then each event. */
export async function* readEpcisXml(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<XmlItem> {
  const reader = new EpcisXmlReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* reader.write(text);
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield* reader.write(rest);
  yield* reader.close();
}

/** Reads a whole document held in memory. */
export function parseEpcisXml(xml: string): { header: XmlDocumentHeader; events: Record<string, unknown>[] } {
  const reader = new EpcisXmlReader();
  const items = [...reader.write(xml.replace(/^\uFEFF/, '')), ...reader.close()];
  const header = items.find((item) => item.kind === 'header');
  const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
  return { header: (header as { header: XmlDocumentHeader }).header, events };
}

function attribute(tag: SaxesTagNS, local: string): string | undefined {
  return Object.values(tag.attributes).find((a) => a.local === local && a.uri === '')?.value;
}

function isCore(element: XmlElement): boolean {
  return element.uri === '' || element.uri.startsWith('urn:epcglobal:epcis:');
}

const trimmed = (element: XmlElement) => element.text.trim();
const child = (element: XmlElement, local: string) => element.children.find((c) => c.local === local);

/** The children of an event with the 1.2 `extension` / `baseExtension` wrappers flattened. */
function members(element: XmlElement): XmlElement[] {
  return element.children.flatMap((c) =>
    isCore(c) && (c.local === 'extension' || c.local === 'baseExtension') ? members(c) : [c],
  );
}

/** `rxl:reason`, `cbvmda:lotNumber`, `gs1ushc:dropShipment`, else `<prefix>:<local>` (or `{uri}local`). */
export function compactName(element: XmlElement): string {
  if (element.uri === RXLEDGER_NAMESPACE) return `rxl:${element.local}`;
  if (element.uri === CBV_MDA_NAMESPACE) return `cbvmda:${element.local}`;
  if (element.uri === GS1USHC_NAMESPACE) return `gs1ushc:${element.local}`;
  if (element.uri === '') return element.local;
  return element.prefix ? `${element.prefix}:${element.local}` : `{${element.uri}}${element.local}`;
}

/**
 * The value of an extension element: its text when it has no child elements (RxLedger's own members keep their text
 * exactly; others are trimmed), an array when its children are all `rxl:member`, else an object of its children.
 */
function valueOf(element: XmlElement): unknown {
  if (element.children.length === 0) return element.uri === RXLEDGER_NAMESPACE ? element.text : element.text.trim();
  if (element.children.every((c) => c.uri === RXLEDGER_NAMESPACE && c.local === 'member')) {
    return element.children.map(valueOf);
  }
  const object: Record<string, unknown> = {};
  for (const c of element.children) object[compactName(c)] = valueOf(c);
  return object;
}

const TEXT_MEMBERS = new Set([
  'eventTime',
  'recordTime',
  'eventTimeZoneOffset',
  'eventID',
  'action',
  'bizStep',
  'disposition',
  'parentID',
  'transformationID',
]);
const EPC_LISTS = new Set(['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList']);
const QUANTITY_LISTS = new Set(['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']);

/** An EPCIS event element as the EPCIS 2.0 JSON-LD shape the mapping reads. */
export function eventJson(element: XmlElement): Record<string, unknown> {
  const event: Record<string, unknown> = { type: element.local };
  for (const m of members(element)) {
    if (!isCore(m)) {
      event[compactName(m)] = valueOf(m);
      continue;
    }
    const name = m.local;
    if (TEXT_MEMBERS.has(name)) event[name] = trimmed(m);
    else if (EPC_LISTS.has(name)) event[name] = m.children.filter((c) => c.local === 'epc').map(trimmed);
    else if (name === 'readPoint' || name === 'bizLocation') {
      const id = child(m, 'id');
      event[name] = id ? { id: trimmed(id) } : {};
    } else if (name === 'bizTransactionList') {
      event[name] = m.children.map((c) => ({
        ...(c.attributes.type !== undefined ? { type: c.attributes.type.trim() } : {}),
        bizTransaction: trimmed(c),
      }));
    } else if (name === 'sourceList' || name === 'destinationList') {
      const key = name === 'sourceList' ? 'source' : 'destination';
      event[name] = m.children.map((c) => ({ type: (c.attributes.type ?? '').trim(), [key]: trimmed(c) }));
    } else if (QUANTITY_LISTS.has(name)) {
      event[name] = m.children.map((c) => {
        const quantity = child(c, 'quantity');
        const uom = child(c, 'uom');
        return {
          epcClass: trimmed(child(c, 'epcClass') ?? c),
          ...(quantity ? { quantity: Number(trimmed(quantity)) } : {}),
          ...(uom ? { uom: trimmed(uom) } : {}),
        };
      });
    } else if (name === 'ilmd') {
      const ilmd: Record<string, unknown> = {};
      for (const c of members(m)) ilmd[compactName(c)] = valueOf(c);
      event.ilmd = ilmd;
    } else if (name === 'errorDeclaration') {
      const declaration: Record<string, unknown> = {};
      for (const c of members(m)) declaration[compactName(c)] = valueOf(c);
      event.errorDeclaration = declaration;
    } else {
      event[name] = m.children.length > 0 ? valueOf(m) : trimmed(m);
    }
  }
  return event;
}

function readHeader(element: XmlElement, header: XmlDocumentHeader): void {
  const walk = (e: XmlElement, visit: (e: XmlElement) => void) => {
    visit(e);
    e.children.forEach((c) => walk(c, visit));
  };
  walk(element, (e) => {
    if (e.uri === SBDH_NAMESPACE && e.local === 'StandardBusinessDocumentHeader') {
      header.hasSbdh = true;
      const identifier = (party: string) => {
        const p = e.children.find((c) => c.local === party);
        const id = p && child(p, 'Identifier');
        return id ? trimmed(id) : undefined;
      };
      header.sender = identifier('Sender');
      header.receiver = identifier('Receiver');
    } else if (isCore(e) && e.local === 'Vocabulary') {
      const list = child(e, 'VocabularyElementList');
      header.vocabularies.push({
        type: (e.attributes.type ?? '').trim(),
        vocabularyElementList: (list?.children ?? [])
          .filter((v) => v.local === 'VocabularyElement')
          .map((v) => ({
            id: (v.attributes.id ?? '').trim(),
            attributes: v.children
              .filter((a) => a.local === 'attribute')
              // The value exactly as written: a product's name may begin or end with a space.
              .map((a) => ({ id: (a.attributes.id ?? '').trim(), attribute: a.text })),
          })),
      });
    } else if (e.uri === GS1USHC_NAMESPACE && e.local === 'guidelineVersion') {
      header.guidelineVersion = trimmed(e);
    } else if (e.uri === GS1USHC_NAMESPACE && e.local === 'dscsaTransactionStatement') {
      const affirm = child(e, 'affirmTransactionStatement');
      const notice = child(e, 'legalNotice');
      header.transactionStatement = {
        ...(affirm ? { affirmTransactionStatement: trimmed(affirm) } : {}),
        ...(notice ? { legalNotice: trimmed(notice) } : {}),
      };
    }
  });
}
