/**
 * GS1 keys (GTIN, GLN, SSCC) and the two free-text attributes a drug package carries (serial, lot).
 * Validators return the value (normalised where the function name says so) or throw a `Gs1Error`.
 */
import { appendCheckDigit, computeCheckDigit, hasValidCheckDigit } from './check-digit';
import { Gs1Error, type Gs1Field } from './errors';

export const GTIN_LENGTHS: readonly number[] = [8, 12, 13, 14];
export const GLN_LENGTH = 13;
export const SSCC_LENGTH = 18;
/** Serial (AI 21) and lot (AI 10) are 1..20 characters of character set 82. */
export const SERIAL_MAX_LENGTH = 20;
export const LOT_MAX_LENGTH = 20;

/**
 * GS1 AI encodable character set 82 (GS1 General Specifications, Figure 7.11-1): the 82 characters allowed
 * in alphanumeric AIs such as serial and lot.
 */
export const CHARSET_82 = `!"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz`;
const CHARSET_82_SET = new Set(CHARSET_82);

export function isCharset82(value: string): boolean {
  for (const ch of value) if (!CHARSET_82_SET.has(ch)) return false;
  return true;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `control character 0x${code.toString(16).padStart(2, '0')}`;
  if (ch === ' ') return 'a space';
  return JSON.stringify(ch);
}

/** Validates a 1..maxLength string of character set 82; the message names the offending character. */
export function validateCharset82(field: Gs1Field, label: string, value: string, maxLength: number): string {
  if (value.length === 0) throw new Gs1Error(field, 'length', `${label} is empty`);
  if (value.length > maxLength) {
    throw new Gs1Error(field, 'length', `${label} is ${value.length} characters long; at most ${maxLength} allowed`);
  }
  let index = 0;
  for (const ch of value) {
    if (!CHARSET_82_SET.has(ch)) {
      throw new Gs1Error(
        field,
        'charset',
        `${label} contains ${describeChar(ch)} at character ${index + 1}, which is not in GS1 AI encodable character set 82`,
      );
    }
    index += ch.length;
  }
  return value;
}

export function validateSerial(serial: string, label = 'serial'): string {
  return validateCharset82('serial', label, serial, SERIAL_MAX_LENGTH);
}

export function validateLot(lot: string, label = 'lot'): string {
  return validateCharset82('lot', label, lot, LOT_MAX_LENGTH);
}

function validateDigits(field: Gs1Field, label: string, value: string): void {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) {
      throw new Gs1Error(
        field,
        'charset',
        `${label} must be digits only; found ${describeChar(value[i])} at character ${i + 1}`,
      );
    }
  }
}

function lengthsText(lengths: readonly number[]): string {
  return lengths.length === 1
    ? String(lengths[0])
    : `${lengths.slice(0, -1).join(', ')} or ${lengths[lengths.length - 1]}`;
}

/** A digits-only GS1 key of one of `lengths` whose last digit is the mod-10 check digit. */
function validateKey(field: Gs1Field, label: string, value: string, lengths: readonly number[]): string {
  validateDigits(field, label, value);
  if (!lengths.includes(value.length)) {
    throw new Gs1Error(field, 'length', `${label} must be ${lengthsText(lengths)} digits long, not ${value.length}`);
  }
  const expected = computeCheckDigit(value.slice(0, -1));
  if (value[value.length - 1] !== expected) {
    throw new Gs1Error(
      field,
      'check-digit',
      `${label} ${value} ends in check digit ${value[value.length - 1]}, but its other digits give ${expected}`,
    );
  }
  return value;
}

/**
 * Accepts a GTIN-8, -12, -13 or -14 (digits only) and returns it as a GTIN-14, left-padded with zeros,
 * after checking the check digit.
 */
export function normalizeGtin(input: string, label = 'GTIN'): string {
  return validateKey('gtin', label, input, GTIN_LENGTHS).padStart(14, '0');
}

/** Validates a GTIN that must already be 14 digits (as in AI 01) and returns it. */
export function validateGtin14(gtin: string, label = 'GTIN'): string {
  return validateKey('gtin', label, gtin, [14]);
}

export function isGtin14(value: string): boolean {
  return value.length === 14 && hasValidCheckDigit(value);
}

export function validateGln(gln: string, label = 'GLN'): string {
  return validateKey('gln', label, gln, [GLN_LENGTH]);
}

export function isGln(value: string): boolean {
  return value.length === GLN_LENGTH && hasValidCheckDigit(value);
}

export function validateSscc(sscc: string, label = 'SSCC'): string {
  return validateKey('sscc', label, sscc, [SSCC_LENGTH]);
}

export function isSscc(value: string): boolean {
  return value.length === SSCC_LENGTH && hasValidCheckDigit(value);
}

/** Builds an SSCC from its parts (1 + prefix + serial reference = 17 digits) and appends the check digit. */
export function makeSscc(extensionDigit: string, companyPrefix: string, serialReference: string): string {
  validateDigits('sscc', 'SSCC extension digit', extensionDigit);
  validateDigits('companyPrefix', 'GS1 company prefix', companyPrefix);
  validateDigits('sscc', 'SSCC serial reference', serialReference);
  if (extensionDigit.length !== 1) throw new Gs1Error('sscc', 'length', 'SSCC extension digit must be one digit');
  const body = extensionDigit + companyPrefix + serialReference;
  if (body.length !== SSCC_LENGTH - 1) {
    throw new Gs1Error(
      'sscc',
      'length',
      `company prefix and serial reference must together be 16 digits, not ${body.length - 1}`,
    );
  }
  return appendCheckDigit(body);
}

/** Builds a GTIN-14 from indicator digit + company prefix + item reference (13 digits) plus check digit. */
export function makeGtin14(indicator: string, companyPrefix: string, itemReference: string): string {
  validateDigits('indicator', 'indicator digit', indicator);
  validateDigits('companyPrefix', 'GS1 company prefix', companyPrefix);
  validateDigits('gtin', 'item reference', itemReference);
  if (indicator.length !== 1) throw new Gs1Error('indicator', 'length', 'indicator must be one digit');
  const body = indicator + companyPrefix + itemReference;
  if (body.length !== 13) {
    throw new Gs1Error(
      'gtin',
      'length',
      `company prefix and item reference must together be 12 digits, not ${body.length - 1}`,
    );
  }
  return appendCheckDigit(body);
}
