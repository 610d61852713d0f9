import { Injectable, Logger } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Principal } from '../auth/principal';
import { ValidationError } from '../common/app-error';
import {
  ALERT_KINDS,
  alertId,
  AlertKind,
  alertSeverity,
  AlertState,
  mayTake,
  parseAlertId,
  serialOfCode,
  severityFilter,
  stateAfter,
  TRANSITIONS,
} from './alert-rules';
import { VerificationRecorder } from '../verification/verification-recorder';
import { AlertError } from './alerts.errors';
import { AlertCursor, AlertFilter, AlertRow, AlertsRepository, AlertViewer } from './alerts.repository';
import { AlertHistoryEntry, AlertView } from './alert-view';
import { AlertActionBody, AlertFilterQuery } from './dto/alerts.dto';

/** The CSV export's columns: the list's fields, in this order. */
export const CSV_COLUMNS: (keyof AlertView)[] = [
  'id',
  'kind',
  'severity',
  'gtin',
  'serial',
  'lot',
  'printedLot',
  'recallClass',
  'manufacturer',
  'parties',
  'count',
  'firstSeen',
  'lastSeen',
  'state',
  'assignee',
  'lastActionAt',
];

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const EXPORT_BATCH = 500;
const SCANS_SHOWN = 50;

/**
 * Verification alerts as a regulator triages them (issue 13 §4; docs/PROTOCOL.md §8.6): grouped per unit and kind,
 * with severity, state and history; a regulator sees every alert and acts on them, a party sees the alerts of its own
 * scans (a manufacturer also those of its products), read-only.
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);

  constructor(
    private readonly repository: AlertsRepository,
    private readonly modules: ModuleRef,
  ) {}

  /**
   * Waits until the verification records this server queued before now are written (when its recorder answers before
   * writing, PROTOCOL.md §8.2), so that an alert list read here includes every scan it answered.
   */
  private async recorded(): Promise<void> {
    const recorder = this.modules.get(VerificationRecorder, { strict: false }) as { flushed?: () => Promise<void> };
    await recorder.flushed?.();
  }

  async list(
    principal: Principal,
    query: AlertFilterQuery,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ alerts: AlertView[]; next: string | null }> {
    await this.recorded();
    const rows = await this.repository.list(
      viewerOf(principal),
      filterOf(query),
      cursor === undefined ? null : parseCursor(cursor),
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      alerts: page.map((row) => viewOf(row, principal)),
      next: rows.length > limit ? encodeCursor({ firstSeen: last.first_key, kind: last.kind, code: last.code }) : null,
    };
  }

  /** The alert, its latest scans and (regulators) its history; 404 when the caller sees no such alert. */
  async get(principal: Principal, id: string) {
    const { kind, code } = this.parseId(id);
    const viewer = viewerOf(principal);
    await this.recorded();
    const [row] = await this.repository.list(viewer, { kind, code }, null, 1);
    if (!row) throw notFound(id);
    const scans = await this.repository.scans(viewer, kind, code, SCANS_SHOWN);
    return {
      alert: viewOf(row, principal),
      scans: scans.map((s) => ({
        id: s.id,
        at: s.at.toISOString(),
        requester: { gln: s.requester, name: s.requester_name },
        channel: s.channel,
        asked: s.asked,
        reasons: s.reasons,
      })),
      ...(principal.role === 'regulator' ? { history: await this.history(kind, code) } : {}),
      actions: principal.role === 'regulator' ? allowedActions(row.state) : [],
    };
  }

  /**
   * Records one action, judged against the state the alert's earlier actions left (under the alert's lock), and
   * answers the alert as it now is. Refusals: ALERT_NOT_FOUND, ALERT_TRANSITION_REFUSED, VALIDATION_FAILED.
   */
  async act(principal: Principal, id: string, body: AlertActionBody) {
    const { kind, code } = this.parseId(id);
    if (body.assignee !== undefined && body.action !== 'assign') {
      throw new ValidationError([
        { field: 'assignee', rule: 'onlyWithAssign', message: 'assignee is given with the action assign only' },
      ]);
    }
    const [row] = await this.repository.list(viewerOf(principal), { kind, code }, null, 1);
    if (!row) throw notFound(id);
    await this.repository.locked(kind, code, async (sql) => {
      const history = await this.repository.history(kind, code, sql);
      const state = stateAfter(history.map((h) => h.action));
      if (!mayTake(body.action, state)) {
        const allowedFrom = TRANSITIONS[body.action].from;
        throw new AlertError(
          'ALERT_TRANSITION_REFUSED',
          `an alert that is ${state} cannot be ${pastOf(body.action)}: ${body.action} is taken on an alert that is ${allowedFrom.join(' or ')}`,
          { field: 'action', rule: 'allowedFrom', state, allowedFrom },
        );
      }
      if (body.action === 'assign') {
        const current = [...history].reverse().find((h) => h.action === 'assign')?.assignee ?? null;
        if (current === body.assignee) {
          throw new AlertError('ALERT_TRANSITION_REFUSED', `the alert is already assigned to ${current}`, {
            field: 'assignee',
            rule: 'changed',
            state,
            assignee: current,
          });
        }
      }
      await this.repository.append(
        sql,
        kind,
        code,
        body.action,
        {
          gln: principal.gln,
          role: principal.role,
          ...actorOf(principal),
        },
        { assignee: body.assignee, note: body.note },
      );
    });
    return this.get(principal, id);
  }

  /**
   * The filtered list as CSV, every alert of it, streamed (csv-stringify, formula-looking cells escaped): one query
   * read through a cursor, written as the client takes it. A failure before the first rows is a coded error; after
   * them, the response is cut short (the client sees an incomplete file) and the server logs why.
   */
  async exportCsv(principal: Principal, query: AlertFilterQuery, response: Response): Promise<void> {
    const filter = filterOf(query);
    await this.recorded();
    const batches = this.repository.all(viewerOf(principal), filter, EXPORT_BATCH);
    const first = await batches.next();
    const records = async function* () {
      const rows = (batch: AlertRow[]) =>
        batch.map((row) => {
          const view = viewOf(row, principal);
          return { ...view, parties: view.parties.join(' ') };
        });
      if (first.done) return;
      yield* rows(first.value);
      for await (const batch of batches) yield* rows(batch);
    };
    const stamp = new Date().toISOString().replace(/\.\d+/, '').replace(/[-:]/g, '');
    response.status(200);
    response.setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
    response.setHeader('Content-Disposition', `attachment; filename="rxledger-alerts-${stamp}.csv"`);
    response.setHeader('Cache-Control', 'no-store');
    try {
      await pipeline(
        Readable.from(records()),
        stringify({ header: true, columns: CSV_COLUMNS as string[], escape_formulas: true }),
        response,
      );
    } catch (error) {
      this.logger.warn(`alert CSV export cut short: ${(error as Error).message}`);
    } finally {
      await batches.return(undefined);
    }
  }

  private async history(kind: AlertKind, code: string) {
    return (await this.repository.history(kind, code)).map((h): AlertHistoryEntry => ({
      action: h.action,
      at: h.at.toISOString(),
      by: {
        gln: h.actor_gln,
        name: h.actor_name,
        role: h.actor_role,
        person: h.actor_person === null ? null : { id: h.actor_person, name: h.actor_person_name },
      },
      ...(h.assignee !== null ? { assignee: h.assignee } : {}),
      ...(h.note !== null ? { note: h.note } : {}),
    }));
  }

  private parseId(id: string): { kind: AlertKind; code: string } {
    const parsed = parseAlertId(id);
    if (!parsed) throw notFound(id);
    return parsed;
  }
}

