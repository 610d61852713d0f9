/**
 * EPC pure identity URIs (GS1 EPC Tag Data Standard, TDS §6.3):
 *   urn:epc:id:sgtin:{CompanyPrefix}.{Indicator}{ItemReference}.{Serial}  ⇔  GTIN-14 + serial
 *   urn:epc:id:sscc:{CompanyPrefix}.{ExtensionDigit}{SerialReference}     ⇔  SSCC
 * The indicator (SGTIN) or extension digit (SSCC) moves in front of the reference and the check digit is
 * dropped; parsing puts them back and recomputes the check digit. The company prefix is 6..12 digits and
 * cannot be derived from a GTIN, so formatting takes its length; parsing reads it from the URN.
 *
 * Serials are set-82 characters; in the URN the seven that URIs reserve are percent-escaped (TDS Table
 * A-1): `"` %22, `%` %25, `&` %26, `/` %2F, `<` %3C, `>` %3E, `?` %3F. Any other character appears as
 * itself. Parsing also decodes an escape of any other set-82 character, but refuses those seven unescaped.
 */
import { appendCheckDigit } from './check-digit';
import { Gs1Error } from './errors';
import { validateGtin14, validateSerial, validateSscc } from './identifiers';

export interface SgtinEpc {
  readonly scheme: 'sgtin';
  readonly gtin: string;
  readonly serial: string;
  readonly companyPrefix: string;
}

export interface SsccEpc {
  readonly scheme: 'sscc';
  readonly sscc: string;
  readonly companyPrefix: string;
}

export type EpcIdentity = SgtinEpc | SsccEpc;

export const MIN_COMPANY_PREFIX_LENGTH = 6;
export const MAX_COMPANY_PREFIX_LENGTH = 12;

const ESCAPED: Readonly<Record<string, string>> = {
  '"': '%22',
  '%': '%25',
  '&': '%26',
  '/': '%2F',
  '<': '%3C',
  '>': '%3E',
  '?': '%3F',
};

const PREFIX = /^urn:epc:id:([a-z0-9]+):/i;

export function isEpcUrn(input: string): boolean {
  return /^urn:epc:/i.test(input);
}

function checkPrefixLength(length: number): void {
  if (!Number.isInteger(length) || length < MIN_COMPANY_PREFIX_LENGTH || length > MAX_COMPANY_PREFIX_LENGTH) {
    throw new Gs1Error(
      'companyPrefix',
      'length',
      `GS1 company prefix length must be ${MIN_COMPANY_PREFIX_LENGTH}..${MAX_COMPANY_PREFIX_LENGTH} digits for an EPC, not ${length}`,
    );
  }
}

export function escapeEpcSerial(serial: string): string {
  validateSerial(serial);
  return serial.replace(/["%&/<>?]/g, (ch) => ESCAPED[ch]);
}

export function unescapeEpcSerial(escaped: string): string {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i];
    if (ch === '%') {
      const hex = escaped.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new Gs1Error('serial', 'format', `serial in EPC URN has a malformed escape at character ${i + 1}`);
      }
      out += String.fromCharCode(parseInt(hex, 16));
      i += 2;
    } else if (ch in ESCAPED) {
      throw new Gs1Error('serial', 'charset', `serial in EPC URN must write ${JSON.stringify(ch)} as ${ESCAPED[ch]}`);
    } else {
      out += ch;
    }
  }
  return validateSerial(out, 'serial in EPC URN');
}

/** `urn:epc:id:sgtin:…` for a GTIN (14 digits) and serial, given the length of the GS1 company prefix. */
export function formatSgtinUrn(gtin: string, serial: string, companyPrefixLength: number): string {
  validateGtin14(gtin);
  checkPrefixLength(companyPrefixLength);
  const companyPrefix = gtin.slice(1, 1 + companyPrefixLength);
  const indicatorAndItemReference = gtin[0] + gtin.slice(1 + companyPrefixLength, 13);
  return `urn:epc:id:sgtin:${companyPrefix}.${indicatorAndItemReference}.${escapeEpcSerial(serial)}`;
}

/** `urn:epc:id:sscc:…` for an SSCC (18 digits), given the length of the GS1 company prefix. */
export function formatSsccUrn(sscc: string, companyPrefixLength: number): string {
  validateSscc(sscc);
  checkPrefixLength(companyPrefixLength);
  const companyPrefix = sscc.slice(1, 1 + companyPrefixLength);
  const serialReference = sscc[0] + sscc.slice(1 + companyPrefixLength, 17);
  return `urn:epc:id:sscc:${companyPrefix}.${serialReference}`;
}

function numericPart(value: string, what: string): string {
  if (!/^[0-9]+$/.test(value)) {
    throw new Gs1Error('input', 'format', `${what} in the EPC URN must be digits, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Parses an SGTIN or SSCC pure identity URN. */
export function parseEpcUrn(urn: string): EpcIdentity {
  const match = PREFIX.exec(urn);
  if (!match) {
    throw new Gs1Error('input', 'format', 'an EPC pure identity URN starts with urn:epc:id:{scheme}:');
  }
  const scheme = match[1].toLowerCase();
  const body = urn.slice(match[0].length);
  const firstDot = body.indexOf('.');
  const companyPrefix = numericPart(firstDot === -1 ? body : body.slice(0, firstDot), 'company prefix');
  checkPrefixLength(companyPrefix.length);

  if (scheme === 'sgtin') {
    // The serial may itself contain dots, so only the first two separate components.
    const secondDot = body.indexOf('.', firstDot + 1);
    if (firstDot === -1 || secondDot === -1) {
      throw new Gs1Error(
        'input',
        'format',
        'an SGTIN URN has three parts: CompanyPrefix.IndicatorItemReference.Serial',
      );
    }
    const reference = numericPart(body.slice(firstDot + 1, secondDot), 'indicator and item reference');
    if (companyPrefix.length + reference.length !== 13) {
      throw new Gs1Error(
        'gtin',
        'length',
        `company prefix and indicator + item reference must together be 13 digits, not ${companyPrefix.length + reference.length}`,
      );
    }
    const gtin = appendCheckDigit(reference[0] + companyPrefix + reference.slice(1));
    return { scheme: 'sgtin', gtin, serial: unescapeEpcSerial(body.slice(secondDot + 1)), companyPrefix };
  }

  if (scheme === 'sscc') {
    if (firstDot === -1 || body.indexOf('.', firstDot + 1) !== -1) {
      throw new Gs1Error('input', 'format', 'an SSCC URN has two parts: CompanyPrefix.SerialReference');
    }
    const reference = numericPart(body.slice(firstDot + 1), 'serial reference');
    if (companyPrefix.length + reference.length !== 17) {
      throw new Gs1Error(
        'sscc',
        'length',
        `company prefix and serial reference must together be 17 digits, not ${companyPrefix.length + reference.length}`,
      );
    }
    return { scheme: 'sscc', sscc: appendCheckDigit(reference[0] + companyPrefix + reference.slice(1)), companyPrefix };
  }

  throw new Gs1Error('input', 'format', `EPC scheme ${scheme} is not supported (only sgtin and sscc)`);
}
