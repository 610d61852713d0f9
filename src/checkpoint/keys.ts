/**
 * Ed25519 keys for C2SP signed notes (https://c2sp.org/signed-note), in the string forms of
 * golang.org/x/mod/sumdb/note:
 *
 *   verifier key  <name>+<hex key ID>+base64(0x01 || 32-byte public key)
 *   signer key    PRIVATE+KEY+<name>+<hex key ID>+base64(0x01 || 32-byte seed)
 *
 * key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4].
 *
 * Verification goes through `verifyStrict` so that a note is accepted by exactly the signatures every other
 * RxLedger verifier accepts (canonical S, prime-order keys).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  PUBLIC_KEY_LENGTH,
  SECRET_KEY_LENGTH,
  generateSecretKey,
  publicKeyRejection,
  publicKeyOf,
  sign,
  verifyStrict,
} from '../signing/ed25519';
import { base64ToBytesOrNull, bytesToBase64 } from '../bytes';
import { NoteError } from './errors';
import { isValidKeyName, utf8 } from './text';

export const ED25519_SIGNATURE_TYPE = 0x01;
export const KEY_ID_LENGTH = 4;

/** Checks signatures by one key; `keyId` is its 4-byte key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Uint8Array;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface Ed25519NoteVerifier extends NoteVerifier {
  readonly publicKey: Uint8Array;
}

export interface Ed25519NoteSigner extends NoteSigner {
  readonly publicKey: Uint8Array;
  /** The matching verifier, for publishing and for checking our own notes. */
  readonly verifier: Ed25519NoteVerifier;
}

export function ed25519KeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return sha256
    .create()
    .update(utf8(name))
    .update(Uint8Array.of(0x0a, ED25519_SIGNATURE_TYPE))
    .update(publicKey)
    .digest()
    .slice(0, KEY_ID_LENGTH);
}

export function keyIdHex(keyId: Uint8Array): string {
  return Array.from(keyId, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function invalidKey(message: string): NoteError {
  return new NoteError('INVALID_KEY', message);
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) {
    throw invalidKey(`invalid key name ${JSON.stringify(name)}: it must be non-empty, without spaces or '+'`);
  }
}

function checkPublicKey(publicKey: Uint8Array): void {
  const rejection = publicKey instanceof Uint8Array ? publicKeyRejection(publicKey) : 'length';
  if (rejection !== null) throw invalidKey(`unusable Ed25519 public key (${rejection})`);
}

function checkSeed(seed: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== SECRET_KEY_LENGTH) {
    throw invalidKey(`an Ed25519 seed is ${SECRET_KEY_LENGTH} bytes`);
  }
}

export function ed25519Verifier(name: string, publicKey: Uint8Array): Ed25519NoteVerifier {
  checkName(name);
  checkPublicKey(publicKey);
  const key = Uint8Array.from(publicKey);
  return Object.freeze({
    name,
    keyId: ed25519KeyId(name, key),
    publicKey: Uint8Array.from(key),
    verify: (message: Uint8Array, signature: Uint8Array) => verifyStrict(key, message, signature),
  });
}

export function ed25519Signer(name: string, seed: Uint8Array): Ed25519NoteSigner {
  checkName(name);
  checkSeed(seed);
  const secret = Uint8Array.from(seed);
  const verifier = ed25519Verifier(name, publicKeyOf(secret));
  return Object.freeze({
    name,
    keyId: verifier.keyId,
    publicKey: verifier.publicKey,
    verifier,
    sign: (message: Uint8Array) => sign(secret, message),
  });
}

export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  const verifier = ed25519Verifier(name, publicKey);
  const keyData = bytesToBase64(Uint8Array.of(ED25519_SIGNATURE_TYPE, ...verifier.publicKey));
  return `${name}+${keyIdHex(verifier.keyId)}+${keyData}`;
}

export function formatSignerKey(name: string, seed: Uint8Array): string {
  const signer = ed25519Signer(name, seed);
  const keyData = bytesToBase64(Uint8Array.of(ED25519_SIGNATURE_TYPE, ...seed));
  return `PRIVATE+KEY+${name}+${keyIdHex(signer.keyId)}+${keyData}`;
}

/**
 * `<name>+<8 hex digits>+<base64>`. The name and the ID cannot contain '+', but base64 can: split at the first
 * two '+' only.
 */
function splitKey(text: string, what: string): { name: string; keyIdText: string; keyData: Uint8Array } {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw invalidKey(`malformed ${what}: expected <name>+<key ID>+<key data>`);
  const name = text.slice(0, first);
  const keyIdText = text.slice(first + 1, second);
  const keyDataText = text.slice(second + 1);
  checkName(name);
  if (!/^[0-9a-f]{8}$/.test(keyIdText)) {
    throw invalidKey(`malformed ${what}: key ID ${JSON.stringify(keyIdText)} is not 8 lowercase hex digits`);
  }
  const keyData = base64ToBytesOrNull(keyDataText);
  if (keyData === null) throw invalidKey(`malformed ${what}: key data is not canonical base64`);
  if (keyData.length === 0 || keyData[0] !== ED25519_SIGNATURE_TYPE) {
    throw invalidKey(`unsupported ${what}: only signature type 0x01 (Ed25519) is supported`);
  }
  if (keyData.length !== 1 + PUBLIC_KEY_LENGTH) {
    throw invalidKey(`malformed ${what}: Ed25519 key data is 33 bytes, got ${keyData.length}`);
  }
  return { name, keyIdText, keyData: keyData.subarray(1) };
}

export function parseVerifierKey(vkey: string): Ed25519NoteVerifier {
  const { name, keyIdText, keyData } = splitKey(vkey, 'verifier key');
  const verifier = ed25519Verifier(name, keyData);
  if (keyIdHex(verifier.keyId) !== keyIdText) {
    throw invalidKey(`verifier key ID ${keyIdText} does not match the key (expected ${keyIdHex(verifier.keyId)})`);
  }
  return verifier;
}

export function parseSignerKey(skey: string): Ed25519NoteSigner {
  const prefix = 'PRIVATE+KEY+';
  if (!skey.startsWith(prefix))
    throw invalidKey('malformed signer key: expected PRIVATE+KEY+<name>+<key ID>+<key data>');
  const { name, keyIdText, keyData } = splitKey(skey.slice(prefix.length), 'signer key');
  const signer = ed25519Signer(name, keyData);
  // The ID names the public key, so it can only be checked after deriving that key from the seed.
  if (keyIdHex(signer.keyId) !== keyIdText) {
    throw invalidKey(`signer key ID ${keyIdText} does not match the key (expected ${keyIdHex(signer.keyId)})`);
  }
  return signer;
}

/** A fresh key pair in both string forms; keep `skey` secret, publish `vkey`. */
export function generateNoteKey(name: string): { skey: string; vkey: string } {
  const seed = generateSecretKey();
  return { skey: formatSignerKey(name, seed), vkey: formatVerifierKey(name, publicKeyOf(seed)) };
}
