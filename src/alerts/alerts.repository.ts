import { Injectable } from '@nestjs/common';
import Cursor from 'pg-cursor';
import { Database, Sql } from '../database/database';
import { asDatabaseUnavailable, isDatabaseUnavailable } from '../database/database-unavailable';
import { ALERT_KINDS, AlertAction, AlertKind, AlertState, STATE_CHANGES } from './alert-rules';

/** Whose scans the caller may see: every party's (a regulator), else its own and, for a manufacturer, its products'. */
export interface AlertViewer {
  /** null: every verification (a regulator). */
  requester: string | null;
  /** The manufacturer whose products' verifications the caller also sees, if it is one. */
  manufacturer: string | null;
}

/** Filters, each optional; `severityKinds`/`recallClasses` come from `severityFilter` (alert-rules). */
export interface AlertFilter {
  kind?: AlertKind;
  code?: string;
  gtin?: string;
  lot?: string;
  party?: string;
  from?: string;
  to?: string;
  severity?: { kinds: string[]; recallClasses: string[] };
  state?: AlertState;
}

/** Where the previous page ended: its last alert's first scan (microseconds, UTC), kind and unit. */
export interface AlertCursor {
  firstSeen: string;
  kind: AlertKind;
  code: string;
}

export interface AlertRow {
  kind: AlertKind;
  code: string;
  gtin: string;
  count: number;
  first_at: Date;
  last_at: Date;
  /** The exact first scan time, the cursor's key (to the microsecond, UTC). */
  first_key: string;
  requesters: string[];
  printed_lot: string | null;
  lot: string | null;
  manufacturer: string | null;
  recall_class: string;
  state: AlertState;
  assignee: string | null;
  acted_at: Date | null;
}

export interface AlertActionRow {
  id: number;
  action: AlertAction;
  at: Date;
  actor_gln: string;
  actor_name: string | null;
  actor_role: string;
  actor_person: string | null;
  actor_person_name: string | null;
  assignee: string | null;
  note: string | null;
}

export interface AlertScanRow {
  id: string;
  at: Date;
  requester: string;
  requester_name: string | null;
  channel: string;
  asked: Record<string, string> | null;
  reasons: string[];
}

/** Who took an action. */
export interface AlertActor {
  gln: string;
  role: string;
  token: string | null;
  person: string | null;
  personName: string | null;
}

// A verification's alert kind: the first of its reasons in ALERT_KINDS' order ($1 is ALERT_KINDS): one CASE, no
// subquery per row.
const KIND_OF_ROW = `CASE ${ALERT_KINDS.map((_, i) => `WHEN ($1::text[])[${i + 1}] = ANY (v.reasons) THEN ($1::text[])[${i + 1}]`).join(' ')} END`;
// The caller may see the verification ($2 requester, $3 manufacturer; $2 null: all).
const VISIBLE = `($2::text IS NULL OR v.requester = $2::text
  OR v.gtin IN (SELECT p.gtin FROM product p WHERE p.manufacturer = $3::text))`;

/**
 * The alerts the viewer sees, filtered, newest first (by first scan), one page after the cursor. An alert groups the
 * suspicious verifications of one unit filed under one kind; its state is the one its latest state-changing action
 * left (STATE_CHANGES: $14 actions, $15 states), open when it has none. Grouped at read time from the append-only
 * verification records: nothing is stored per alert but its actions. `$19` null: every row (the CSV export).
 */
