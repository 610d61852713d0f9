/** The alert list: custody alerts (every party's) and suspicious verifications, filtered by kind, status and text. */
import { ApiOptions, getJson } from '../common/api';
import { fill, h } from '../common/dom';
import { formatCount, formatDateTime, formatDay } from '../common/format';
import { parseProductCode } from '../../../src/gs1/product-code';
import { REASONS, type Asked } from '../../../src/verification/verdict';
import { REASON_TITLES } from '../common/reasons';
import type { Alert } from '../../../src/protocol/custody/model';
import type { Names } from './report';

/** An alert as the API sends it (src/supply-chain/custody.model.ts, times as JSON strings). */
type CustodyAlert = Omit<Alert, 'openedAt' | 'closedAt'> & { openedAt: string; closedAt: string | null };

export interface SuspiciousVerification {
  id: string;
  at: string;
  requester: string;
  code: string | null;
  gtin: string | null;
  request: Record<string, unknown>;
  reasons: string[];
  /** `asked`: the identifiers as scanned (records since the scanned code is stored parsed; older ones lack it). */
  answer?: { asked?: Asked };
}

export type AlertRow =
  | { source: 'custody'; alert: CustodyAlert; text: string }
  | { source: 'verification'; record: SuspiciousVerification; text: string; count: number; firstAt: string };

/**
 * Repeated suspicious scans of one item are one alert (issue 13 §4): records that asked about the same GTIN and
 * serial with the same reasons are grouped; the group shows the newest record, how many there were and the first
 * and last time. A record whose item cannot be read stays alone. Records come newest first or in any order.
 */
export function groupVerifications(
  records: SuspiciousVerification[],
): { record: SuspiciousVerification; count: number; firstAt: string }[] {
  const groups = new Map<string, { record: SuspiciousVerification; count: number; firstAt: string }>();
  for (const record of records) {
    const asked = askedOf(record);
    const key = asked ? JSON.stringify([asked.gtin, asked.serial, [...record.reasons].sort()]) : `id:${record.id}`;
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { record, count: 1, firstAt: record.at });
      continue;
    }
    group.count += 1;
    if (Date.parse(record.at) > Date.parse(group.record.at)) group.record = record;
    if (Date.parse(record.at) < Date.parse(group.firstAt)) group.firstAt = record.at;
  }
  return [...groups.values()];
}

export interface AlertFilter {
  kind: string;
  status: 'open' | 'closed';
}

/** The pharmacist's words, except where "you" would be the regulator reading the list. */
const VERIFICATION_REASONS = { ...REASON_TITLES, CUSTODY_MISMATCH: 'Not held by the party that asked' };

const KIND_LABELS: Record<string, string> = {
  quarantine: 'Quarantine',
  illegitimate: 'Illegitimate product',
  discrepancy: 'Shipment discrepancy',
  recall: 'Recall',
  verification: 'Suspicious verification',
};

export async function loadAlerts(filter: AlertFilter, options: ApiOptions, names: Names): Promise<AlertRow[]> {
  const custody =
    filter.kind === 'verification'
      ? Promise.resolve([] as CustodyAlert[])
      : getJson<CustodyAlert[]>(
          `/app/alerts?status=${filter.status}&limit=500${filter.kind ? `&kind=${filter.kind}` : ''}`,
          options,
        );
  // Suspicious verifications are events, not investigations: they are listed with the open alerts.
  const verifications =
    filter.status === 'open' && (filter.kind === '' || filter.kind === 'verification')
      ? getJson<SuspiciousVerification[]>('/v1/verify/alerts?limit=200', options)
      : Promise.resolve([] as SuspiciousVerification[]);
  const [alerts, records] = await Promise.all([custody, verifications]);
  const nameText = (glns: string[]) => glns.map((g) => `${g} ${names.get(g) ?? ''}`).join(' ');
  const rows: AlertRow[] = [
    ...alerts.map((alert) => ({
      source: 'custody' as const,
      alert,
      text: `${JSON.stringify(alert)} ${nameText(alert.parties)} ${KIND_LABELS[alert.kind]}`.toLowerCase(),
    })),
    ...groupVerifications(records).map(({ record, count, firstAt }) => ({
      source: 'verification' as const,
      record,
      count,
      firstAt,
      text: `${JSON.stringify(record)} ${nameText([record.requester])} suspicious verification`.toLowerCase(),
    })),
  ];
  return rows.sort((a, b) => Date.parse(timeOf(b)) - Date.parse(timeOf(a)));
}

