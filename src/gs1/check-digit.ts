/**
 * GS1 mod-10 check digit (GS1 General Specifications §7.9): weights 3, 1, 3, 1, … applied from the right
 * to the digits before the check digit; check = (10 − sum mod 10) mod 10. Used by GTIN-8/12/13/14, GLN
 * and SSCC alike.
 */
import { Gs1Error } from './errors';

const DIGITS = /^[0-9]+$/;

export function computeCheckDigit(digitsWithoutCheck: string): string {
  if (!DIGITS.test(digitsWithoutCheck)) {
    throw new Gs1Error('input', 'charset', 'a check digit can only be computed over digits');
  }
  let sum = 0;
  let weight = 3;
  for (let i = digitsWithoutCheck.length - 1; i >= 0; i--) {
    sum += weight * (digitsWithoutCheck.charCodeAt(i) - 48);
    weight = 4 - weight;
  }
  return String((10 - (sum % 10)) % 10);
}

/** True when `digits` (check digit last) is all digits, at least two long, and its check digit matches. */
export function hasValidCheckDigit(digits: string): boolean {
  if (digits.length < 2 || !DIGITS.test(digits)) return false;
  return computeCheckDigit(digits.slice(0, -1)) === digits.slice(-1);
}

export function appendCheckDigit(digitsWithoutCheck: string): string {
  return digitsWithoutCheck + computeCheckDigit(digitsWithoutCheck);
}
