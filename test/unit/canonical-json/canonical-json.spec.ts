import fc from 'fast-check';
import { canonicalBytes, canonicalJson, CanonicalJsonError } from '../../../src/canonical-json';
import cyberphone from './fixtures/cyberphone.json';
import rfc8785 from './fixtures/rfc8785.json';

function doubleFromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('RFC 8785 examples', () => {
  it('§3.2.2 sample: canonical text, and §3.2.4 its exact UTF-8 bytes', () => {
    const value = JSON.parse(rfc8785.sample.input);
    expect(canonicalJson(value)).toBe(rfc8785.sample.canonical);
    expect(hexOf(canonicalBytes(value))).toBe(rfc8785.sample.utf8Hex.replace(/ /g, ''));
  });

  it('§3.2.3 sorts members by UTF-16 code units, not code points or locale', () => {
    const text = canonicalJson(JSON.parse(rfc8785.sorting.input));
    // Positions in the text (JSON.parse would move the integer-like member "1" first again).
    const positions = rfc8785.sorting.valueOrder.map((value) => text.indexOf(`"${value}"`));
    expect(positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1]))).toBe(true);
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 by code unit (after it by code point).
    expect(text.indexOf('Emoji')).toBeLessThan(text.indexOf('Hebrew'));
  });

  describe('Appendix B number serialization samples', () => {
    const finite = rfc8785.numbers.filter((n) => n.expected !== null);
    const nonFinite = rfc8785.numbers.filter((n) => n.expected === null);

    it('has the 26 rows of Table 1', () => {
      expect(rfc8785.numbers).toHaveLength(26);
      expect(nonFinite).toHaveLength(2);
    });

    it.each(finite)('$ieee754 → $expected $comment', ({ ieee754, expected }) => {
      expect(canonicalJson(doubleFromBits(ieee754))).toBe(expected);
      expect(canonicalJson([doubleFromBits(ieee754)])).toBe(`[${expected}]`);
    });

    it.each(nonFinite)('$ieee754 ($comment) is an error', ({ ieee754 }) => {
      expect(() => canonicalJson({ n: doubleFromBits(ieee754) })).toThrow(CanonicalJsonError);
    });
  });

  it.each(cyberphone.files)('cyberphone/json-canonicalization testdata: $name', ({ input, output }) => {
    expect(canonicalJson(JSON.parse(input))).toBe(output);
  });
});

describe('string escaping', () => {
  it.each([
    ['\u0000\u0001\u001f', '"\\u0000\\u0001\\u001f"'],
    ['\b\t\n\f\r', '"\\b\\t\\n\\f\\r"'],
    ['"\\', '"\\"\\\\"'],
    ['/ \u007f \u0080 \u2028 \u2029 é €', '"/ \u007f \u0080 \u2028 \u2029 é €"'],
    ['😂', '"😂"'],
  ])('%j → %s', (input, expected) => {
    expect(canonicalJson(input)).toBe(expected);
  });

  it('writes non-ASCII as raw UTF-8, never as \\u escapes', () => {
    expect(hexOf(canonicalBytes('€😂'))).toBe('22e282acf09f988222');
  });
});

describe('values JCS cannot represent', () => {
  it.each([
    ['undefined', undefined, '$'],
    ['an undefined member', { a: 1, b: undefined }, '$.b'],
    ['undefined in an array', [1, undefined], '$[1]'],
    ['a hole in an array', [1, , 3], '$[1]'], // eslint-disable-line no-sparse-arrays
    ['a function', { f: () => 1 }, '$.f'],
    ['a symbol', { s: Symbol('s') }, '$.s'],
    ['a symbol-keyed member', { [Symbol('k')]: 1 }, '$'],
    ['NaN', { n: NaN }, '$.n'],
    ['Infinity', [Infinity], '$[0]'],
    ['-Infinity', -Infinity, '$'],
    ['a BigInt', { big: 10n }, '$.big'],
    ['a lone high surrogate', { s: 'a\ud83d' }, '$.s'],
    ['a lone low surrogate', ['\ude02b'], '$[0]'],
    ['a reversed surrogate pair', '\ude02\ud83d', '$'],
    ['a lone surrogate in a member name', { 'x\ud800': 1 }, '$["x\\ud800"] (member name)'],
    ['a Date', { when: new Date(0) }, '$.when'],
    ['a Map', { m: new Map([[1, 2]]) }, '$.m'],
    ['a class instance', { e: new (class Thing {})() }, '$.e'],
    ['a Uint8Array', { bytes: new Uint8Array(2) }, '$.bytes'],
    ['a nested bad value', { a: [{ 'b c': [0, { d: NaN }] }] }, '$.a[0]["b c"][1].d'],
  ])('%s', (_name, value, path) => {
    let error: unknown;
    try {
      canonicalJson(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CanonicalJsonError);
    expect((error as CanonicalJsonError).path).toBe(path);
    expect((error as Error).message).toContain(`cannot canonicalize ${path}: `);
  });

  it('rejects circular structures instead of overflowing the stack', () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(() => canonicalJson(a)).toThrow('circular reference');
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });

  it('accepts null-prototype objects and negative zero (as 0)', () => {
    const bare = Object.assign(Object.create(null) as object, { b: -0, a: null });
    expect(canonicalJson(bare)).toBe('{"a":null,"b":0}');
  });

  it('does not call toJSON on plain data members named toJSON', () => {
    expect(canonicalJson({ toJSON: 'kept as data' })).toBe('{"toJSON":"kept as data"}');
  });
});

describe('properties', () => {
  it('is a fixpoint: canonicalizing parsed canonical text gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500, seed: 8785 },
    );
  });

  it('does not depend on member insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
      { numRuns: 300, seed: 8785 },
    );
  });
});
