/**
 * Generated Ed25519 edge cases for the strictness and equivalence tests. Deterministic: every key, nonce and message
 * comes from a label, so a failure names a case that reproduces.
 *
 * Each case records our expected verdict and why. `nobleCofactored` and `opensslAlone` record what a verifier
 * without our rule would say (noble's `ed25519.verify`, and OpenSSL's `crypto.verify` without the JavaScript checks
 * of rules 1 and 2); the tests assert those too, so the cases keep proving why the strict rule is composed the way
 * it is.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, utf8 } from '../../../src/bytes';
import { bytesToNumberLE, GROUP_ORDER, publicKeyOf, sign } from '../../../src/signing/ed25519';

const Point = ed25519.Point;
type EdPoint = typeof Point.BASE;
const FIELD_PRIME: bigint = Point.Fp.ORDER;

export interface EdgeCase {
  name: string;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  /** RxLedger's strict verdict. */
  expected: boolean;
  why: string;
  /** noble's plain `ed25519.verify` (cofactored, ZIP-215 decoding); undefined where not asserted. */
  nobleCofactored?: boolean;
  /** OpenSSL without the JavaScript pre-checks; undefined where the input cannot reach OpenSSL (bad lengths). */
  opensslAlone?: boolean;
}

/** A point of order 8; its multiples are the 8 small-order points. */
export const TORSION_8: EdPoint = Point.fromBytes(
  hexToBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'),
);
export const SMALL_ORDER_POINTS: EdPoint[] = Array.from({ length: 8 }, (_, i) => TORSION_8.multiplyUnsafe(BigInt(i)));

export function seedOf(label: string): Uint8Array {
  return sha256(utf8(label));
}

export function le32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
}

function mod(value: bigint, modulus: bigint): bigint {
  const r = value % modulus;
  return r < 0n ? r + modulus : r;
}

/** k = SHA-512(R || A || M) mod L, over the bytes as given. */
export function challenge(R: Uint8Array, A: Uint8Array, M: Uint8Array): bigint {
  return mod(bytesToNumberLE(sha512(concatBytes(R, A, M))), GROUP_ORDER);
}

/** The secret scalar a of a seed (A = [a]B). */
function secretScalar(seed: Uint8Array): bigint {
  return ed25519.utils.getExtendedPublicKey(seed).scalar;
}

/** A signature (R, S = r + k·a) with a chosen R encoding, k computed over that encoding and the key bytes given. */
function signWithR(a: bigint, r: bigint, R: Uint8Array, publicKey: Uint8Array, message: Uint8Array): Uint8Array {
  const S = mod(r + challenge(R, publicKey, message) * a, GROUP_ORDER);
  return concatBytes(R, le32(S));
}

/**
 * For a key of small order, a message and an S = 0 signature that the cofactorless equation accepts:
 * R = encode([-k]A) with R among the small-order points (a fixpoint found by trying messages).
 */
