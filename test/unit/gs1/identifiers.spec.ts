import fc from 'fast-check';
import {
  CHARSET_82,
  isCharset82,
  isGln,
  isGtin14,
  isSscc,
  makeGtin14,
  makeSscc,
  normalizeGtin,
  validateGln,
  validateLot,
  validateSerial,
  validateSscc,
} from '../../../src/gs1/identifiers';
import { gln, gtin14, sscc, gs1Error } from './gs1-fixtures';

function corruptOneDigit(key: string, at: number, delta: number): string {
  const i = at % key.length;
  return key.slice(0, i) + String((Number(key[i]) + delta) % 10) + key.slice(i + 1);
}

describe('normalizeGtin', () => {
  // GTINs of each length from GS1's Barcode Syntax Engine unit tests (scandata.c) and the issue.
  it.each([
    ['02345680', '00000002345680'],
    ['416000336108', '00416000336108'],
    ['2112233789657', '02112233789657'],
    ['24012345678905', '24012345678905'],
    ['09506000134352', '09506000134352'],
  ])('normalises %s to GTIN-14 %s', (input, expected) => {
    expect(normalizeGtin(input)).toBe(expected);
    expect(isGtin14(expected)).toBe(true);
  });

  it('names the rule that failed', () => {
    expect(gs1Error(() => normalizeGtin('09506000134353'))).toMatchObject({ field: 'gtin', rule: 'check-digit' });
    expect(gs1Error(() => normalizeGtin('09506000134353')).message).toContain('its other digits give 2');
    expect(gs1Error(() => normalizeGtin('0950600013435'))).toMatchObject({ field: 'gtin', rule: 'check-digit' });
    expect(gs1Error(() => normalizeGtin('123456789'))).toMatchObject({ field: 'gtin', rule: 'length' });
    expect(gs1Error(() => normalizeGtin('123456789')).message).toBe('GTIN must be 8, 12, 13 or 14 digits long, not 9');
    expect(gs1Error(() => normalizeGtin('0950600013435X'))).toMatchObject({ field: 'gtin', rule: 'charset' });
    expect(gs1Error(() => normalizeGtin(''))).toMatchObject({ field: 'gtin', rule: 'length' });
    expect(gs1Error(() => normalizeGtin(' 09506000134352'))).toMatchObject({ rule: 'charset' });
  });

  it('is the identity on valid GTIN-14 and pads shorter GTINs (property)', () => {
    fc.assert(
      fc.property(gtin14, (gtin) => {
        expect(normalizeGtin(gtin)).toBe(gtin);
        for (const length of [13, 12, 8]) {
          if (gtin.startsWith('0'.repeat(14 - length))) expect(normalizeGtin(gtin.slice(14 - length))).toBe(gtin);
        }
      }),
    );
  });
});

describe('GLN and SSCC', () => {
  it('accept the published examples', () => {
    expect(validateGln('9520123456788')).toBe('9520123456788'); // GS1 Digital Link standard, /414/ example
    expect(validateSscc('106141412345678908')).toBe('106141412345678908'); // EPC TDS SSCC example
    expect(validateSscc('952012345678912345')).toBe('952012345678912345'); // GS1 Digital Link standard, /00/ example
    expect(isGln('9520123456788')).toBe(true);
    expect(isSscc('106141412345678908')).toBe(true);
  });

  it('reject wrong lengths and check digits', () => {
    expect(gs1Error(() => validateGln('952012345678'))).toMatchObject({ field: 'gln', rule: 'length' });
    expect(gs1Error(() => validateGln('9520123456789'))).toMatchObject({ field: 'gln', rule: 'check-digit' });
    expect(gs1Error(() => validateSscc('106141412345678909'))).toMatchObject({ field: 'sscc', rule: 'check-digit' });
    expect(gs1Error(() => validateSscc('10614141234567890'))).toMatchObject({ field: 'sscc', rule: 'length' });
  });

  it('make SSCCs and GTINs from their parts', () => {
    expect(makeSscc('1', '0614141', '234567890')).toBe('106141412345678908');
    expect(makeGtin14('8', '0614141', '12345')).toBe('80614141123458');
    expect(gs1Error(() => makeSscc('1', '0614141', '23456789'))).toMatchObject({ field: 'sscc', rule: 'length' });
    expect(gs1Error(() => makeGtin14('10', '0614141', '2345'))).toMatchObject({ field: 'indicator', rule: 'length' });
  });

  it('catch any single-digit corruption of a GTIN, GLN or SSCC (property)', () => {
    const corruption = { at: fc.nat(), delta: fc.integer({ min: 1, max: 9 }) };
    fc.assert(
      fc.property(gtin14, gln, sscc, fc.record(corruption), (g, l, s, { at, delta }) => {
        expect(gs1Error(() => normalizeGtin(corruptOneDigit(g, at, delta))).rule).toBe('check-digit');
        expect(gs1Error(() => validateGln(corruptOneDigit(l, at, delta))).rule).toBe('check-digit');
        expect(gs1Error(() => validateSscc(corruptOneDigit(s, at, delta))).rule).toBe('check-digit');
      }),
    );
  });
});

describe('serial and lot', () => {
  it('allow exactly the 82 characters of GS1 AI encodable character set 82', () => {
    expect(CHARSET_82).toHaveLength(82);
    expect(new Set(CHARSET_82).size).toBe(82);
    expect(validateSerial(CHARSET_82.slice(0, 20))).toBe(CHARSET_82.slice(0, 20));
    expect(isCharset82(CHARSET_82)).toBe(true);
    for (const ch of ' #$@[\\]^`{|}~\x1dé') expect(isCharset82(ch)).toBe(false);
  });

  it('say which character and which field broke which rule', () => {
    const error = gs1Error(() => validateSerial('AB#C'));
    expect(error).toMatchObject({ field: 'serial', rule: 'charset' });
    expect(error.message).toBe('serial contains "#" at character 3, which is not in GS1 AI encodable character set 82');
    expect(gs1Error(() => validateLot('LOT\x1d1')).message).toContain('control character 0x1d at character 4');
    expect(gs1Error(() => validateLot(''))).toMatchObject({ field: 'lot', rule: 'length' });
    expect(gs1Error(() => validateLot('X'.repeat(21)))).toMatchObject({ field: 'lot', rule: 'length' });
    expect(validateLot('X'.repeat(20))).toHaveLength(20);
  });
});
