/** Dates and numbers as the pages show them. */

const DATE = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const TIME = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const DATE_TIME = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});

/** "Dec 31, 2029" from "2029-12-31" (a calendar date: no time zone shift). */
export function formatDay(isoDate: string): string {
  const time = Date.parse(isoDate.length === 10 ? `${isoDate}T00:00:00Z` : isoDate);
  return Number.isNaN(time) ? isoDate : DATE.format(time);
}

/** Local wall-clock time, "14:03:27". */
export function formatTime(iso: string | number | Date): string {
  return TIME.format(new Date(iso));
}

/** Local date and time, "Dec 31, 2029, 14:03". */
export function formatDateTime(iso: string | number | Date): string {
  return DATE_TIME.format(new Date(iso));
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Whole days from today (UTC) to a calendar date; negative in the past. */
export function daysUntil(isoDate: string): number {
  const today = new Date().toISOString().slice(0, 10);
  return Math.round((Date.parse(isoDate) - Date.parse(today)) / 86_400_000);
}

/** "Sentence case": the server's messages start lower-case to be embeddable. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  return trimmed[0].toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? '' : '.');
}

/** Bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
