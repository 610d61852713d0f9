/**
 * How an RxLedger event is signed: Ed25519 (strict, `./ed25519.ts`) over
 *
 *     SIGNED_EVENT_PREFIX || JCS(E)
 *
 * where E is the event object `{ id, type, actor, keyId, time, body }` and JCS is RFC 8785. The prefix is a domain
 * separator: a signature over an event can never be replayed as a signature over another RxLedger message (a
 * checkpoint, a key file) or over some other protocol's JSON, because none of those starts with these bytes.
 *
 * Browser-safe: used by the server, the CLI, the SDK, the offline verifier and the web client alike.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalBytes } from '../canonical-json';
import { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, isBytes, utf8 } from '../bytes';
import { PUBLIC_KEY_LENGTH, sign, SIGNATURE_LENGTH, verifyStrict } from './ed25519';

/** ASCII `rxledger/event/v1` followed by a line feed. */
export const SIGNED_EVENT_PREFIX: Uint8Array = utf8('rxledger/event/v1\n');

/** The members every signed event has (structurally the protocol's `LedgerEvent`). Other members are signed too. */
export interface SignableEvent {
  id: string;
  type: string;
  actor: string;
  keyId: string;
  time: string;
  body: unknown;
}

const STRING_MEMBERS = ['id', 'type', 'actor', 'keyId', 'time'] as const;

/** The exact bytes an event's signature covers. Throws if `event` lacks a member or is not plain JSON data. */
export function signedEventBytes(event: SignableEvent): Uint8Array {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError('event must be a JSON object');
  }
  for (const member of STRING_MEMBERS) {
    if (typeof event[member] !== 'string') throw new TypeError(`event.${member} must be a string`);
  }
  if (event.body === undefined) throw new TypeError('event.body is missing');
  return concatBytes(SIGNED_EVENT_PREFIX, canonicalBytes(event));
}

/** Signs an event; the signature as standard base64 with padding (88 characters). */
export function signEvent(event: SignableEvent, secretKey: Uint8Array): string {
  return bytesToBase64(sign(secretKey, signedEventBytes(event)));
}

/**
 * Whether `signatureB64` is a valid strict Ed25519 signature by `publicKey` over the event. Never throws: a malformed
 * signature, key or event is simply not valid. It does not compare `event.keyId` with `keyIdOf(publicKey)`; looking the
 * key up by that id is the caller's job.
 */
export function verifyEventSignature(event: SignableEvent, signatureB64: string, publicKey: Uint8Array): boolean {
  let signature: Uint8Array;
  let message: Uint8Array;
  try {
    signature = base64ToBytes(signatureB64);
    message = signedEventBytes(event);
  } catch {
    return false;
  }
  return signature.length === SIGNATURE_LENGTH && verifyStrict(publicKey, message, signature);
}

/** A key's id: lowercase hex of the first 8 bytes of SHA-256(public key), 16 characters. */
export function keyIdOf(publicKey: Uint8Array): string {
  if (!isBytes(publicKey) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new RangeError(`a public key is ${PUBLIC_KEY_LENGTH} bytes`);
  }
  return bytesToHex(sha256(publicKey).subarray(0, 8));
}
