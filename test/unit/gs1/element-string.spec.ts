import fc from 'fast-check';
import {
  GS,
  GS1_SYMBOLOGY_IDENTIFIERS,
  GS_SPELLINGS,
  formatElementString,
  formatHumanReadable,
  parseElementString,
  parseHumanReadable,
  type ElementStringParseOptions,
  type Gs1Fields,
} from '../../../src/gs1/element-string';
import { Gs1Error } from '../../../src/gs1/errors';
import { CURRENT_YEAR, dscsaFields, tradeItemFields, gs1Error } from './gs1-fixtures';

const options = { currentYear: CURRENT_YEAR };
const DSCSA = ['gtin', 'serial', 'lot', 'expiry'] as const;

// The example product identifier.
const EXAMPLE: Gs1Fields = { gtin: '09506000134352', expiry: '261231', lot: 'LOT1', serial: 'ABC' };
const EXAMPLE_HRI = '(01)09506000134352(17)261231(10)LOT1(21)ABC';
const EXAMPLE_RAW = `010950600013435217261231${'10LOT1'}${GS}21ABC`;

describe('formatting', () => {
  it('writes keys, then dates, then lot and serial, with one GS between the variable-length fields', () => {
    expect(formatHumanReadable(EXAMPLE)).toBe(EXAMPLE_HRI);
    expect(formatElementString(EXAMPLE)).toBe(EXAMPLE_RAW);
    expect(formatElementString(EXAMPLE, { gs: '<GS>', symbologyIdentifier: ']d2' })).toBe(
      ']d2010950600013435217261231' + '10LOT1<GS>21ABC',
    );
    expect(formatElementString(EXAMPLE, { gs: '' })).toBe('01095060001343521726123110LOT121ABC');
    // EPC TDS / DESIGN.md example element string
    expect(formatHumanReadable({ gtin: '80614141123458', serial: '6789' })).toBe('(01)80614141123458(21)6789');
    expect(formatElementString({ sscc: '106141412345678908' })).toBe('00106141412345678908');
  });

  it('refuses what it could not read back', () => {
    expect(gs1Error(() => formatElementString({ ...EXAMPLE, gtin: '09506000134353' }))).toMatchObject({
      field: 'gtin',
      rule: 'check-digit',
    });
    expect(gs1Error(() => formatElementString({ ...EXAMPLE, lot: 'A<GS>B' }))).toMatchObject({
      field: 'lot',
      rule: 'ambiguous',
    });
    expect(gs1Error(() => formatElementString(EXAMPLE, { gs: '|' }))).toMatchObject({ rule: 'format' });
    expect(gs1Error(() => formatElementString(EXAMPLE, { symbologyIdentifier: ']d1' }))).toMatchObject({
      rule: 'format',
    });
    expect(gs1Error(() => formatHumanReadable({ serial: 'ABC' }))).toMatchObject({ field: 'gtin', rule: 'missing' });
    expect(gs1Error(() => formatHumanReadable({}))).toMatchObject({ field: 'input', rule: 'missing' });
  });
});

