/**
 * EPCIS events in their 2.0 JSON-LD shape (from ../mapping) → an EPCIS 1.2 XML document as the GS1 US DSCSA
 * guideline shapes it: SBDH and EPCClass master data in the header, CBV 1.2 URNs for business steps, dispositions,
 * business transaction and source/destination types, SGLN URNs for parties, elements in the order of GS1's EPCIS
 * 1.2 XSD (1.2 fields after 1.0 inside `extension`, eventID in `baseExtension`), RxLedger's members as `rxl:`
 * elements where the XSD allows other namespaces. Written in pieces (`header`, `event`, `footer`) to stream.
 */
import type { EpcisEvent, EpcisVocabularyElement } from '../epcis-document';
import { EPC_CLASS_VOCABULARY, RXLEDGER_NAMESPACE } from '../vocabulary';
import { CBV_MDA_NAMESPACE, EPCIS_1_2_NAMESPACE, GS1USHC_NAMESPACE, SBDH_NAMESPACE } from './reader';

export interface SbdhParty {
  /** `GS1` for a GLN or SGLN; anything else names another scheme. */
  authority: string;
  identifier: string;
}

export interface XmlHeaderOptions {
  creationDate: string;
  sender: SbdhParty;
  receiver: SbdhParty;
  /** SBDH InstanceIdentifier: the document's id. */
  instanceIdentifier: string;
  products?: EpcisVocabularyElement[];
  /** The DSCSA transaction statement of the GS1 US guideline (gs1ushc:dscsaTransactionStatement). */
  transactionStatement?: { affirm: boolean; legalNotice?: string };
}

/** Text as XML character data; throws on characters XML 1.0 cannot carry (C0 controls but tab, LF, CR; U+FFFE/F). */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/u.test(text)) {
    throw new Error(`${JSON.stringify(text)} holds a character XML 1.0 cannot carry`);
  }
  return text.replace(/[&<>"'\r]/g, (ch) =>
    ch === '&'
      ? '&amp;'
      : ch === '<'
        ? '&lt;'
        : ch === '>'
          ? '&gt;'
          : ch === '"'
            ? '&quot;'
            : ch === "'"
              ? '&apos;'
              : '&#13;',
  );
}

const CBV_URN: Record<string, string> = {
  bizStep: 'urn:epcglobal:cbv:bizstep:',
  disposition: 'urn:epcglobal:cbv:disp:',
  btt: 'urn:epcglobal:cbv:btt:',
  sdt: 'urn:epcglobal:cbv:sdt:',
};

/** A bare CBV word as its CBV 1.2 URN; URIs stay as they are. */
function cbvUrn(value: string, kind: keyof typeof CBV_URN): string {
  return /^[a-z][a-z0-9_]*$/.test(value) ? `${CBV_URN[kind]}${value}` : value;
}

/** A PGLN URN as the SGLN of the party's own location (extension 0), which CBV 1.2 and the guideline use for parties. */
function partyUrn(uri: string): string {
  const pgln = /^urn:epc:id:pgln:(\d+\.\d*)$/.exec(uri);
  return pgln ? `urn:epc:id:sgln:${pgln[1]}.0` : uri;
}

const element = (name: string, text: string) => `<${name}>${escapeXml(text)}</${name}>`;

export function xmlHeader(options: XmlHeaderOptions): string {
  const party = (name: string, p: SbdhParty) =>
    `<sbdh:${name}><sbdh:Identifier Authority="${escapeXml(p.authority)}">${escapeXml(p.identifier)}</sbdh:Identifier></sbdh:${name}>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<epcis:EPCISDocument xmlns:epcis="${EPCIS_1_2_NAMESPACE}" xmlns:sbdh="${SBDH_NAMESPACE}" ` +
      `xmlns:cbvmda="${CBV_MDA_NAMESPACE}" xmlns:gs1ushc="${GS1USHC_NAMESPACE}" xmlns:rxl="${RXLEDGER_NAMESPACE}" ` +
      `schemaVersion="1.2" creationDate="${escapeXml(options.creationDate)}">`,
    '<EPCISHeader>',
    '<sbdh:StandardBusinessDocumentHeader>',
    '<sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>',
    party('Sender', options.sender),
    party('Receiver', options.receiver),
    '<sbdh:DocumentIdentification>',
    '<sbdh:Standard>EPCglobal</sbdh:Standard>',
    '<sbdh:TypeVersion>1.0</sbdh:TypeVersion>',
    element('sbdh:InstanceIdentifier', options.instanceIdentifier),
    '<sbdh:Type>Events</sbdh:Type>',
    element('sbdh:CreationDateAndTime', options.creationDate),
    '</sbdh:DocumentIdentification>',
    '</sbdh:StandardBusinessDocumentHeader>',
  ];
  const products = options.products ?? [];
  if (products.length > 0) {
    lines.push(
      '<extension><EPCISMasterData><VocabularyList>',
      `<Vocabulary type="${EPC_CLASS_VOCABULARY}"><VocabularyElementList>`,
      ...products.map(
        (product) =>
          `<VocabularyElement id="${escapeXml(product.id)}">` +
          product.attributes
            .map((a) => `<attribute id="${escapeXml(a.id)}">${escapeXml(a.attribute)}</attribute>`)
            .join('') +
          '</VocabularyElement>',
      ),
      '</VocabularyElementList></Vocabulary>',
      '</VocabularyList></EPCISMasterData></extension>',
    );
  }
  lines.push('<gs1ushc:guidelineVersion>GS1 US DSCSA R1.3</gs1ushc:guidelineVersion>');
  if (options.transactionStatement) {
    lines.push(
      '<gs1ushc:dscsaTransactionStatement>',
      element('gs1ushc:affirmTransactionStatement', String(options.transactionStatement.affirm)),
      ...(options.transactionStatement.legalNotice !== undefined
        ? [element('gs1ushc:legalNotice', options.transactionStatement.legalNotice)]
        : []),
      '</gs1ushc:dscsaTransactionStatement>',
    );
  }
  lines.push('</EPCISHeader>', '<EPCISBody>', '<EventList>');
  return `${lines.join('\n')}\n`;
}

