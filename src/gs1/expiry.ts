/**
 * GS1 six-digit dates (YYMMDD) as carried by AI 17 (expiry), 11 (production date) and 15 (best before).
 *
 * - DD = 00 means the day is not given: the date is the last day of that month (GS1 General
 *   Specifications §3.4, AI 17). We keep that fact (`dayOmitted`) so formatting gives back `YYMM00`.
 * - The century comes from the sliding window of GS1 General Specifications §7.12: a two-digit year is
 *   read as the year within −49..+50 years of the current year. The current year is a parameter so that
 *   tests (and long-lived records) do not depend on the clock.
 */
import { Gs1Error, type Gs1Field } from './errors';

export type DateField = 'expiry' | 'productionDate' | 'bestBefore';

export interface Gs1Date {
  /** The six digits as written, e.g. `261200`. */
  readonly yymmdd: string;
  /** ISO 8601 calendar date, e.g. `2026-12-31` (the last day of the month when DD = 00). */
  readonly date: string;
  /** True when the input had DD = 00. */
  readonly dayOmitted: boolean;
}

export interface CenturyOptions {
  /** Four-digit year the sliding window is centred on; defaults to the current UTC year. */
  readonly currentYear?: number;
}

const LABELS: Record<DateField, string> = {
  expiry: 'expiry date',
  productionDate: 'production date',
  bestBefore: 'best-before date',
};

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function thisYear(): number {
  return new Date().getUTCFullYear();
}

/** The four-digit year for a two-digit year under the GS1 §7.12 window: currentYear−49 … currentYear+50. */
export function resolveYear(yy: number, currentYear: number = thisYear()): number {
  const century = currentYear - (currentYear % 100);
  const difference = yy - (currentYear % 100);
  if (difference >= 51) return century - 100 + yy;
  if (difference <= -50) return century + 100 + yy;
  return century + yy;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Parses YYMMDD (DD = 00 allowed) into an ISO date; throws a `Gs1Error` naming the field and rule. */
export function parseYymmdd(
  yymmdd: string,
  options: CenturyOptions & { readonly field?: DateField; readonly label?: string } = {},
): Gs1Date {
  const field = options.field ?? 'expiry';
  const label = options.label ?? LABELS[field];
  if (!/^[0-9]*$/.test(yymmdd)) {
    throw new Gs1Error(field, 'charset', `${label} must be six digits (YYMMDD); got ${JSON.stringify(yymmdd)}`);
  }
  if (yymmdd.length !== 6) {
    throw new Gs1Error(field, 'length', `${label} must be six digits (YYMMDD), not ${yymmdd.length}`);
  }
  const yy = Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  if (month < 1 || month > 12) {
    throw new Gs1Error(field, 'date', `${label} ${yymmdd} has month ${yymmdd.slice(2, 4)}, which does not exist`);
  }
  const year = resolveYear(yy, options.currentYear);
  const lastDay = daysInMonth(year, month);
  if (day > lastDay) {
    throw new Gs1Error(
      field,
      'date',
      `${label} ${yymmdd} has day ${day}, but ${MONTHS[month - 1]} ${year} has ${lastDay} days`,
    );
  }
  const dayOmitted = day === 0;
  return {
    yymmdd,
    date: `${pad(year, 4)}-${pad(month, 2)}-${pad(dayOmitted ? lastDay : day, 2)}`,
    dayOmitted,
  };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseIsoDate(value: string, field: Gs1Field, label: string): { year: number; month: number; day: number } {
  const match = ISO_DATE.exec(value);
  if (!match)
    throw new Gs1Error(field, 'format', `${label} must be an ISO date YYYY-MM-DD, not ${JSON.stringify(value)}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new Gs1Error(field, 'date', `${value} is not a calendar date`);
  }
  return { year, month, day };
}

/**
 * Formats an ISO date (or a parsed `Gs1Date`) as YYMMDD. With `dayOmitted` (taken from a `Gs1Date` unless
 * given) the date must be the last day of its month and is written as YYMM00. The year must lie in the
 * §7.12 window of `currentYear`, otherwise reading the six digits back would give another century.
 */
export function formatYymmdd(
  value: string | Gs1Date,
  options: CenturyOptions & { readonly dayOmitted?: boolean; readonly field?: DateField } = {},
): string {
  const field = options.field ?? 'expiry';
  const iso = typeof value === 'string' ? value : value.date;
  const dayOmitted = options.dayOmitted ?? (typeof value === 'string' ? false : value.dayOmitted);
  const { year, month, day } = parseIsoDate(iso, field, LABELS[field]);
  const yy = year % 100;
  const currentYear = options.currentYear ?? thisYear();
  if (resolveYear(yy, currentYear) !== year) {
    throw new Gs1Error(
      field,
      'date',
      `${iso} cannot be written as YYMMDD: read back in ${currentYear}, ${pad(yy, 2)} means ${resolveYear(yy, currentYear)}`,
    );
  }
  if (dayOmitted && day !== daysInMonth(year, month)) {
    throw new Gs1Error(field, 'date', `DD = 00 stands for the last day of the month, but ${iso} is not`);
  }
  return `${pad(yy, 2)}${pad(month, 2)}${dayOmitted ? '00' : pad(day, 2)}`;
}

/**
 * True when the product is expired on `onDate`: expiry is the last day the product may be used, so it is
 * expired from the following day on. `expiry` may be a `Gs1Date`, an ISO date or YYMMDD; `onDate` an ISO
 * date or a `Date` (its UTC calendar day).
 */
export function isExpired(
  expiry: Gs1Date | string,
  onDate: string | Date = new Date(),
  options: CenturyOptions = {},
): boolean {
  let lastValidDay: string;
  if (typeof expiry !== 'string') lastValidDay = expiry.date;
  else if (/^\d{6}$/.test(expiry)) lastValidDay = parseYymmdd(expiry, options).date;
  else {
    parseIsoDate(expiry, 'expiry', LABELS.expiry);
    lastValidDay = expiry;
  }
  let day: string;
  if (typeof onDate === 'string') {
    parseIsoDate(onDate, 'input', 'the day to check');
    day = onDate;
  } else {
    day = `${pad(onDate.getUTCFullYear(), 4)}-${pad(onDate.getUTCMonth() + 1, 2)}-${pad(onDate.getUTCDate(), 2)}`;
  }
  return day > lastValidDay;
}
