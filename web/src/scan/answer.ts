/** What GET /v1/verify answers (src/verification/verification.service.ts), as the page uses it. */
import type { Evidence } from '../../../src/protocol/evidence';
import type { ReasonCode } from '../../../src/verification/verdict';
export { REASON_TITLES } from '../common/reasons';

export interface VerifyAnswer {
  verificationId: string;
  verifiedAt: string;
  verdict: 'genuine' | 'caution' | 'not_genuine';
  reasons: { code: ReasonCode; severity: 'red' | 'amber'; message: string; details?: Record<string, unknown> }[];
  asked: { gtin: string; serial: string; lot?: string; expiryCode?: string; expiry?: string };
  product: {
    gtin: string;
    name: string;
    ndc: string | null;
    strength: string;
    dosageForm: string;
    containerSize?: string;
    manufacturer: { gln: string; name: string | null };
  } | null;
  item: {
    status: string;
    lot: string;
    expiry: string;
    expiryCode: string;
    recalled: boolean;
    hold: string | null;
    custodian: { gln: string; name: string | null } | null;
    heldByRequester: boolean;
    custodyTransfers: number;
  } | null;
  evidence: Evidence | null;
  evidenceUnavailable?: string;
}

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
  answer?: VerifyAnswer;
  evidence?: EvidenceOutcome;
  error?: { status: number; code: string; message: string };
}

export type Tone = 'green' | 'amber' | 'red' | 'grey';

/** Green only for a clean answer whose evidence did not fail; a failed check never leaves a card green. */
export function toneOf(record: ScanRecord): Tone {
  if (!record.answer) return 'grey';
  if (record.answer.verdict === 'not_genuine') return 'red';
  if (record.answer.verdict === 'caution' || record.evidence?.state === 'failed') return 'amber';
  return 'green';
}