const LIST = `
WITH v AS (
  SELECT v.at, v.requester::text AS requester, v.code, v.gtin::text AS gtin,
         v.answer -> 'asked' ->> 'lot' AS printed_lot, ${KIND_OF_ROW} AS kind
    FROM verification v
   WHERE v.suspicious AND v.code IS NOT NULL AND ${VISIBLE}
     AND ($5::text IS NULL OR v.gtin = $5::text)
     AND ($6::text IS NULL OR v.code = $6::text)
),
g AS (
  SELECT v.kind, v.code, min(v.gtin) AS gtin, count(*)::int AS count, min(v.at) AS first_at, max(v.at) AS last_at,
         array_agg(DISTINCT v.requester ORDER BY v.requester) AS requesters,
         (array_agg(v.printed_lot ORDER BY v.at DESC))[1] AS printed_lot,
         bool_or(v.at >= coalesce($9::timestamptz, '-infinity') AND v.at < coalesce($10::timestamptz, 'infinity'))
           AS in_window
    FROM v
   WHERE v.kind IS NOT NULL AND ($4::text IS NULL OR v.kind = $4::text)
   GROUP BY v.kind, v.code
),
s AS (
  SELECT x.alert_code, x.alert_kind,
         (array_agg(x.action ORDER BY x.id DESC) FILTER (WHERE x.action = ANY ($14::text[])))[1] AS state_action,
         (array_agg(x.assignee ORDER BY x.id DESC) FILTER (WHERE x.action = 'assign'))[1] AS assignee,
         max(x.at) AS acted_at
    FROM alert_action x
   WHERE ($6::text IS NULL OR x.alert_code = $6::text)
   GROUP BY x.alert_code, x.alert_kind
),
a AS (
  SELECT g.kind, g.code, g.gtin, g.count, g.first_at, g.last_at, g.requesters, g.printed_lot,
         i.lot, p.manufacturer::text AS manufacturer,
         CASE WHEN l.recall ->> 'classification' IN ('I', 'II', 'III') THEN l.recall ->> 'classification' ELSE ''
         END AS recall_class,
         coalesce(($15::text[])[array_position($14::text[], s.state_action)], 'open') AS state,
         s.assignee, s.acted_at
    FROM g
    LEFT JOIN s ON s.alert_code = g.code AND s.alert_kind = g.kind
    LEFT JOIN item i ON i.code = g.code
    LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
    LEFT JOIN product p ON p.gtin = g.gtin
   WHERE g.in_window
     AND ($7::text IS NULL OR $7::text = ANY (g.requesters) OR p.manufacturer = $7::text)
     AND ($8::text IS NULL OR i.lot = $8::text OR g.printed_lot = $8::text)
)
SELECT a.*, to_char(a.first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_key
  FROM a
 WHERE ($11::text[] IS NULL OR a.kind = ANY ($11::text[]) OR (a.kind = 'RECALLED' AND a.recall_class = ANY ($12::text[])))
   AND ($13::text IS NULL OR a.state = $13::text)
   AND (a.first_at, a.kind, a.code) < ($16::timestamptz, $17::text, $18::text)
 ORDER BY a.first_at DESC, a.kind DESC, a.code DESC
 LIMIT $19`;

/**
 * The same list for a regulator, who sees every scan: the alerts are rows of `alert_unit` (one per unit and kind,
 * written when its first suspicious verification is recorded), walked in the list's order from the cursor on, each
 * with its scans' count, times, parties and printed lot read from that unit's verifications; so a page costs its own
 * alerts (and those a filter skips), not a grouping of every verification. The columns and parameters are LIST's
 * ($2 and $3 are null: every scan is visible).
 */
const LIST_ALL = `
SELECT u.kind, u.code, u.gtin, g.count, g.first_at, g.last_at, g.requesters, g.printed_lot,
       i.lot, p.manufacturer::text AS manufacturer,
       CASE WHEN l.recall ->> 'classification' IN ('I', 'II', 'III') THEN l.recall ->> 'classification' ELSE ''
       END AS recall_class,
       coalesce(($15::text[])[array_position($14::text[], s.state_action)], 'open') AS state,
       s.assignee, s.acted_at,
       to_char(u.first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_key
  FROM alert_unit u
 CROSS JOIN LATERAL (
   SELECT count(*)::int AS count, min(v.at) AS first_at, max(v.at) AS last_at,
          array_agg(DISTINCT v.requester::text ORDER BY v.requester::text) AS requesters,
          (array_agg(v.answer -> 'asked' ->> 'lot' ORDER BY v.at DESC))[1] AS printed_lot,
          bool_or(v.at >= coalesce($9::timestamptz, '-infinity') AND v.at < coalesce($10::timestamptz, 'infinity'))
            AS in_window
     FROM verification v
    WHERE v.suspicious AND v.code = u.code AND ${KIND_OF_ROW} = u.kind
 ) g
  LEFT JOIN LATERAL (
   SELECT (array_agg(x.action ORDER BY x.id DESC) FILTER (WHERE x.action = ANY ($14::text[])))[1] AS state_action,
          (array_agg(x.assignee ORDER BY x.id DESC) FILTER (WHERE x.action = 'assign'))[1] AS assignee,
          max(x.at) AS acted_at
     FROM alert_action x
    WHERE x.alert_code = u.code AND x.alert_kind = u.kind
 ) s ON true
  LEFT JOIN item i ON i.code = u.code
  LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
  LEFT JOIN product p ON p.gtin = u.gtin
 WHERE $2::text IS NULL AND $3::text IS NULL AND g.count > 0 AND g.in_window
   AND ($4::text IS NULL OR u.kind = $4::text)
   AND ($5::text IS NULL OR u.gtin = $5::text)
   AND ($6::text IS NULL OR u.code = $6::text)
   AND ($7::text IS NULL OR $7::text = ANY (g.requesters) OR p.manufacturer = $7::text)
   AND ($8::text IS NULL OR i.lot = $8::text OR g.printed_lot = $8::text)
   AND ($11::text[] IS NULL OR u.kind = ANY ($11::text[])
        OR (u.kind = 'RECALLED' AND (CASE WHEN l.recall ->> 'classification' IN ('I', 'II', 'III')
                                          THEN l.recall ->> 'classification' ELSE '' END) = ANY ($12::text[])))
   AND ($13::text IS NULL OR coalesce(($15::text[])[array_position($14::text[], s.state_action)], 'open') = $13::text)
   AND (u.first_at, u.kind, u.code) < ($16::timestamptz, $17::text, $18::text)
 ORDER BY u.first_at DESC, u.kind DESC, u.code DESC
 LIMIT $19`;

