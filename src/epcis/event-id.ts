/**
 * Identifiers that tie EPCIS events to RxLedger events, both ways, deterministically.
 *
 * Export: an EPCIS `eventID` is a name-based UUID (RFC 4122 §4.3, version 5) of the RxLedger event hash — the
 * SHA-256 of the event's signed bytes, the `event_hash` of its log leaf — in RxLedger's own UUID namespace. CBV 2.0
 * (§8.9) allows two forms of event identifier: a UUID URN and the CBV event hash ID (`ni:///sha-256;…?ver=CBV2.0`).
 * The latter is defined as the hash of the EPCIS event's own canonical form per the CBV algorithm, so putting our
 * (different) hash there would give a value anyone recomputing it would find wrong; a UUID carries no such promise,
 * is stable across exports, and is recomputable from the log by anyone who has the event.
 *
 * Import: the RxLedger event id is derived from the EPCIS `eventID` (or, without one, from the hash of the
 * canonical event), so importing the same document twice yields the same ids and the ledger's idempotent intake
 * accepts the second import as duplicates instead of logging the events twice.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJson } from '../canonical-json';
import { bytesToHex, concatBytes, hexToBytes, utf8 } from '../bytes';
import { signedEventBytes, type SignableEvent } from '../signing/event-signing';

/** RFC 4122 Appendix C: the name space for URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** A version 5 (SHA-1, name-based) UUID of `name` in `namespace`, lowercase with hyphens. */
export function uuidV5(namespace: string, name: string): string {
  const hash = sha1(concatBytes(hexToBytes(namespace.replace(/-/g, '')), utf8(name)));
  const bytes = hash.slice(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RxLedger's UUID namespace: the version 5 UUID of its extension namespace IRI in the URL name space. */
export const RXLEDGER_UUID_NAMESPACE = uuidV5(URL_NAMESPACE, 'https://rxledger.dev/epcis/');

/** Lowercase hex SHA-256 of an event's signed bytes: the `event_hash` of its log leaf. */
export function eventHashHex(event: SignableEvent): string {
  return bytesToHex(sha256(signedEventBytes(event)));
}

/**
 * The EPCIS `eventID` of the `part`-th EPCIS event (from 0) exported from the RxLedger event with this hash:
 * `urn:uuid:` + UUIDv5(RxLedger namespace, `<event hash hex>` or, for later parts, `<event hash hex>/<part>`).
 */
export function exportedEventId(eventHash: string, part = 0): string {
  return `urn:uuid:${uuidV5(RXLEDGER_UUID_NAMESPACE, part === 0 ? eventHash : `${eventHash}/${part}`)}`;
}

const LITERAL_EVENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The RxLedger event id for an EPCIS event: `epcis:<eventID>` when the eventID is short and uses only characters an
 * RxLedger id may hold (a `urn:uuid:` does), otherwise `epcis-h:` + 40 hex digits of SHA-256 of the eventID, or of
 * the canonical (RFC 8785) JSON of the whole EPCIS event when it has no eventID.
 */
export function importedEventId(epcisEvent: unknown, eventID: string | undefined): string {
  if (eventID !== undefined && LITERAL_EVENT_ID.test(eventID)) return `epcis:${eventID}`;
  return `epcis-h:${sha256Hex(eventID ?? canonicalJson(epcisEvent)).slice(0, 40)}`;
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8(text)));
}
