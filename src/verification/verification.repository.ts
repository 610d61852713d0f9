import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database';

export interface VerificationRecord {
  id: string;
  at: Date;
  requester: string;
  /** The person who asked, when one did in a session (PROTOCOL.md §3.4); null for a token. */
  personId?: string | null;
  channel: 'lightweight' | 'rich';
  code: string | null;
  gtin: string | null;
  request: Record<string, unknown>;
  /** Releases a saleable return (PROTOCOL.md §8.3): a clean answer to a complete request. */
  verified: boolean;
  reasons: string[];
  suspicious: boolean;
  answer: unknown;
}

export interface PackageFacts {
  gtin_known: boolean;
  manufacturer: string | null;
  manufacturer_name: string | null;
  product_name: string | null;
  ndc: string | null;
  /** The GS1 company prefix the manufacturer holds for this GTIN (an NDC labeler's is `03` + its labeler code). */
  company_prefix: string | null;
  strength: string | null;
  dosage_form: string | null;
  container_size: string | null;
  code: string | null;
  lot: string | null;
  expiry_code: string | null;
  expiry: string | null;
  status: 'active' | 'in_transit' | 'dispensed' | 'decommissioned' | 'destroyed' | null;
  hold: 'quarantined' | 'illegitimate' | null;
  custodian: string | null;
  custodian_name: string | null;
  in_transit_to: string | null;
  recalled: boolean | null;
  transfers: number | null;
  return_pending: boolean | null;
  last_idx: number | null;
  last_at: Date | null;
  /**
   * The entry the evidence proves, inside the given tree size: the unit's dispense when it was dispensed, else its
   * lot's recall when the lot is recalled, else its latest quarantine or illegitimate event when it is on hold, else
   * the unit's latest event (PROTOCOL.md §8.4).
   */
  evidence_idx: number | null;
  /** That entry's event type (`dispense`, `recall`, or the type of the unit's latest event). */
  evidence_type: string | null;
  /** Who signed that entry (the recalling manufacturer, the party that placed the hold, …) and its name. */
  evidence_actor: string | null;
  evidence_actor_name: string | null;
  /** That entry's body when it is a recall, quarantine or illegitimate event (its reason, class or report). */
  evidence_body: Record<string, unknown> | null;
  evidence_accepted_at: Date | null;
  evidence_event_hash: Buffer | null;
  evidence_signature: Buffer | null;
  evidence_leaf_hash: Buffer | null;
}

/** SQL on verification records (append-only) and the read model reads verification needs. */
@Injectable()
export class VerificationRepository {
  constructor(private readonly db: Database) {}

  /**
   * Everything the verdict needs about one package, in one round trip: the product, the unit, its lot's recall
   * state, who holds it (or where it is going) and when its last event was accepted.
   */
  async facts(gtin: string, code: string, treeSize: number, sql: Sql = this.db): Promise<PackageFacts> {
    const [row] = await sql.query<PackageFacts>(
      `SELECT p.gtin IS NOT NULL AS gtin_known, p.manufacturer, mp.name AS manufacturer_name, p.name AS product_name,
              p.ndc, p.strength, p.dosage_form, p.container_size,
              (SELECT c.prefix FROM company_prefix c
                WHERE c.gln = p.manufacturer AND substr(q.gtin, 2, length(c.prefix)) = c.prefix
                ORDER BY length(c.prefix) DESC LIMIT 1) AS company_prefix,
              i.code, i.lot, i.expiry_code, to_char(i.expiry, 'YYYY-MM-DD') AS expiry, i.status, i.hold, i.custodian,
              cp.name AS custodian_name, s.recipient AS in_transit_to, l.recalled, i.transfers, i.return_pending,
              i.last_idx, e.accepted_at AS last_at, ev.idx AS evidence_idx, ev.accepted_at AS evidence_accepted_at,
              ev.event_hash AS evidence_event_hash, ev.signature AS evidence_signature, ev.leaf_hash AS evidence_leaf_hash,
              ev.event_type AS evidence_type, ev.actor AS evidence_actor, ea.name AS evidence_actor_name,
              CASE WHEN ev.event_type IN ('recall', 'quarantine', 'illegitimate') THEN ev.event_json::jsonb -> 'body'
              END AS evidence_body
         FROM (SELECT $1::text AS gtin, $2::text AS code) q
         LEFT JOIN product p ON p.gtin = q.gtin
         LEFT JOIN party mp ON mp.gln = p.manufacturer
         LEFT JOIN item i ON i.code = q.code
         LEFT JOIN party cp ON cp.gln = i.custodian
         LEFT JOIN shipment s ON s.id = i.shipment
         LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
         LEFT JOIN log_entry e ON e.idx = i.last_idx
         LEFT JOIN log_entry ev ON ev.idx = CASE
                WHEN i.status = 'dispensed' THEN
                  (SELECT max(h) FROM unnest(i.history) h JOIN log_entry d ON d.idx = h
                    WHERE h < $3 AND d.event_type = 'dispense')
                WHEN l.recalled THEN CASE WHEN l.recall_idx < $3 THEN l.recall_idx END
                WHEN i.hold IS NOT NULL THEN
                  (SELECT max(h) FROM unnest(i.history) h JOIN log_entry d ON d.idx = h
                    WHERE h < $3 AND d.event_type IN ('quarantine', 'illegitimate'))
                ELSE (SELECT max(h) FROM unnest(i.history) h WHERE h < $3)
              END
         LEFT JOIN party ea ON ea.gln = ev.actor`,
      [gtin, code, treeSize],
    );
    return row;
  }