export function xmlFooter(): string {
  return '</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n';
}

/** One EPCIS event as EPCIS 1.2 XML (ObjectEvent or AggregationEvent), on one line. */
export function xmlEvent(event: EpcisEvent): string {
  const parts: string[] = [element('eventTime', event.eventTime)];
  if (event.recordTime !== undefined) parts.push(element('recordTime', event.recordTime));
  parts.push(element('eventTimeZoneOffset', event.eventTimeZoneOffset));
  parts.push(`<baseExtension>${element('eventID', event.eventID)}</baseExtension>`);
  const epcs = (name: string, list: string[] | undefined) =>
    `<${name}>${(list ?? []).map((epc) => element('epc', epc)).join('')}</${name}>`;
  if (event.type === 'AggregationEvent') {
    if (event.parentID !== undefined) parts.push(element('parentID', event.parentID));
    parts.push(epcs('childEPCs', event.childEPCs));
  } else {
    parts.push(epcs('epcList', event.epcList));
  }
  parts.push(element('action', event.action));
  if (event.bizStep !== undefined) parts.push(element('bizStep', cbvUrn(event.bizStep, 'bizStep')));
  if (event.disposition !== undefined) parts.push(element('disposition', cbvUrn(event.disposition, 'disposition')));
  if (event.readPoint) parts.push(`<readPoint>${element('id', event.readPoint.id)}</readPoint>`);
  if (event.bizLocation) parts.push(`<bizLocation>${element('id', event.bizLocation.id)}</bizLocation>`);
  if (event.bizTransactionList?.length) {
    parts.push(
      `<bizTransactionList>${event.bizTransactionList
        .map(
          (t) =>
            `<bizTransaction${t.type !== undefined ? ` type="${escapeXml(cbvUrn(t.type, 'btt'))}"` : ''}>` +
            `${escapeXml(t.bizTransaction)}</bizTransaction>`,
        )
        .join('')}</bizTransactionList>`,
    );
  }
  const extension: string[] = [];
  if (event.sourceList?.length) {
    extension.push(
      `<sourceList>${event.sourceList
        .map((s) => `<source type="${escapeXml(cbvUrn(s.type, 'sdt'))}">${escapeXml(partyUrn(s.source))}</source>`)
        .join('')}</sourceList>`,
    );
  }
  if (event.destinationList?.length) {
    extension.push(
      `<destinationList>${event.destinationList
        .map(
          (d) =>
            `<destination type="${escapeXml(cbvUrn(d.type, 'sdt'))}">${escapeXml(partyUrn(d.destination))}</destination>`,
        )
        .join('')}</destinationList>`,
    );
  }
  if (event.ilmd) {
    extension.push(
      `<ilmd>${Object.entries(event.ilmd)
        .map(([key, value]) => element(key, value))
        .join('')}</ilmd>`,
    );
  }
  if (extension.length > 0) parts.push(`<extension>${extension.join('')}</extension>`);
  for (const [key, value] of Object.entries(event)) {
    if (key.startsWith('rxl:')) parts.push(extensionElement(key, value));
  }
  return `<${event.type}>${parts.join('')}</${event.type}>\n`;
}

/** An `rxl:` member: text, `rxl:member` children for an array, child elements for an object. */
function extensionElement(name: string, value: unknown): string {
  if (Array.isArray(value)) return `<${name}>${value.map((v) => extensionElement('rxl:member', v)).join('')}</${name}>`;
  if (typeof value === 'object' && value !== null) {
    return `<${name}>${Object.entries(value)
      .map(([k, v]) => extensionElement(k, v))
      .join('')}</${name}>`;
  }
  return element(name, String(value));
}
