import fc from 'fast-check';
import { formatDigitalLink, isDigitalLinkUri, parseDigitalLink } from '../../../src/gs1/digital-link';
import type { Gs1Fields } from '../../../src/gs1/element-string';
import { Gs1Error } from '../../../src/gs1/errors';
import { CURRENT_YEAR, charset82Value, gtin14, sscc, yymmdd, gs1Error } from './gs1-fixtures';

const options = { currentYear: CURRENT_YEAR };

describe('parseDigitalLink', () => {
  // "Examples from DL specification" in GS1's Barcode Syntax Engine (gs1/gs1-syntax-engine, src/c-lib/dl.c).
  it.each<[string, string, Gs1Fields]>([
    ['https://id.gs1.org/01/09520123456788', 'https://id.gs1.org', { gtin: '09520123456788' }],
    ['https://brand.example.com/01/9520123456788', 'https://brand.example.com', { gtin: '09520123456788' }],
    [
      'https://brand.example.com/some-extra/pathinfo/01/9520123456788',
      'https://brand.example.com/some-extra/pathinfo',
      { gtin: '09520123456788' },
    ],
    ['https://id.gs1.org/01/09520123456788/10/ABC123', 'https://id.gs1.org', { gtin: '09520123456788', lot: 'ABC123' }],
    [
      'https://id.gs1.org/01/09520123456788/21/12345',
      'https://id.gs1.org',
      { gtin: '09520123456788', serial: '12345' },
    ],
    [
      'https://id.gs1.org/01/09520123456788/10/ABC1/21/12345?17=180426',
      'https://id.gs1.org',
      { gtin: '09520123456788', lot: 'ABC1', serial: '12345', expiry: '180426' },
    ],
    [
      'https://example.com/01/09520123456788?3103=000195&3922=0299&17=201225',
      'https://example.com',
      { gtin: '09520123456788', expiry: '201225' },
    ],
    ['https://id.gs1.org/00/952012345678912345', 'https://id.gs1.org', { sscc: '952012345678912345' }],
    ['https://a/01/02345673', 'https://a', { gtin: '00000002345673' }],
  ])('reads %s', (uri, stem, fields) => {
    expect(parseDigitalLink(uri, options)).toEqual({ stem, fields });
  });

  // Examples on the BWIPP wiki page "GS1 Digital Link URIs" (bwipp/postscriptbarcode).
  it.each<[string, Gs1Fields]>([
    [
      'https://id.gs1.org/01/09521234543213/10/ABC123/21/12345',
      { gtin: '09521234543213', lot: 'ABC123', serial: '12345' },
    ],
    [
      'https://id.gs1.org/01/09521234543213/10/ABC123?17=261231',
      { gtin: '09521234543213', lot: 'ABC123', expiry: '261231' },
    ],
    ['https://example.com/products/01/09521234543213', { gtin: '09521234543213' }],
    ['https://id.gs1.org/00/106141411234567897', { sscc: '106141411234567897' }],
  ])('reads %s', (uri, fields) => {
    expect(parseDigitalLink(uri, options).fields).toEqual(fields);
  });

  it('reads the issue example on any host and writes it back on id.gs1.org', () => {
    const fields = { gtin: '09506000134352', lot: 'LOT1', serial: 'ABC', expiry: '261231' };
    const uri = 'https://id.gs1.org/01/09506000134352/10/LOT1/21/ABC?17=261231';
    expect(formatDigitalLink(fields, options)).toBe(uri);
    expect(parseDigitalLink(uri, options).fields).toEqual(fields);
    expect(
      parseDigitalLink('HTTP://pharma.example:8080/dl/01/09506000134352/10/LOT1/21/ABC?17=261231#x', options),
    ).toEqual({
      stem: 'HTTP://pharma.example:8080/dl',
      fields,
    });
  });

  it('accepts the convenience names of the GS1 US Lightweight Messaging Standard and ignores other parameters', () => {
    const uri =
      'https://responder.example/verify/gtin/09506000134352/lot/LOT1/ser/ABC?exp=261231&linkType=verificationService&context=dscsaSaleableReturn';
    expect(parseDigitalLink(uri, options)).toEqual({
      stem: 'https://responder.example/verify',
      fields: { gtin: '09506000134352', lot: 'LOT1', serial: 'ABC', expiry: '261231' },
    });
  });

  it('percent-decodes values (path "+" is a plus sign) and tolerates a trailing slash', () => {
    // GS1 Syntax Engine dl.c: "ABC%2d123" is ABC-123, "+" means "+" in path info.
    expect(parseDigitalLink('https://a/01/09520123456788/10/ABC%2d123/21/ABC+123').fields).toEqual({
      gtin: '09520123456788',
      lot: 'ABC-123',
      serial: 'ABC+123',
    });
    expect(parseDigitalLink('https://a/01/09520123456788/21/XYZ%2F987/').fields.serial).toBe('XYZ/987');
  });

  it('says what is wrong', () => {
    const cases: [string, Partial<Gs1Error>][] = [
      ['https://example.com/01/09520123456788?10=ABC123', { field: 'input', rule: 'format' }], // GS1 Syntax Engine: AI in query that belongs in the path
      ['https://id.gs1.org/01/09520123456788/21/X/10/Y', { field: 'input', rule: 'format' }],
      ['https://id.gs1.org/01/09520123456788/22/2A', { field: 'input', rule: 'unknown-ai' }],
      ['https://id.gs1.org/01/09520123456788/17/261231', { field: 'input', rule: 'format' }],
      ['https://id.gs1.org/01/09520123456789', { field: 'gtin', rule: 'check-digit' }],
      ['https://id.gs1.org/01/09520123456788/21/A%23B', { field: 'serial', rule: 'charset' }],
      ['https://id.gs1.org/01/09520123456788/21/A%2', { field: 'input', rule: 'format' }],
      ['https://id.gs1.org/01/09520123456788?17=261331', { field: 'expiry', rule: 'date' }],
      ['https://id.gs1.org/01/09520123456788?17=261231&exp=261231', { field: 'expiry', rule: 'duplicate' }],
      ['https://id.gs1.org/products/09520123456788', { field: 'input', rule: 'format' }],
      ['ftp://id.gs1.org/01/09520123456788', { field: 'input', rule: 'format' }],
      ['https:///01/09520123456788', { field: 'input', rule: 'format' }],
    ];
    for (const [uri, expected] of cases) expect(gs1Error(() => parseDigitalLink(uri, options))).toMatchObject(expected);
  });
});

