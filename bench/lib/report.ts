/**
 * Output of a benchmark: human tables on stdout while it runs, and at the end ONE line of JSON holding every
 * figure (`... | tail -n 1` gives it to a machine). Progress notes go to stderr so that stdout stays clean.
 */

export type Cell = string | number | boolean | null | undefined;
export type Row = Record<string, Cell>;

/** Milliseconds with precision that suits their size: 0.0123, 0.123, 1.23, 12.3, 123. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value < 0.1) return value.toFixed(4);
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** An integer with thousands separators. */
export function count(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? value.toFixed(value < 10 ? 3 : 1) : '-';
}

/** Rounds every number in a plain object tree (for the JSON line): figures, not float noise. */
export function rounded<T>(value: T, digits = 4): T {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Number.isInteger(value)) return value;
    return Number(value.toPrecision(digits)) as T;
  }
  if (Array.isArray(value)) return value.map((item) => rounded(item, digits)) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rounded(item, digits)])) as T;
  }
  return value;
}

export function formatTable(rows: readonly Row[], columns?: readonly string[]): string {
  const names = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const text = (cell: Cell) => (cell === undefined || cell === null ? '' : String(cell));
  const widths = names.map((name) => Math.max(name.length, ...rows.map((row) => text(row[name]).length)));
  const numeric = names.map((name) =>
    rows.every((row) => typeof row[name] !== 'string' || /^[-\d.,x%]+$/.test(row[name])),
  );
  const line = (cells: readonly string[]) =>
    '| ' + cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ') + ' |';
  return [
    line(names),
    '|' + widths.map((width, i) => (numeric[i] ? '-'.repeat(width + 1) + ':' : '-'.repeat(width + 2))).join('|') + '|',
    ...rows.map((row) => line(names.map((name) => text(row[name])))),
  ].join('\n');
}

export function printTable(title: string, rows: readonly Row[], columns?: readonly string[]): void {
  console.log(`\n${title}\n\n${formatTable(rows, columns)}`);
}

/** The machine-readable result: one JSON object on one line, always the last line of stdout. */
export function printJsonLine(record: object): void {
  console.log(JSON.stringify(rounded(record)));
}

/** A progress note (stderr), time-stamped relative to the start of the process. */
export function note(message: string): void {
  const seconds = (performance.now() / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds}s] ${message}\n`);
}
