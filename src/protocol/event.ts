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

/** Earliest and (exclusive) latest instant of an event time: the years 0001 to 9999 in UTC. */
const FIRST_INSTANT_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const END_INSTANT_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z

/** Why an RFC 3339 time cannot be an event time, naming the rule broken; see `eventTimeError`. */
export interface EventTimeViolation {
  rule: 'rfc3339' | 'calendar' | 'offsetRange' | 'subMicrosecond' | 'yearRange';
  message: string;
}

/**
 * Why `time` cannot be a new event's time, or null when it can (docs/PROTOCOL.md §2.1): intake's rule for
 * `event.time`. Only what every reader of the log holds faithfully, PostgreSQL's `timestamptz`, JavaScript's `Date`
 * and EPCIS 2.0 `eventTime`/`eventTimeZoneOffset` alike:
 * - the pattern, a real calendar date, hours 00-23, minutes and seconds 00-59 (no leap second: PostgreSQL would
 *   store 23:59:60 as the next minute);
 * - an offset from -14:00 to +14:00 (every civil time zone; EPCIS's range; PostgreSQL refuses beyond ±15:59);
 * - no digit beyond the microsecond other than 0 (PostgreSQL keeps microseconds and would round the rest);
 * - the year written and the instant in UTC within 0001 to 9999 (PostgreSQL has no year 0000; JavaScript writes
 *   other years with a sign and six digits).
 */
export function eventTimeError(time: string): EventTimeViolation | null {
  const form = formError(time);
  if (form) return form;
  const clock = time.slice(time.indexOf('T') + 1);
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(clock);
  if (offset && (Number(offset[3]) > 59 || Number(offset[2]) * 60 + Number(offset[3]) > 14 * 60)) {
    return { rule: 'offsetRange', message: 'has a time zone offset outside -14:00 to +14:00' };
  }
  if (/\.\d{6}\d*[1-9]/.test(clock)) {
    return { rule: 'subMicrosecond', message: 'is more precise than a microsecond (only zeros may follow it)' };
  }
  return yearRangeError(time);
}

/**
 * Milliseconds since the epoch for an RFC 3339 date-time with a time zone that names a real calendar date and time
 * in the years 0001 to 9999 (UTC and as written), or NaN: the rule of every date-time a request names, and the
 * reader's rule. What the log may already hold must still read (an entry accepted before `eventTimeError` applied,
 * e.g. with nanoseconds or offset +15:00), so this is the pattern, the calendar and the years only; a new event's
 * time meets `eventTimeError`.
 */
export function parseEventTime(time: string): number {
  return (formError(time) ?? yearRangeError(time)) === null ? Date.parse(time) : NaN;
}

/** The pattern and the calendar (no 30 February, no hour 24, no leap second). */
function formError(time: string): EventTimeViolation | null {
  if (!EVENT_TIME_PATTERN.test(time)) {
    return { rule: 'rfc3339', message: 'is not an RFC 3339 date-time with a time zone' };
  }
  const [date, clock] = time.split('T');
  const [year, month, day] = date.split('-').map(Number);
  const [hour, minute, second] = clock.slice(0, 8).split(':').map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59) {
    return { rule: 'calendar', message: 'is not a real calendar date and time' };
  }
  if (second > 59) return { rule: 'calendar', message: 'has second 60: a leap second is not accepted' };
  return null;
}

/** The year written and the instant in UTC within 0001 to 9999 (the instant is in range exactly when its ms is). */
function yearRangeError(time: string): EventTimeViolation | null {
  const ms = Date.parse(time);
  if (Number(time.slice(0, 4)) < 1 || Number.isNaN(ms) || ms < FIRST_INSTANT_MS || ms >= END_INSTANT_MS) {
    return { rule: 'yearRange', message: 'is outside the years 0001 to 9999 (in UTC)' };
  }
  return null;
}

/** Days in a month of the proleptic Gregorian calendar (Date.UTC would read years 0-99 as 1900-1999). */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}
