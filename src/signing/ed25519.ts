/**
 * Ed25519 (RFC 8032) with one strict acceptance rule shared by every verifier in RxLedger: the server,
 * the CLI, the SDK, the offline bundle verifier and the browser.
 *
 * A signature (R, S) by public key A over message M is accepted if and only if
 *  1. A is a canonical 32-byte encoding of a point of prime order L (no small-order, no mixed-order keys);
 *  2. the signature is 64 bytes and S < L (no malleable, non-canonical S);
 *  3. encode([S]B - [k]A) equals R byte for byte, with k = SHA-512(R || A || M) mod L.
 *
 * Rule 3 is the cofactorless equation compared on encodings, which is what OpenSSL (and so Node's
 * `crypto.verify`) computes; it also rejects a non-canonical or off-curve R. `noble`'s own `verify` uses the
 * cofactored equation, which accepts some signatures whose R has a small-order component; we therefore
 * compose the check from noble's point arithmetic instead of calling `ed25519.verify`.
 *
 * Keys that passed rule 1 are remembered (decoded) in a bounded LRU cache: the prime-order check costs a scalar
 * multiplication (≈0.6 ms, as much as the rest of a verification), and a ledger sees the same few keys again and again.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { BoundedCache } from './bounded-cache';
import { bytesToHex, equalBytes, isBytes } from '../bytes';

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const Point = ed25519.Point;
type EdPoint = typeof Point.BASE;
/** The order L of the prime-order subgroup. */
export const GROUP_ORDER: bigint = Point.Fn.ORDER;
/** L as 32 little-endian bytes, to compare S against without building a bigint. */
const GROUP_ORDER_LE: Uint8Array = (() => {
  const out = new Uint8Array(32);
  let value = GROUP_ORDER;
  for (let i = 0; i < 32; i++, value >>= 8n) out[i] = Number(value & 0xffn);
  return out;
})();

/** How many valid public keys stay decoded in memory (a few hundred bytes each). */
export const VALID_KEY_CACHE_SIZE = 1024;
const validKeys = new BoundedCache<EdPoint>(VALID_KEY_CACHE_SIZE);

export type KeyRejection = 'length' | 'encoding' | 'small-order' | 'mixed-order';

/** Rule 1: the decoded point of a valid key, or why the key is unusable. */
function decodeValidKey(publicKey: Uint8Array): EdPoint | KeyRejection {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_LENGTH) return 'length';
  const id = bytesToHex(publicKey);
  const cached = validKeys.get(id);
  if (cached) return cached;
  let point: EdPoint;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return 'encoding';
  }
  if (point.isSmallOrder()) return 'small-order';
  if (!point.isTorsionFree()) return 'mixed-order';
  validKeys.set(id, point);
  return point;
}

/** Why a public key is unusable, or `null` when it is a valid prime-order key. */
export function publicKeyRejection(publicKey: Uint8Array): KeyRejection | null {
  const result = decodeValidKey(publicKey);
  return typeof result === 'string' ? result : null;
}

export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return typeof decodeValidKey(publicKey) !== 'string';
}

export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** Rule 2: the signature has the right length and a canonical S (< L). Cheap; no point arithmetic. */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  if (!isBytes(signature) || signature.length !== SIGNATURE_LENGTH) return false;
  // Compare S (bytes 32..63, little-endian) with L from the most significant byte down.
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i];
    if (s !== GROUP_ORDER_LE[i]) return s < GROUP_ORDER_LE[i];
  }
  return false; // S == L
}

/** Strict verification with noble's point arithmetic (rules 1 to 3 above). Never throws. */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!hasCanonicalScalar(signature) || !isBytes(message)) return false;
  const A = decodeValidKey(publicKey);
  if (typeof A === 'string') return false;
  return equationHolds(A, publicKey, message, signature);
}

/** Rule 3 alone, for callers that have already checked the key (rule 1) and S (rule 2). */
export function cofactorlessEquationHolds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return equationHolds(Point.fromBytes(publicKey, false), publicKey, message, signature);
  } catch {
    return false;
  }
}

function equationHolds(A: EdPoint, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const R = signature.subarray(0, 32);
    const S = bytesToNumberLE(signature.subarray(32, 64));
    const h = sha512.create().update(R).update(publicKey).update(message).digest();
    const k = Point.Fn.create(bytesToNumberLE(h));
    const SB = Point.BASE.multiplyUnsafe(S);
    const kA = A.multiplyUnsafe(k);
    return equalBytes(SB.subtract(kA).toBytes(), R);
  } catch {
    return false;
  }
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

export function generateSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}
