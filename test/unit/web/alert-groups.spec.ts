/// <reference lib="dom" />
/**
 * Issue 13 §4: repeated suspicious scans of one item are one alert with a count and the first and last time seen,
 * on the regulator page (web/src/regulator/alerts.ts).
 */
import { groupVerifications, type SuspiciousVerification } from '../../../web/src/regulator/alerts';

const GTIN = '00312345678906';

function record(
  id: string,
  at: string,
  serial: string | null,
  reasons = ['ALREADY_DISPENSED'],
): SuspiciousVerification {
  return {
    id,
    at,
    requester: '0614141000005',
    code: null,
    gtin: GTIN,
    request: serial ? { gtin: GTIN, serial } : { code: 'unreadable' },
    reasons,
    ...(serial ? { answer: { asked: { gtin: GTIN, serial } } } : {}),
  };
}

describe('groupVerifications', () => {
  it('groups scans of one item with the same reasons: count, first and last seen, newest record shown', () => {
    const groups = groupVerifications([
      record('3', '2026-12-05T10:02:00Z', 'A1'),
      record('1', '2026-12-05T10:00:00Z', 'A1'),
      record('4', '2026-12-05T10:03:00Z', 'B2'),
      record('2', '2026-12-05T10:01:00Z', 'A1'),
    ]);
    expect(groups).toHaveLength(2);
    const a1 = groups.find((g) => g.record.request.serial === 'A1')!;
    expect(a1).toMatchObject({ count: 3, firstAt: '2026-12-05T10:00:00Z' });
    expect(a1.record.id).toBe('3');
    expect(groups.find((g) => g.record.request.serial === 'B2')).toMatchObject({ count: 1 });
  });

  it('keeps different reasons and unreadable records apart', () => {
    const groups = groupVerifications([
      record('1', '2026-12-05T10:00:00Z', 'A1', ['ALREADY_DISPENSED']),
      record('2', '2026-12-05T10:01:00Z', 'A1', ['EXPIRED']),
      record('3', '2026-12-05T10:02:00Z', null, ['UNKNOWN_SERIAL']),
      record('4', '2026-12-05T10:03:00Z', null, ['UNKNOWN_SERIAL']),
    ]);
    expect(groups.map((g) => g.count)).toEqual([1, 1, 1, 1]);
  });
});
