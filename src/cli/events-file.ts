/**
 * Reading events from a file: one JSON value (an event, a signed event, or an array of them) or NDJSON (one per
 * line). Pure: no file system here, so it is tested on strings and usable in a browser.
 */
import type { SignedEvent } from '../protocol/event';
import { CliError } from './cli-error';

/** An event as a user writes it: `keyId`, `time` and (with a key file that names one) `actor` may be left out. */
export interface EventInput {
  id?: unknown;
  type?: unknown;
  actor?: unknown;
  keyId?: unknown;
  time?: unknown;
  body?: unknown;
  [member: string]: unknown;
}

export type EventItem =
  | { where: string; signed: SignedEvent<unknown>; unsigned?: undefined }
  | { where: string; signed?: undefined; unsigned: EventInput };

/**
 * Parses `text` (from `source`, used in messages). NDJSON when `ndjson` is true, when the name ends in `.ndjson`
 * or `.jsonl`, or when the whole text is not one JSON value but each non-blank line is.
 */
export function parseEventsText(text: string, source: string, options: { ndjson?: boolean } = {}): EventItem[] {
  const clean = text.replace(/^\uFEFF/, '');
  const ndjson = options.ndjson ?? /\.(ndjson|jsonl)$/i.test(source);
  if (clean.trim() === '')
    throw new CliError(`${source} is empty: expected a JSON event, an array of events or NDJSON`);
  if (!ndjson) {
    let whole: unknown;
    let wholeError: string | null = null;
    try {
      whole = JSON.parse(clean);
    } catch (error) {
      wholeError = (error as Error).message;
    }
    if (wholeError === null) {
      if (Array.isArray(whole)) {
        if (whole.length === 0) throw new CliError(`${source} holds an empty array: no events to read`);
        return whole.map((value, i) => toItem(value, `${source} [${i}]`));
      }
      return [toItem(whole, source)];
    }
    if (clean.trim().split('\n').length === 1) throw new CliError(`${source} is not valid JSON: ${wholeError}`);
    try {
      return parseLines(clean, source);
    } catch (error) {
      throw new CliError(
        `${source} is neither one JSON value (${wholeError}) nor NDJSON (${(error as Error).message})`,
      );
    }
  }
  return parseLines(clean, source);
}

function parseLines(text: string, source: string): EventItem[] {
  const items: EventItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source} line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new CliError(`${where} is not valid JSON: ${(error as Error).message}`);
    }
    items.push(toItem(value, where));
  });
  if (items.length === 0) throw new CliError(`${source} has no events`);
  return items;
}

/** `{event, signature}` is a signed event; `{event}` or a bare event object is one to sign. */
function toItem(value: unknown, where: string): EventItem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${where} is not an event: expected a JSON object`);
  }
  const object = value as Record<string, unknown>;
  if ('event' in object) {
    const extra = Object.keys(object).filter((key) => key !== 'event' && key !== 'signature');
    if (extra.length > 0) {
      throw new CliError(`${where}: a signed event has only "event" and "signature", not ${quote(extra)}`);
    }
    const event = object.event;
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      throw new CliError(`${where}: "event" must be a JSON object`);
    }
    if (object.signature === undefined) return { where, unsigned: event as EventInput };
    if (typeof object.signature !== 'string') throw new CliError(`${where}: "signature" must be a base64 string`);
    return { where, signed: { event: event as SignedEvent<unknown>['event'], signature: object.signature } };
  }
  return { where, unsigned: object as EventInput };
}

function quote(keys: string[]): string {
  return keys.map((key) => `"${key}"`).join(', ');
}
