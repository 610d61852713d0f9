/**
 * Issue 13 §4: the one definition of an alert's kind, severity and triage transitions (src/alerts/alert-rules.ts),
 * shared by the server, the regulator page and the CSV export.
 */
import {
  ALERT_ACTIONS,
  ALERT_KINDS,
  ALERT_STATES,
  alertId,
  alertKindOf,
  alertSeverity,
  mayTake,
  parseAlertId,
  severityFilter,
  SEVERITIES,
  SEVERITY_COLOURS,
  stateAfter,
} from '../../../src/alerts/alert-rules';
import { REASONS } from '../../../src/verification/verdict';

describe('alert rules', () => {
  it('files every verification reason under a kind, the most telling first', () => {
    expect([...ALERT_KINDS].sort()).toEqual(Object.keys(REASONS).sort());
    expect(alertKindOf(['CUSTODY_MISMATCH', 'RECALLED'])).toBe('RECALLED');
    expect(alertKindOf(['EXPIRED', 'ALREADY_DISPENSED'])).toBe('ALREADY_DISPENSED');
    expect(alertKindOf(['No_match_GTIN_Serial'])).toBeNull();
  });

  it('gives severity by meaning: a possible clone is red, recalls by class, expiry low', () => {
    expect(alertSeverity('ALREADY_DISPENSED', null)).toBe('high');
    expect(SEVERITY_COLOURS[alertSeverity('ALREADY_DISPENSED', null)]).toBe('red');
    expect(alertSeverity('UNKNOWN_SERIAL', null)).toBe('high');
    expect(['I', 'II', 'III', null].map((c) => alertSeverity('RECALLED', c))).toEqual([
      'high',
      'medium',
      'low',
      'medium',
    ]);
    expect(alertSeverity('CUSTODY_MISMATCH', null)).toBe('medium');
    expect(alertSeverity('EXPIRED', null)).toBe('low');
  });

  it('severity filters select exactly the kinds and recall classes of that severity', () => {
    for (const kind of ALERT_KINDS) {
      for (const recallClass of ['I', 'II', 'III', '']) {
        const severity = alertSeverity(kind, recallClass || null);
        for (const asked of SEVERITIES) {
          const filter = severityFilter(asked);
          const selected =
            (filter.kinds as string[]).includes(kind) ||
            (kind === 'RECALLED' && filter.recallClasses.includes(recallClass));
          expect([kind, recallClass, asked, selected]).toEqual([kind, recallClass, asked, severity === asked]);
        }
      }
    }
  });

  it('derives the state from the actions and allows each action only where it makes sense', () => {
    expect(stateAfter([])).toBe('open');
    expect(stateAfter(['acknowledge', 'assign', 'note'])).toBe('acknowledged');
    expect(stateAfter(['close', 'note'])).toBe('closed');
    expect(stateAfter(['acknowledge', 'close', 'reopen'])).toBe('open');
    const allowed = Object.fromEntries(
      ALERT_STATES.map((state) => [state, ALERT_ACTIONS.filter((action) => mayTake(action, state))]),
    );
    expect(allowed).toEqual({
      open: ['acknowledge', 'assign', 'note', 'close'],
      acknowledged: ['assign', 'note', 'close'],
      closed: ['note', 'reopen'],
    });
  });

  it('ids round-trip and nothing else parses as one', () => {
    const code = '(01)00361234567890(21)A/1%"x';
    const id = alertId('ALREADY_DISPENSED', code);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseAlertId(id)).toEqual({ kind: 'ALREADY_DISPENSED', code });
    for (const bad of ['', 'a', '!!', alertId('ALREADY_DISPENSED', 'not a code'), `${id}A`, 'x'.repeat(201)]) {
      expect([bad, parseAlertId(bad)]).toEqual([bad, null]);
    }
  });
});
