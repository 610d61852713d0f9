import fc from 'fast-check';
import { formatSgtinUrn, formatSsccUrn, parseEpcUrn } from '../../../src/gs1/epc';
import { Gs1Error } from '../../../src/gs1/errors';
import { charset82Value, gtin14, sscc, gs1Error } from './gs1-fixtures';

describe('EPC URNs', () => {
  it('SGTIN: the EPC Tag Data Standard example (DESIGN.md §2)', () => {
    // (01)80614141123458(21)6789 ⇔ urn:epc:id:sgtin:0614141.812345.6789
    expect(formatSgtinUrn('80614141123458', '6789', 7)).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    expect(parseEpcUrn('urn:epc:id:sgtin:0614141.812345.6789')).toEqual({
      scheme: 'sgtin',
      gtin: '80614141123458',
      serial: '6789',
      companyPrefix: '0614141',
    });
  });

  it('SSCC: the EPC Tag Data Standard example', () => {
    // urn:epc:id:sscc:0614141.1234567890 ⇔ SSCC 106141412345678908 (extension digit 1 moves to the front)
    expect(formatSsccUrn('106141412345678908', 7)).toBe('urn:epc:id:sscc:0614141.1234567890');
    expect(parseEpcUrn('urn:epc:id:sscc:0614141.1234567890')).toEqual({
      scheme: 'sscc',
      sscc: '106141412345678908',
      companyPrefix: '0614141',
    });
    // OpenEPCIS translator README: urn:epc:id:sscc:234567.18901234567 ⇔ https://id.gs1.org/00/123456789012345675
    expect(parseEpcUrn('urn:epc:id:sscc:234567.18901234567')).toMatchObject({ sscc: '123456789012345675' });
  });

  it('escapes exactly the seven characters of TDS Table A-1 in serials', () => {
    const urn = formatSgtinUrn('80614141123458', `A"B%C&D/E<F>G?H`, 7);
    expect(urn).toBe('urn:epc:id:sgtin:0614141.812345.A%22B%25C%26D%2FE%3CF%3EG%3FH');
    expect(parseEpcUrn(urn)).toMatchObject({ serial: `A"B%C&D/E<F>G?H` });
    expect(formatSgtinUrn('80614141123458', `!'()*+,-.:;=_zZ9`, 7)).toBe(
      `urn:epc:id:sgtin:0614141.812345.!'()*+,-.:;=_zZ9`,
    );
    expect(parseEpcUrn('urn:epc:id:sgtin:0614141.812345.a%2fb.c')).toMatchObject({ serial: 'a/b.c' });
    expect(parseEpcUrn('URN:EPC:ID:SGTIN:0614141.812345.6789')).toMatchObject({ gtin: '80614141123458' });
  });

  it('says what is wrong', () => {
    const cases: [() => unknown, Partial<Gs1Error>][] = [
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.812345.A/B'), { field: 'serial', rule: 'charset' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.812345.A%23B'), { field: 'serial', rule: 'charset' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.812345.A%2'), { field: 'serial', rule: 'format' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.812345.'), { field: 'serial', rule: 'length' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.81234.6789'), { field: 'gtin', rule: 'length' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:06141.8123456789.1'), { field: 'companyPrefix', rule: 'length' }],
      [() => parseEpcUrn('urn:epc:id:sgtin:0614141.812345'), { field: 'input', rule: 'format' }],
      [() => parseEpcUrn('urn:epc:id:sscc:0614141.123456789'), { field: 'sscc', rule: 'length' }],
      [() => parseEpcUrn('urn:epc:id:sgln:0614141.12345.0'), { field: 'input', rule: 'format' }],
      [() => parseEpcUrn('urn:epc:tag:sgtin-96:3.0614141.812345.6789'), { field: 'input', rule: 'format' }],
      [() => formatSgtinUrn('80614141123458', '6789', 13), { field: 'companyPrefix', rule: 'length' }],
      [() => formatSgtinUrn('80614141123459', '6789', 7), { field: 'gtin', rule: 'check-digit' }],
      [() => formatSsccUrn('106141412345678908', 5), { field: 'companyPrefix', rule: 'length' }],
    ];
    for (const [fn, expected] of cases) expect(gs1Error(fn)).toMatchObject(expected);
  });

  it('round-trips any GTIN and serial, and any SSCC, for every company prefix length (property)', () => {
    fc.assert(
      fc.property(gtin14, charset82Value, sscc, fc.integer({ min: 6, max: 12 }), (gtin, serial, s, length) => {
        expect(parseEpcUrn(formatSgtinUrn(gtin, serial, length))).toEqual({
          scheme: 'sgtin',
          gtin,
          serial,
          companyPrefix: gtin.slice(1, 1 + length),
        });
        expect(parseEpcUrn(formatSsccUrn(s, length))).toEqual({
          scheme: 'sscc',
          sscc: s,
          companyPrefix: s.slice(1, 1 + length),
        });
      }),
      { numRuns: 500 },
    );
  });
});
