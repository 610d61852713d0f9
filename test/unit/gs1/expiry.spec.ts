import fc from 'fast-check';
import { formatYymmdd, isExpired, parseYymmdd, resolveYear } from '../../../src/gs1/expiry';
import { CURRENT_YEAR, isoDateInWindow, gs1Error } from './gs1-fixtures';

describe('YYMMDD dates', () => {
  const at2026 = { currentYear: CURRENT_YEAR };

  it('reads DD = 00 as the last day of the month and keeps that it was omitted', () => {
    expect(parseYymmdd('261231', at2026)).toEqual({ yymmdd: '261231', date: '2026-12-31', dayOmitted: false });
    expect(parseYymmdd('261200', at2026)).toEqual({ yymmdd: '261200', date: '2026-12-31', dayOmitted: true });
    expect(parseYymmdd('280200', at2026).date).toBe('2028-02-29');
    expect(parseYymmdd('270200', at2026).date).toBe('2027-02-28');
    expect(parseYymmdd('260400', at2026).date).toBe('2026-04-30');
  });

  // The GS1 Barcode Syntax Engine's yymmd0 linter tests (src/c-lib/syntax/lint_yymmd0.c), run in its
  // reference year 2021.
  it.each([
    '000606',
    '250606',
    '500606',
    '750606',
    '990606',
    '200131',
    '200229',
    '240229',
    '000229',
    '960229',
    '200600',
  ])('accepts %s (GS1 Syntax Engine vector)', (value) => {
    expect(parseYymmdd(value, { currentYear: 2021 }).yymmdd).toBe(value);
  });

  it.each([
    ['200010', 'date'],
    ['201310', 'date'],
    ['209910', 'date'],
    ['200132', 'date'],
    ['200230', 'date'],
    ['210229', 'date'],
    ['230229', 'date'],
    ['000230', 'date'],
    ['x00131', 'charset'],
    ['20013', 'length'],
    ['2001311', 'length'],
  ])('rejects %s by rule %s (GS1 Syntax Engine vector)', (value, rule) => {
    expect(gs1Error(() => parseYymmdd(value, { currentYear: 2021 }))).toMatchObject({ field: 'expiry', rule });
  });

  it('explains what is wrong with the date and names the field', () => {
    expect(gs1Error(() => parseYymmdd('270229', at2026)).message).toBe(
      'expiry date 270229 has day 29, but February 2027 has 28 days',
    );
    expect(gs1Error(() => parseYymmdd('261300', { ...at2026, field: 'bestBefore' }))).toMatchObject({
      field: 'bestBefore',
      rule: 'date',
    });
  });

  it('applies the GS1 §7.12 century window: −49..+50 years around the current year', () => {
    expect(resolveYear(76, 2026)).toBe(2076);
    expect(resolveYear(77, 2026)).toBe(1977);
    expect(resolveYear(0, 2026)).toBe(2000);
    expect(resolveYear(25, 2075)).toBe(2125);
    expect(resolveYear(26, 2075)).toBe(2026);
    expect(resolveYear(50, 2000)).toBe(2050);
    expect(resolveYear(51, 2000)).toBe(1951);
    expect(resolveYear(49, 1999)).toBe(2049);
    // 2000 is a leap year, 2100 is not: the window decides whether 000229 exists.
    expect(parseYymmdd('000229', { currentYear: 2040 }).date).toBe('2000-02-29');
    expect(gs1Error(() => parseYymmdd('000229', { currentYear: 2060 })).rule).toBe('date');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1900, max: 2200 }), (yy, current) => {
        const year = resolveYear(yy, current);
        expect(year % 100).toBe(yy);
        expect(year - current).toBeGreaterThanOrEqual(-49);
        expect(year - current).toBeLessThanOrEqual(50);
      }),
    );
  });

  it('formats back to YYMMDD, keeping DD = 00', () => {
    expect(formatYymmdd('2026-12-31', at2026)).toBe('261231');
    expect(formatYymmdd('2026-12-31', { ...at2026, dayOmitted: true })).toBe('261200');
    expect(formatYymmdd(parseYymmdd('261200', at2026), at2026)).toBe('261200');
    expect(formatYymmdd(parseYymmdd('261231', at2026), at2026)).toBe('261231');
    expect(gs1Error(() => formatYymmdd('2026-12-30', { ...at2026, dayOmitted: true })).rule).toBe('date');
    expect(gs1Error(() => formatYymmdd('2080-01-01', at2026)).message).toContain('80 means 1980');
    expect(gs1Error(() => formatYymmdd('2026-02-30', at2026)).rule).toBe('date');
    expect(gs1Error(() => formatYymmdd('26-12-31', at2026)).rule).toBe('format');
  });

  it('round-trips every date of the window, with and without the day (property)', () => {
    fc.assert(
      fc.property(isoDateInWindow, fc.boolean(), (iso, omitDay) => {
        const parsed = parseYymmdd(formatYymmdd(iso, at2026), at2026);
        expect(parsed.date).toBe(iso);
        const monthOnly = parseYymmdd(`${formatYymmdd(iso, at2026).slice(0, 4)}00`, at2026);
        expect(monthOnly.date.slice(0, 7)).toBe(iso.slice(0, 7));
        const value = omitDay ? monthOnly : parsed;
        expect(formatYymmdd(value, at2026)).toBe(value.yymmdd);
      }),
    );
  });
});

describe('isExpired', () => {
  it('is false up to and including the expiry date and true from the next day', () => {
    expect(isExpired('2026-12-31', '2026-12-31')).toBe(false);
    expect(isExpired('2026-12-31', '2027-01-01')).toBe(true);
    expect(isExpired('2026-12-31', '2026-06-15')).toBe(false);
  });

  it('treats DD = 00 as valid through the last day of the month', () => {
    const expiry = parseYymmdd('260200', { currentYear: CURRENT_YEAR });
    expect(isExpired(expiry, '2026-02-28')).toBe(false);
    expect(isExpired(expiry, '2026-03-01')).toBe(true);
    expect(isExpired('260200', '2026-02-28', { currentYear: CURRENT_YEAR })).toBe(false);
  });

  it('takes a Date as its UTC calendar day', () => {
    expect(isExpired('2026-12-31', new Date('2026-12-31T23:59:59Z'))).toBe(false);
    expect(isExpired('2026-12-31', new Date('2027-01-01T00:00:00Z'))).toBe(true);
  });

  it('rejects malformed dates', () => {
    expect(gs1Error(() => isExpired('2026-13-01', '2026-01-01'))).toMatchObject({ field: 'expiry' });
    expect(gs1Error(() => isExpired('2026-12-31', '31/12/2026'))).toMatchObject({ field: 'input', rule: 'format' });
  });
});
