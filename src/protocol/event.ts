/**
 * The signed event, as every RxLedger client builds it. See docs/PROTOCOL.md §2.
 * Pure: used by the server, the CLI, the SDK, the offline verifier and the browser.
 */
export interface LedgerEvent<B = Record<string, unknown>> {
  /** Client-chosen id, unique per actor: 1 to 128 characters from [A-Za-z0-9._:-]. */
  id: string;
  /** Event type, e.g. `commission`, `ship`, `party.register`. */
  type: string;
  /** GLN of the party that signs and submits the event. */
  actor: string;
  /** Id of the actor's key that signed: lowercase hex of the first 8 bytes of SHA-256(public key). */
  keyId: string;
  /** When the actor says the event happened: RFC 3339 with a time zone, e.g. `2026-11-23T10:00:00.000Z`. */
  time: string;
  /** Type-specific content. */
  body: B;
}

/** What a client posts: the event and its Ed25519 signature (standard base64) over the signed bytes. */
export interface SignedEvent<B = Record<string, unknown>> {
  event: LedgerEvent<B>;
  signature: string;
}

export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
export const EVENT_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch for a valid RFC 3339 event time, or NaN. */
export function parseEventTime(time: string): number {
  if (!EVENT_TIME_PATTERN.test(time)) return NaN;
  const [date, clock] = time.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute, second] = clock.slice(0, 8).split(':').map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  return Date.parse(time);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