const timeOf = (row: AlertRow) => (row.source === 'custody' ? row.alert.openedAt : row.record.at);

export function renderAlerts(
  list: HTMLElement,
  count: HTMLElement,
  rows: AlertRow[],
  search: string,
  names: Names,
  onReport: (
    scope: { kind: 'lot'; gtin: string; lot: string } | { kind: 'serial'; gtin: string; serial: string },
  ) => void,
): void {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = rows.filter((row) => words.every((w) => row.text.includes(w)));
  fill(count, `${formatCount(shown.length)} of ${formatCount(rows.length)} alert${rows.length === 1 ? '' : 's'}`);
  const name = (gln: string) => names.get(gln) ?? `GLN ${gln}`;
  fill(
    list,
    ...shown.map((row) => {
      if (row.source === 'verification') {
        const r = row.record;
        const asked = askedOf(r);
        const serial = asked?.serial;
        const button =
          r.gtin && serial
            ? reportButton(`Report on serial ${serial}`, () => onReport({ kind: 'serial', gtin: r.gtin!, serial }))
            : null;
        // A possible clone (already dispensed), an illegitimate or unknown package is red; a custody question amber.
        const severity = r.reasons.some(
          (code) => (REASONS as Record<string, { severity: string }>)[code]?.severity === 'red',
        )
          ? 'red'
          : 'amber';
        return h(
          'li',
          { class: 'alert-item', 'data-kind': 'verification' },
          h(
            'div',
            { class: 'alert-head' },
            h('span', { class: `chip chip--${severity}`, 'data-severity': severity }, KIND_LABELS.verification),
            h(
              'span',
              { class: 'muted' },
              row.count > 1
                ? `scanned ${formatCount(row.count)} times, first ${formatDateTime(row.firstAt)}, last ${formatDateTime(r.at)}`
                : formatDateTime(r.at),
            ),
          ),
          h('p', { class: 'alert-what' }, asked ? describeAsked(asked) : `GTIN ${r.gtin ?? '?'}`),
          h(
            'p',
            null,
            `${r.reasons.map((code) => (VERIFICATION_REASONS as Record<string, string>)[code] ?? code).join(', ')} · asked by ${name(r.requester)}`,
          ),
          button,
        );
      }
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

/**
 * The identifiers a suspicious verification asked about: as stored with it, else read from the scanned text or
 * the request's fields (records written before the parsed identifiers were stored).
 */
function askedOf(r: SuspiciousVerification): Asked | null {
  if (r.answer?.asked) return r.answer.asked;
  const scanned = r.request.code;
  if (typeof scanned === 'string') {
    try {
      const code = parseProductCode(scanned, { require: ['gtin', 'serial'] });
      return {
        gtin: code.gtin!,
        serial: code.serial!,
        ...(code.lot !== undefined ? { lot: code.lot } : {}),
        ...(code.expiry ? { expiryCode: code.expiry.yymmdd, expiry: code.expiry.date } : {}),
      };
    } catch {
      return null;
    }
  }
  const serial = r.request.serial ?? r.request.ser;
  const gtin = r.gtin ?? r.request.gtin;
  return typeof serial === 'string' && typeof gtin === 'string'
    ? { gtin, serial, ...(typeof r.request.lot === 'string' ? { lot: r.request.lot } : {}) }
    : null;
}

/** "GTIN … · serial … · lot … · expiry …": lot and expiry as the package printed them (the log may not know the unit). */
function describeAsked(asked: Asked): string {
  return [
    `GTIN ${asked.gtin}`,
    `serial ${asked.serial}`,
    asked.lot !== undefined && `lot ${asked.lot}`,
    asked.expiry && `expiry ${formatDay(asked.expiry)}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

const lengthOf = (value: unknown) => (Array.isArray(value) ? value.length : 0);

function reportButton(label: string, onClick: () => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary small' }, label);
  button.addEventListener('click', onClick);
  return button;
}
