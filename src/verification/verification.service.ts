import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { personOf, Principal } from '../auth/principal';
import { ReadDatabase } from '../database/read-database';
import { CheckpointService } from '../ledger/checkpoint.service';
import { TreeService } from '../ledger/tree.service';
import { encodeLeaf } from '../protocol/leaf';
import { formatNdc, labelerDigitsOfPrefix, ndcConfigurationsOf } from '../gs1/ndc';
import { unitCode } from '../protocol/item-code';
import { bytesToBase64 } from '../bytes';
import { EvidenceDetails, EvidenceReason, VerificationAnswer } from './answer';
import { releasesReturn, RequestFacts } from './lightweight';
import { Asked, isSuspicious, judge, verdictOf } from './verdict';
import { VerificationRecorder } from './verification-recorder';
import { PackageFacts, VerificationRepository } from './verification.repository';

export type Channel = 'lightweight' | 'rich';

/**
 * A scanned code (`code`) that lacks the lot or the expiry may be the front of a code cut short (a scanner pausing
 * mid-code, a page submitting on a pause): it is answered, but raises no alert (PROTOCOL.md §8.2). Only a whole
 * product identifier (GTIN, serial, lot and expiry, each read without error) raises one; requests that give the
 * identifiers as separate fields are no scans and raise alerts as before.
 */
/**
 * The NDC as labels print it (labeler-product-package): the configurations its labeler may use, narrowed by the
 * labeler code's length where the GS1 company prefix tells it (GS1 US issues an NDC labeler `03` + its code).
 */
function ndcForms(ndc: string, companyPrefix: string | null): string[] {
  const labeler = companyPrefix ? labelerDigitsOfPrefix(companyPrefix) : undefined;
  return ndcConfigurationsOf(labeler).map((configuration) => formatNdc(ndc, configuration));
}

function mayBeFragment(asked: Asked, request: Record<string, unknown>): boolean {
  return request.code !== undefined && (asked.lot === undefined || asked.expiryCode === undefined);
}

/**
 * Verification of a product identifier: one read of the read model, the verdict, the evidence from the log
 * (an inclusion proof of the item's latest event against the latest signed checkpoint), and a record of the
 * question and the answer.
 */
@Injectable()
export class VerificationService {
  constructor(
    private readonly repository: VerificationRepository,
    private readonly recorder: VerificationRecorder,
    private readonly checkpoints: CheckpointService,
    private readonly tree: TreeService,
    private readonly reads: ReadDatabase,
  ) {}

  async verify(
    requester: Principal,
    asked: Asked,
    channel: Channel,
    request: RequestFacts & Record<string, unknown>,
  ): Promise<VerificationAnswer> {
    const now = new Date();
    const checkpoint = this.checkpoints.latest();
    const treeSize = checkpoint?.size ?? 0;
    const code = unitCode(asked.gtin, asked.serial);
    const facts = await this.facts(asked.gtin, code, treeSize);
    const item = facts.code ? facts : null;
    const reasons = judge(
      asked,
      {
        productKnown: facts.gtin_known,
        item: item && {
          lot: item.lot!,
          expiryCode: item.expiry_code!,
          expiry: item.expiry!,
          status: item.status!,
          hold: item.hold,
          custodian: item.custodian!,
          inTransitTo: item.status === 'in_transit' ? item.in_transit_to : null,
          recalled: item.recalled ?? false,
          statusSince: item.last_at ?? now,
        },
      },
      requester,
      now,
    );
    const verdict = verdictOf(reasons);
    const heldByRequester = !!item && (item.custodian === requester.gln || item.in_transit_to === requester.gln);
    const answer: VerificationAnswer = {
      verificationId: randomUUID(),
      verifiedAt: now.toISOString(),
      verdict,
      reasons,
      asked,
      product: facts.gtin_known
        ? {
            gtin: asked.gtin,
            name: facts.product_name!,
            ndc: facts.ndc,
            ...(facts.ndc ? { ndcForms: ndcForms(facts.ndc, facts.company_prefix) } : {}),
            strength: facts.strength!,
            dosageForm: facts.dosage_form!,
            containerSize: facts.container_size!,
            manufacturer: { gln: facts.manufacturer!, name: facts.manufacturer_name },
          }
        : null,
      item: item && {
        status: item.status!,
        lot: item.lot!,
        expiry: item.expiry!,
        expiryCode: item.expiry_code!,
        recalled: item.recalled ?? false,
        hold: item.hold,
        returnPending: item.return_pending ?? false,
        custodyTransfers: item.transfers ?? 0,
        custodian:
          item.custodian === requester.gln || requester.role === 'regulator'
            ? { gln: item.custodian!, name: item.custodian_name }
            : null,
        heldByRequester,
      },
      ...(await this.evidence(facts, checkpoint)),
    };
    const verified = releasesReturn(reasons, asked, request);
    const suspicious = isSuspicious(reasons) && !mayBeFragment(asked, request);
    const written = this.recorder.record({
      id: answer.verificationId,
      at: now,
      requester: requester.gln,
      // The person who asked, when one did in a session (PROTOCOL.md §3.4); null for a machine's token.
      personId: personOf(requester)?.id ?? null,
      channel,
      // The unit asked about, known or not: an alert about an unknown serial names it (PROTOCOL.md §8.2).
      code,
      gtin: asked.gtin,
      request,
      // Whether it counts as the verification of a saleable return (PROTOCOL.md §8.3).
      verified,
      reasons: reasons.map((r) => r.code),
      suspicious,
      answer: {
        verdict,
        reasons: reasons.map((r) => r.code),
        evidenceIndex: answer.evidence?.index ?? null,
        asked,
      },
    });
    // The record is written in the recorder's next group (one statement for many answers). The answer waits for it
    // when it releases a saleable return (the requester's next ship or dispense, on any server, must see it) and
    // when it is an alert (a server crash must not lose a suspect product's report; alerts are rare, so the common
    // answer does not pay for it): PROTOCOL.md §8.2, §8.3. Others are written right after the answer; a failure is
    // logged by the recorder.
    if (verified || suspicious) await written;
    else written.catch(() => undefined);
    return answer;
  }