/**
 * The token and the person behind the principal, when it carries them: a machine's API token, or a person signed in
 * (issue 13 §1: `person`, or `personId` in another shape), read without depending on either being there.
 */
function actorOf(principal: Principal): { token: string | null; person: string | null; personName: string | null } {
  const carried = principal as { tokenId?: string; personId?: string; person?: { id?: string; name?: string } };
  return {
    token: carried.tokenId ?? null,
    person: carried.person?.id ?? carried.personId ?? null,
    personName: carried.person?.name ?? null,
  };
}

function viewerOf(principal: Principal): AlertViewer {
  if (principal.role === 'regulator') return { requester: null, manufacturer: null };
  return { requester: principal.gln, manufacturer: principal.role === 'manufacturer' ? principal.gln : null };
}

function filterOf(query: AlertFilterQuery): AlertFilter {
  if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) >= Date.parse(query.to)) {
    throw new ValidationError([{ field: 'to', rule: 'after', message: 'to must be later than from' }]);
  }
  return {
    kind: query.kind,
    gtin: query.gtin,
    lot: query.lot,
    party: query.party,
    from: query.from,
    to: query.to,
    state: query.state,
    severity: query.severity ? severityFilter(query.severity) : undefined,
  };
}

function viewOf(row: AlertRow, principal: Principal): AlertView {
  const regulator = principal.role === 'regulator';
  return {
    id: alertId(row.kind, row.code),
    kind: row.kind,
    severity: alertSeverity(row.kind, row.recall_class || null),
    gtin: row.gtin,
    serial: serialOfCode(row.code),
    code: row.code,
    lot: row.lot,
    printedLot: row.printed_lot,
    recallClass: row.kind === 'RECALLED' && row.recall_class ? row.recall_class : null,
    manufacturer: row.manufacturer,
    parties: row.requesters,
    count: row.count,
    firstSeen: row.first_at.toISOString(),
    lastSeen: row.last_at.toISOString(),
    state: row.state,
    assignee: regulator ? row.assignee : null,
    lastActionAt: regulator && row.acted_at ? row.acted_at.toISOString() : null,
  };
}

function allowedActions(state: AlertState) {
  return (Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[]).filter((action) => mayTake(action, state));
}

const pastOf = (action: string) =>
  ({ acknowledge: 'acknowledged', assign: 'assigned', note: 'noted', close: 'closed', reopen: 'reopened' })[action] ??
  action;

const notFound = (id: string) =>
  new AlertError('ALERT_NOT_FOUND', `no alert ${id.slice(0, 80)} that this caller may see`);

function encodeCursor(cursor: AlertCursor): string {
  return Buffer.from(JSON.stringify([cursor.firstSeen, cursor.kind, cursor.code])).toString('base64url');
}

/** A cursor this server wrote, or VALIDATION_FAILED naming `cursor`. */
function parseCursor(text: string): AlertCursor {
  const refuse = () =>
    new ValidationError([
      { field: 'cursor', rule: 'isAlertCursor', message: 'cursor must be the `next` of a previous page, unchanged' },
    ]);
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw refuse();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'string')) throw refuse();
  const [firstSeen, kind, code] = value as string[];
  if (!CURSOR_TIME.test(firstSeen) || Number.isNaN(Date.parse(firstSeen))) throw refuse();
  if (!(ALERT_KINDS as readonly string[]).includes(kind) || code.length === 0 || code.length > 60) throw refuse();
  if (Date.parse(firstSeen) < Date.parse('0001-01-01T00:00:00Z')) throw refuse();
  return { firstSeen, kind: kind as AlertKind, code };
}
