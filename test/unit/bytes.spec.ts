import fc from 'fast-check';
import { Buffer } from 'node:buffer';
import {
  base64ToBytes,
  base64ToBytesOrNull,
  bytesToBase64,
  bytesToHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  isBytes,
  utf8,
} from '../../src/bytes';

describe('base64', () => {
  // RFC 4648 §10 test vectors
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 %j ↔ %j', (text, b64) => {
    expect(bytesToBase64(utf8(text))).toBe(b64);
    expect(base64ToBytes(b64)).toEqual(utf8(text));
  });

  it('matches Node for any bytes, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(bytesToBase64(bytes)).toBe(b64);
        expect(base64ToBytes(b64)).toEqual(new Uint8Array(bytes));
      }),
      { numRuns: 500, seed: 4648 },
    );
  });

  it.each([
    ['missing padding', 'Zg'],
    ['URL-safe alphabet', 'a-_b'],
    ['whitespace', 'Zm9v YmFy'],
    ['a line break', 'Zm9v\nYmFy'],
    ['padding in the middle', 'Zg==Zm9v'],
    ['three padding characters', 'Z==='],
    ['non-zero unused bits (1 pad)', 'Zm9='],
    ['non-zero unused bits (2 pads)', 'Zh=='],
    ['non-ASCII', 'Zm9€'],
    ['short padding', 'Zg='],
    ['padding first', '=Zm9'],
    ['only padding', '===='],
  ])('rejects %s', (_name, text) => {
    expect(() => base64ToBytes(text)).toThrow(RangeError);
    expect(base64ToBytesOrNull(text)).toBeNull();
  });
});

describe('hex', () => {
  it('round-trips and writes lowercase', () => {
    expect(bytesToHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe('0001abff');
    expect(hexToBytes('0001ABff')).toEqual(new Uint8Array([0, 1, 0xab, 0xff]));
  });

  it.each(['abc', 'zz', '0x00', ' 00'])('rejects %j', (text) => {
    expect(() => hexToBytes(text)).toThrow(RangeError);
  });
});

describe('other helpers', () => {
  it('concatenates and compares', () => {
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(
      new Uint8Array([1, 2, 3]),
    );
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(equalBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
  });

  it('recognizes Uint8Arrays and Buffers, not other views', () => {
    expect(isBytes(new Uint8Array(1))).toBe(true);
    expect(isBytes(Buffer.from('x'))).toBe(true);
    expect(isBytes(new Uint16Array(1))).toBe(false);
    expect(isBytes([1, 2])).toBe(false);
    expect(isBytes('ab')).toBe(false);
  });
});
