import { Injectable } from '@nestjs/common';
import { PoolClient, QueryResultRow } from 'pg';
import Cursor from 'pg-cursor';
import { Database } from '../database/database';
import { ReportScope } from '../protocol/bundle';
import { REGISTRY_EVENT_TYPES } from '../protocol/registry';
import { ReportFormat } from './report-scope';

/** Who reads: a party sees its own history (see ReportSnapshot.keepHeldBy); `everyone` is a regulator. */
export interface Viewer {
  gln: string;
  everyone: boolean;
}

export interface SnapshotCheckpoint {
  size: number;
  rootHash: Buffer;
  note: string;
}

/** Events chosen by a scope: how many lie inside the checkpoint, and how many newer ones were left out. */
export interface EventCount {
  events: number;
  excluded: number;
}

/**
 * A logged event as the bundle and EPCIS writers stream it: `event_json` is its RFC 8785 text, as signed, or null when
 * it is withheld from the viewer (see ReportSnapshot.withholdFrom); the event hash and type are what is left of it.
 */
export type EventRow = [
  idx: number,
  acceptedAt: string,
  eventJson: string | null,
  signature: Buffer,
  eventHash: Buffer,
  eventType: string,
];

/** Per-event facts the CSV, PDF and EPCIS writers need, from the log and the read model (rpt_event_info). */
export interface EventInfo {
  idx: number;
  units: number;
  /** The event does not name the viewer: only its type, index and acceptance time are filled in. */
  withheld: boolean;
  event_type: string;
  actor: string;
  actor_name: string | null;
  event_time: string;
  accepted_at: string;
  shipment_id: string | null;
  shipment_reason: 'sale' | 'return' | null;
  seller_gln: string | null;
  seller_name: string | null;
  seller_address: string | null;
  buyer_gln: string | null;
  buyer_name: string | null;
  buyer_address: string | null;
  transaction_date: string | null;
  shipment_date: string | null;
  purchase_order: string | null;
  invoice: string | null;
  ship_idx: number | null;
  receive_idx: number | null;
  received_at: string | null;
  discrepancy: { missing: string[]; extra: string[] } | null;
  /** The reason, classification or recipient an event states, for the timeline. */
  note: string | null;
}

export interface UnitLine {
  code: string;
  gtin: string;
  serial: string;
  lot: string;
  expiry: string;
  /** Log indexes of its events in the report, in log order. */
  history: number[];
}

export interface ProductLine {
  gtin: string;
  name: string;
  strength: string;
  dosage_form: string;
  container_size: string;
  ndc: string | null;
}

export interface ScopeProduct {
  gtin: string;
  name: string;
  strength: string;
  dosage_form: string;
  container_size: string;
  ndc: string | null;
  manufacturer: string;
  manufacturer_name: string | null;
  manufacturer_address: string | null;
  lot: string;
  expiry_code: string;
  expiry: string;
  recalled: boolean;
  recall: Record<string, unknown> | null;
  units: number;
}

export interface ScopeStatusLine {
  status: string;
  hold: string | null;
  /** Null: another party than the viewer. */
  custodian: string | null;
  custodian_name: string | null;
  units: number;
}

export interface ScopeAlert {
  opened_idx: number;
  seq: number;
  kind: string;
  status: 'open' | 'closed';
  gtin: string | null;
  lot: string | null;
  item_count: number;
  parties: string[];
  details: Record<string, unknown>;
  /** Names of the parties the details mention (by, shipper, recipient), by GLN. */
  names: Record<string, string> | null;
  opened_at: string;
  closed_idx: number | null;
  closed_at: string | null;
}

export interface SuspiciousVerification {
  at: string;
  requester: string;
  requester_name: string | null;
  code: string | null;
  gtin: string | null;
  reasons: string[];
}

export interface ExportRecord {
  id: string;
  exportedAt: Date;
  requester: string;
  requesterRole: string;
  scope: ReportScope;
  format: ReportFormat;
  checkpointSize: number;
  events: number;
  items: number;
  eventsExcluded: number;
}

/** UTC, millisecond precision: the form of `acceptedAt` in bundles (and of JavaScript's toISOString). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const postal = (address: string) =>
  `concat_ws(', ', ${address}->>'street', ${address}->>'city', ${address}->>'region', ${address}->>'postalCode', ${address}->>'country')`;

/** Event types whose body the timeline quotes (a reason, a classification, a shipment). */
const QUOTED_TYPES = [
  'ship',
  'receive',
  'pack',
  'unpack',
  'quarantine',
  'clear',
  'illegitimate',
  'decommission',
  'destroy',
  'recall',
  'recall-lift',
];

/**
 * The export log (append-only) and the door to a report's snapshot. SQL of the reports lives here and in
 * ReportSnapshot below: reports read across the log and the read model by design, as a regulator must see them.
 */
