import { equalBytes, fromHex, hex } from '../../../src/merkle';

describe('hex helpers', () => {
  it('round-trips and lowercases', () => {
    expect(hex(Uint8Array.of(0, 0xab, 0xff))).toBe('00abff');
    expect(Array.from(fromHex('00ABff'))).toEqual([0, 0xab, 0xff]);
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it.each(['0', 'abc', 'zz', '0x00', ' 00', '00 '])('rejects %p', (text) => {
    expect(() => fromHex(text)).toThrow(RangeError);
  });

  it('compares bytes', () => {
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
  });
});
