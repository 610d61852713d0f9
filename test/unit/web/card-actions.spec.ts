/// <reference lib="dom" />
/**
 * What the scan card offers (issue 13 §2, web/src/scan/card-actions.ts): dispensing only on a green card, for a
 * pharmacy; a hold, a report or a return only for a unit in the log that the party holds (PROTOCOL §7.3: holds by
 * the custodian, returns of active units not on hold); and, when it offers nothing on a stop card, why.
 */
import type { VerificationAnswer } from '../../../src/verification/answer';
import type { ScanRecord } from '../../../web/src/scan/answer';
import { allowedActions, nothingToRecord } from '../../../web/src/scan/card-actions';

type Item = NonNullable<VerificationAnswer['item']>;

function record(verdict: VerificationAnswer['verdict'], codes: string[], item: Partial<Item> | null = {}): ScanRecord {
  const answer = {
    verdict,
    reasons: codes.map((code) => ({ code, severity: 'red', message: code })),
    asked: { gtin: '00312345000019', serial: 'S1' },
    product: null,
    evidence: null,
    item:
      item === null
        ? null
        : {
            status: 'active',
            lot: 'L',
            expiry: '2029-12-31',
            expiryCode: '291231',
            recalled: false,
            hold: null,
            returnPending: false,
            custodyTransfers: 1,
            custodian: null,
            heldByRequester: true,
            ...item,
          },
  } as unknown as VerificationAnswer;
  return { id: 1, code: 'x', at: '2026-12-06T00:00:00Z', answer, evidence: { state: 'none', why: 'test' } };
}

describe('scan card actions', () => {
  it('a green card at a pharmacy: dispense, quarantine, report, return', () => {
    expect(allowedActions(record('genuine', []), 'dispenser')).toEqual(['dispense', 'quarantine', 'report', 'return']);
  });

  it('never dispense on a card that is not green, nor for a party that does not dispense', () => {
    expect(allowedActions(record('not_genuine', ['RECALLED'], { recalled: true }), 'dispenser')).toEqual([
      'quarantine',
      'report',
      'return',
    ]);
    expect(allowedActions(record('caution', ['EXPIRING_SOON']), 'dispenser')).not.toContain('dispense');
    expect(allowedActions(record('genuine', []), 'distributor')).toEqual(['quarantine', 'report', 'return']);
    // A failed evidence check turns the card amber: no dispensing.
    const failed = { ...record('genuine', []), evidence: { state: 'failed', problem: 'bad proof' } } as ScanRecord;
    expect(allowedActions(failed, 'dispenser')).not.toContain('dispense');
  });

  it('a held unit: a quarantine may escalate to a report, nothing else; an illegitimate one offers nothing', () => {
    expect(allowedActions(record('not_genuine', ['QUARANTINED'], { hold: 'quarantined' }), 'dispenser')).toEqual([
      'report',
    ]);
    expect(allowedActions(record('not_genuine', ['ILLEGITIMATE'], { hold: 'illegitimate' }), 'dispenser')).toEqual([]);
  });

  it('a suspected clone (already dispensed here): quarantine and report, no return', () => {
    const clone = record('not_genuine', ['ALREADY_DISPENSED'], { status: 'dispensed' });
    expect(allowedActions(clone, 'dispenser')).toEqual(['quarantine', 'report']);
  });

  it("nothing for an unknown serial, another party's unit, or a regulator, and the card says why", () => {
    const unknown = record('not_genuine', ['UNKNOWN_SERIAL'], null);
    expect(allowedActions(unknown, 'dispenser')).toEqual([]);
    expect(nothingToRecord(unknown, 'dispenser')).toMatch(
      /^Nothing can be recorded against a serial.*regulators see\.$/,
    );
    const theirs = record('caution', ['CUSTODY_MISMATCH'], { heldByRequester: false });
    expect(allowedActions(theirs, 'dispenser')).toEqual([]);
    expect(nothingToRecord(theirs, 'dispenser')).toMatch(/another party's/);
    expect(allowedActions(record('genuine', []), 'regulator')).toEqual([]);
    expect(nothingToRecord(record('genuine', []), 'dispenser')).toBeNull();
  });
});