describe('formatDigitalLink', () => {
  it('percent-encodes all but unreserved characters, as GS1 Syntax Engine test_dl_URIescape expects', () => {
    const serial = `!"%&'()*+,/:;<=>?`;
    const uri = formatDigitalLink({ gtin: '09520123456788', serial });
    expect(uri).toBe('https://id.gs1.org/01/09520123456788/21/%21%22%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F');
    expect(parseDigitalLink(uri).fields.serial).toBe(serial);
    expect(formatDigitalLink({ gtin: '09520123456788', lot: 'AZaz09-._' })).toBe(
      'https://id.gs1.org/01/09520123456788/10/AZaz09-._',
    );
  });

  it('uses the stem given, and refuses what is not a Digital Link', () => {
    expect(formatDigitalLink({ gtin: '09506000134352' }, { stem: 'https://example.com/products/' })).toBe(
      'https://example.com/products/01/09506000134352',
    );
    expect(formatDigitalLink({ sscc: '106141412345678908' })).toBe('https://id.gs1.org/00/106141412345678908');
    expect(gs1Error(() => formatDigitalLink({ gtin: '09506000134352' }, { stem: 'id.gs1.org' })).rule).toBe('format');
    expect(gs1Error(() => formatDigitalLink({ gtin: '09506000134352' }, { stem: 'https://a/?x=1' })).rule).toBe(
      'format',
    );
    expect(gs1Error(() => formatDigitalLink({ sscc: '106141412345678908', gtin: '09506000134352' })).rule).toBe(
      'format',
    );
  });

  it('round-trips any fields on any stem (property)', () => {
    const stem = fc.constantFrom('https://id.gs1.org', 'https://example.com/products', 'http://localhost:3000/a/b');
    const fields = fc.record(
      {
        gtin: gtin14,
        lot: charset82Value,
        serial: charset82Value,
        expiry: yymmdd,
        productionDate: yymmdd,
        bestBefore: yymmdd,
      },
      { requiredKeys: ['gtin'] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fields,
          sscc.map((s) => ({ sscc: s })),
        ),
        stem,
        (f: Gs1Fields, s) => {
          const uri = formatDigitalLink(f, { stem: s, ...options });
          expect(isDigitalLinkUri(uri)).toBe(true);
          expect(parseDigitalLink(uri, options)).toEqual({ stem: s, fields: f });
        },
      ),
      { numRuns: 500 },
    );
  });
});