describe('parseElementString', () => {
  it('reads the example with GS in every accepted spelling, with and without symbology identifier', () => {
    for (const gs of GS_SPELLINGS) {
      for (const prefix of ['', ...GS1_SYMBOLOGY_IDENTIFIERS]) {
        const input = `${prefix}010950600013435217261231${'10LOT1'}${gs}21ABC`;
        expect(parseElementString(input, options)).toEqual(EXAMPLE);
      }
    }
  });

  it('ignores a GS in first position (FNC1) and at the end', () => {
    expect(parseElementString(`]d2${GS}${EXAMPLE_RAW}${GS}`, options)).toEqual(EXAMPLE);
    expect(parseElementString(`<GS>${EXAMPLE_RAW}<GS>`, options)).toEqual(EXAMPLE);
  });

  it('reads the EPC TDS / DESIGN.md element string and an SSCC', () => {
    expect(parseElementString('0180614141123458216789')).toEqual({ gtin: '80614141123458', serial: '6789' });
    expect(parseElementString(']C100106141412345678908')).toEqual({ sscc: '106141412345678908' });
  });

  it('names the AI and the position of an unsupported AI', () => {
    // Scan data from the GS1 Barcode Syntax Engine's tests (scandata.c): AI 99 is not one we support.
    const error = gs1Error(() => parseElementString(`]d2011231231231233310ABC123${GS}99TESTING`));
    expect(error).toMatchObject({ field: 'input', rule: 'unknown-ai', position: 28 });
    expect(error.message).toContain('"99TE"… at character 29');
    expect(gs1Error(() => parseElementString('0109506000134352240ABC'))).toMatchObject({
      rule: 'unknown-ai',
      position: 16,
    });
  });

  it('says which field broke which rule, and where', () => {
    expect(gs1Error(() => parseElementString(']d20109506000134353' + '17261231'))).toMatchObject({
      field: 'gtin',
      rule: 'check-digit',
      position: 5,
    });
    expect(gs1Error(() => parseElementString('010950600013435217261331', options))).toMatchObject({
      field: 'expiry',
      rule: 'date',
      position: 18,
    });
    expect(gs1Error(() => parseElementString(`0109506000134352${'10'}${'L'.repeat(21)}`))).toMatchObject({
      field: 'lot',
      rule: 'length',
    });
    expect(gs1Error(() => parseElementString('010950600013435221AB#C'))).toMatchObject({
      field: 'serial',
      rule: 'charset',
    });
    expect(gs1Error(() => parseElementString(`01095060001343${GS}21ABC`))).toMatchObject({
      field: 'gtin',
      rule: 'length',
    });
    expect(gs1Error(() => parseElementString('17261231' + '10LOT1', options))).toMatchObject({
      field: 'gtin',
      rule: 'missing',
    });
    expect(gs1Error(() => parseElementString(']d1' + EXAMPLE_RAW))).toMatchObject({ field: 'input', rule: 'format' });
    expect(gs1Error(() => parseElementString(']d2'))).toMatchObject({ field: 'input', rule: 'missing' });
  });

  it('rejects an AI repeated with another value and tolerates an identical repeat', () => {
    const error = gs1Error(() => parseElementString(`0109506000134352172612311727010110LOT1`, options));
    expect(error).toMatchObject({ field: 'expiry', rule: 'duplicate' });
    expect(error.message).toBe('(17) expiry date appears twice, as 261231 and as 270101');
    expect(parseElementString(`0109506000134352172612311726123110LOT1`, options)).toEqual({
      gtin: '09506000134352',
      expiry: '261231',
      lot: 'LOT1',
    });
  });

  it('honours required fields', () => {
    expect(gs1Error(() => parseElementString('0109506000134352' + '21ABC', { require: DSCSA }))).toMatchObject({
      field: 'lot',
      rule: 'missing',
    });
  });
});

describe('parseElementString with the GS separators lost', () => {
  // The example: 01 09506000134352, 21 ABC123, 17 261231, 10 LOT1, typed without GS.
  const lost = '0109506000134352' + '21ABC123' + '17261231' + '10LOT1';

  it('lists every reading when the string alone cannot decide', () => {
    const error = gs1Error(() => parseElementString(lost, options));
    expect(error).toMatchObject({ field: 'input', rule: 'ambiguous' });
    // A 20-character serial and a 14-character serial followed by a lot are valid readings too.
    expect(error.candidates).toEqual(
      expect.arrayContaining([
        '(01)09506000134352(17)261231(10)LOT1(21)ABC123',
        '(01)09506000134352(10)LOT1(21)ABC12317261231',
        '(01)09506000134352(21)ABC1231726123110LOT1',
      ]),
    );
    expect(error.candidates).toHaveLength(3);
    expect(error.message).toContain('no separators (GS) between the fields');
  });

  it('returns the one reading that carries a full DSCSA product identifier', () => {
    expect(parseElementString(lost, { ...options, require: DSCSA })).toEqual({
      gtin: '09506000134352',
      serial: 'ABC123',
      expiry: '261231',
      lot: 'LOT1',
    });
  });

  it('returns a reading that is unique without help', () => {
    expect(parseElementString('0109506000134352' + '17261231' + '10LOT1', options)).toEqual({
      gtin: '09506000134352',
      expiry: '261231',
      lot: 'LOT1',
    });
    // A dated serial: 21 + X17 cannot end early, since "17" would need six more digits.
    expect(parseElementString('0109506000134352' + '21X17', options)).toEqual({
      gtin: '09506000134352',
      serial: 'X17',
    });
  });

  it('reports ambiguity instead of guessing', () => {
    const error = gs1Error(() => parseElementString('0109506000134352' + '10A21B', options));
    expect(error.candidates).toEqual(['(01)09506000134352(10)A21B', '(01)09506000134352(10)A(21)B']);
  });

  it('reports the standard error when no reading exists', () => {
    expect(gs1Error(() => parseElementString('0109506000134352' + '10' + 'L'.repeat(21), options))).toMatchObject({
      field: 'lot',
      rule: 'length',
    });
  });
});