@Injectable()
export class ReportsRepository {
  constructor(private readonly db: Database) {}

  /** A REPEATABLE READ transaction on a connection of its own: every query of one export sees the same state. */
  async openSnapshot(): Promise<ReportSnapshot> {
    const client = await this.db.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      // The scope's units and events, and the alerts a PDF shows: kept in PostgreSQL, never in this process.
      await client.query('CREATE TEMP TABLE rpt_item (code text PRIMARY KEY) ON COMMIT DROP');
      await client.query(
        'CREATE TEMP TABLE rpt_event (idx bigint PRIMARY KEY, units integer NOT NULL DEFAULT 0) ON COMMIT DROP',
      );
      await client.query(
        'CREATE TEMP TABLE rpt_alert (opened_idx bigint, seq smallint, PRIMARY KEY (opened_idx, seq)) ON COMMIT DROP',
      );
      return new ReportSnapshot(client);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw error;
    }
  }

  /** Records an export as it starts (so an interrupted download is on record too). */
  async record(record: Omit<ExportRecord, 'exportedAt'>): Promise<Date> {
    const [row] = await this.db.query<{ exported_at: Date }>(
      `INSERT INTO report_export (id, requester, requester_role, scope, format, checkpoint_size, events, items,
                                  events_excluded)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING exported_at`,
      [
        record.id,
        record.requester,
        record.requesterRole,
        JSON.stringify(record.scope),
        record.format,
        record.checkpointSize,
        record.events,
        record.items,
        record.eventsExcluded,
      ],
    );
    return row.exported_at;
  }

  async list(requester: string | undefined, limit: number, offset: number): Promise<ExportRecord[]> {
    const rows = await this.db.query<{
      id: string;
      exported_at: Date;
      requester: string;
      requester_role: string;
      scope: ReportScope;
      format: ReportFormat;
      checkpoint_size: number;
      events: number;
      items: number;
      events_excluded: number;
    }>(
      `SELECT * FROM report_export WHERE ($1::text IS NULL OR requester = $1)
        ORDER BY exported_at DESC, id LIMIT $2 OFFSET $3`,
      [requester ?? null, limit, offset],
    );
    return rows.map((r) => ({
      id: r.id,
      exportedAt: r.exported_at,
      requester: r.requester,
      requesterRole: r.requester_role,
      scope: r.scope,
      format: r.format,
      checkpointSize: r.checkpoint_size,
      events: r.events,
      items: r.items,
      eventsExcluded: r.events_excluded,
    }));
  }
}

/**
 * One export's view of the database: a REPEATABLE READ snapshot with three temporary tables, `rpt_item` (the units
 * in scope), `rpt_event` (the log indexes in scope, inside the checkpoint) and `rpt_alert`. Scopes fill them;
 * writers stream from them through cursors. Only one query runs at a time on the connection: a writer reads its
 * small lists first, then drains one cursor after another.
 */
export class ReportSnapshot {
  private closed = false;

  constructor(private readonly client: PoolClient) {}

  close(): Promise<void> {
    return this.end('COMMIT');
  }

  /** After a failure: roll back and drop the connection if it misbehaves. */
  abort(): Promise<void> {
    return this.end('ROLLBACK');
  }

