import { companyPrefixLengthFrom, itemUri, locationUri, partyUri, readGlnUri, readItemUri } from '../../../src/epcis';

// Vectors from the GS1 EPC Tag Data Standard (§6.3 examples) and GS1's EPCIS 2.0 examples.
describe('EPCIS item identifiers', () => {
  it('reads the TDS SGTIN and SSCC examples as item codes', () => {
    expect(readItemUri('urn:epc:id:sgtin:0614141.812345.6789')).toEqual({ code: '(01)80614141123458(21)6789' });
    expect(readItemUri('urn:epc:id:sscc:0614141.1234567890')).toEqual({ code: '(00)106141412345678908' });
  });

  it('reads Digital Link URIs on any host, with the lot and expiry they carry', () => {
    expect(readItemUri('https://id.gs1.org/01/70614141123451/21/2018')).toEqual({ code: '(01)70614141123451(21)2018' });
    expect(readItemUri('https://example.com/dl/01/00614141123452/10/LOT%2F1/21/A%26B?17=281200')).toEqual({
      code: '(01)00614141123452(21)A&B',
      lot: 'LOT/1',
      expiry: '281200',
    });
    expect(readItemUri('https://id.gs1.org/00/106141412345678908')).toEqual({ code: '(00)106141412345678908' });
  });

  it('says why a class-level or foreign identifier names no item', () => {
    expect(() => readItemUri('urn:epc:class:lgtin:4012345.012345.998877')).toThrow(/class-level/);
    expect(() => readItemUri('urn:epc:idpat:sgtin:4012345.098765.*')).toThrow(/class-level/);
    expect(() => readItemUri('https://id.gs1.org/01/70614141123451/10/LOT1')).toThrow(/no serial number/);
    expect(() => readItemUri('urn:epc:id:giai:4000001.12345')).toThrow(/giai is not supported/);
    expect(() => readItemUri('urn:example:thing:1')).toThrow(/neither an EPC URN nor a GS1 Digital Link/);
    expect(() => readItemUri('https://id.gs1.org/01/70614141123452/21/2018')).toThrow(/check digit/);
  });

  it('writes Digital Link by default and EPC URNs when the company prefix length is known', () => {
    expect(itemUri('(01)80614141123458(21)6789')).toBe('https://id.gs1.org/01/80614141123458/21/6789');
    expect(itemUri('(01)80614141123458(21)A/B', { digitalLinkStem: 'https://dl.example.com/x' })).toBe(
      'https://dl.example.com/x/01/80614141123458/21/A%2FB',
    );
    const known = { companyPrefixLength: companyPrefixLengthFrom(['0614141']) };
    expect(itemUri('(01)80614141123458(21)6789', known)).toBe('urn:epc:id:sgtin:0614141.812345.6789');
    expect(itemUri('(00)106141412345678908', known)).toBe('urn:epc:id:sscc:0614141.1234567890');
    // A prefix the caller does not know: Digital Link, which needs none.
    expect(itemUri('(01)00361234567890(21)SN1', known)).toBe('https://id.gs1.org/01/00361234567890/21/SN1');
  });
});

describe('EPCIS party and location identifiers', () => {
  it('reads SGLN, PGLN and Digital Link /414/ and /417/ as the 13-digit GLN', () => {
    expect(readGlnUri('urn:epc:id:sgln:0614141.12345.400')).toBe('0614141123452');
    expect(readGlnUri('urn:epc:id:sgln:0614141.07346.1234')).toBe('0614141073467'); // GS1 example 9.6.1's readPoint
    expect(readGlnUri('urn:epc:id:pgln:0614141.12345')).toBe('0614141123452');
    expect(readGlnUri('https://id.gs1.org/417/0614141123452')).toBe('0614141123452');
    expect(readGlnUri('https://example.org/414/0614141123452/254/5678')).toBe('0614141123452');
  });

  it('refuses what is not a GLN identifier, saying why', () => {
    expect(() => readGlnUri('urn:epc:id:sgln:0614141.1234.0')).toThrow(/12 digits/);
    expect(() => readGlnUri('urn:epc:id:pgln:0614141.12345.0')).toThrow(/SGLN has three parts/);
    expect(() => readGlnUri('https://id.gs1.org/417/0614141123453')).toThrow(/check digit/);
    expect(() => readGlnUri('urn:epc:id:grai:4012345.55555.98765')).toThrow(/not a GLN identifier/);
  });

  it('writes parties and locations both ways and reads them back', () => {
    const known = { companyPrefixLength: companyPrefixLengthFrom(['0614141']) };
    expect(partyUri('0614141123452')).toBe('https://id.gs1.org/417/0614141123452');
    expect(locationUri('0614141123452')).toBe('https://id.gs1.org/414/0614141123452');
    expect(partyUri('0614141123452', known)).toBe('urn:epc:id:pgln:0614141.12345');
    expect(locationUri('0614141123452', known)).toBe('urn:epc:id:sgln:0614141.12345.0');
    for (const uri of [partyUri('0614141123452', known), locationUri('0614141123452', known)]) {
      expect(readGlnUri(uri)).toBe('0614141123452');
    }
  });

  it('finds the prefix length of GTINs and SSCCs after their first digit, of GLNs from the start', () => {
    const length = companyPrefixLengthFrom(['0614141', '036000', '0614141999']);
    expect(length('80614141123458')).toBe(7);
    expect(length('106141412345678908')).toBe(7);
    expect(length('0614141123452')).toBe(7);
    expect(length('0614141999001')).toBe(10); // the longer of two matching prefixes
    expect(length('00361234567890')).toBeUndefined();
  });
});
