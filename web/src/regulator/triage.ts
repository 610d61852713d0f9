/**
 * Verification alerts a regulator works through (issue 13 §4): a filter form, the server's grouped and paged list
 * (GET /v1/alerts), an alert's detail with its scans and history, the triage actions (each after one confirmation),
 * and the CSV of the filtered list. Kind, severity and the allowed actions come from src/alerts/alert-rules.ts, as
 * on the server.
 */
import {
  ALERT_KINDS,
  type AlertAction,
  type AlertKind,
  type AlertSeverity,
  type AlertState,
  SEVERITY_COLOURS,
} from '../../../src/alerts/alert-rules';
import type { AlertHistoryEntry, AlertView } from '../../../src/alerts/alert-view';
import { ApiError, ApiOptions, getFile, getJson, postJson } from '../common/api';
import { byId, fill, h } from '../common/dom';
import { formatCount, formatDateTime } from '../common/format';
import { csrfHeaders } from '../common/session';
import { REASON_TITLES } from '../common/reasons';
import type { Names } from './report';

interface Detail {
  alert: AlertView;
  scans: { id: string; at: string; requester: { gln: string; name: string | null }; asked: Record<string, string> }[];
  history?: AlertHistoryEntry[];
  actions: AlertAction[];
}

/** The kind as the regulator reads it: a dispensed serial scanned again is a possible clone. */
export const KIND_TITLES: Record<AlertKind, string> = {
  ...REASON_TITLES,
  ALREADY_DISPENSED: 'Possible clone (already dispensed)',
  CUSTODY_MISMATCH: 'Not held by the party that scanned',
};

const SEVERITY_TITLES: Record<AlertSeverity, string> = { high: 'High', medium: 'Medium', low: 'Low' };
const STATE_TITLES: Record<AlertState, string> = { open: 'Open', acknowledged: 'Acknowledged', closed: 'Closed' };

const ACTION_LABELS: Record<AlertAction, { button: string; confirm: string; done: string }> = {
  acknowledge: { button: 'Acknowledge', confirm: 'Acknowledge this alert?', done: 'Acknowledged.' },
  assign: { button: 'Assign', confirm: 'Assign this alert to', done: 'Assigned.' },
  note: { button: 'Add note', confirm: 'Add this note to the alert?', done: 'Note added.' },
  close: { button: 'Close alert', confirm: 'Close this alert?', done: 'Closed.' },
  reopen: { button: 'Reopen', confirm: 'Reopen this alert?', done: 'Reopened.' },
};

const PAGE_SIZE = 10;