  private async end(statement: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.query(statement);
      this.client.release();
    } catch (error) {
      // The connection is in an unknown state: do not give it back to the pool.
      this.client.release(error as Error);
    }
  }

  private async query<T extends QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query<T>(text, params)).rows;
  }

  // ---- what exists ----

  async latestCheckpoint(): Promise<SnapshotCheckpoint | undefined> {
    const [row] = await this.query<{ tree_size: number; root_hash: Buffer; note: string }>(
      'SELECT tree_size, root_hash, note FROM checkpoint ORDER BY tree_size DESC LIMIT 1',
    );
    return row && { size: row.tree_size, rootHash: row.root_hash, note: row.note };
  }

  async unitExists(code: string): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM item WHERE code = $1 AND kind = 'unit'`, [code])).length > 0;
  }

  async lotExists(gtin: string, lot: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM lot WHERE gtin = $1 AND lot = $2', [gtin, lot])).length > 0;
  }

  async productExists(gtin: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM product WHERE gtin = $1', [gtin])).length > 0;
  }

  async partyExists(gln: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM party WHERE gln = $1', [gln])).length > 0;
  }

  async partyName(gln: string): Promise<string | null> {
    const [row] = await this.query<{ name: string }>('SELECT name FROM party WHERE gln = $1', [gln]);
    return row?.name ?? null;
  }

  /** True if `gln` ever appears in an event about a unit of `gtin` (or made the product). */
  async everNamedWithGtin(gln: string, gtin: string): Promise<boolean> {
    const rows = await this.query(
      `SELECT 1 FROM product WHERE gtin = $2 AND manufacturer = $1
       UNION ALL
       SELECT 1 FROM item i WHERE i.gtin = $2 AND i.kind = 'unit'
          AND (i.custodian = $1 OR EXISTS (SELECT 1 FROM unnest(i.history) h
                                            JOIN log_entry_party p ON p.gln = $1 AND p.idx = h))
       LIMIT 1`,
      [gln, gtin],
    );
    return rows.length > 0;
  }

  // ---- scopes: fill rpt_item and rpt_event ----

  /** The units of a serial or a lot. Returns how many. */
  async selectUnits(where: { code: string } | { gtin: string; lot: string }): Promise<number> {
    const [text, params] =
      'code' in where
        ? [`INSERT INTO rpt_item SELECT code FROM item WHERE code = $1 AND kind = 'unit'`, [where.code]]
        : [
            `INSERT INTO rpt_item SELECT code FROM item WHERE gtin = $1 AND lot = $2 AND kind = 'unit'`,
            [where.gtin, where.lot],
          ];
    return (await this.client.query(text, params)).rowCount ?? 0;
  }

  /**
   * Keeps only the units `gln` holds or held: it is their custodian, or named (log_entry_party) in an event of their
   * history — as the manufacturer that commissioned them, a shipper, a recipient, a receiver. Returns how many are
   * left.
   */
  async keepHeldBy(gln: string): Promise<number> {
    await this.client.query(
      `WITH scope_events AS (
         SELECT DISTINCT h FROM rpt_item r JOIN item i ON i.code = r.code CROSS JOIN LATERAL unnest(i.history) h
       ), mine AS (
         SELECT coalesce(array_agg(p.idx), '{}'::bigint[]) AS idxs
           FROM log_entry_party p JOIN scope_events s ON s.h = p.idx WHERE p.gln = $1
       )
       DELETE FROM rpt_item r USING item i, mine
        WHERE r.code = i.code AND i.custodian <> $1 AND NOT (i.history && mine.idxs)`,
      [gln],
    );
    await this.analyze('rpt_item');
    return this.count('rpt_item');
  }

  /**
   * The events of the selected units: the union of their histories (container events that moved them included).
   * Units with no event inside the checkpoint (commissioned after it) are dropped: the report is as of the checkpoint.
   */
  async selectHistories(treeSize: number): Promise<EventCount> {
    await this.analyze('rpt_item');
    const [row] = await this.query<{ events: number; excluded: number }>(
      `WITH counted AS (
         SELECT h AS idx, count(*)::int AS units
           FROM rpt_item r JOIN item i ON i.code = r.code CROSS JOIN LATERAL unnest(i.history) h
          GROUP BY h
       ), kept AS (
         INSERT INTO rpt_event (idx, units) SELECT idx, units FROM counted WHERE idx < $1
         ON CONFLICT (idx) DO UPDATE SET units = EXCLUDED.units
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM kept)::bigint AS events,
              (SELECT count(*) FROM counted WHERE idx >= $1)::bigint AS excluded`,
      [treeSize],
    );
    // The containment the units entered: a unit packed into a case already on a pallet is moved by the pallet's
    // later events, which the verifier can replay only with the pack that put the case on the pallet (and so on up).
    // Those packs act on no unit of the scope (PROTOCOL.md §9, containment context): carried, counted on no unit.
    // `chain` holds each container a unit was in, directly or not, with the span [at, until) it was: a container's
    // interval covering `at` is context (it was packed before), one starting inside the span acts on the unit.
    await this.client.query(
      `WITH RECURSIVE chain(container, at, until, context) AS (
         SELECT m.container, m.from_idx, coalesce(m.to_idx, $1), NULL::bigint
           FROM rpt_item r JOIN item_membership m ON m.code = r.code
          WHERE m.from_idx < $1
         UNION
         SELECT p.container, greatest(p.from_idx, c.at), least(coalesce(p.to_idx, $1), c.until),
                CASE WHEN p.from_idx < c.at THEN p.from_idx END
           FROM chain c JOIN item_membership p
             ON p.code = c.container AND p.from_idx < c.until AND coalesce(p.to_idx, $1) > c.at
       )
       INSERT INTO rpt_event (idx, units)
       SELECT DISTINCT context, 0 FROM chain WHERE context IS NOT NULL
       ON CONFLICT (idx) DO NOTHING`,
      [treeSize],
    );
    // Counted above as left out, their events; the units themselves did not exist yet as of the checkpoint.
    await this.client.query(
      `DELETE FROM rpt_item r USING item i
        WHERE r.code = i.code AND NOT EXISTS (SELECT 1 FROM unnest(i.history) h WHERE h < $1)`,
      [treeSize],
    );
    await this.analyze('rpt_item');
    await this.analyze('rpt_event');
    return row;
  }

  /**
   * Events about units of `gtin` whose event time lies in [from, to); with `namedGln`, only those naming that party.
   * Then the units those events touched.
   */
  async selectGtinWindow(gtin: string, from: string, to: string, treeSize: number, namedGln: string | null) {
    const [count] = await this.query<EventCount>(
      `WITH candidates AS (
         SELECT DISTINCT h AS idx FROM item i CROSS JOIN LATERAL unnest(i.history) h
          WHERE i.gtin = $1 AND i.kind = 'unit'
       ), in_window AS (
         SELECT c.idx FROM candidates c JOIN log_entry e ON e.idx = c.idx
          WHERE e.event_time >= $2 AND e.event_time < $3
            AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM log_entry_party p WHERE p.gln = $5 AND p.idx = c.idx))
       ), kept AS (
         INSERT INTO rpt_event (idx) SELECT idx FROM in_window WHERE idx < $4 RETURNING 1
       )
       SELECT (SELECT count(*) FROM kept)::bigint AS events,
              (SELECT count(*) FROM in_window WHERE idx >= $4)::bigint AS excluded`,
      [gtin, from, to, treeSize, namedGln],
    );
    await this.analyze('rpt_event');
    await this.client.query(
      `INSERT INTO rpt_item SELECT i.code FROM item i
        WHERE i.gtin = $1 AND i.kind = 'unit'
          AND EXISTS (SELECT 1 FROM unnest(i.history) h JOIN rpt_event r ON r.idx = h)`,
      [gtin],
    );
    await this.countUnitsPerEvent();
    return count;
  }

  /** Events naming `gln` whose event time lies in [from, to), then the units they touched. */
  async selectPartyWindow(gln: string, from: string, to: string, treeSize: number): Promise<EventCount> {
    const [count] = await this.query<EventCount>(
      `WITH in_window AS (
         SELECT p.idx FROM log_entry_party p JOIN log_entry e ON e.idx = p.idx
          WHERE p.gln = $1 AND e.event_time >= $2 AND e.event_time < $3
            -- The operator's statements about exports (docs/PROTOCOL.md §9) are no party's history.
            AND e.event_type <> 'export.statement'
       ), kept AS (
         INSERT INTO rpt_event (idx) SELECT idx FROM in_window WHERE idx < $4 RETURNING 1
       )
       SELECT (SELECT count(*) FROM kept)::bigint AS events,
              (SELECT count(*) FROM in_window WHERE idx >= $4)::bigint AS excluded`,
      [gln, from, to, treeSize],
    );
    await this.analyze('rpt_event');
    // No index leads from an event to the units it touched (one would slow every custody update); the scan skips
    // units whose last event is older than the window's first.
    await this.client.query(
      `INSERT INTO rpt_item SELECT i.code FROM item i
        WHERE i.kind = 'unit' AND i.last_idx >= (SELECT coalesce(min(idx), 9223372036854775807) FROM rpt_event)
          AND EXISTS (SELECT 1 FROM unnest(i.history) h JOIN rpt_event r ON r.idx = h)`,
    );
    await this.countUnitsPerEvent();
    return count;
  }

  /**
   * Open alerts the viewer sees (regulators: all; a party: those naming it, and recalls of lots it holds), with the
   * units they name (contents of named containers included) and the units of suspicious verifications it sees.
   * Returns how many alerts lie beyond the checkpoint (left out).
   */
  async selectOpenAlerts(viewer: Viewer, treeSize: number): Promise<number> {
    const [beyond] = await this.query<{ n: number }>(
      `WITH visible AS (
         SELECT a.opened_idx, a.seq FROM alert a
          WHERE a.status = 'open'
            AND ($1::text IS NULL OR a.parties @> ARRAY[$1::text]
                 OR (a.kind = 'recall' AND EXISTS (
                       SELECT 1 FROM item i WHERE i.gtin = a.gtin AND i.lot = a.lot AND i.custodian = $1
                                              AND i.status IN ('active', 'in_transit'))))
       ), kept AS (
         INSERT INTO rpt_alert (opened_idx, seq) SELECT opened_idx, seq FROM visible WHERE opened_idx < $2 RETURNING 1
       )
       SELECT (SELECT count(*) FROM visible WHERE opened_idx >= $2)::bigint AS n`,
      [viewer.everyone ? null : viewer.gln, treeSize],
    );
    await this.client.query(
      `WITH RECURSIVE listed AS (
         SELECT DISTINCT unnest(a.items) AS code
           FROM alert a JOIN rpt_alert r ON r.opened_idx = a.opened_idx AND r.seq = a.seq
       ), tree AS (
         SELECT code FROM listed
         UNION
         SELECT c.code FROM item c JOIN tree t ON c.parent = t.code
       )
       INSERT INTO rpt_item SELECT i.code FROM item i JOIN tree t ON t.code = i.code WHERE i.kind = 'unit'
       ON CONFLICT DO NOTHING`,
    );
    await this.client.query(
      `INSERT INTO rpt_item
       SELECT DISTINCT v.code FROM verification v JOIN item i ON i.code = v.code
        WHERE v.suspicious AND ${visibleVerification('v', '$1')}
       ON CONFLICT DO NOTHING`,
      [viewer.everyone ? null : viewer.gln],
    );
    return beyond.n;
  }

  /**
   * Adds the events about the products and lots of the selected units: the registration of each GTIN (its name,
   * strength, dosage form and container size: transaction information) and the recalls and recall lifts of their
   * lots. With `window`, only those whose event time lies in it and, for the GTIN `gtin` (time-window scope), those of
   * every lot; with `namedGln`, only those naming that party.
   */
  async selectProductEvents(
    treeSize: number,
    options: { gtin?: string; window?: { from: string; to: string }; namedGln?: string } = {},
  ): Promise<EventCount> {
    const [count] = await this.query<EventCount>(
      `WITH scope_lots AS (
         SELECT DISTINCT i.gtin::text AS gtin, i.lot FROM rpt_item r JOIN item i ON i.code = r.code
       ), recalls AS (
         SELECT e.idx, e.event_json::jsonb -> 'body' AS body FROM log_entry e
          WHERE e.event_type IN ('recall', 'recall-lift')
       ), candidates AS (
         SELECT p.registered_idx AS idx FROM product p
          WHERE p.gtin::text IN (SELECT gtin FROM scope_lots) OR p.gtin = $2
         UNION
         SELECT r.idx FROM recalls r
          WHERE r.body->>'gtin' = $2
             OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.body->'lots') l(lot)
                         JOIN scope_lots s ON s.gtin = r.body->>'gtin' AND s.lot = l.lot)
       ), chosen AS (
         SELECT c.idx FROM candidates c JOIN log_entry e ON e.idx = c.idx
          WHERE ($3::timestamptz IS NULL OR (e.event_time >= $3 AND e.event_time < $4))
            AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM log_entry_party p WHERE p.gln = $5 AND p.idx = c.idx))
       ), kept AS (
         INSERT INTO rpt_event (idx) SELECT idx FROM chosen WHERE idx < $1 ON CONFLICT DO NOTHING RETURNING 1
       )
       SELECT (SELECT count(*) FROM kept)::bigint AS events,
              (SELECT count(*) FROM chosen WHERE idx >= $1)::bigint AS excluded`,
      [
        treeSize,
        options.gtin ?? null,
        options.window?.from ?? null,
        options.window?.to ?? null,
        options.namedGln ?? null,
      ],
    );
    await this.analyze('rpt_event');
    return count;
  }

  /** Alerts about the units in scope (or their lots' recalls), as the viewer may see them: for the PDF. */
  async selectAlertsTouchingUnits(viewer: Viewer, treeSize: number): Promise<void> {
    await this.client.query(
      `INSERT INTO rpt_alert (opened_idx, seq)
       SELECT a.opened_idx, a.seq FROM alert a
        WHERE a.opened_idx < $2
          AND (EXISTS (SELECT 1 FROM unnest(a.items) c JOIN rpt_item r ON r.code = c)
               OR (a.kind = 'recall' AND (a.gtin, a.lot) IN (
                     SELECT DISTINCT i.gtin, i.lot FROM rpt_item r JOIN item i ON i.code = r.code)))
          AND ($1::text IS NULL OR a.parties @> ARRAY[$1::text] OR a.kind = 'recall')
       ON CONFLICT DO NOTHING`,
      [viewer.everyone ? null : viewer.gln, treeSize],
    );
  }

  private async countUnitsPerEvent(): Promise<void> {
    await this.analyze('rpt_item');
    await this.client.query(
      `UPDATE rpt_event SET units = c.units
         FROM (SELECT h, count(*)::int AS units
                 FROM rpt_item r JOIN item i ON i.code = r.code CROSS JOIN LATERAL unnest(i.history) h
                GROUP BY h) c
        WHERE rpt_event.idx = c.h`,
    );
  }

  async count(table: 'rpt_item' | 'rpt_event' | 'rpt_alert' | 'rpt_withheld'): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM ${table}`);
    return row.n;
  }

  /** Temporary tables get no statistics from autovacuum: without them the planner guesses badly. */
  private async analyze(table: 'rpt_item' | 'rpt_event' | 'rpt_alert' | 'rpt_withheld'): Promise<void> {
    await this.client.query(`ANALYZE ${table}`);
  }

  /**
   * Marks the events in scope whose bodies the viewer may not read (docs/PROTOCOL.md §1, §9): for a party, those
   * that do not name it. "The parties an event names" is log_entry_party, written at intake from each type's
   * namedParties, the one definition GET /v1/log/entries reads too (LogRepository.entryParties); regulators read
   * every event. Every format then carries only the type, index and leaf of a withheld event. Returns how many.
   */
  async withholdFrom(viewer: Viewer): Promise<number> {
    await this.client.query(
      `CREATE TEMP TABLE rpt_withheld ON COMMIT DROP AS
       SELECT r.idx FROM rpt_event r
        WHERE NOT $2 AND NOT EXISTS (SELECT 1 FROM log_entry_party p WHERE p.idx = r.idx AND p.gln = $1)`,
      [viewer.gln, viewer.everyone],
    );
    await this.client.query('ALTER TABLE rpt_withheld ADD PRIMARY KEY (idx)');
    await this.analyze('rpt_withheld');
    return this.count('rpt_withheld');
  }

  // ---- streams ----

  /** The events in scope, in log order; withheld ones without their text. Needs withholdFrom. */
  events(batch: BatchSize<EventRow>): AsyncGenerator<EventRow[]> {
    return this.stream<EventRow>(
      `SELECT e.idx, ${iso('e.accepted_at')}, CASE WHEN w.idx IS NULL THEN e.event_json END, e.signature,
              e.event_hash, e.event_type
         FROM rpt_event r JOIN log_entry e ON e.idx = r.idx LEFT JOIN rpt_withheld w ON w.idx = r.idx
        ORDER BY r.idx`,
      [],
      batch,
    );
  }

  /**
   * The whole registry inside the checkpoint: every registry event (party.register, key.add, key.revoke; §3), in log
   * order, whoever it is about and whatever the scope. A verifier can then replay every key's history to the
   * checkpoint, and the export statement's registry digest is the operator's word that no registry index below the
   * checkpoint is left out (docs/PROTOCOL.md §9), which anyone reading the log can check. Registry facts are public
   * (GET /v1/parties), and a list that does not depend on the events tells nothing about withheld ones.
   */
  registry(treeSize: number, batch: BatchSize<EventRow>): AsyncGenerator<EventRow[]> {
    return this.stream<EventRow>(
      `SELECT e.idx, ${iso('e.accepted_at')}, e.event_json, e.signature, e.event_hash, e.event_type
         FROM log_entry e
        WHERE e.event_type = ANY($1::text[]) AND e.idx < $2
        ORDER BY e.idx`,
      [[...REGISTRY_EVENT_TYPES], treeSize],
      batch,
    );
  }

  /**
   * The units in scope as JSON text `{"code":…,"history":[…]}`, ordered by code; each history holds the log
   * indexes of its events that the report carries (`complete`: all of them inside the checkpoint).
   */
  itemsJson(treeSize: number, complete: boolean, batch: number): AsyncGenerator<[string][]> {
    const kept = complete ? 'u.h < $1' : 'EXISTS (SELECT 1 FROM rpt_event r WHERE r.idx = u.h)';
    return this.stream<[string]>(
      `SELECT '{"code":' || to_json(i.code)::text || ',"history":'
              || array_to_json(ARRAY(SELECT u.h FROM unnest(i.history) WITH ORDINALITY u(h, n) WHERE ${kept}
                                     ORDER BY u.n))::text || '}'
         FROM rpt_item r JOIN item i ON i.code = r.code ORDER BY r.code`,
      complete ? [treeSize] : [],
      batch,
    );
  }

  /**
   * Fills rpt_event_info: per event in scope, what the CSV, PDF and EPCIS writers show; of a withheld event (see
   * withholdFrom) only its type, index and acceptance time. Needs withholdFrom.
   */
  async describeEvents(): Promise<void> {
    await this.client.query(
      `CREATE TEMP TABLE rpt_event_info ON COMMIT DROP AS
       SELECT r.idx, r.units, w.withheld, e.event_type, CASE WHEN NOT w.withheld THEN e.actor::text END AS actor,
              ap.name AS actor_name, CASE WHEN NOT w.withheld THEN ${iso('e.event_time')} END AS event_time,
              ${iso('e.accepted_at')} AS accepted_at,
              s.shipment_id, s.reason AS shipment_reason,
              s.shipper::text AS seller_gln, sp.name AS seller_name, ${postal('sp.address')} AS seller_address,
              s.recipient::text AS buyer_gln, rp.name AS buyer_name, ${postal('rp.address')} AS buyer_address,
              s.transaction->>'date' AS transaction_date, s.transaction->>'shipmentDate' AS shipment_date,
              s.transaction->>'purchaseOrder' AS purchase_order, s.transaction->>'invoice' AS invoice,
              s.ship_idx, s.receive_idx, ${iso('s.received_at')} AS received_at, s.discrepancy,
              coalesce(b.body->>'reason', b.body #>> '{report,classification}', b.body->>'parent') AS note
         FROM rpt_event r
         JOIN log_entry e ON e.idx = r.idx
         CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM rpt_withheld x WHERE x.idx = r.idx) AS withheld) w
         LEFT JOIN LATERAL (
           SELECT CASE WHEN e.event_type = ANY($1::text[]) AND NOT w.withheld THEN e.event_json::jsonb -> 'body' END
                  AS body
         ) b ON true
         LEFT JOIN shipment s ON NOT w.withheld AND s.id = CASE e.event_type
                                          WHEN 'ship' THEN e.actor::text || ':' || (b.body->>'shipmentId')
                                          WHEN 'receive' THEN (b.body->>'shipper') || ':' || (b.body->>'shipmentId')
                                        END
         LEFT JOIN party ap ON ap.gln = e.actor AND NOT w.withheld
         LEFT JOIN party sp ON sp.gln = s.shipper
         LEFT JOIN party rp ON rp.gln = s.recipient`,
      [QUOTED_TYPES],
    );
    await this.client.query('ALTER TABLE rpt_event_info ADD PRIMARY KEY (idx)');
    await this.client.query('ANALYZE rpt_event_info');
  }

  /**
   * The next `limit` units in scope after `after` (keyset pagination on the unit code, so that other queries can run
   * on this connection between pages), each with the log indexes of its events in the report, in log order.
   */
  async unitsPage(after: string, limit: number, treeSize: number, complete: boolean): Promise<UnitLine[]> {
    const kept = complete ? 'u.h < $3' : 'EXISTS (SELECT 1 FROM rpt_event r WHERE r.idx = u.h)';
    const rows = await this.query<Omit<UnitLine, 'history'> & { history: string }>(
      `SELECT r.code, i.gtin::text AS gtin, i.serial, i.lot, to_char(i.expiry, 'YYYY-MM-DD') AS expiry,
              array_to_string(ARRAY(SELECT u.h FROM unnest(i.history) WITH ORDINALITY u(h, n) WHERE ${kept}
                                    ORDER BY u.n), ',') AS history
         FROM rpt_item r JOIN item i ON i.code = r.code
        WHERE r.code > $1 ORDER BY r.code LIMIT $2`,
      complete ? [after, limit, treeSize] : [after, limit],
    );
    return rows.map((r) => ({ ...r, history: r.history === '' ? [] : r.history.split(',').map(Number) }));
  }

  /** Facts of these events in scope (see describeEvents). */
  async eventInfosOf(indexes: number[]): Promise<EventInfo[]> {
    return this.query<EventInfo>('SELECT * FROM rpt_event_info WHERE idx = ANY($1::bigint[])', [indexes]);
  }

  async productsOf(gtins: string[]): Promise<ProductLine[]> {
    return this.query<ProductLine>(
      `SELECT gtin::text AS gtin, name, strength, dosage_form, container_size, ndc FROM product WHERE gtin = ANY($1)`,
      [gtins],
    );
  }

  /** Events in scope with their facts, in log order. Needs describeEvents. */
  eventInfos(batch: number, types?: string[]): AsyncGenerator<EventInfo[]> {
    return this.stream<EventInfo>(
      `SELECT * FROM rpt_event_info WHERE ($1::text[] IS NULL OR event_type = ANY($1)) ORDER BY idx`,
      [types ?? null],
      batch,
      false,
    );
  }

  /** Every GS1 company prefix granted in the log (they are few): EPC URNs need their lengths. */
  async companyPrefixes(): Promise<string[]> {
    return (await this.query<{ prefix: string }>('SELECT prefix FROM company_prefix')).map((r) => r.prefix);
  }

  /** The transfers (ship events) in scope that the viewer may read, oldest first, at most `limit`, with how many there are in all. */
  async transfers(limit: number): Promise<{ rows: EventInfo[]; total: number }> {
    const rows = await this.query<EventInfo & { total: number }>(
      `SELECT *, count(*) OVER ()::bigint AS total FROM rpt_event_info WHERE event_type = 'ship' AND NOT withheld
        ORDER BY idx LIMIT $1`,
      [limit],
    );
    return { rows, total: rows[0]?.total ?? 0 };
  }

  /** Unit codes of one event that are in scope (EPCIS epcList), in code order. */
  async unitsOfEvent(idx: number): Promise<string[]> {
    const rows = await this.query<{ code: string }>(
      `SELECT r.code FROM rpt_item r JOIN item i ON i.code = r.code WHERE $1 = ANY(i.history) ORDER BY r.code`,
      [idx],
    );
    return rows.map((r) => r.code);
  }

  /** The products and lots of the units in scope, with unit counts (at most `limit` lines). */
  async products(limit: number): Promise<ScopeProduct[]> {
    return this.query<ScopeProduct>(
      `SELECT i.gtin, p.name, p.strength, p.dosage_form, p.container_size, p.ndc, p.manufacturer::text AS manufacturer,
              mp.name AS manufacturer_name, ${postal('mp.address')} AS manufacturer_address,
              i.lot, i.expiry_code, to_char(i.expiry, 'YYYY-MM-DD') AS expiry, coalesce(l.recalled, false) AS recalled,
              l.recall, count(*)::int AS units
         FROM rpt_item r
         JOIN item i ON i.code = r.code
         JOIN product p ON p.gtin = i.gtin
         LEFT JOIN party mp ON mp.gln = p.manufacturer
         LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
        GROUP BY i.gtin, p.name, p.strength, p.dosage_form, p.container_size, p.ndc, p.manufacturer, mp.name,
                 mp.address, i.lot, i.expiry_code, i.expiry, l.recalled, l.recall
        ORDER BY i.gtin, i.lot
        LIMIT $1`,
      [limit],
    );
  }

  /**
   * Where the units in scope are now (in this snapshot): by status, hold and custodian. A party sees itself named as
   * a custodian, never another party (who holds a unit now is what the events withheld from it would tell).
   */
  async status(limit: number, viewer: Viewer): Promise<ScopeStatusLine[]> {
    return this.query<ScopeStatusLine>(
      `WITH lines AS (
         SELECT i.status, i.hold,
                CASE WHEN $2::text IS NULL OR i.custodian = $2 THEN i.custodian::text END AS custodian
           FROM rpt_item r JOIN item i ON i.code = r.code
       )
       SELECT l.status, l.hold, l.custodian, cp.name AS custodian_name, count(*)::int AS units
         FROM lines l LEFT JOIN party cp ON cp.gln = l.custodian
        GROUP BY l.status, l.hold, l.custodian, cp.name
        ORDER BY units DESC, l.custodian LIMIT $1`,
      [limit, viewer.everyone ? null : viewer.gln],
    );
  }

  async alerts(limit: number): Promise<ScopeAlert[]> {
    return this.query<ScopeAlert>(
      `SELECT a.opened_idx, a.seq, a.kind, a.status, a.gtin::text AS gtin, a.lot, cardinality(a.items) AS item_count,
              a.parties, a.details, ${iso('a.opened_at')} AS opened_at, a.closed_idx,
              (SELECT jsonb_object_agg(pt.gln, pt.name) FROM party pt
                WHERE pt.gln::text IN (a.details->>'by', a.details->>'shipper', a.details->>'recipient')) AS names,
              ${iso('a.closed_at')} AS closed_at
         FROM rpt_alert r JOIN alert a ON a.opened_idx = r.opened_idx AND a.seq = r.seq
        ORDER BY a.opened_idx, a.seq LIMIT $1`,
      [limit],
    );
  }

  /**
   * Suspicious verifications the viewer sees: of the units in scope, or (`all`) every one it sees. A regulator sees
   * all; a manufacturer those of its products and its own; other parties their own.
   */
  async suspiciousVerifications(viewer: Viewer, all: boolean, limit: number): Promise<SuspiciousVerification[]> {
    return this.query<SuspiciousVerification>(
      `SELECT ${iso('v.at')} AS at, v.requester::text AS requester, rp.name AS requester_name, v.code,
              v.gtin::text AS gtin, v.reasons
         FROM verification v LEFT JOIN party rp ON rp.gln = v.requester
        WHERE v.suspicious AND ${visibleVerification('v', '$1')}
          AND ($2 OR EXISTS (SELECT 1 FROM rpt_item r WHERE r.code = v.code))
        ORDER BY v.at DESC LIMIT $3`,
      [viewer.everyone ? null : viewer.gln, all, limit],
    );
  }

  /**
   * Rows of a query through a cursor, `batch` rows at a time (or as many as `batch(previous)` says, to keep the
   * bytes of one batch bounded when rows vary from a hundred bytes to megabytes).
   */
  private async *stream<R>(text: string, params: unknown[], batch: BatchSize<R>, arrays = true): AsyncGenerator<R[]> {
    const cursor = this.client.query(new Cursor<R>(text, params, arrays ? { rowMode: 'array' } : {}));
    let size = typeof batch === 'number' ? batch : batch(undefined);
    try {
      for (;;) {
        const rows = await cursor.read(size);
        if (rows.length === 0) return;
        yield rows;
        if (rows.length < size) return;
        if (typeof batch !== 'number') size = batch(rows);
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }
}

/** A fixed number of rows per read, or a function of the previous batch (undefined before the first). */
export type BatchSize<R> = number | ((previous: R[] | undefined) => number);

function visibleVerification(v: string, party: string): string {
  return `(${party}::text IS NULL OR ${v}.requester = ${party}
           OR ${v}.gtin IN (SELECT gtin FROM product WHERE manufacturer = ${party}))`;
}
