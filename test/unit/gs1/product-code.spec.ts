import fc from 'fast-check';
import { appendCheckDigit } from '../../../src/gs1/check-digit';
import { formatDigitalLink } from '../../../src/gs1/digital-link';
import { GS, GS_SPELLINGS, formatElementString, formatHumanReadable } from '../../../src/gs1/element-string';
import { formatSgtinUrn } from '../../../src/gs1/epc';
import { Gs1Error } from '../../../src/gs1/errors';
import { DSCSA_PRODUCT_IDENTIFIER, parseProductCode } from '../../../src/gs1/product-code';
import { CURRENT_YEAR, dscsaFields, gs1Error } from './gs1-fixtures';

const options = { currentYear: CURRENT_YEAR };

const EXPECTED = {
  gtin: '09506000134352',
  serial: 'ABC',
  lot: 'LOT1',
  expiry: { yymmdd: '261231', date: '2026-12-31', dayOmitted: false },
};

describe('parseProductCode', () => {
  it.each([
    ['element-string', `]d2010950600013435217261231${'10LOT1'}${GS}21ABC\r\n`],
    ['element-string', '010950600013435217261231' + '10LOT1<GS>21ABC'],
    ['element-string', '  ]Q3010950600013435217261231' + '10LOT1\\x1d21ABC\n'],
    ['human-readable', '(01)09506000134352(17)261231(10)LOT1(21)ABC'],
    ['human-readable', ' (01) 09506000134352 (17) 261231 (10) LOT1 (21) ABC\r\n'],
    ['digital-link', 'https://id.gs1.org/01/09506000134352/10/LOT1/21/ABC?17=261231'],
    ['digital-link', ']Q1https://example.com/01/09506000134352/10/LOT1/21/ABC?17=261231'],
  ])('detects %s in %j', (form, input) => {
    expect(parseProductCode(input, options)).toEqual({ form, ...EXPECTED });
  });

  it('reads EPC URNs and bare GTINs from linear barcodes', () => {
    expect(parseProductCode('urn:epc:id:sgtin:0614141.812345.6789')).toEqual({
      form: 'epc-urn',
      gtin: '80614141123458',
      serial: '6789',
    });
    expect(parseProductCode('urn:epc:id:sscc:0614141.1234567890')).toEqual({
      form: 'epc-urn',
      sscc: '106141412345678908',
    });
    expect(parseProductCode('416000336108')).toEqual({ form: 'gtin', gtin: '00416000336108' });
    expect(parseProductCode(']E02112233789657')).toEqual({ form: 'gtin', gtin: '02112233789657' });
  });

  it('adds the NDC when the GTIN carries one, and DD = 00 expiry as the last day of the month', () => {
    const gtin = appendCheckDigit('0030777310502'); // NDC 0777-3105-02
    expect(parseProductCode(`(01)${gtin}(17)280200(10)A1(21)S1`, options)).toEqual({
      form: 'human-readable',
      gtin,
      ndc: '0777310502',
      serial: 'S1',
      lot: 'A1',
      expiry: { yymmdd: '280200', date: '2028-02-29', dayOmitted: true },
    });
  });

  it('reads a scan whose GS was lost when a full DSCSA product identifier is required', () => {
    const lost = '0109506000134352' + '21ABC123' + '17261231' + '10LOT1';
    expect(gs1Error(() => parseProductCode(lost, options)).rule).toBe('ambiguous');
    expect(parseProductCode(lost, { ...options, require: DSCSA_PRODUCT_IDENTIFIER })).toEqual({
      form: 'element-string',
      ...EXPECTED,
      serial: 'ABC123',
    });
  });

  it('says what is missing or wrong', () => {
    const cases: [string, Partial<Gs1Error>, object?][] = [
      ['', { field: 'input', rule: 'missing' }],
      [' \r\n', { field: 'input', rule: 'missing' }],
      ['x'.repeat(2000), { field: 'input', rule: 'length' }],
      ['https://id.gs1.org/01/09506000134352', { field: 'serial', rule: 'missing' }, { require: ['serial'] }],
      [
        'urn:epc:id:sgtin:0614141.812345.6789',
        { field: 'lot', rule: 'missing' },
        { require: DSCSA_PRODUCT_IDENTIFIER },
      ],
      ['(01)09506000134352(21)ABC', { field: 'lot', rule: 'missing' }, { require: DSCSA_PRODUCT_IDENTIFIER }],
      [']d10109506000134352', { field: 'input', rule: 'format' }],
      ['(01)09506000134353', { field: 'gtin', rule: 'check-digit' }],
      ['09506000134353', { field: 'gtin', rule: 'check-digit' }],
      ['0109506000134352' + '99X', { field: 'input', rule: 'unknown-ai' }],
      ['urn:epc:id:sgtin:0614141.812345.A/B', { field: 'serial', rule: 'charset' }],
    ];
    for (const [input, expected, extra] of cases) {
      expect(gs1Error(() => parseProductCode(input, { ...options, ...extra }))).toMatchObject(expected);
    }
  });

  it('gives back the same product identifier from every form (property)', () => {
    fc.assert(
      fc.property(
        dscsaFields,
        fc.constantFrom(...GS_SPELLINGS),
        fc.constantFrom('', ']d2', ']Q3'),
        fc.integer({ min: 6, max: 12 }),
        (fields, gs, symbologyIdentifier, prefixLength) => {
          const require = DSCSA_PRODUCT_IDENTIFIER;
          const expected = {
            gtin: fields.gtin,
            serial: fields.serial,
            lot: fields.lot,
            expiry: expect.objectContaining({ yymmdd: fields.expiry }),
          };
          const forms: [string, string][] = [
            ['human-readable', formatHumanReadable(fields, options)],
            ['digital-link', formatDigitalLink(fields, { ...options, stem: 'https://rx.example/scan' })],
          ];
          if (!Object.values(fields).some((v) => v?.includes('<GS>'))) {
            forms.push([
              'element-string',
              formatElementString(fields, { ...options, gs, symbologyIdentifier }) + '\r\n',
            ]);
          }
          for (const [form, input] of forms) {
            expect(parseProductCode(input, { ...options, require })).toMatchObject({ form, ...expected });
          }
          const urn = formatSgtinUrn(fields.gtin as string, fields.serial as string, prefixLength);
          expect(parseProductCode(urn)).toMatchObject({ form: 'epc-urn', gtin: fields.gtin, serial: fields.serial });
        },
      ),
      { numRuns: 500 },
    );
  });
});
