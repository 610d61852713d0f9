import fc from 'fast-check';
import { decodeBase64, encodeBase64 } from '../../../src/checkpoint';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('base64 (RFC 4648 §4, padded, canonical)', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10 vector %p <-> %p', (plain, encoded) => {
    expect(encodeBase64(ascii(plain))).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(ascii(plain));
  });

  it('agrees with Node for random bytes, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(encoded)).toEqual(bytes);
      }),
    );
  });

  it.each([
    ['Zg', 'missing padding'],
    ['Zg=', 'short padding'],
    ['Zh==', 'non-zero unused bits (one byte)'],
    ['Zm9=', 'non-zero unused bits (two bytes)'],
    ['Zm9v\n', 'newline'],
    ['Zm 9v', 'space'],
    ['Zm-_', 'URL-safe alphabet'],
    ['=Zm9', 'padding first'],
    ['Zg==Zg==', 'padding in the middle'],
    ['Z===', 'three padding characters'],
    ['====', 'only padding'],
    ['Zm9vé', 'non-ASCII'],
  ])('rejects %p (%s)', (text) => {
    expect(decodeBase64(text)).toBeNull();
  });
});