export function startTriage(
  auth: ApiOptions,
  names: Names,
  onReport: (scope: { kind: 'serial'; gtin: string; serial: string }) => void,
  onExpired: () => void,
): void {
  const form = byId<HTMLFormElement>('triage-filters');
  const list = byId('triage-list');
  const count = byId('triage-count');
  const detail = byId('triage-detail');
  const previous = byId<HTMLButtonElement>('t-previous');
  const next = byId<HTMLButtonElement>('t-next');
  const csvButton = byId<HTMLButtonElement>('t-csv');
  const csvStatus = byId('t-csv-status');
  const input = (id: string) => byId<HTMLInputElement | HTMLSelectElement>(id);
  fill(
    byId('t-kind'),
    h('option', { value: '' }, 'All kinds'),
    ...ALERT_KINDS.map((kind) => h('option', { value: kind }, KIND_TITLES[kind])),
  );

  const name = (gln: string | null) => (gln ? (names.get(gln) ?? `GLN ${gln}`) : '—');
  /** The filters as query parameters (the list and the CSV use the same ones). */
  const filters = (): URLSearchParams => {
    const query = new URLSearchParams();
    for (const [key, id] of [
      ['kind', 't-kind'],
      ['severity', 't-severity'],
      ['state', 't-state'],
      ['party', 't-party'],
      ['gtin', 't-gtin'],
      ['lot', 't-lot'],
    ]) {
      const value = input(id).value.trim();
      if (value) query.set(key, value);
    }
    const from = input('t-from').value;
    const to = input('t-to').value;
    if (from) query.set('from', `${from}T00:00:00.000Z`);
    if (to) query.set('to', new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString());
    return query;
  };

  // Keyset paging: the cursors of the pages before this one, and the next page's.
  let cursors: (string | null)[] = [null];
  let nextCursor: string | null = null;

  const failed = (error: unknown, where: HTMLElement, what: string) => {
    if (error instanceof ApiError && error.status === 401) return onExpired();
    fill(where, h('span', { class: 'error', role: 'alert' }, `${what}: ${(error as Error).message}`));
  };

  const load = async () => {
    const query = filters();
    query.set('limit', String(PAGE_SIZE));
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.set('cursor', cursor);
    list.setAttribute('aria-busy', 'true');
    fill(count, 'Loading…');
    try {
      const page = await getJson<{ alerts: AlertView[]; next: string | null }>(`/v1/alerts?${query}`, auth);
      nextCursor = page.next;
      const first = (cursors.length - 1) * PAGE_SIZE;
      fill(
        count,
        page.alerts.length === 0
          ? 'No alert matches these filters.'
          : `Alerts ${formatCount(first + 1)}–${formatCount(first + page.alerts.length)}${page.next ? '' : ' (the last page)'}`,
      );
      fill(list, ...page.alerts.map(row));
    } catch (error) {
      nextCursor = null;
      fill(list);
      failed(error, count, 'The alerts could not be loaded');
    } finally {
      list.removeAttribute('aria-busy');
      previous.disabled = cursors.length <= 1;
      next.disabled = nextCursor === null;
    }
  };

  const row = (alert: AlertView) => {
    const open = h(
      'button',
      { type: 'button', class: 'secondary small', 'aria-label': `Open the alert on serial ${alert.serial}` },
      'Open',
    );
    open.addEventListener('click', () => void show(alert.id));
    return h(
      'li',
      {
        class: 'alert-item triage-item',
        'data-id': alert.id,
        'data-kind': alert.kind,
        'data-severity': alert.severity,
        'data-state': alert.state,
      },
      h(
        'div',
        { class: 'alert-head' },
        severityChip(alert.severity),
        h('span', { class: 'alert-kind' }, KIND_TITLES[alert.kind]),
        h('span', { class: `state state--${alert.state}` }, STATE_TITLES[alert.state]),
      ),
      h('p', { class: 'alert-what' }, `GTIN ${alert.gtin} · serial ${alert.serial}`, lotText(alert)),
      h(
        'p',
        { class: 'muted' },
        alert.count > 1
          ? `Scanned ${formatCount(alert.count)} times, first ${formatDateTime(alert.firstSeen)}, last ${formatDateTime(alert.lastSeen)}`
          : `Scanned once, ${formatDateTime(alert.firstSeen)}`,
        ` · by ${alert.parties.map(name).join(', ')}`,
        alert.assignee ? ` · assigned to ${alert.assignee}` : '',
      ),
      open,
    );
  };

  const show = async (id: string, message?: string) => {
    detail.hidden = false;
    detail.setAttribute('aria-busy', 'true');
    try {
      const shown = await getJson<Detail>(`/v1/alerts/${id}`, auth);
      renderDetail(shown, message);
      byId('triage-detail-title').focus();
    } catch (error) {
      failed(error, detail, 'The alert could not be loaded');
    } finally {
      detail.removeAttribute('aria-busy');
    }
  };

  const renderDetail = ({ alert, scans, history, actions }: Detail, message?: string) => {
    const confirmBox = h('div', { class: 'confirm', id: 'triage-confirm', hidden: true });
    const status = h('p', { id: 'triage-action-status', role: 'status', class: 'muted' }, message ?? '');
    const assignee = h('input', { id: 'triage-assignee', autocomplete: 'off', maxlength: 120 });
    const note = h('textarea', { id: 'triage-note', rows: 3, maxlength: 4000 });
    const ask = (action: AlertAction) => {
      const body: { action: AlertAction; assignee?: string; note?: string } = { action };
      if (action === 'assign') {
        body.assignee = assignee.value.trim();
        if (!body.assignee) return fill(status, h('span', { class: 'error' }, 'Name the person to assign it to.'));
      }
      const noteText = note.value.trim();
      if (action === 'note' && !noteText) return fill(status, h('span', { class: 'error' }, 'Write the note first.'));
      if (noteText && (action === 'note' || action === 'close')) body.note = noteText;
      const yes = h('button', { type: 'button', id: 'triage-confirm-yes' }, `Yes, ${ACTION_LABELS[action].button}`);
      const no = h('button', { type: 'button', class: 'secondary', id: 'triage-confirm-no' }, 'Cancel');
      fill(
        confirmBox,
        h(
          'p',
          null,
          action === 'assign' ? `${ACTION_LABELS.assign.confirm} ${body.assignee}?` : ACTION_LABELS[action].confirm,
        ),
        yes,
        no,
      );
      confirmBox.hidden = false;
      yes.focus();
      no.addEventListener('click', () => {
        confirmBox.hidden = true;
        fill(status, 'Nothing was changed.');
      });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          // A person's cookie session sends its CSRF token with every change (PROTOCOL §3.4).
          const after = await postJson<Detail>(`/v1/alerts/${alert.id}/actions`, body, {
            ...auth,
            headers: csrfHeaders(),
          });
          renderDetail(after, ACTION_LABELS[action].done);
          byId('triage-action-status').focus();
          void load();
        } catch (error) {
          confirmBox.hidden = true;
          failed(error, status, 'Not done');
        }
      });
    };
    const button = (action: AlertAction) => {
      const b = h(
        'button',
        { type: 'button', class: 'secondary', 'data-action': action },
        ACTION_LABELS[action].button,
      );
      b.addEventListener('click', () => ask(action));
      return b;
    };
    const may = (action: AlertAction) => actions.includes(action);
    const reportButton = h('button', { type: 'button', class: 'secondary small' }, `Report on serial ${alert.serial}`);
    reportButton.addEventListener('click', () => onReport({ kind: 'serial', gtin: alert.gtin, serial: alert.serial }));
    fill(
      detail,
      h(
        'h3',
        { id: 'triage-detail-title', tabindex: -1 },
        `${KIND_TITLES[alert.kind]}: serial ${alert.serial} of GTIN ${alert.gtin}`,
      ),
      h(
        'p',
        { class: 'alert-head' },
        severityChip(alert.severity),
        h('span', { class: `state state--${alert.state}`, id: 'triage-state' }, STATE_TITLES[alert.state]),
        alert.assignee ? h('span', null, `Assigned to ${alert.assignee}`) : null,
      ),
      h(
        'dl',
        { class: 'triage-facts' },
        ...fact('Lot in the log', alert.lot ?? 'the log does not know this unit'),
        ...fact('Lot printed on the package', alert.printedLot ?? '—'),
        ...(alert.recallClass ? fact('Recall class', alert.recallClass) : []),
        ...fact('Manufacturer', name(alert.manufacturer)),
        ...fact(
          'Scans',
          `${formatCount(alert.count)}: first ${formatDateTime(alert.firstSeen)}, last ${formatDateTime(alert.lastSeen)}`,
        ),
      ),
      reportButton,
      h('h4', null, 'Latest scans'),
      h(
        'ul',
        { class: 'triage-scans' },
        ...scans.map((s) => h('li', null, `${formatDateTime(s.at)} · ${s.requester.name ?? s.requester.gln}`)),
      ),
      history
        ? h(
            'section',
            { 'aria-labelledby': 'triage-history-title' },
            h('h4', { id: 'triage-history-title' }, 'History'),
            history.length === 0
              ? h('p', { class: 'muted' }, 'No action yet.')
              : h(
                  'ol',
                  { class: 'triage-history', id: 'triage-history' },
                  ...history.map((entry) =>
                    h(
                      'li',
                      { 'data-action': entry.action },
                      h('strong', null, ACTION_LABELS[entry.action as AlertAction]?.button ?? entry.action),
                      ` · ${formatDateTime(entry.at)} · ${entry.by.person?.name ?? entry.by.name ?? entry.by.gln}`,
                      entry.assignee ? ` · to ${entry.assignee}` : '',
                      entry.note ? h('p', { class: 'triage-note' }, entry.note) : null,
                    ),
                  ),
                ),
          )
        : null,
      actions.length > 0
        ? h(
            'section',
            { class: 'triage-actions', 'aria-labelledby': 'triage-actions-title' },
            h('h4', { id: 'triage-actions-title' }, 'Act'),
            h(
              'div',
              { class: 'form-actions' },
              ...(['acknowledge', 'close', 'reopen'] as const).filter(may).map(button),
            ),
            may('assign')
              ? h(
                  'div',
                  { class: 'field-row' },
                  h('label', { for: 'triage-assignee' }, 'Assign to'),
                  assignee,
                  button('assign'),
                )
              : null,
            may('note')
              ? h(
                  'div',
                  { class: 'field' },
                  h('label', { for: 'triage-note' }, 'Note (also kept when closing)'),
                  note,
                  h('div', null, button('note')),
                )
              : null,
            confirmBox,
          )
        : null,
      status,
    );
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    cursors = [null];
    void load();
  });
  next.addEventListener('click', () => {
    if (!nextCursor) return;
    cursors.push(nextCursor);
    void load().then(() => list.querySelector<HTMLButtonElement>('button')?.focus());
  });
  previous.addEventListener('click', () => {
    if (cursors.length <= 1) return;
    cursors.pop();
    void load().then(() => list.querySelector<HTMLButtonElement>('button')?.focus());
  });
  csvButton.addEventListener('click', async () => {
    csvButton.disabled = true;
    fill(csvStatus, 'Preparing the CSV…');
    try {
      const file = await getFile(`/v1/alerts/csv?${filters()}`, auth);
      const filename = file.filename ?? 'rxledger-alerts.csv';
      const url = URL.createObjectURL(file.blob);
      const link = h('a', { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      fill(csvStatus, `Downloaded ${filename}.`);
    } catch (error) {
      failed(error, csvStatus, 'The download failed');
    } finally {
      csvButton.disabled = false;
    }
  });
  void load();
}

function severityChip(severity: AlertSeverity): HTMLElement {
  return h(
    'span',
    { class: `chip chip--${SEVERITY_COLOURS[severity]}`, 'data-severity': severity },
    `${SEVERITY_TITLES[severity]} severity`,
  );
}

/** The lot the log knows; for a unit it does not know, the printed lot, said to be printed (not confirmed). */
function lotText(alert: AlertView): string {
  if (alert.lot) return ` · lot ${alert.lot}`;
  return alert.printedLot ? ` · lot ${alert.printedLot} as printed (not in the log)` : '';
}

function fact(term: string, value: string): HTMLElement[] {
  return [h('dt', null, term), h('dd', null, value)];
}