function zeroScalarForgery(
  publicKey: Uint8Array,
  A: EdPoint,
  label: string,
): { message: Uint8Array; signature: Uint8Array } {
  for (let i = 0; i < 1000; i++) {
    const message = utf8(`${label} #${i}`);
    for (const candidate of SMALL_ORDER_POINTS) {
      const R = candidate.toBytes();
      const expectedR = A.multiplyUnsafe(challenge(R, publicKey, message))
        .negate()
        .toBytes();
      if (expectedR.every((byte, j) => byte === R[j]))
        return { message, signature: concatBytes(R, new Uint8Array(32)) };
    }
  }
  throw new Error(`no S = 0 forgery found for ${label}`);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function generatedEdgeCases(): EdgeCase[] {
  const cases: EdgeCase[] = [];
  const seed = seedOf('rxledger edge cases: signer');
  const a = secretScalar(seed);
  const A = publicKeyOf(seed);
  const message = utf8('rxledger/event/v1\n{"id":"edge-case"}');
  const valid = sign(seed, message);

  cases.push({
    name: 'valid signature (baseline)',
    publicKey: A,
    message,
    signature: valid,
    expected: true,
    why: 'prime-order key, S < L, equation holds',
    nobleCofactored: true,
    opensslAlone: true,
  });

  // S + L: the same point [S]B, so both equations still hold; only the S < L check (rule 2) rejects it.
  const S = bytesToNumberLE(valid.subarray(32));
  cases.push({
    name: 'S replaced by S + L',
    publicKey: A,
    message,
    signature: concatBytes(valid.subarray(0, 32), le32(S + GROUP_ORDER)),
    expected: false,
    why: 'rule 2: S >= L (malleable copy of a valid signature)',
    nobleCofactored: false,
    opensslAlone: false,
  });

  // R' = R + T: the signer commits to R' and signs over it. [S]B - [k']A = R, not R', so the cofactorless
  // equation fails; multiplied by the cofactor 8 the torsion point T vanishes and the cofactored equation holds.
  const r = mod(bytesToNumberLE(sha512(utf8('rxledger edge cases: nonce'))), GROUP_ORDER);
  for (const [i, T] of SMALL_ORDER_POINTS.entries()) {
    if (i === 0) continue; // T = identity is just an ordinary signature
    const Rtorsion = Point.BASE.multiply(r).add(T).toBytes();
    cases.push({
      name: `R with a small-order component (R + ${i}·T8)`,
      publicKey: A,
      message,
      signature: signWithR(a, r, Rtorsion, A, message),
      expected: false,
      why: 'rule 3: encode([S]B - [k]A) = R, not the R + T that was sent (only a cofactored verifier accepts)',
      nobleCofactored: true,
      opensslAlone: false,
    });
  }

  // The 8 small-order public keys, each with an S = 0 signature that the cofactorless equation accepts.
  for (const [i, point] of SMALL_ORDER_POINTS.entries()) {
    const key = point.toBytes();
    const forged = zeroScalarForgery(key, point, `small-order key ${i}`);
    cases.push({
      name: `small-order key ${i}·T8 (${hex(key).slice(0, 8)}…), S = 0 forgery`,
      publicKey: key,
      ...forged,
      expected: false,
      why: 'rule 1: small-order key (anyone can "sign" for it)',
      nobleCofactored: true,
      opensslAlone: true,
    });
  }

  // Mixed-order key A' = A + T8, held by the owner of a. With k' ≡ 0 (mod 8), [S]B - [k']A' = R exactly, so even the
  // cofactorless equation holds; with other k' only the cofactored one does.
  const mixedKey = Point.fromBytes(A).add(TORSION_8).toBytes();
  const rMixed = mod(bytesToNumberLE(sha512(utf8('rxledger edge cases: mixed nonce'))), GROUP_ORDER);
  const Rmixed = Point.BASE.multiply(rMixed).toBytes();
  let foundDivisible = false;
  let foundOther = false;
  for (let i = 0; i < 1000 && !(foundDivisible && foundOther); i++) {
    const m = utf8(`mixed-order key #${i}`);
    const divisible = challenge(Rmixed, mixedKey, m) % 8n === 0n;
    if ((divisible && foundDivisible) || (!divisible && foundOther)) continue;
    cases.push({
      name: `mixed-order key A + T8, k ${divisible ? '≡ 0' : '≢ 0'} (mod 8)`,
      publicKey: mixedKey,
      message: m,
      signature: signWithR(a, rMixed, Rmixed, mixedKey, m),
      expected: false,
      why: 'rule 1: the key has a torsion component (mixed order)',
      nobleCofactored: true,
      opensslAlone: divisible,
    });
    if (divisible) foundDivisible = true;
    else foundOther = true;
  }

  // Non-canonical key encodings (y >= p) of the two small-order points with y ≡ 0 and y ≡ 1, with and without the
  // sign bit; noble with ZIP-215 decoding and OpenSSL both reduce y and accept an S = 0 forgery.
  for (const offset of [0n, 1n]) {
    for (const signBit of [0n, 1n]) {
      const key = le32(FIELD_PRIME + offset + (signBit << 255n));
      const point = Point.fromBytes(key, true);
      const forged = zeroScalarForgery(key, point, `non-canonical key p+${offset}/${signBit}`);
      cases.push({
        name: `non-canonical key encoding y = p + ${offset}${signBit ? ', sign bit set' : ''}`,
        publicKey: key,
        ...forged,
        expected: false,
        why: 'rule 1: y >= p is not a canonical encoding',
        nobleCofactored: true,
        opensslAlone: true,
      });
    }
  }

  // A key that is not on the curve at all (no x for this y).
  const offCurve = findOffCurveEncoding();
  cases.push({
    name: 'key encoding that is not a curve point',
    publicKey: offCurve,
    message,
    signature: valid,
    expected: false,
    why: 'rule 1: not a point',
    nobleCofactored: false,
    opensslAlone: false,
  });

  // Wrong lengths never reach the arithmetic.
  const lengths: [string, Uint8Array, Uint8Array][] = [
    ['empty public key', new Uint8Array(0), valid],
    ['31-byte public key', A.subarray(0, 31), valid],
    ['33-byte public key', concatBytes(A, new Uint8Array(1)), valid],
    ['empty signature', A, new Uint8Array(0)],
    ['63-byte signature', A, valid.subarray(0, 63)],
    ['65-byte signature', A, concatBytes(valid, new Uint8Array(1))],
    ['128-byte signature (signature twice)', A, concatBytes(valid, valid)],
  ];
  for (const [name, publicKey, signature] of lengths) {
    cases.push({ name, publicKey, message, signature, expected: false, why: 'wrong length' });
  }
  return cases;
}

function findOffCurveEncoding(): Uint8Array {
  for (let y = 2n; ; y++) {
    const encoding = le32(y);
    try {
      Point.fromBytes(encoding, true);
    } catch {
      return encoding;
    }
  }
}
