import { ed25519 } from '@noble/curves/ed25519.js';
import { hexToBytes } from '../../../src/bytes';
import {
  hasCanonicalScalar,
  isValidPublicKey,
  publicKeyOf,
  publicKeyRejection,
  sign,
  verifyStrict,
} from '../../../src/signing/ed25519';
import { generatedEdgeCases, le32, SMALL_ORDER_POINTS, seedOf } from './edge-cases';
import speccheck from './fixtures/speccheck.json';

describe('strict Ed25519: "Taming the many EdDSAs" vectors (ed25519-speccheck)', () => {
  it('has the 12 published cases, each with our verdict and reason', () => {
    expect(speccheck.cases.map((c) => c.case)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it.each(speccheck.cases)('case $case: $reason', (c) => {
    const publicKey = hexToBytes(c.pub_key);
    const signature = hexToBytes(c.signature);
    expect(verifyStrict(publicKey, hexToBytes(c.message), signature)).toBe(c.expected);
    // The recorded reason is the rule that actually fires.
    if (c.rejectedBy === 'scalar') {
      expect(hasCanonicalScalar(signature)).toBe(false);
      expect(publicKeyRejection(publicKey)).toBeNull();
    } else {
      expect(publicKeyRejection(publicKey)).toBe(c.rejectedBy);
    }
  });
});

describe('strict Ed25519: generated edge cases', () => {
  it.each(generatedEdgeCases())('$name → $expected ($why)', ({ publicKey, message, signature, expected }) => {
    expect(verifyStrict(publicKey, message, signature)).toBe(expected);
  });
});

describe('public key validity (rule 1)', () => {
  it('rejects all 8 small-order points', () => {
    const encodings = new Set(SMALL_ORDER_POINTS.map((p) => p.toHex()));
    expect(encodings.size).toBe(8);
    for (const point of SMALL_ORDER_POINTS) expect(publicKeyRejection(point.toBytes())).toBe('small-order');
  });

  it('rejects a valid key plus each non-trivial torsion point as mixed-order', () => {
    const A = publicKeyOf(seedOf('mixed-order'));
    expect(publicKeyRejection(A)).toBeNull();
    for (const T of SMALL_ORDER_POINTS.slice(1)) {
      const mixed = ed25519.Point.fromBytes(A).add(T).toBytes();
      expect(publicKeyRejection(mixed)).toBe('mixed-order');
    }
  });

  it('rejects non-canonical encodings: y >= p, and x = 0 with the sign bit set', () => {
    const p = 2n ** 255n - 19n;
    for (const y of [p, p + 1n, p + 3n, 2n ** 255n - 1n]) expect(publicKeyRejection(le32(y))).toBe('encoding');
    // (0, 1) and (0, -1) with the sign bit set ("negative zero" x)
    expect(publicKeyRejection(le32(1n + (1n << 255n)))).toBe('encoding');
    expect(publicKeyRejection(le32(p - 1n + (1n << 255n)))).toBe('encoding');
  });

  it('rejects wrong lengths and non-bytes without throwing', () => {
    const A = publicKeyOf(seedOf('length'));
    expect(publicKeyRejection(A.subarray(0, 31))).toBe('length');
    expect(publicKeyRejection(new Uint8Array(33))).toBe('length');
    expect(publicKeyRejection('not bytes' as unknown as Uint8Array)).toBe('length');
    expect(isValidPublicKey(A)).toBe(true);
  });

  it('judges a key by its current bytes, even after the same array was cached as valid', () => {
    const seed = seedOf('cache');
    const key = publicKeyOf(seed);
    const message = new Uint8Array([1, 2, 3]);
    const signature = sign(seed, message);
    expect(verifyStrict(key, message, signature)).toBe(true);
    key.set(SMALL_ORDER_POINTS[1].toBytes());
    expect(isValidPublicKey(key)).toBe(false);
    expect(verifyStrict(key, message, signature)).toBe(false);
  });
});

describe('canonical S (rule 2)', () => {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const withS = (S: bigint) => new Uint8Array([...new Uint8Array(32), ...le32(S)]);

  it.each([
    { name: '0', S: 0n, canonical: true },
    { name: '1', S: 1n, canonical: true },
    { name: 'L - 1', S: L - 1n, canonical: true },
    { name: 'L', S: L, canonical: false },
    { name: 'L + 1', S: L + 1n, canonical: false },
    { name: '2^253', S: 2n ** 253n, canonical: false },
    { name: '2^256 - 1', S: 2n ** 256n - 1n, canonical: false },
  ])('S = $name → canonical: $canonical', ({ S, canonical }) => {
    expect(hasCanonicalScalar(withS(S))).toBe(canonical);
  });

  it('agrees with a bigint comparison on random and boundary scalars', () => {
    let x = 0x243f6a8885a308d3n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % 2n ** 256n;
      const S = i % 2 === 0 ? x : L + (x % 2n ** 32n) - 2n ** 31n; // half of them within 2^31 of L
      expect(hasCanonicalScalar(withS(S))).toBe(S < L);
    }
  });

  it('requires exactly 64 bytes', () => {
    expect(hasCanonicalScalar(new Uint8Array(63))).toBe(false);
    expect(hasCanonicalScalar(new Uint8Array(65))).toBe(false);
  });
});

describe('verifyStrict never throws', () => {
  it.each([
    ['a string key', 'key', new Uint8Array(0), new Uint8Array(64)],
    ['a string message', new Uint8Array(32), 'message', new Uint8Array(64)],
    ['a string signature', new Uint8Array(32), new Uint8Array(0), 'x'.repeat(64)],
    ['null everywhere', null, null, null],
  ])('%s → false', (_name, publicKey, message, signature) => {
    expect(verifyStrict(publicKey as Uint8Array, message as Uint8Array, signature as Uint8Array)).toBe(false);
  });
});
