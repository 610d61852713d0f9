/**
 * The one entry point for "whatever was scanned or typed": detects the form and returns the product
 * identifier. Used by the verification service, the CLI and the browser's scan box.
 *
 * Forms, after trimming whitespace and the CR/LF a scanner sends as Enter, and removing a symbology
 * identifier (`]d2`, `]Q1`, …):
 * - `digital-link`   http(s)://…/01/{gtin}/10/{lot}/21/{serial}?17={yymmdd} on any host;
 * - `epc-urn`        urn:epc:id:sgtin:… or urn:epc:id:sscc:…;
 * - `human-readable` (01)…(17)…(10)…(21)…;
 * - `gtin`           a bare GTIN-8/12/13/14, as from the linear UPC/EAN barcode on a pack;
 * - `element-string` scanner data, with GS in any accepted spelling or lost (see element-string.ts).
 */
import { Gs1Error } from './errors';
import { parseDigitalLink, isDigitalLinkUri } from './digital-link';
import { GS1_SYMBOLOGY_IDENTIFIERS, parseElementString, parseHumanReadable, type Gs1Fields } from './element-string';
import { parseEpcUrn, isEpcUrn } from './epc';
import { parseYymmdd, type CenturyOptions, type Gs1Date } from './expiry';
import { normalizeGtin } from './identifiers';
import { ndcOfGtin } from './ndc';

export type ProductCodeForm = 'element-string' | 'human-readable' | 'digital-link' | 'epc-urn' | 'gtin';

export type ProductCodeField = 'gtin' | 'sscc' | 'serial' | 'lot' | 'expiry';

export interface ProductCode {
  readonly form: ProductCodeForm;
  /** GTIN-14. Present unless the code identifies a logistic unit (SSCC) only. */
  readonly gtin?: string;
  /** The 10-digit NDC (no hyphens) when the GTIN is NDC-based. */
  readonly ndc?: string;
  readonly sscc?: string;
  readonly serial?: string;
  readonly lot?: string;
  readonly expiry?: Gs1Date;
  readonly productionDate?: Gs1Date;
  readonly bestBefore?: Gs1Date;
}

export interface ProductCodeOptions extends CenturyOptions {
  /**
   * Fields the code must carry. Pass `DSCSA_PRODUCT_IDENTIFIER` where a full DSCSA product identifier is
   * expected (verification): a code lacking one is rejected, and a scan whose GS separators were lost is
   * read only in ways that carry all four, which usually leaves exactly one.
   */
  readonly require?: readonly ProductCodeField[];
}

/** GTIN, serial, lot and expiry: the product identifier DSCSA puts on every package. */
export const DSCSA_PRODUCT_IDENTIFIER: readonly ProductCodeField[] = ['gtin', 'serial', 'lot', 'expiry'];

/** Longer than any code of the supported AIs; a guard against pasting a document into the scan box. */
export const MAX_PRODUCT_CODE_LENGTH = 1024;

const SYMBOLOGY_IDENTIFIER = /^\][A-Za-z][0-9A-Za-z]/;
const BARE_GTIN = /^(?:[0-9]{8}|[0-9]{12,14})$/;

export function parseProductCode(input: string, options: ProductCodeOptions = {}): ProductCode {
  const text = input.trim();
  if (text.length === 0) throw new Gs1Error('input', 'missing', 'nothing was scanned');
  if (text.length > MAX_PRODUCT_CODE_LENGTH) {
    throw new Gs1Error('input', 'length', `input is ${text.length} characters; a product code is far shorter`);
  }
  const symbologyIdentifier = SYMBOLOGY_IDENTIFIER.exec(text)?.[0];
  const data = symbologyIdentifier ? text.slice(3) : text;
  const elementOptions = { currentYear: options.currentYear, require: options.require };

  let form: ProductCodeForm;
  let fields: Gs1Fields;
  if (isDigitalLinkUri(data)) {
    form = 'digital-link';
    fields = parseDigitalLink(data, elementOptions).fields;
  } else if (isEpcUrn(data)) {
    form = 'epc-urn';
    const epc = parseEpcUrn(data);
    fields = epc.scheme === 'sgtin' ? { gtin: epc.gtin, serial: epc.serial } : { sscc: epc.sscc };
  } else if (data.startsWith('(')) {
    form = 'human-readable';
    fields = parseHumanReadable(data, elementOptions);
  } else if (BARE_GTIN.test(data) && (symbologyIdentifier === undefined || /^\]E[0-4]$/.test(symbologyIdentifier))) {
    // Element strings of the supported AIs with a GTIN are at least 16 digits, so these lengths are bare GTINs.
    form = 'gtin';
    fields = { gtin: normalizeGtin(data) };
  } else {
    if (symbologyIdentifier !== undefined && !GS1_SYMBOLOGY_IDENTIFIERS.includes(symbologyIdentifier)) {
      throw new Gs1Error(
        'input',
        'format',
        `symbology identifier ${symbologyIdentifier} announces data that is not GS1 element strings`,
      );
    }
    form = 'element-string';
    fields = parseElementString(text, elementOptions);
  }
  return toProductCode(form, fields, options);
}

const FIELD_NAMES: Record<ProductCodeField, string> = {
  gtin: 'GTIN (01)',
  sscc: 'SSCC (00)',
  serial: 'serial (21)',
  lot: 'lot (10)',
  expiry: 'expiry date (17)',
};

function toProductCode(form: ProductCodeForm, fields: Gs1Fields, options: ProductCodeOptions): ProductCode {
  for (const field of options.require ?? []) {
    if (fields[field] === undefined) throw new Gs1Error(field, 'missing', `the code has no ${FIELD_NAMES[field]}`);
  }
  if (fields.gtin === undefined && fields.sscc === undefined) {
    throw new Gs1Error('gtin', 'missing', 'the code has neither a GTIN (01) nor an SSCC (00)');
  }
  const code: { -readonly [K in keyof ProductCode]: ProductCode[K] } = { form };
  if (fields.gtin !== undefined) {
    code.gtin = fields.gtin;
    const ndc = ndcOfGtin(fields.gtin);
    if (ndc !== undefined) code.ndc = ndc;
  }
  if (fields.sscc !== undefined) code.sscc = fields.sscc;
  if (fields.serial !== undefined) code.serial = fields.serial;
  if (fields.lot !== undefined) code.lot = fields.lot;
  for (const field of ['expiry', 'productionDate', 'bestBefore'] as const) {
    const value = fields[field];
    if (value !== undefined) code[field] = parseYymmdd(value, { field, currentYear: options.currentYear });
  }
  return code;
}
