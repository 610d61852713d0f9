/**
 * Completing and signing events with a key file (`rxledger sign`, and `rxledger post --key`). Pure.
 */
import { isGln } from '../gs1/identifiers';
import { EVENT_ID_PATTERN, LedgerEvent, parseEventTime, SignedEvent } from '../protocol/event';
import { signEvent } from '../signing/event-signing';
import { SigningKey } from '../signing/key-file';
import { CliError } from './cli-error';
import { EventInput, EventItem } from './events-file';

const MEMBERS = ['id', 'type', 'actor', 'keyId', 'time', 'body'];

/**
 * The full event for `input`: `keyId` from the key, `actor` from the key file's GLN when absent, `time` now when
 * absent. Throws a CliError naming the member that is wrong, so nothing the server would refuse gets signed.
 */
export function completeEvent(
  input: EventInput,
  key: SigningKey,
  where: string,
  now = new Date(),
): LedgerEvent<unknown> {
  const problem = (message: string) => new CliError(`${where}: ${message}`);
  const unknown = Object.keys(input).filter((member) => !MEMBERS.includes(member));
  if (unknown.length > 0) {
    throw problem(`unknown member ${unknown.map((m) => `"${m}"`).join(', ')} (an event has ${MEMBERS.join(', ')})`);
  }
  if (typeof input.id !== 'string' || !EVENT_ID_PATTERN.test(input.id)) {
    throw problem('"id" must be 1 to 128 characters from A-Z a-z 0-9 . _ : - (chosen by you, unique per actor)');
  }
  if (typeof input.type !== 'string' || input.type === '') throw problem('"type" must be a non-empty string');
  const actor = input.actor ?? key.gln;
  if (actor === undefined) throw problem('"actor" is missing, and the key file names no GLN to use');
  if (typeof actor !== 'string' || !isGln(actor)) throw problem(`"actor" must be a GLN (13 digits, valid check digit)`);
  if (input.keyId !== undefined && input.keyId !== key.keyId) {
    throw problem(`"keyId" is ${JSON.stringify(input.keyId)} but the key file holds key ${key.keyId}`);
  }
  const time = input.time ?? now.toISOString();
  if (typeof time !== 'string' || Number.isNaN(parseEventTime(time))) {
    throw problem('"time" must be an RFC 3339 date-time with a time zone, e.g. 2026-11-23T10:00:00.000Z');
  }
  if (typeof input.body !== 'object' || input.body === null || Array.isArray(input.body)) {
    throw problem('"body" must be a JSON object');
  }
  return { id: input.id, type: input.type, actor, keyId: key.keyId, time, body: input.body as Record<string, unknown> };
}

/** Signs one event with the key (after completing it). */
export function signInput(input: EventInput, key: SigningKey, where: string, now?: Date): SignedEvent<unknown> {
  const event = completeEvent(input, key, where, now);
  return { event, signature: signEvent(event, key.secretKey) };
}

/** Signed events for `items`: signed ones as they are, the others signed with `key` (required for them). */
export function signItems(items: EventItem[], key: SigningKey | undefined, now?: Date): SignedEvent<unknown>[] {
  return items.map((item) => {
    if (item.signed) return item.signed;
    if (!key) throw new CliError(`${item.where} is not signed: give --key FILE to sign it`);
    return signInput(item.unsigned, key, item.where, now);
  });
}
