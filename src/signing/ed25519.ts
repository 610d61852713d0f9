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
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const Point = ed25519.Point;
/** The order L of the prime-order subgroup. */
export const GROUP_ORDER: bigint = Point.Fn.ORDER;

export type KeyRejection = 'length' | 'encoding' | 'small-order' | 'mixed-order';

/** Why a public key is unusable, or `null` when it is a valid prime-order key. */
export function publicKeyRejection(publicKey: Uint8Array): KeyRejection | null {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) return 'length';
  let point;
  try {
    point = Point.fromBytes(publicKey, false);
  } catch {
    return 'encoding';
  }
  if (point.isSmallOrder()) return 'small-order';
  if (!point.isTorsionFree()) return 'mixed-order';
  return null;
}

export function isValidPublicKey(publicKey: Uint8Array): boolean {
  return publicKeyRejection(publicKey) === null;
}

export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** Rule 2: the signature has the right length and a canonical S (< L). Cheap; no point arithmetic. */
export function hasCanonicalScalar(signature: Uint8Array): boolean {
  return signature.length === SIGNATURE_LENGTH && bytesToNumberLE(signature.subarray(32, 64)) < GROUP_ORDER;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Strict verification with noble's point arithmetic (rules 1 to 3 above). Never throws. */
export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!hasCanonicalScalar(signature)) return false;
  if (!isValidPublicKey(publicKey)) return false;
  return cofactorlessEquationHolds(publicKey, message, signature);
}

/** Rule 3 alone, for callers that have already checked the key (rule 1) and S (rule 2). */
export function cofactorlessEquationHolds(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const A = Point.fromBytes(publicKey, false);
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
