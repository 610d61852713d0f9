/**
 * The custody alert list: every party's quarantines, illegitimate product, shipment discrepancies and recalls, filtered
 * by kind, status and text. Suspicious verifications are triaged apart (./triage.ts).
 */
import { ApiOptions, getJson } from '../common/api';
import { fill, h } from '../common/dom';
import { formatCount, formatDateTime } from '../common/format';
import type { Alert } from '../../../src/protocol/custody/model';
import type { Names } from './report';

/** An alert as the API sends it (src/supply-chain/custody.model.ts, times as JSON strings). */
type CustodyAlert = Omit<Alert, 'openedAt' | 'closedAt'> & { openedAt: string; closedAt: string | null };

export interface AlertFilter {
  kind: string;
  status: 'open' | 'closed';
}

const KIND_LABELS: Record<string, string> = {
  quarantine: 'Quarantine',
  illegitimate: 'Illegitimate product',
  discrepancy: 'Shipment discrepancy',
  recall: 'Recall',
};

export interface AlertRow {
  alert: CustodyAlert;
  text: string;
}

export async function loadAlerts(filter: AlertFilter, options: ApiOptions, names: Names): Promise<AlertRow[]> {
  const alerts = await getJson<CustodyAlert[]>(
    `/app/alerts?status=${filter.status}&limit=500${filter.kind ? `&kind=${filter.kind}` : ''}`,
    options,
  );
  const nameText = (glns: string[]) => glns.map((g) => `${g} ${names.get(g) ?? ''}`).join(' ');
  return alerts
    .map((alert) => ({
      alert,
      text: `${JSON.stringify(alert)} ${nameText(alert.parties)} ${KIND_LABELS[alert.kind]}`.toLowerCase(),
    }))
    .sort((a, b) => Date.parse(b.alert.openedAt) - Date.parse(a.alert.openedAt));
}

export function renderAlerts(
  list: HTMLElement,
  count: HTMLElement,
  rows: AlertRow[],
  search: string,
  names: Names,
  onReport: (scope: { kind: 'lot'; gtin: string; lot: string }) => void,
): void {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = rows.filter((row) => words.every((w) => row.text.includes(w)));
  fill(count, `${formatCount(shown.length)} of ${formatCount(rows.length)} alert${rows.length === 1 ? '' : 's'}`);
  const name = (gln: string) => names.get(gln) ?? `GLN ${gln}`;
  fill(
    list,
    ...shown.map((row) => {
      const a = row.alert;
      const details = a.details;
      const reason =
        a.kind === 'illegitimate'
          ? [
              (details.report as Record<string, unknown>)?.classification,
              (details.report as Record<string, unknown>)?.description,
            ]
              .filter(Boolean)
              .join(': ')
          : a.kind === 'discrepancy'
            ? `shipment ${String(details.shipmentId)} from ${name(String(details.shipper))} to ${name(String(details.recipient))}: ${lengthOf(details.missing)} missing, ${lengthOf(details.extra)} extra`
            : String(details.reason ?? '');
      const what = [
        a.gtin && `GTIN ${a.gtin}`,
        a.lot && `lot ${a.lot}`,
        a.items.length ? `${formatCount(a.items.length)} unit${a.items.length === 1 ? '' : 's'}` : null,
      ]
        .filter(Boolean)
        .join(' · ');
      const button =
        a.gtin && a.lot
          ? reportButton(`Report on lot ${a.lot}`, () => onReport({ kind: 'lot', gtin: a.gtin!, lot: a.lot! }))
          : null;
      return h(
        'li',
        { class: 'alert-item', 'data-kind': a.kind },
        h(
          'div',
          { class: 'alert-head' },
          h(
            'span',
            { class: `chip chip--${a.kind === 'discrepancy' || a.kind === 'recall' ? 'amber' : 'red'}` },
            KIND_LABELS[a.kind],
          ),
          h(
            'span',
            { class: 'muted' },
            `${a.status === 'open' ? 'opened' : 'closed'} ${formatDateTime(a.status === 'open' ? a.openedAt : (a.closedAt ?? a.openedAt))}`,
          ),
        ),
        h('p', { class: 'alert-what' }, what || '—'),
        reason ? h('p', null, reason) : null,
        h('p', { class: 'muted' }, `Parties: ${a.parties.map(name).join(', ')}`),
        button,
      );
    }),
  );
}
const lengthOf = (value: unknown) => (Array.isArray(value) ? value.length : 0);

function reportButton(label: string, onClick: () => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary small' }, label);
  button.addEventListener('click', onClick);
  return button;
}