  /**
   * What of the unit decides a verdict and changes with events, read on the primary (null: no such unit): the index of
   * its latest event (every event about a unit sets `last_idx`) and its lot's recall. A standby's facts with the same
   * values judge the unit as the primary would now.
   */
  async unitVersion(code: string): Promise<{ last_idx: number; recalled: boolean } | null> {
    const [row] = await this.db.query<{ last_idx: number; recalled: boolean }>(
      `SELECT i.last_idx, coalesce(l.recalled, false) AS recalled
         FROM item i LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
        WHERE i.code = $1`,
      [code],
    );
    return row ?? null;
  }

  /** The manufacturer that registered the GTIN, if any. */
  async manufacturerOf(gtin: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ manufacturer: string }>('SELECT manufacturer FROM product WHERE gtin = $1', [
      gtin,
    ]);
    return row?.manufacturer;
  }

  /** Suspicious verifications of products made by `manufacturer` (all of them when null: regulators). */
  async suspicious(manufacturer: string | null, limit: number, offset: number): Promise<VerificationRecord[]> {
    return this.db.query<VerificationRecord>(
      `SELECT v.* FROM verification v
        WHERE v.suspicious AND ($1::text IS NULL OR v.gtin IN (SELECT gtin FROM product WHERE manufacturer = $1))
        ORDER BY v.at DESC LIMIT $2 OFFSET $3`,
      [manufacturer, limit, offset],
    );
  }

  /** Verifications of these units that release a saleable return, by any requester (the rule decides which count). */
  async cleanVerifications(sql: Sql, codes: string[]): Promise<{ code: string; requester: string; at: Date }[]> {
    if (codes.length === 0) return [];
    return sql.query(
      `SELECT v.code, v.requester, v.at FROM verification v
        WHERE v.code = ANY($1::text[]) AND v.verified`,
      [codes],
    );
  }

  /**
   * Appends records in one statement, one round trip, without waiting for the WAL flush (see VerificationRecorder):
   * `set_config(…, true)` sets synchronous_commit for the statement's own (implicit) transaction only, and a commit
   * uses the value in force when it is written.
   */
  async append(records: VerificationRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.query(
      `INSERT INTO verification (id, at, requester, channel, code, gtin, request, verified, reasons, suspicious, answer,
                                 person_id)
       SELECT id, at, requester, channel, code, gtin, request, verified, reasons::text[], suspicious, answer, person_id
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                     $8::boolean[], $9::text[], $10::boolean[], $11::jsonb[], $12::uuid[])
              AS t(id, at, requester, channel, code, gtin, request, verified, reasons, suspicious, answer, person_id)
        CROSS JOIN (SELECT set_config('synchronous_commit', 'off', true)) AS commit_without_flush`,
      [
        records.map((r) => r.id),
        records.map((r) => r.at),
        records.map((r) => r.requester),
        records.map((r) => r.channel),
        records.map((r) => r.code),
        records.map((r) => r.gtin),
        records.map((r) => JSON.stringify(r.request)),
        records.map((r) => r.verified),
        records.map((r) => `{${r.reasons.join(',')}}`),
        records.map((r) => r.suspicious),
        records.map((r) => JSON.stringify(r.answer)),
        records.map((r) => r.personId ?? null),
      ],
    );
  }
}
