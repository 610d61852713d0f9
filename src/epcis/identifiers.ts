/**
 * EPCIS identifiers ⇔ RxLedger's: items as EPC URNs or GS1 Digital Link URIs ⇔ item codes; parties and locations
 * as PGLN / SGLN URNs or Digital Link `/417/` / `/414/` URIs ⇔ 13-digit GLNs.
 *
 * An EPC URN needs the length of the GS1 company prefix, which no GTIN, SSCC or GLN reveals; Digital Link needs
 * nothing, so it is what export writes unless the caller knows the prefix length.
 */
import {
  appendCheckDigit,
  DEFAULT_DIGITAL_LINK_STEM,
  escapeEpcSerial,
  formatDigitalLink,
  formatSgtinUrn,
  formatSsccUrn,
  isDigitalLinkUri,
  isEpcUrn,
  isGln,
  parseDigitalLink,
  parseEpcUrn,
  unescapeEpcSerial,
} from '../gs1';
import { containerCode, parseItemCode, unitCode } from '../protocol/item-code';

export interface IdentifierOptions {
  /**
   * Length of the GS1 company prefix inside a key (a GTIN-14, an SSCC-18 or a GLN-13, told apart by length), or
   * undefined when unknown. When known, export writes EPC URNs (`urn:epc:id:sgtin:…`, `sscc`, `pgln`, `sgln`).
   */
  companyPrefixLength?(key: string): number | undefined;
  /** Scheme, host and path prefix of Digital Link URIs; default `https://id.gs1.org`. */
  digitalLinkStem?: string;
}

/** A `companyPrefixLength` for the given GS1 company prefixes (e.g. those granted by `prefix.grant` events). */
export function companyPrefixLengthFrom(prefixes: Iterable<string>): (key: string) => number | undefined {
  const known = [...new Set(prefixes)].sort((a, b) => b.length - a.length);
  return (key) => {
    // A GLN starts with its company prefix; a GTIN-14 and an SSCC start with an indicator or extension digit.
    const digits = key.length === 13 ? key : key.slice(1);
    return known.find((prefix) => digits.startsWith(prefix))?.length;
  };
}

/** The EPCIS identifier of an item code: `(01)…(21)…` or `(00)…`. */
export function itemUri(code: string, options: IdentifierOptions = {}): string {
  const item = parseItemCode(code);
  const stem = options.digitalLinkStem ?? DEFAULT_DIGITAL_LINK_STEM;
  if (item.kind === 'unit') {
    const length = options.companyPrefixLength?.(item.gtin);
    return length === undefined
      ? formatDigitalLink({ gtin: item.gtin, serial: item.serial }, { stem })
      : formatSgtinUrn(item.gtin, item.serial, length);
  }
  const length = options.companyPrefixLength?.(item.sscc);
  return length === undefined ? formatDigitalLink({ sscc: item.sscc }, { stem }) : formatSsccUrn(item.sscc, length);
}

/** An item read from an EPCIS identifier; a Digital Link may also carry the lot and the expiry (YYMMDD). */
export interface ItemReading {
  code: string;
  lot?: string;
  expiry?: string;
}

/** The item an instance-level EPC URN or Digital Link URI names; throws an Error saying why it names none. */
export function readItemUri(uri: string): ItemReading {
  if (isEpcUrn(uri)) {
    if (/^urn:epc:(class|idpat):/i.test(uri)) {
      throw new Error(`${uri} is a class-level identifier (a product or lot, not one item)`);
    }
    const epc = parseEpcUrn(uri);
    return { code: epc.scheme === 'sgtin' ? unitCode(epc.gtin, epc.serial) : containerCode(epc.sscc) };
  }
  if (isDigitalLinkUri(uri)) {
    const { fields } = parseDigitalLink(uri);
    if (fields.sscc !== undefined) return { code: containerCode(fields.sscc) };
    if (fields.gtin === undefined || fields.serial === undefined) {
      throw new Error(`${uri} has no serial number: it names a product or lot, not one item`);
    }
    const reading: ItemReading = { code: unitCode(fields.gtin, fields.serial) };
    if (fields.lot !== undefined) reading.lot = fields.lot;
    if (fields.expiry !== undefined) reading.expiry = fields.expiry;
    return reading;
  }
  throw new Error(`${uri} is neither an EPC URN nor a GS1 Digital Link URI`);
}

/** The EPCIS identifier of a party (`owning_party`, `possessing_party`): PGLN URN or Digital Link `/417/`. */
export function partyUri(gln: string, options: IdentifierOptions = {}): string {
  const length = options.companyPrefixLength?.(gln);
  if (length === undefined) return `${stemOf(options)}/417/${gln}`;
  return `urn:epc:id:pgln:${gln.slice(0, length)}.${gln.slice(length, 12)}`;
}

/** The EPCIS identifier of a location (`readPoint`, `bizLocation`): SGLN URN or Digital Link `/414/`. */
export function locationUri(gln: string, options: IdentifierOptions = {}): string {
  const length = options.companyPrefixLength?.(gln);
  if (length === undefined) return `${stemOf(options)}/414/${gln}`;
  return `urn:epc:id:sgln:${gln.slice(0, length)}.${gln.slice(length, 12)}.0`;
}

