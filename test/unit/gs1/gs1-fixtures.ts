/** Shared by the gs1 tests: fast-check generators for valid GS1 data, and a helper to catch a Gs1Error. */
import fc from 'fast-check';
import { appendCheckDigit } from '../../../src/gs1/check-digit';
import type { Gs1Fields } from '../../../src/gs1/element-string';
import { Gs1Error } from '../../../src/gs1/errors';
import { daysInMonth } from '../../../src/gs1/expiry';
import { CHARSET_82 } from '../../../src/gs1/identifiers';

/** Every test pins the century window so that results do not depend on the clock. */
export const CURRENT_YEAR = 2026;

export const digits = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });

export const gtin14 = digits(13).map(appendCheckDigit);
export const gln = digits(12).map(appendCheckDigit);
export const sscc = digits(17).map(appendCheckDigit);

/** Serial / lot: 1..20 characters of set 82, biased towards the characters that need escaping. */
export const charset82Value = fc.string({
  unit: fc.oneof(fc.constantFrom(...CHARSET_82), fc.constantFrom(...'"%&/<>?()+')),
  minLength: 1,
  maxLength: 20,
});

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** An ISO date whose year YYMMDD can represent around CURRENT_YEAR. */
export const isoDateInWindow = fc
  .record({
    year: fc.integer({ min: CURRENT_YEAR - 49, max: CURRENT_YEAR + 50 }),
    month: fc.integer({ min: 1, max: 12 }),
  })
  .chain(({ year, month }) =>
    fc.integer({ min: 1, max: daysInMonth(year, month) }).map((day) => `${pad(year, 4)}-${pad(month)}-${pad(day)}`),
  );

/** A YYMMDD value, DD = 00 included. */
export const yymmdd = fc
  .record({
    yy: fc.integer({ min: 0, max: 99 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 0, max: 28 }),
  })
  .map(({ yy, month, day }) => `${pad(yy)}${pad(month)}${pad(day)}`);

/** Any valid combination of the supported AIs around a GTIN. */
export const tradeItemFields: fc.Arbitrary<Gs1Fields> = fc.record(
  {
    gtin: gtin14,
    serial: charset82Value,
    lot: charset82Value,
    expiry: yymmdd,
    productionDate: yymmdd,
    bestBefore: yymmdd,
  },
  { requiredKeys: ['gtin'] },
);

/** A full DSCSA product identifier: GTIN, serial, lot, expiry. */
export const dscsaFields: fc.Arbitrary<Gs1Fields> = fc.record({
  gtin: gtin14,
  serial: charset82Value,
  lot: charset82Value,
  expiry: yymmdd,
});

/** Runs `fn` and returns the Gs1Error it throws; fails the test if it throws nothing or something else. */
export function gs1Error(fn: () => unknown): Gs1Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Gs1Error) return error;
    throw error;
  }
  throw new Error('expected a Gs1Error');
}