describe('parseHumanReadable', () => {
  it('reads the example, with or without spaces around the parentheses', () => {
    expect(parseHumanReadable(EXAMPLE_HRI, options)).toEqual(EXAMPLE);
    expect(parseHumanReadable('(01) 09506000134352 (17) 261231 (10) LOT1 (21) ABC ', options)).toEqual(EXAMPLE);
    expect(parseHumanReadable('(21)ABC(10)LOT1(01)09506000134352(17)261231', options)).toEqual(EXAMPLE);
  });

  it('reads a parenthesis inside a value, and every (digits) as an AI unless escaped as in GS1 bracketed syntax', () => {
    expect(parseHumanReadable('(01)09506000134352(10)A(B)C', options).lot).toBe('A(B)C');
    expect(parseHumanReadable('(01)09506000134352(10)A(21)B', options)).toMatchObject({ lot: 'A', serial: 'B' });
    expect(parseHumanReadable('(01)09506000134352(10)A\\(21)B', options)).toEqual({
      gtin: '09506000134352',
      lot: 'A(21)B',
    });
    expect(formatHumanReadable({ gtin: '09506000134352', lot: 'A(21)B(C)' })).toBe('(01)09506000134352(10)A\\(21)B(C)');
    expect(gs1Error(() => parseHumanReadable('(01)09506000134352(10)A(99)C'))).toMatchObject({ rule: 'unknown-ai' });
  });

  it('names unknown AIs and broken fields', () => {
    expect(gs1Error(() => parseHumanReadable('(01)09506000134352(99)X'))).toMatchObject({
      rule: 'unknown-ai',
      position: 18,
    });
    expect(gs1Error(() => parseHumanReadable('(01)0950600013435(21)X'))).toMatchObject({
      field: 'gtin',
      rule: 'length',
    });
    expect(gs1Error(() => parseHumanReadable('01)09506000134352'))).toMatchObject({ field: 'input', rule: 'format' });
  });
});

/** The parser returns exactly `fields`, or reports an ambiguity whose readings include them. */
function expectFieldsOrAmbiguity(encoded: string, fields: Gs1Fields, parseOptions: ElementStringParseOptions): void {
  let parsed: Gs1Fields;
  try {
    parsed = parseElementString(encoded, parseOptions);
  } catch (error) {
    expect(error).toMatchObject({ rule: 'ambiguous' });
    expect((error as Gs1Error).candidates).toContain(formatHumanReadable(fields, parseOptions));
    expect((error as Gs1Error).readings).toContainEqual(fields);
    return;
  }
  expect(parsed).toEqual(fields);
}

describe('round trips (properties)', () => {
  it('element string in every GS spelling, with any symbology identifier, gives back the fields', () => {
    fc.assert(
      fc.property(
        tradeItemFields,
        fc.constantFrom(...GS_SPELLINGS),
        fc.constantFrom('', ...GS1_SYMBOLOGY_IDENTIFIERS),
        (fields, gs, symbologyIdentifier) => {
          let encoded: string;
          try {
            encoded = formatElementString(fields, { gs, symbologyIdentifier, ...options });
          } catch (error) {
            // The only refusal: a value containing the text <GS>, which scanners use as a separator.
            expect(error).toMatchObject({ rule: 'ambiguous' });
            expect(Object.values(fields).some((v) => v?.includes('<GS>'))).toBe(true);
            return;
          }
          if (encoded.slice(symbologyIdentifier.length).includes(gs)) {
            expect(parseElementString(encoded, options)).toEqual(fields);
          } else {
            // No separator was needed (at most one variable-length field, last), so the parser cannot tell
            // the string from one whose separators were lost: it may only answer these fields or "ambiguous".
            expectFieldsOrAmbiguity(encoded, fields, options);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('human-readable form gives back the fields', () => {
    fc.assert(
      fc.property(tradeItemFields, (fields) => {
        expect(parseHumanReadable(formatHumanReadable(fields, options), options)).toEqual(fields);
      }),
      { numRuns: 500 },
    );
  });

  it('with GS lost, a result is always the original fields; otherwise the ambiguity lists them', () => {
    fc.assert(
      fc.property(tradeItemFields, (fields) => {
        expectFieldsOrAmbiguity(formatElementString(fields, { gs: '', ...options }), fields, options);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(dscsaFields, (fields) => {
        const lost = formatElementString(fields, { gs: '', ...options });
        expectFieldsOrAmbiguity(lost, fields, { ...options, require: DSCSA });
      }),
      { numRuns: 1000 },
    );
  });

  it('a corrupted GTIN digit in an element string is caught by the check digit', () => {
    fc.assert(
      fc.property(tradeItemFields, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 9 }), (fields, i, d) => {
        const encoded = formatElementString(fields, { ...options, gs: '<GS>' });
        if (encoded.includes('<GS><GS>')) return;
        const at = 2 + i;
        const corrupted = encoded.slice(0, at) + String((Number(encoded[at]) + d) % 10) + encoded.slice(at + 1);
        expect(gs1Error(() => parseElementString(corrupted, options))).toMatchObject({
          field: 'gtin',
          rule: 'check-digit',
          position: 2,
        });
      }),
    );
  });
});
