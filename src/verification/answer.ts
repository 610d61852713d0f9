import type { Evidence } from '../protocol/evidence';
import type { Asked, ItemStatus, Reason, Verdict } from './verdict';

/**
 * What `GET /v1/verify` answers (and what the Lightweight Messaging endpoint is made from). Types only, so the
 * browser's scan page shares this one definition with the server.
 */
export interface VerificationAnswer {
  verificationId: string;
  verifiedAt: string;
  verdict: Verdict;
  reasons: Reason[];
  asked: Asked;
  product: {
    gtin: string;
    name: string;
    ndc: string | null;
    /**
     * The NDC as labels print it, hyphenated: one form when the labeler's configuration is known (a 4-digit labeler
     * code: 4-4-2), else each form it may take (21 CFR 207.33: 4-4-2, 5-3-2, 5-4-1).
     */
    ndcForms?: string[];
    strength: string;
    dosageForm: string;
    containerSize: string;
    manufacturer: { gln: string; name: string | null };
  } | null;
  item: {
    status: ItemStatus;
    lot: string;
    expiry: string;
    expiryCode: string;
    recalled: boolean;
    hold: string | null;
    returnPending: boolean;
    custodyTransfers: number;
    /** Named to the custodian itself and to regulators; others learn only whether it is them. */
    custodian: { gln: string; name: string | null } | null;
    heldByRequester: boolean;
  } | null;
  evidence: Evidence | null;
  /**
   * What the evidence's entry is (with the evidence): the event that proves the reason it names (`RECALLED`: the
   * lot's recall; `ALREADY_DISPENSED`: the unit's dispense; `QUARANTINED` / `ILLEGITIMATE`: the hold's quarantine or
   * illegitimate event), else the unit's latest event (`reason` null). `details`: what that entry says about the
   * reason (PROTOCOL.md §8.4).
   */
  evidenceFor?: { reason: EvidenceReason | null; eventType: string; details?: EvidenceDetails };
  /** Why there is no evidence, when there is none. */
  evidenceUnavailable?: string;
}

/** The reasons whose proving entry the evidence can be. */
export type EvidenceReason = 'RECALLED' | 'ALREADY_DISPENSED' | 'QUARANTINED' | 'ILLEGITIMATE';

/**
 * What the proving entry says, from its signed event: when it was logged; for a recall or a hold, who signed it and
 * its reason (a recall's `classification` when given; an illegitimate report's classification and description).
 * A dispense names no party: who dispensed a unit is not told to other verifiers.
 */
export interface EvidenceDetails {
  acceptedAt: string;
  by?: { gln: string; name: string | null };
  reason?: string;
  classification?: string;
}
