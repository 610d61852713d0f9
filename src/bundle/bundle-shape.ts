/**
 * Reading the members of an evidence bundle (src/protocol/bundle.ts) from untrusted JSON: every value is checked for
 * the type and form the format gives it, and anything else is a `ShapeError` naming the path of the offending value
 * (`events[12].inclusionProof[3]`). Nothing here judges signatures, proofs or custody; it only makes sure the later
 * checks look at what the format says they look at.
 */
import { EVENT_TIME_PATTERN, KEY_ID_PATTERN, LedgerEvent, parseEventTime } from '../protocol/event';
import { ReportScope } from '../protocol/bundle';
import { base64ToBytes } from '../bytes';
import { isGln, isGtin14 } from '../gs1/identifiers';

export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'ShapeError';
  }
}

/** A bundled event (registry or scope) whose members all have the right form. */
export interface EntryShape {
  index: number;
  acceptedAtMs: number;
  event: LedgerEvent<Record<string, unknown>>;
  signature: Uint8Array;
  proof: Uint8Array[];
}

/**
 * A scope event whose body the bundle withholds from the party it was made for (docs/PROTOCOL.md §9): what the log
 * makes public of it (its index, acceptance time, event hash and signature: its leaf), and its type, which nothing
 * here can check.
 */
export interface WithheldShape {
  index: number;
  acceptedAtMs: number;
  type: string;
  eventHash: Uint8Array;
  signature: Uint8Array;
  proof: Uint8Array[];
}

export interface ItemShape {
  code: string;
  history: number[];
}

/** RFC 3339 in UTC with milliseconds, the one form `toISOString` writes: each instant has exactly one spelling. */
const ACCEPTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A proof for a tree of up to 2^53 leaves has at most 53 hashes (plus slack for the RFC's right-border nodes). */
const MAX_PROOF_LENGTH = 64;
const ENTRY_MEMBERS = new Set(['index', 'acceptedAt', 'event', 'signature', 'inclusionProof']);
const WITHHELD_MEMBERS = new Set([
  'index',
  'acceptedAt',
  'withheld',
  'type',
  'eventHash',
  'signature',
  'inclusionProof',
]);
const EVENT_MEMBERS = new Set(['id', 'type', 'actor', 'keyId', 'time', 'body']);
const ITEM_MEMBERS = new Set(['code', 'history']);
const SUMMARY_MEMBERS = new Set(['events', 'items', 'registryEvents']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ShapeError(path, `expected an object, got ${describe(value)}`);
  return value;
}

export function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ShapeError(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function logIndex(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ShapeError(path, `expected a log index (an integer >= 0), got ${describe(value)}`);
  }
  return value;
}

export function stringArray(value: unknown, path: string): string[] {
  if (!Array.isArray(value)) throw new ShapeError(path, `expected an array of strings, got ${describe(value)}`);
  value.forEach((element, i) => string(element, `${path}[${i}]`));
  return value as string[];
}

export function onlyMembers(value: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new ShapeError(`${path}.${key}`, 'is not a member of the format');
  }
}

/**
 * Where a reader meets members the format does not define (docs/PROTOCOL.md §11: a new member in an answer is a
 * compatible change, and clients ignore it). The verifier passes a collector: its verdict never depends on them, it
 * lists them in its limits. By default they are refused, as intake refuses them in event bodies (a scope in an
 * export statement). Signed events are closed (§2): an unknown member there is always refused.
 */
export type UnknownMembers = (path: string) => void;

function otherMembers(value: Record<string, unknown>, known: Set<string>, path: string, unknown: UnknownMembers): void {
  for (const key of Object.keys(value)) if (!known.has(key)) unknown(`${path}.${key}`);
}

/** The default: a member the format does not define is refused (intake, where bodies are closed: §11). */
const refuse: UnknownMembers = (path) => {
  throw new ShapeError(path, 'is not a member of the format');
};

export function bytes(value: unknown, length: number, path: string): Uint8Array {
  const text = string(value, path);
  let decoded: Uint8Array;
  try {
    decoded = base64ToBytes(text);
  } catch (error) {
    throw new ShapeError(path, `not canonical standard base64 (${(error as Error).message})`);
  }
  if (decoded.length !== length) throw new ShapeError(path, `expected ${length} bytes, got ${decoded.length}`);
  return decoded;
}

export function acceptedAtMs(value: unknown, path: string): number {
  const text = string(value, path);
  const ms = ACCEPTED_AT.test(text) ? Date.parse(text) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0 || new Date(ms).toISOString() !== text) {
    throw new ShapeError(
      path,
      `expected an RFC 3339 UTC time with milliseconds (2026-11-23T10:00:00.000Z), got ${JSON.stringify(text).slice(0, 60)}`,
    );
  }
  return ms;
}

export function ledgerEvent(value: unknown, path: string): LedgerEvent<Record<string, unknown>> {
  const event = record(value, path);
  onlyMembers(event, EVENT_MEMBERS, path);
  for (const member of ['id', 'type', 'actor', 'keyId', 'time'] as const) string(event[member], `${path}.${member}`);
  record(event.body, `${path}.body`);
  if (!KEY_ID_PATTERN.test(event.keyId as string))
    throw new ShapeError(`${path}.keyId`, 'expected 16 lowercase hex digits');
  const time = event.time as string;
  if (!EVENT_TIME_PATTERN.test(time) || Number.isNaN(parseEventTime(time))) {
    throw new ShapeError(
      `${path}.time`,
      `expected an RFC 3339 date-time with a time zone, got ${JSON.stringify(time).slice(0, 60)}`,
    );
  }
  return event as unknown as LedgerEvent<Record<string, unknown>>;
}