  private async evidence(
    facts: PackageFacts,
    checkpoint: ReturnType<CheckpointService['latest']>,
  ): Promise<Pick<VerificationAnswer, 'evidence' | 'evidenceFor' | 'evidenceUnavailable'>> {
    if (!facts.code) return { evidence: null, evidenceUnavailable: 'the log has no event about this serial' };
    if (!checkpoint || facts.evidence_idx === null) {
      return {
        evidence: null,
        evidenceUnavailable: 'the event is not in a signed checkpoint yet; ask again in a second',
      };
    }
    const proves: EvidenceReason | null =
      facts.evidence_type === 'dispense' && facts.status === 'dispensed'
        ? 'ALREADY_DISPENSED'
        : facts.evidence_type === 'recall'
          ? 'RECALLED'
          : facts.evidence_type === 'quarantine' && facts.hold === 'quarantined'
            ? 'QUARANTINED'
            : facts.evidence_type === 'illegitimate' && facts.hold === 'illegitimate'
              ? 'ILLEGITIMATE'
              : null;
    const index = facts.evidence_idx;
    const { leaf, hashes } = await this.tree.inclusion(index, checkpoint.size);
    const leafData = encodeLeaf({
      acceptedAtMs: facts.evidence_accepted_at!.getTime(),
      eventHash: facts.evidence_event_hash!,
      signature: facts.evidence_signature!,
    });
    // The entry's row must hash to the leaf the tree proves (else a row was changed: the tree is withheld).
    this.tree.checkLeafData(index, leafData, leaf);
    return {
      evidence: {
        index,
        leafData: bytesToBase64(leafData),
        leafHash: bytesToBase64(leaf),
        inclusionProof: { treeSize: checkpoint.size, hashes: hashes.map(bytesToBase64) },
        checkpoint: checkpoint.note,
      },
      evidenceFor: proves
        ? { reason: proves, eventType: facts.evidence_type!, details: evidenceDetails(proves, facts) }
        : { reason: null, eventType: facts.evidence_type! },
    };
  }

  /**
   * The package's facts, from a standby when `READ_FROM=replica` (fresh within the bound, ReadDatabase) and the
   * unit there is the primary's current version (its latest event and its lot's recall), asked of the primary after
   * the request arrived: an event about the unit or a recall of its lot acknowledged before the request, by this
   * requester or another, is never missed, and clone detection is as sound as on the primary. What may lag, by at
   * most the bound: the product and party details (PROTOCOL.md §8.5).
   */
  private async facts(gtin: string, code: string, treeSize: number): Promise<PackageFacts> {
    if (!this.reads.standbys) return this.repository.facts(gtin, code, treeSize);
    const current = this.repository.unitVersion(code);
    // Awaited only when a standby answered; otherwise the primary's own read reports an outage.
    current.catch(() => undefined);
    return this.reads.read(
      (sql) => this.repository.facts(gtin, code, treeSize, sql),
      async (facts) => {
        const unit = await current;
        return unit === null
          ? facts.code === null
          : facts.last_idx === unit.last_idx && (facts.recalled ?? false) === unit.recalled;
      },
    );
  }

  /** The manufacturer that registered the GTIN: the responder for it. */
  responderOf(gtin: string): Promise<string | undefined> {
    return this.repository.manufacturerOf(gtin);
  }

  /** Alerts, after this process's records queued so far are written (its own latest answers are among them). */
  async suspicious(manufacturer: string | null, limit: number, offset: number) {
    await this.recorder.flushed();
    return this.repository.suspicious(manufacturer, limit, offset);
  }
}

/** What the proving entry says about its reason (PROTOCOL.md §8.4), from its signed event's body. */
function evidenceDetails(proves: EvidenceReason, facts: PackageFacts): EvidenceDetails {
  const details: EvidenceDetails = { acceptedAt: facts.evidence_accepted_at!.toISOString() };
  if (proves === 'ALREADY_DISPENSED') return details;
  details.by = { gln: facts.evidence_actor!, name: facts.evidence_actor_name };
  const body = facts.evidence_body ?? {};
  // An illegitimate report says why in its description; a recall or quarantine in its reason.
  const said = proves === 'ILLEGITIMATE' ? ((body.report ?? {}) as Record<string, unknown>) : body;
  const reason = proves === 'ILLEGITIMATE' ? said.description : said.reason;
  if (typeof reason === 'string') details.reason = reason;
  if (typeof said.classification === 'string') details.classification = said.classification;
  return details;
}
