import fc from 'fast-check';
import { appendCheckDigit } from '../../../src/gs1/check-digit';
import { Gs1Error } from '../../../src/gs1/errors';
import {
  NDC_CONFIGURATIONS,
  formatNdc,
  gtinToNdc,
  isNdcGtin,
  ndcOfGtin,
  ndcToGtin,
  parseNdc,
  toNdc11,
} from '../../../src/gs1/ndc';
import { digits, gs1Error } from './gs1-fixtures';

// HL7 CARIN RTPBC implementation guide (ValueSet rtpbc-ndc-11): "base NDC: 0777-3105-02 equals normalized
// NDC-11: 00777310502". GTIN = indicator + 03 + NDC-10 + check digit (DESIGN.md §2, GS1 US guideline).
const HL7_NDC = '0777-3105-02';
const HL7_GTIN = appendCheckDigit('0030777310502');

describe('NDC ⇔ GTIN', () => {
  it('puts the NDC-10 after indicator and 03, and takes it back out', () => {
    expect(ndcToGtin(HL7_NDC)).toBe(HL7_GTIN);
    expect(ndcToGtin('0777310502')).toBe(HL7_GTIN);
    expect(gtinToNdc(HL7_GTIN)).toBe('0777310502');
    expect(gtinToNdc(HL7_GTIN.slice(2))).toBe('0777310502'); // the UPC-A on the pack: 3 + NDC + check
    expect(ndcToGtin(HL7_NDC, '5')).toBe(appendCheckDigit('5030777310502'));
    expect(isNdcGtin(HL7_GTIN)).toBe(true);
    expect(isNdcGtin('09506000134352')).toBe(false);
    expect(isNdcGtin('00307773105020')).toBe(false); // bad check digit
    expect(ndcOfGtin(HL7_GTIN)).toBe('0777310502');
    expect(ndcOfGtin('09506000134352')).toBeUndefined();
    expect(ndcOfGtin(appendCheckDigit('9030777310502'))).toBeUndefined();
    expect(gs1Error(() => ndcOfGtin('00307773105020'))).toMatchObject({ field: 'gtin', rule: 'check-digit' });
  });

  it('rejects GTINs that carry no NDC and indicators NDC GTINs do not use', () => {
    expect(gs1Error(() => gtinToNdc('09506000134352'))).toMatchObject({ field: 'gtin', rule: 'format' });
    expect(gs1Error(() => gtinToNdc(appendCheckDigit('9030777310502'))).message).toContain('indicator 9');
    expect(gs1Error(() => gtinToNdc('00307773105020'))).toMatchObject({ field: 'gtin', rule: 'check-digit' });
    expect(gs1Error(() => ndcToGtin(HL7_NDC, '9'))).toMatchObject({ field: 'indicator', rule: 'format' });
    expect(gs1Error(() => ndcToGtin(HL7_NDC, '10'))).toMatchObject({ field: 'indicator' });
  });

  it('reads each 10-digit configuration and refuses other shapes', () => {
    expect(parseNdc('0777-3105-02')).toBe('0777310502');
    expect(parseNdc('12345-678-90')).toBe('1234567890');
    expect(parseNdc('12345-6789-1')).toBe('1234567891');
    expect(gs1Error(() => parseNdc('123-45678-90'))).toMatchObject({ field: 'ndc', rule: 'format' });
    expect(gs1Error(() => parseNdc('1234-5678-9'))).toMatchObject({ field: 'ndc', rule: 'format' });
    expect(gs1Error(() => parseNdc('12345678'))).toMatchObject({ field: 'ndc', rule: 'length' });
    expect(gs1Error(() => parseNdc('1234 5678 90'))).toMatchObject({ field: 'ndc', rule: 'charset' });
    expect(gs1Error(() => parseNdc('12345-678-90', '5-4-1'))).toMatchObject({ rule: 'format' });
  });

  it('reads an 11-digit NDC when only one segment can hold the padding zero', () => {
    expect(parseNdc('12345-0678-90')).toBe('1234567890');
    expect(parseNdc('12345067890')).toBe('1234567890');
    expect(parseNdc('12345-6789-01')).toBe('1234567891');
    expect(ndcToGtin('12345-0678-90')).toBe(ndcToGtin('12345-678-90'));
  });

  it('reports an 11-digit NDC that could come from two configurations, and takes the configuration', () => {
    // 00777-3105-02 is 0777-3105-02 (4-4-2) padded, but could equally be 00777-3105-2 (5-4-1) padded.
    for (const input of ['00777310502', '00777-3105-02']) {
      const error = gs1Error(() => parseNdc(input));
      expect(error).toMatchObject({ field: 'ndc', rule: 'ambiguous' });
      expect(error.candidates).toEqual(['0777-3105-02', '00777-3105-2']);
      expect(error.message).toContain('give the NDC-10 or its configuration');
    }
    expect(parseNdc('00777310502', '4-4-2')).toBe('0777310502');
    expect(ndcToGtin('00777-3105-02', '0', '4-4-2')).toBe(HL7_GTIN);
    expect(gs1Error(() => parseNdc('00777310502', '5-3-2'))).toMatchObject({ rule: 'format' });
    expect(gs1Error(() => parseNdc('12345678911'))).toMatchObject({ rule: 'format' }); // no zero to remove
    expect(gs1Error(() => parseNdc('1234-56789-01'))).toMatchObject({ rule: 'format' }); // 11 digits not 5-4-2
  });

  it('formats the configurations and the 5-4-2 billing form', () => {
    expect(formatNdc('0777310502', '4-4-2')).toBe('0777-3105-02');
    expect(toNdc11('0777310502', '4-4-2')).toBe('00777-3105-02');
    expect(toNdc11('1234567890', '5-3-2')).toBe('12345-0678-90');
    expect(toNdc11('1234567891', '5-4-1')).toBe('12345-6789-01');
    expect(gs1Error(() => formatNdc('00777310502', '4-4-2'))).toMatchObject({ rule: 'length' });
  });

  it('round-trips every NDC through GTIN, hyphenated and 11-digit forms (property)', () => {
    fc.assert(
      fc.property(
        digits(10),
        fc.constantFrom(...'012345678'),
        fc.constantFrom(...NDC_CONFIGURATIONS),
        (ndc, indicator, configuration) => {
          const gtin = ndcToGtin(ndc, indicator);
          expect(gtin).toHaveLength(14);
          expect(gtin[0]).toBe(indicator);
          expect(gtinToNdc(gtin)).toBe(ndc);
          expect(ndcToGtin(formatNdc(ndc, configuration), indicator)).toBe(gtin);
          const ndc11 = toNdc11(ndc, configuration);
          expect(parseNdc(ndc11, configuration)).toBe(ndc);
          try {
            expect(parseNdc(ndc11)).toBe(ndc);
          } catch (error) {
            expect(error).toMatchObject({ rule: 'ambiguous' });
            expect((error as Gs1Error).candidates).toContain(formatNdc(ndc, configuration));
          }
        },
      ),
    );
  });
});