/** The regulator's list when every scan is visible, else the grouping of the caller's own. */
const listSql = (viewer: AlertViewer) => (viewer.requester === null ? LIST_ALL : LIST);

function listParameters(
  viewer: AlertViewer,
  filter: AlertFilter,
  after: AlertCursor | null,
  limit: number | null,
): unknown[] {
  return [
    ALERT_KINDS,
    viewer.requester,
    viewer.manufacturer,
    filter.kind ?? null,
    filter.gtin ?? null,
    filter.code ?? null,
    filter.party ?? null,
    filter.lot ?? null,
    filter.from ?? null,
    filter.to ?? null,
    filter.severity?.kinds ?? null,
    filter.severity?.recallClasses ?? [],
    filter.state ?? null,
    STATE_CHANGES.map((c) => c.action),
    STATE_CHANGES.map((c) => c.to),
    // No cursor: from the top (every first scan is before 'infinity'). Never null, so that the plan is always the
    // index range the cursor starts, whatever the parameters of the statement's earlier runs.
    after?.firstSeen ?? 'infinity',
    after?.kind ?? '',
    after?.code ?? '',
    limit,
  ];
}

/** SQL on alerts: read from the verification records, triage actions appended to `alert_action`. */
@Injectable()
export class AlertsRepository {
  constructor(readonly db: Database) {}

  async list(
    viewer: AlertViewer,
    filter: AlertFilter,
    after: AlertCursor | null,
    limit: number,
    sql: Sql = this.db,
  ): Promise<AlertRow[]> {
    return sql.query<AlertRow>(listSql(viewer), listParameters(viewer, filter, after, limit));
  }

  /**
   * Every alert of the filtered list, in its order, `batch` rows at a time: one statement (one snapshot, one
   * grouping) read through a cursor on a connection of its own.
   */
  async *all(viewer: AlertViewer, filter: AlertFilter, batch: number): AsyncGenerator<AlertRow[]> {
    const client = await this.db.connect();
    let broken: Error | undefined;
    const cursor = client.query(new Cursor<AlertRow>(listSql(viewer), listParameters(viewer, filter, null, null)));
    try {
      for (;;) {
        const rows = await cursor.read(batch);
        if (rows.length > 0) yield rows;
        if (rows.length < batch) return;
      }
    } catch (error) {
      // A lost connection is dropped, not reused.
      if (isDatabaseUnavailable(error)) broken = error as Error;
      throw asDatabaseUnavailable(error);
    } finally {
      await cursor.close().catch(() => undefined);
      client.release(broken);
    }
  }

  /** The alert's actions, oldest first. */
  async history(kind: AlertKind, code: string, sql: Sql = this.db): Promise<AlertActionRow[]> {
    return sql.query<AlertActionRow>(
      `SELECT x.id, x.action, x.at, x.actor_gln, pa.name AS actor_name, x.actor_role, x.actor_person,
              x.actor_person_name, x.assignee, x.note
         FROM alert_action x LEFT JOIN party pa ON pa.gln = x.actor_gln
        WHERE x.alert_code = $1 AND x.alert_kind = $2
        ORDER BY x.id`,
      [code, kind],
    );
  }

  /** The alert's latest scans the viewer sees, newest first. */
  async scans(viewer: AlertViewer, kind: AlertKind, code: string, limit: number): Promise<AlertScanRow[]> {
    return this.db.query<AlertScanRow>(
      `SELECT v.id, v.at, v.requester::text AS requester, pr.name AS requester_name, v.channel,
              v.answer -> 'asked' AS asked, v.reasons
         FROM verification v LEFT JOIN party pr ON pr.gln = v.requester
        WHERE v.suspicious AND v.code = $4 AND ${VISIBLE} AND ${KIND_OF_ROW} = $5
        ORDER BY v.at DESC LIMIT $6`,
      [ALERT_KINDS, viewer.requester, viewer.manufacturer, code, kind, limit],
    );
  }

  /**
   * Runs `work` holding the alert's lock (one transaction): two actions on one alert are judged one after the other,
   * each against the state the other left.
   */
  async locked<T>(kind: AlertKind, code: string, work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`alert\n${kind}\n${code}`]);
      return work(tx);
    });
  }

  async append(
    sql: Sql,
    kind: AlertKind,
    code: string,
    action: AlertAction,
    actor: AlertActor,
    values: { assignee?: string; note?: string },
  ): Promise<void> {
    await sql.query(
      `INSERT INTO alert_action (alert_kind, alert_code, action, at, actor_gln, actor_role, actor_token, actor_person,
                                 actor_person_name, assignee, note)
       VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6, $7, $8, $9, $10)`,
      [
        kind,
        code,
        action,
        actor.gln,
        actor.role,
        actor.token,
        actor.person,
        actor.personName,
        values.assignee ?? null,
        values.note ?? null,
      ],
    );
  }
}