/** One element of `registry` or `events`. */
export function readEntry(value: unknown, path: string, unknown: UnknownMembers = refuse): EntryShape {
  const entry = record(value, path);
  otherMembers(entry, ENTRY_MEMBERS, path, unknown);
  return {
    index: logIndex(entry.index, `${path}.index`),
    acceptedAtMs: acceptedAtMs(entry.acceptedAt, `${path}.acceptedAt`),
    event: ledgerEvent(entry.event, `${path}.event`),
    signature: bytes(entry.signature, 64, `${path}.signature`),
    proof: inclusionProof(entry.inclusionProof, `${path}.inclusionProof`),
  };
}

/** Whether an element of `events` is a withheld event (`"withheld": true`) rather than a bundled one. */
export function isWithheld(value: unknown): boolean {
  return isRecord(value) && 'withheld' in value;
}

/** A withheld element of `events`. */
export function readWithheld(value: unknown, path: string, unknown: UnknownMembers = refuse): WithheldShape {
  const entry = record(value, path);
  otherMembers(entry, WITHHELD_MEMBERS, path, unknown);
  if (entry.withheld !== true)
    throw new ShapeError(`${path}.withheld`, `expected true, got ${describe(entry.withheld)}`);
  return {
    index: logIndex(entry.index, `${path}.index`),
    acceptedAtMs: acceptedAtMs(entry.acceptedAt, `${path}.acceptedAt`),
    type: string(entry.type, `${path}.type`),
    eventHash: bytes(entry.eventHash, 32, `${path}.eventHash`),
    signature: bytes(entry.signature, 64, `${path}.signature`),
    proof: inclusionProof(entry.inclusionProof, `${path}.inclusionProof`),
  };
}

function inclusionProof(value: unknown, path: string): Uint8Array[] {
  if (!Array.isArray(value)) throw new ShapeError(path, `expected an array of hashes, got ${describe(value)}`);
  if (value.length > MAX_PROOF_LENGTH) throw new ShapeError(path, 'too many hashes for any tree');
  return value.map((hash, i) => bytes(hash, 32, `${path}[${i}]`));
}

/** One element of `items`. */
export function readItem(value: unknown, path: string, unknown: UnknownMembers = refuse): ItemShape {
  const item = record(value, path);
  otherMembers(item, ITEM_MEMBERS, path, unknown);
  const code = string(item.code, `${path}.code`);
  if (!Array.isArray(item.history))
    throw new ShapeError(`${path}.history`, `expected an array of log indexes, got ${describe(item.history)}`);
  const history = item.history.map((index, i) => logIndex(index, `${path}.history[${i}]`));
  for (let i = 1; i < history.length; i++) {
    if (history[i] <= history[i - 1]) {
      throw new ShapeError(
        `${path}.history[${i}]`,
        `log indexes must increase: ${history[i]} follows ${history[i - 1]}`,
      );
    }
  }
  return { code, history };
}

/**
 * The scope, checked as the server writes it: GS1 keys as GS1 keys (13 ASCII digits with a valid check digit for a
 * GLN, 14 for a GTIN: a fullwidth digit is not a digit), a window's bounds in the one form the server writes
 * (UTC, milliseconds: `acceptedAtMs`) with `from` before `to`.
 */
export function readScope(value: unknown, path: string, unknown: UnknownMembers = refuse): ReportScope {
  const scope = record(value, path);
  const kind = string(scope.kind, `${path}.kind`);
  const fields: Record<string, string[]> = {
    serial: ['gtin', 'serial'],
    lot: ['gtin', 'lot'],
    gtin: ['gtin', 'from', 'to'],
    party: ['gln', 'from', 'to'],
    alerts: [],
  };
  const wanted = fields[kind];
  if (!wanted) throw new ShapeError(`${path}.kind`, `unknown scope kind ${JSON.stringify(kind).slice(0, 40)}`);
  otherMembers(scope, new Set(['kind', ...wanted]), path, unknown);
  for (const field of wanted) string(scope[field], `${path}.${field}`);
  if (wanted.includes('gtin') && !isGtin14(scope.gtin as string)) {
    throw new ShapeError(`${path}.gtin`, 'expected a GTIN-14 (14 digits 0-9 with a valid GS1 check digit)');
  }
  if (wanted.includes('gln')) gln(scope.gln, `${path}.gln`);
  if (wanted.includes('from')) {
    const from = acceptedAtMs(scope.from, `${path}.from`);
    const to = acceptedAtMs(scope.to, `${path}.to`);
    if (!(from < to)) throw new ShapeError(`${path}.to`, 'the window must end after it starts');
  }
  const known: Record<string, unknown> = { kind };
  for (const field of wanted) known[field] = scope[field];
  return known as unknown as ReportScope;
}

/** A GLN: 13 digits 0-9 with a valid GS1 check digit (src/gs1). */
export function gln(value: unknown, path: string): string {
  const text = string(value, path);
  if (!isGln(text)) throw new ShapeError(path, 'expected a GLN (13 digits 0-9 with a valid GS1 check digit)');
  return text;
}

export function readSummary(
  value: unknown,
  path: string,
  unknown: UnknownMembers = refuse,
): { events: number; items: number; registryEvents: number } {
  const summary = record(value, path);
  otherMembers(summary, SUMMARY_MEMBERS, path, unknown);
  const count = (name: string) => logIndex(summary[name], `${path}.${name}`);
  return { events: count('events'), items: count('items'), registryEvents: count('registryEvents') };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
