/**
 * The server's fast path for RxLedger's strict Ed25519 rule (see `./ed25519.ts`): OpenSSL through Node's `crypto`,
 * about ten times faster than noble's arithmetic. Server-only: the rest of `src/signing` stays browser-safe.
 *
 * OpenSSL alone is not strict enough: it checks S < L (rule 2) and the cofactorless equation on encodings (rule 3),
 * but it accepts small-order and mixed-order public keys and non-canonical key encodings. So rules 1 and 2 run here
 * in JavaScript first, and OpenSSL only ever sees keys that passed rule 1. `test/unit/signing/equivalence.spec.ts`
 * proves that these functions and `verifyStrict` return the same verdict on the edge cases and on random inputs.
 */
import { Buffer } from 'node:buffer';
import { createPublicKey, KeyObject, verify as cryptoVerify } from 'node:crypto';
import { BoundedCache } from './bounded-cache';
import { bytesToHex, isBytes } from '../bytes';
import { hasCanonicalScalar, isValidPublicKey, PUBLIC_KEY_LENGTH } from './ed25519';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4); the raw 32 key bytes follow it. */
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** How many `KeyObject`s of valid keys are kept (each holds a small OpenSSL key). */
export const KEY_OBJECT_CACHE_SIZE = 1024;
const keyObjects = new BoundedCache<KeyObject>(KEY_OBJECT_CACHE_SIZE);

/** Rule 1 (cached) and the OpenSSL key for it; `null` if the key is not a valid prime-order key. */
function keyObjectFor(publicKey: Uint8Array): KeyObject | null {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_LENGTH) return null;
  const id = bytesToHex(publicKey);
  const cached = keyObjects.get(id);
  if (cached) return cached;
  if (!isValidPublicKey(publicKey)) return null;
  const der = new Uint8Array(ED25519_SPKI_PREFIX.length + PUBLIC_KEY_LENGTH);
  der.set(ED25519_SPKI_PREFIX);
  der.set(publicKey, ED25519_SPKI_PREFIX.length);
  const key = createPublicKey({
    key: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
    format: 'der',
    type: 'spki',
  });
  keyObjects.set(id, key);
  return key;
}

/** Rules 1 and 2 in JavaScript; the OpenSSL key when both hold. */
function precheck(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): KeyObject | null {
  if (!isBytes(message) || !hasCanonicalScalar(signature)) return null;
  try {
    return keyObjectFor(publicKey);
  } catch {
    return null;
  }
}

/** Same verdict as `verifyStrict`, on the calling thread. Never throws. */
export function verifyStrictNode(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = precheck(publicKey, message, signature);
  if (!key) return false;
  try {
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * Same verdict as `verifyStrict`. OpenSSL's part runs on libuv's thread pool (the callback form of
 * `crypto.verify`), so concurrent verifications use every core. Never rejects.
 */
export function verifyStrictNodeAsync(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const key = precheck(publicKey, message, signature);
  if (!key) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      cryptoVerify(null, message, key, signature, (error, valid) => resolve(!error && valid === true));
    } catch {
      resolve(false);
    }
  });
}