function stemOf(options: IdentifierOptions): string {
  return (options.digitalLinkStem ?? DEFAULT_DIGITAL_LINK_STEM).replace(/\/$/, '');
}

const GLN_URN = /^urn:epc:id:(sgln|pgln):(\d{6,12})\.(\d{0,6})(\.[^.]+)?$/i;
const GLN_DIGITAL_LINK =
  /^https?:\/\/[^/?#\s]+(?:\/[^?#\s]*)?\/(414|417)\/(\d{13})(?:\/254\/[^/?#\s]+)?\/?(?:[?#].*)?$/i;

/**
 * The 13-digit GLN of a party or location identifier: `urn:epc:id:pgln:…`, `urn:epc:id:sgln:…` (the extension,
 * a sub-location, is dropped) or a Digital Link `…/417/<GLN>` or `…/414/<GLN>[/254/<extension>]`. Throws an Error
 * saying why when it is none of these.
 */
export function readGlnUri(uri: string): string {
  const urn = GLN_URN.exec(uri);
  if (urn) {
    const [, scheme, prefix, reference, extension] = urn;
    if (prefix.length + reference.length !== 12) {
      throw new Error(`${uri}: company prefix and reference must together be 12 digits`);
    }
    if ((scheme.toLowerCase() === 'sgln') !== (extension !== undefined)) {
      throw new Error(`${uri}: an SGLN has three parts (prefix.location.extension), a PGLN two`);
    }
    return appendCheckDigit(prefix + reference);
  }
  const link = GLN_DIGITAL_LINK.exec(uri);
  if (link) {
    if (!isGln(link[2])) throw new Error(`${uri}: ${link[2]} is not a GLN (wrong check digit)`);
    return link[2];
  }
  throw new Error(`${uri} is not a GLN identifier (urn:epc:id:pgln:…, urn:epc:id:sgln:…, …/417/<GLN>, …/414/<GLN>)`);
}

/**
 * The EPCIS class identifier of a lot of a GTIN: `urn:epc:class:lgtin:<prefix>.<indicator+item>.<lot>` (EPC Tag Data
 * Standard §6.2) when the company prefix length is known, else the Digital Link `…/01/<GTIN>/10/<lot>`.
 */
export function lotClassUri(gtin: string, lot: string, options: IdentifierOptions = {}): string {
  const length = options.companyPrefixLength?.(gtin);
  if (length === undefined) return formatDigitalLink({ gtin, lot }, { stem: options.digitalLinkStem });
  // The lot is escaped as an EPC serial is (the same GS1 AI 82-character set, the same URN escapes).
  return `urn:epc:class:lgtin:${gtinParts(gtin, length)}.${escapeEpcSerial(lot)}`;
}

/**
 * The EPCIS identifier of a product (a GTIN, any serial) in master data: the pattern `urn:epc:idpat:sgtin:<prefix>.
 * <indicator+item>.*` the GS1 US guideline uses for EPCClass vocabulary elements, else the Digital Link `…/01/<GTIN>`.
 */
export function productClassUri(gtin: string, options: IdentifierOptions = {}): string {
  const length = options.companyPrefixLength?.(gtin);
  if (length === undefined) return formatDigitalLink({ gtin }, { stem: options.digitalLinkStem });
  return `urn:epc:idpat:sgtin:${gtinParts(gtin, length)}.*`;
}

function gtinParts(gtin: string, companyPrefixLength: number): string {
  return `${gtin.slice(1, 1 + companyPrefixLength)}.${gtin[0]}${gtin.slice(1 + companyPrefixLength, 13)}`;
}

const CLASS_URN = /^urn:epc:(class:lgtin|idpat:sgtin):(\d{6,12})\.(\d{1,7})\.(.+)$/i;

/**
 * The GTIN (and lot, for an LGTIN) of a class identifier: `urn:epc:class:lgtin:…`, `urn:epc:idpat:sgtin:….*`, or a
 * Digital Link `…/01/<GTIN>[/10/<lot>]` without serial. Throws an Error saying why when it is none of these.
 */
export function readClassUri(uri: string): { gtin: string; lot?: string } {
  const urn = CLASS_URN.exec(uri);
  if (urn) {
    const [, scheme, prefix, reference, rest] = urn;
    if (prefix.length + reference.length !== 13) {
      throw new Error(`${uri}: company prefix and item reference must together be 13 digits`);
    }
    const gtin = appendCheckDigit(reference[0] + prefix + reference.slice(1));
    if (scheme.toLowerCase() === 'idpat:sgtin') {
      if (rest !== '*') throw new Error(`${uri}: an SGTIN pattern for a product ends in .*`);
      return { gtin };
    }
    return { gtin, lot: unescapeEpcSerial(rest) };
  }
  if (isDigitalLinkUri(uri)) {
    const { fields } = parseDigitalLink(uri);
    if (fields.gtin === undefined || fields.serial !== undefined) {
      throw new Error(`${uri} names no product or lot (a GTIN without serial)`);
    }
    return fields.lot === undefined ? { gtin: fields.gtin } : { gtin: fields.gtin, lot: fields.lot };
  }
  throw new Error(`${uri} is not a class identifier (urn:epc:class:lgtin:…, urn:epc:idpat:sgtin:….*, …/01/<GTIN>)`);
}
