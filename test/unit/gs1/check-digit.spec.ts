import fc from 'fast-check';
import { appendCheckDigit, computeCheckDigit, hasValidCheckDigit } from '../../../src/gs1/check-digit';
import { Gs1Error } from '../../../src/gs1/errors';
import { digits } from './gs1-fixtures';

describe('GS1 mod-10 check digit', () => {
  // Vectors from GS1's own Barcode Syntax Engine (gs1/gs1-syntax-engine, src/c-lib/scandata.c,
  // test_scandata_validateParity): a good and a bad key of each GTIN length, with the corrected digit.
  it.each([
    ['24012345678905', '24012345678909'],
    ['2112233789657', '2112233789658'],
    ['416000336108', '416000336107'],
    ['02345680', '02345689'],
  ])('accepts %s and rejects %s', (good, bad) => {
    expect(hasValidCheckDigit(good)).toBe(true);
    expect(hasValidCheckDigit(bad)).toBe(false);
    expect(computeCheckDigit(bad.slice(0, -1))).toBe(good.slice(-1));
  });

  it.each([
    ['0950600013435', '2'], // GTIN 09506000134352, the example
    ['8061414112345', '8'], // GTIN 80614141123458 of the EPC TDS SGTIN example
    ['10614141234567890', '8'], // SSCC 106141412345678908 of the EPC TDS SSCC example
    ['952012345678', '8'], // GLN 9520123456788 of the GS1 Digital Link standard examples
    ['0000000000000', '0'],
  ])('computes the check digit of %s as %s', (body, check) => {
    expect(computeCheckDigit(body)).toBe(check);
    expect(appendCheckDigit(body)).toBe(body + check);
  });

  it('refuses to compute over anything but digits', () => {
    expect(() => computeCheckDigit('12a4')).toThrow(Gs1Error);
    expect(() => computeCheckDigit('')).toThrow(Gs1Error);
    expect(hasValidCheckDigit('1')).toBe(false);
    expect(hasValidCheckDigit('12 4')).toBe(false);
  });

  it('catches every single-digit substitution (property)', () => {
    fc.assert(
      fc.property(digits(17).map(appendCheckDigit), fc.nat(), fc.integer({ min: 1, max: 9 }), (key, at, delta) => {
        const i = at % key.length;
        const corrupted = key.slice(0, i) + String((Number(key[i]) + delta) % 10) + key.slice(i + 1);
        expect(hasValidCheckDigit(corrupted)).toBe(false);
      }),
    );
  });
});
