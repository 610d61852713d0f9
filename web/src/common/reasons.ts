/** Verification reasons in words, shared by the scan page and the regulator's alert list. */
import type { VerificationAnswer } from '../../../src/verification/answer';
import type { ReasonCode } from '../../../src/verification/verdict';

/** What a pharmacist calls each reason, before the server's specifics. */
export const REASON_TITLES: Record<ReasonCode, string> = {
  UNKNOWN_GTIN: 'Unknown product',
  UNKNOWN_SERIAL: 'Unknown serial number',
  LOT_MISMATCH: 'Lot does not match',
  EXPIRY_MISMATCH: 'Expiry does not match',
  EXPIRED: 'Expired',
  RECALLED: 'Recalled',
  QUARANTINED: 'Quarantined',
  ILLEGITIMATE: 'Illegitimate product',
  ALREADY_DISPENSED: 'Already dispensed',
  DECOMMISSIONED: 'Decommissioned',
  DESTROYED: 'Recorded as destroyed',
  CUSTODY_MISMATCH: 'Not recorded as held by you',
  EXPIRING_SOON: 'Expiring soon',
};

/** What a stop card tells the person to do, for the reason that decides it (issue 13 §2). */
export interface NextStep {
  /** The reason this step answers. */
  code: ReasonCode;
  /** The card's own headline for that reason ("Suspected clone"), under the stop word. */
  headline: string;
  /** What to do now, in one or two sentences. */
  step: string;
  /** From the server's proving entry: the recall's class and reason, who placed the hold and why, when dispensed. */
  detail?: string;
}

const NEXT_STEPS: Partial<Record<ReasonCode, Omit<NextStep, 'code'>>> = {
  ILLEGITIMATE: {
    headline: 'Illegitimate product',
    step: 'Keep it quarantined and apart from saleable stock. It has been reported; follow the report (FDA Form 3911) with the trading partner and the manufacturer.',
  },
  ALREADY_DISPENSED: {
    headline: 'Suspected clone: this serial was already dispensed',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911): a genuine serial is dispensed once.',
  },
  DESTROYED: {
    headline: 'Suspect: this serial was recorded as destroyed',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911).',
  },
  UNKNOWN_SERIAL: {
    headline: 'Suspect product: serial not in the log',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911); ask the seller for its transaction information.',
  },
  UNKNOWN_GTIN: {
    headline: 'Suspect product: unknown product code',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911); ask the seller for its transaction information.',
  },
  LOT_MISMATCH: {
    headline: 'Suspect product: the printed lot is not the logged one',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911).',
  },
  EXPIRY_MISMATCH: {
    headline: 'Suspect product: the printed expiry is not the logged one',
    step: 'Quarantine this package and report it as a suspect product (FDA Form 3911).',
  },
  RECALLED: {
    headline: 'Recalled lot',
    step: 'Quarantine it under the recall and follow the recall notice: return it to the sender or destroy it as the notice says.',
  },
  QUARANTINED: {
    headline: 'On hold (quarantined)',
    step: 'Keep it apart from saleable stock until the party that placed the hold releases it.',
  },
  EXPIRED: {
    headline: 'Expired',
    step: 'Set it aside for return or destruction; do not put it back on the shelf.',
  },
  DECOMMISSIONED: {
    headline: 'Decommissioned',
    step: 'This serial was taken out of use by its manufacturer: set it aside and contact the sender.',
  },
  CUSTODY_MISMATCH: {
    headline: 'Not recorded as held by you',
    step: 'Check the shipment it came in; receive it first, or ask the sender to ship it to you.',
  },
};

/** Most serious first: a suspected clone outranks a recall, a recall outranks an expiry. */
const STEP_ORDER: ReasonCode[] = [
  'ILLEGITIMATE',
  'ALREADY_DISPENSED',
  'DESTROYED',
  'UNKNOWN_SERIAL',
  'UNKNOWN_GTIN',
  'LOT_MISMATCH',
  'EXPIRY_MISMATCH',
  'RECALLED',
  'QUARANTINED',
  'EXPIRED',
  'DECOMMISSIONED',
  'CUSTODY_MISMATCH',
];

/**
 * The next step for the most serious of the answer's reasons (null when none calls for one, e.g. only
 * EXPIRING_SOON), with what the server's proving entry says about that reason (PROTOCOL.md §8.4).
 */
export function nextStepFor(answer: Pick<VerificationAnswer, 'reasons' | 'evidenceFor'>): NextStep | null {
  const codes = answer.reasons.map((reason) => reason.code);
  const code = STEP_ORDER.find((c) => codes.includes(c));
  if (!code) return null;
  const next: NextStep = { code, ...NEXT_STEPS[code]! };
  const proof = answer.evidenceFor?.reason === code ? answer.evidenceFor.details : undefined;
  if (!proof) return next;
  const by = proof.by ? (proof.by.name ?? `GLN ${proof.by.gln}`) : undefined;
  const day = proof.acceptedAt.slice(0, 10);
  const why = proof.reason ? `: ${proof.reason}` : '';
  if (code === 'RECALLED') {
    const recall = proof.classification ? `Class ${proof.classification} recall` : 'Recall';
    next.detail = `${recall} by ${by ?? 'the manufacturer'} on ${day}${why}`;
  } else if (code === 'QUARANTINED') {
    next.detail = `Hold placed by ${by ?? 'a party'} on ${day}${why}`;
  } else if (code === 'ILLEGITIMATE') {
    const kind = proof.classification ? ` (${proof.classification})` : '';
    next.detail = `Reported illegitimate${kind} by ${by ?? 'a party'} on ${day}${why}`;
  } else if (code === 'ALREADY_DISPENSED') {
    next.detail = `This serial was dispensed on ${day}`;
  }
  return next;
}
