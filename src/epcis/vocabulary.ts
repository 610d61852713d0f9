/**
 * The EPCIS 2.0 / CBV 2.0 words RxLedger reads and writes, and the one extension namespace it adds.
 *
 * CBV values come in three spellings, all accepted on import: the bare word of the EPCIS 2.0 JSON-LD context
 * (`shipping`), the CBV 1.x URN (`urn:epcglobal:cbv:bizstep:shipping`) and the GS1 web vocabulary
 * (`https://ref.gs1.org/cbv/BizStep-shipping`, or `cbv:BizStep-shipping` as a compact IRI). Export writes the bare
 * word, which the standard context expands to the web vocabulary term.
 */

/** The standard JSON-LD context of EPCIS 2.0 documents. */
export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/**
 * RxLedger's extension namespace, declared in every exported document's `@context` as the prefix `rxl`. It carries
 * the facts CBV has no field for (see README.md in this folder).
 */
export const RXLEDGER_NAMESPACE = 'https://rxledger.dev/epcis/';
export const RXLEDGER_PREFIX = 'rxl';

/** Extension members, as compact IRIs under RXLEDGER_NAMESPACE. */
export const RXL = {
  /** Log index of the RxLedger event the EPCIS event was exported from. */
  logIndex: 'rxl:logIndex',
  /** Id the actor gave the RxLedger event. */
  eventId: 'rxl:eventId',
  /** Lowercase hex SHA-256 of the event's signed bytes (the `event_hash` in its log leaf). */
  eventHash: 'rxl:eventHash',
  /** GLN of the party that signed the event. */
  actor: 'rxl:actor',
  /** Id of the key that signed the event. */
  keyId: 'rxl:keyId',
  /** `ship` reason (`sale`, `return`) or `decommission` / `destroy` reason. */
  reason: 'rxl:reason',
  /** DSCSA transaction date (YYYY-MM-DD) of a `ship`. */
  transactionDate: 'rxl:transactionDate',
  /** DSCSA shipment date (YYYY-MM-DD) of a `ship`. */
  shipmentDate: 'rxl:shipmentDate',
  /** In `ilmd`: the expiry exactly as printed (YYMMDD), given only when DD = 00 (`itemExpirationDate` is a full date). */
  expiry: 'rxl:expiry',
  /** `recall` / `recall-lift`: the lots, as LGTIN class identifiers (`urn:epc:class:lgtin:…` or Digital Link `/01/…/10/…`). */
  epcClassList: 'rxl:epcClassList',
  /** `recall`: the FDA recall class (I, II, III). */
  recallClass: 'rxl:recallClass',
  /** `illegitimate`: the FDA Form 3911 fields, nested (reportType, classification, description, contact). */
  fda3911: 'rxl:fda3911',
  reportType: 'rxl:reportType',
  classification: 'rxl:classification',
  description: 'rxl:description',
  contact: 'rxl:contact',
  name: 'rxl:name',
  phone: 'rxl:phone',
  email: 'rxl:email',
  /** Import only: which exception of the GS1 US guideline an inspecting or holding event reports (see README.md). */
  exception: 'rxl:exception',
} as const;

/**
 * Business steps CBV has no word for (CBV allows user vocabulary, a URI, in place of a standard value): lifting a
 * hold, a recall and its lifting. Written in full (no prefix) wherever a bizStep goes.
 */
export const RXL_BIZ_STEP = {
  recalling: 'https://rxledger.dev/epcis/BizStep-recalling',
  recallLifting: 'https://rxledger.dev/epcis/BizStep-recall_lifting',
  clearing: 'https://rxledger.dev/epcis/BizStep-clearing',
} as const;

/** Master-data attributes (EPCClass) CBV has none for: the registering manufacturer, and whether the NDC was given. */
export const RXL_ATTRIBUTE = {
  manufacturer: 'https://rxledger.dev/epcis/manufacturer',
  ndcDerived: 'https://rxledger.dev/epcis/ndcDerived',
} as const;

