import { ValidationOptions, registerDecorator } from 'class-validator';
import { hasValidCheckDigit } from '../gs1/check-digit';
import { parseYymmdd } from '../gs1/expiry';
import { isCharset82 } from '../gs1/identifiers';
import { parseEventTime } from '../protocol/event';
import { itemCodeError } from '../protocol/item-code';
import { explainElements } from './validation';

function digitsWithCheck(length: number) {
  return (value: unknown) =>
    typeof value === 'string' && value.length === length && /^\d+$/.test(value) && hasValidCheckDigit(value);
}

/**
 * A rule as a property decorator. With `{ each: true }` its violations name the offending elements, each with
 * `reason(value)` when given (e.g. which check digit is wrong), else "must be <what>".
 */
function gs1Decorator(
  name: string,
  test: (value: unknown) => boolean,
  what: string,
  reason: (value: unknown) => string | null = (value) => (test(value) ? null : `must be ${what}`),
) {
  explainElements(name, reason);
  return (options?: ValidationOptions): PropertyDecorator =>
    (target, propertyName) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: `$property must be ${what}`, ...options },
        validator: { validate: test },
      });
}

/** A GLN: 13 digits with a valid GS1 check digit. */
export const IsGln = gs1Decorator('isGln', digitsWithCheck(13), 'a GLN (13 digits with a valid GS1 check digit)');
/** A GTIN-14: 14 digits with a valid GS1 check digit. */
export const IsGtin14 = gs1Decorator(
  'isGtin14',
  digitsWithCheck(14),
  'a GTIN-14 (14 digits with a valid GS1 check digit)',
);
/** An SSCC: 18 digits with a valid GS1 check digit. */
export const IsSscc = gs1Decorator('isSscc', digitsWithCheck(18), 'an SSCC (18 digits with a valid GS1 check digit)');

/** An item code: (01)<GTIN-14>(21)<serial> for a unit, (00)<SSCC-18> for a container. */
export const IsItemCode = gs1Decorator(
  'isItemCode',
  (value) => itemCodeError(value) === null,
  'an item code: (01)<GTIN-14>(21)<serial> or (00)<SSCC-18> with valid check digits',
  itemCodeError,
);

/** A serial (AI 21) or lot (AI 10): 1 to 20 characters of GS1 character set 82. */
export const IsGs1Text = gs1Decorator(
  'isGs1Text',
  (value) => typeof value === 'string' && value.length >= 1 && value.length <= 20 && isCharset82(value),
  '1 to 20 characters of the GS1 character set 82 (letters, digits and !"%&\'()*+,-./:;<=>?_)',
);

/** A real calendar date (no 31 February), its century resolved as the rules resolve it: against this year. */
function isYymmddDate(value: string): boolean {
  try {
    parseYymmdd(value);
    return true;
  } catch {
    return false;
  }
}

/** An expiry date as printed on the package, AI 17 (YYMMDD; DD = 00 means the end of the month). */
export const IsYymmdd = gs1Decorator(
  'isYymmdd',
  (value) => typeof value === 'string' && isYymmddDate(value),
  'a date YYMMDD as in GS1 AI 17 (DD = 00 for the end of the month)',
);

/**
 * An RFC 3339 date-time with a time zone that names a real instant (no 30 February, no hour 24) in the years 0001
 * to 9999 UTC: the event-time rule (`parseEventTime`, docs/PROTOCOL.md §2.1), for every date-time of every request.
 */
export const IsDateTime = gs1Decorator(
  'isDateTime',
  (value) => typeof value === 'string' && !Number.isNaN(parseEventTime(value)),
  'an RFC 3339 date-time with a time zone in the years 0001 to 9999, e.g. 2026-11-23T10:00:00.000Z',
);

/** A calendar date YYYY-MM-DD (no 30 February, no year 0000): the event-time rule applied to its midnight UTC. */
export const IsCalendarDate = gs1Decorator(
  'isCalendarDate',
  (value) =>
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(parseEventTime(`${value}T00:00:00Z`)),
  'a calendar date YYYY-MM-DD in the years 0001 to 9999, e.g. 2026-11-23',
);
