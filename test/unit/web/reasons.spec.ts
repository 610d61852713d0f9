/**
 * Issue 13 §2: each stop reason has its own headline and next step, and the server's proving entry (PROTOCOL.md
 * §8.4, `evidenceFor.details`) fills in the recall's class and reason, who placed a hold and why.
 */
import type { VerificationAnswer } from '../../../src/verification/answer';
import type { ReasonCode } from '../../../src/verification/verdict';
import { nextStepFor } from '../../../web/src/common/reasons';

const reasons = (...codes: ReasonCode[]) =>
  codes.map((code) => ({
    code,
    severity: code === 'EXPIRING_SOON' ? ('amber' as const) : ('red' as const),
    message: '',
  }));

describe('nextStepFor', () => {
  it('expired: set aside for return or destruction', () => {
    const next = nextStepFor({ reasons: reasons('EXPIRED') })!;
    expect(next).toMatchObject({ code: 'EXPIRED', headline: 'Expired' });
    expect(next.step).toMatch(/return or destruction/);
  });

  it("recalled: quarantine under the recall, with the recall's class and reason", () => {
    const answer: Pick<VerificationAnswer, 'reasons' | 'evidenceFor'> = {
      reasons: reasons('RECALLED'),
      evidenceFor: {
        reason: 'RECALLED',
        eventType: 'recall',
        details: {
          acceptedAt: '2026-12-01T10:00:00.000Z',
          by: { gln: '0361234000007', name: 'Example Pharma' },
          reason: 'contamination',
          classification: 'II',
        },
      },
    };
    const next = nextStepFor(answer)!;
    expect(next.headline).toBe('Recalled lot');
    expect(next.step).toMatch(/Quarantine it under the recall/);
    expect(next.detail).toBe('Class II recall by Example Pharma on 2026-12-01: contamination');
  });

  it('already dispensed: a suspected clone, quarantine and report; outranks a recall and an expiry', () => {
    const next = nextStepFor({ reasons: reasons('EXPIRED', 'RECALLED', 'ALREADY_DISPENSED') })!;
    expect(next.code).toBe('ALREADY_DISPENSED');
    expect(next.headline).toMatch(/Suspected clone/);
    expect(next.step).toMatch(/Quarantine.*report/);
  });

  it('unknown serial: suspect', () => {
    const next = nextStepFor({ reasons: reasons('UNKNOWN_SERIAL') })!;
    expect(next.headline).toMatch(/^Suspect product/);
    expect(next.step).toMatch(/Form 3911/);
  });

  it('quarantined: who placed the hold and why', () => {
    const next = nextStepFor({
      reasons: reasons('QUARANTINED'),
      evidenceFor: {
        reason: 'QUARANTINED',
        eventType: 'quarantine',
        details: {
          acceptedAt: '2026-12-02T08:00:00.000Z',
          by: { gln: '0860000000011', name: null },
          reason: 'torn seal',
        },
      },
    })!;
    expect(next.detail).toBe('Hold placed by GLN 0860000000011 on 2026-12-02: torn seal');
  });

  it("a proving entry for another reason is not this reason's detail", () => {
    const next = nextStepFor({
      reasons: reasons('EXPIRED'),
      evidenceFor: { reason: null, eventType: 'receive' },
    })!;
    expect(next.detail).toBeUndefined();
  });

  it('no next step for a clean or only expiring-soon answer', () => {
    expect(nextStepFor({ reasons: [] })).toBeNull();
    expect(nextStepFor({ reasons: reasons('EXPIRING_SOON') })).toBeNull();
  });
});