/** CBV 1.2 master-data attributes (CBV §8) the GS1 US guideline uses for a drug product (EPCClass vocabulary). */
export const CBV_MDA = 'urn:epcglobal:cbv:mda#';
export const PRODUCT_ATTRIBUTE = {
  ndc: `${CBV_MDA}additionalTradeItemIdentification`,
  ndcType: `${CBV_MDA}additionalTradeItemIdentificationTypeCode`,
  name: `${CBV_MDA}regulatedProductName`,
  manufacturerName: `${CBV_MDA}manufacturerOfTradeItemPartyName`,
  dosageForm: `${CBV_MDA}dosageFormType`,
  strength: `${CBV_MDA}strengthDescription`,
  containerSize: `${CBV_MDA}netContentDescription`,
} as const;
export const EPC_CLASS_VOCABULARY = 'urn:epcglobal:epcis:vtype:EPCClass';
export const LOCATION_VOCABULARY = 'urn:epcglobal:epcis:vtype:Location';

export type CbvKind = 'bizstep' | 'disp' | 'btt' | 'sdt';

const WEB_PREFIX: Record<CbvKind, string> = { bizstep: 'BizStep', disp: 'Disp', btt: 'BTT', sdt: 'SDT' };
const BARE_WORD = /^[a-z][a-z0-9_]*$/;

/**
 * The bare CBV word of `value` (`shipping` for any of its spellings), or undefined when `value` is not a CBV term of
 * that kind (a private vocabulary, a typo, another kind).
 */
export function cbvWord(value: unknown, kind: CbvKind): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (BARE_WORD.test(value)) return value;
  const urn = `urn:epcglobal:cbv:${kind}:`;
  if (value.startsWith(urn)) return wordOrUndefined(value.slice(urn.length));
  for (const stem of ['https://ref.gs1.org/cbv/', 'http://ref.gs1.org/cbv/', 'cbv:']) {
    const prefix = `${stem}${WEB_PREFIX[kind]}-`;
    if (value.startsWith(prefix)) return wordOrUndefined(value.slice(prefix.length));
  }
  return undefined;
}

function wordOrUndefined(word: string): string | undefined {
  return BARE_WORD.test(word) ? word : undefined;
}

export type MasterDataAttribute = 'lotNumber' | 'itemExpirationDate';

/** The ILMD attribute `key` names: `cbvmda:lotNumber`, `urn:epcglobal:cbv:mda#lotNumber` or a bare `lotNumber`. */
export function masterDataAttribute(key: string): MasterDataAttribute | undefined {
  const name = key.replace(/^(cbvmda:|urn:epcglobal:cbv:mda#|https?:\/\/ref\.gs1\.org\/cbv\/mda#)/, '');
  return name === 'lotNumber' || name === 'itemExpirationDate' ? name : undefined;
}

/** `urn:epcglobal:cbv:bt:<GLN>:<id>`: a CBV business transaction identifier issued by the party with that GLN. */
const BT_URN = /^urn:epcglobal:cbv:bt:(\d{13}):(.+)$/;

/** The issuer GLN and the id of a CBV `bt` URN, or undefined for any other URI. The id is percent-decoded. */
export function parseBizTransactionUrn(uri: string): { gln: string; id: string } | undefined {
  const match = BT_URN.exec(uri);
  if (!match) return undefined;
  try {
    return { gln: match[1], id: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}

/** `urn:epcglobal:cbv:bt:<GLN>:<id>`, with the id percent-encoded where a URN needs it. */
export function formatBizTransactionUrn(gln: string, id: string): string {
  const encoded = id.replace(/[^A-Za-z0-9._:/~-]/gu, (ch) => encodeURIComponent(ch));
  return `urn:epcglobal:cbv:bt:${gln}:${encoded}`;
}
