/**
 * The scan page's view of a verification: the server's answer (one definition, src/verification/answer.ts) and the
 * browser's own check of its evidence.
 */
import type { VerificationAnswer } from '../../../src/verification/answer';
export type { VerificationAnswer };
export { REASON_TITLES } from '../common/reasons';

/** The browser's own check of the evidence against the pinned log key. */
export type EvidenceOutcome =
  | { state: 'ok'; treeSize: number; index: number; acceptedAt: string }
  | { state: 'failed'; problem: string }
  | { state: 'none'; why: string };

/** One scan of this session, as kept in sessionStorage and listed. */
export interface ScanRecord {
  id: number;
  code: string;
  at: string;
  /** Scan to card, in milliseconds. */
  ms?: number;
  answer?: VerificationAnswer;
  evidence?: EvidenceOutcome;
  /** `detail`: the server's own words, when `message` puts them in a pharmacist's. */
  error?: { status: number; code: string; message: string; detail?: string };
  /** What was done from the card (issue 13 §2): the action and the log entry that recorded it. */
  done?: ActionDone;
}

export type ActionKind = 'dispense' | 'quarantine' | 'report' | 'return';

export interface ActionDone {
  kind: ActionKind;
  index: number;
}

export type Tone = 'green' | 'amber' | 'red' | 'grey';

/** Green only for a clean answer whose evidence did not fail; a failed check never leaves a card green. */
export function toneOf(record: ScanRecord): Tone {
  if (!record.answer) return 'grey';
  if (record.answer.verdict === 'not_genuine') return 'red';
  if (record.answer.verdict === 'caution' || record.evidence?.state === 'failed') return 'amber';
  return 'green';
}
