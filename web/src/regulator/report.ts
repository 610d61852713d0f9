/** The summary of a report: what the evidence bundle holds, its checkpoint checked here, and a custody timeline. */
import type { BundleReport } from '../../../src/bundle/bundle-report';
import { verifyBundleStream } from '../../../src/bundle/verify-bundle';
import type { BundledEvent, EvidenceBundle, ReportScope } from '../../../src/protocol/bundle';
import { unitsPerEvent } from '../../../src/reports/event-units';
import { fill, h } from '../common/dom';
import { formatCount, formatDateTime, formatDay } from '../common/format';

export type Names = Map<string, string>;

export const FORMATS = [
  { format: 'bundle', label: 'Evidence bundle (JSON)' },
  { format: 'epcis', label: 'EPCIS 2.0' },
  { format: 'csv', label: 'CSV' },
  { format: 'pdf', label: 'PDF' },
] as const;
export type ReportFormat = (typeof FORMATS)[number]['format'];

const TIMELINE_LIMIT = 300;

export function describeScope(scope: ReportScope): string {
  switch (scope.kind) {
    case 'serial':
      return `Serial ${scope.serial} of GTIN ${scope.gtin}`;
    case 'lot':
      return `Lot ${scope.lot} of GTIN ${scope.gtin}`;
    case 'gtin':
      return `GTIN ${scope.gtin}, events from ${formatDay(scope.from)} to ${lastDay(scope.to)}`;
    case 'party':
      return `Party ${scope.gln}, events from ${formatDay(scope.from)} to ${lastDay(scope.to)}`;
    case 'alerts':
      return 'Open alerts and investigations';
  }
}

/** The last day a window ending (exclusively) at `to` covers; `to` as it is when it is not a time (the verifier says so). */
function lastDay(to: string): string {
  const end = Date.parse(to);
  return Number.isNaN(end) ? to : formatDay(new Date(end - 1).toISOString());
}

/** Party names from the bundle's own registry events, then from the directory the page loaded. */
export function namesOf(bundle: EvidenceBundle, directory: Names): Names {
  const names = new Map(directory);
  for (const entry of bundle.registry) {
    const body = entry.event.body as { gln?: string; name?: string };
    if (entry.event.type === 'party.register' && body.gln && body.name) names.set(body.gln, body.name);
  }
  return names;
}

export function renderReport(
  panel: HTMLElement,
  bundle: EvidenceBundle,
  names: Names,
  onDownload: (format: ReportFormat, button: HTMLButtonElement) => void,
): void {
  const events = bundle.events;
  // Units per event counted as every format counts them: the report's units whose history holds the event.
  const unitCounts = unitsPerEvent(bundle.items);
  const name = (gln: unknown) => (typeof gln === 'string' ? (names.get(gln) ?? `GLN ${gln}`) : '—');
  const byType = new Map<string, number>();
  for (const e of events) byType.set(e.event.type, (byType.get(e.event.type) ?? 0) + 1);
  const parties = new Set(events.map((e) => e.event.actor));
  const times = events.map((e) => Date.parse(e.event.time)).filter((t) => !Number.isNaN(t));

  const downloads = h(
    'div',
    { class: 'downloads', role: 'group', 'aria-label': 'Download the report' },
    ...FORMATS.map(({ format, label }) => {
      const button = h('button', { type: 'button', class: 'secondary', 'data-format': format }, `⤓ ${label}`);
      button.addEventListener('click', () => onDownload(format, button));
      return button;
    }),
  );

  const product = events.find((e) => e.event.type === 'product.register')?.event.body as Body | undefined;
  fill(
    panel,
    h('h2', { id: 'report-title' }, describeScope(bundle.scope)),
    product
      ? h(
          'p',
          { class: 'report-product' },
          [product.name, product.strength, product.dosageForm].filter(Boolean).join(' '),
        )
      : null,
    h(
      'dl',
      { class: 'facts summary-facts' },
      fact('Events', formatCount(bundle.summary.events)),
      fact('Units', formatCount(bundle.summary.items)),
      fact('Parties', formatCount(parties.size)),
      fact('First event', times.length ? formatDateTime(Math.min(...times)) : '—'),
      fact('Last event', times.length ? formatDateTime(Math.max(...times)) : '—'),
      fact('Generated', formatDateTime(bundle.generatedAt)),
    ),
    h(
      'p',
      { class: 'evidence evidence--none', id: 'bundle-check', 'data-state': 'checking', role: 'status' },
      'Checking every event of this report in this browser…',
    ),
    byType.size
      ? h(
          'p',
          { class: 'type-chips', 'aria-label': 'Events by type' },
          ...[...byType].map(([type, count]) =>
            h('span', { class: 'tag' }, `${typeLabel(type)} ${formatCount(count)}`),
          ),
        )
      : null,
    custodyPath(bundle, name),
    downloads,
    h('p', { id: 'download-status', class: 'muted', role: 'status' }),
    h('h3', null, 'Custody timeline'),
    events.length
      ? h(
          'ol',
          { class: 'timeline' },
          ...events.slice(0, TIMELINE_LIMIT).map((e) => timelineItem(e, name, unitCounts.get(e.index) ?? 0)),
        )
      : h('p', { class: 'muted' }, 'No events in this scope.'),
    events.length > TIMELINE_LIMIT
      ? h(
          'p',
          { class: 'muted' },
          `… and ${formatCount(events.length - TIMELINE_LIMIT)} more events: download the report for all of them.`,
        )
      : null,
  );
}

/** Hands the text to the verifier a slice at a time, letting the page breathe (and show progress) in between. */
async function* slices(text: string, onProgress: (fraction: number) => void): AsyncGenerator<string> {
  const size = 64 * 1024;
  for (let at = 0; at < text.length; at += size) {
    yield text.slice(at, at + size);
    onProgress(Math.min(1, (at + size) / text.length));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Verifies the whole evidence bundle here, as `rxledger verify-bundle` does offline (src/bundle): the checkpoint with
 * the pinned log key, every event's signature with the key its signer had then, every inclusion proof, the custody
 * rules. The line under the summary says what came of it.
 */
export async function verifyInBrowser(
  text: string,
  logKey: string | Error,
  line: HTMLElement,
): Promise<BundleReport | null> {
  if (logKey instanceof Error) {
    line.dataset.state = 'none';
    fill(line, `Not checked in this browser: the log key could not be loaded (${logKey.message}).`);
    return null;
  }
  const started = performance.now();
  const report = await verifyBundleStream(
    slices(text, (fraction) =>
      fill(line, `Checking every event of this report in this browser… ${Math.round(fraction * 100)}%`),
    ),
    logKey,
  );
  const ms = Math.round(performance.now() - started);
  line.removeAttribute('role');
  if (report.ok) {
    line.className = 'evidence evidence--ok';
    line.dataset.state = 'ok';
    fill(
      line,
      `✓ Verified in this browser with the pinned log key: checkpoint ${formatCount(report.checkpoint!.size)}, ` +
        `${formatCount(report.counts.signatures)} signatures, ${formatCount(report.counts.events + report.counts.registryEvents)} inclusion proofs, ` +
        `the signers' keys and the custody rules `,
      h('span', { class: 'evidence-detail' }, `(${ms} ms). The same check offline: `),
      h('code', null, 'rxledger verify-bundle'),
      h('span', { class: 'evidence-detail' }, '.'),
      ...report.limits.map((limit) => h('span', { class: 'evidence-limit' }, limit)),
    );
    return report;
  }
  line.className = 'evidence evidence--failed';
  line.dataset.state = 'failed';
  line.setAttribute('role', 'alert');
  fill(
    line,
    h(
      'strong',
      null,
      `✕ This report does not verify: ${formatCount(report.counts.failures)} problem${report.counts.failures === 1 ? '' : 's'} found in this browser. `,
    ),
    'Do not rely on it; report it to the network operator.',
    h(
      'ul',
      { class: 'failures' },
      ...report.failures
        .slice(0, 10)
        .map((failure) =>
          h(
            'li',
            { 'data-check': failure.check },
            `${failure.check}${failure.index !== undefined ? ` (log entry ${failure.index})` : ''}: ${failure.message}`,
          ),
        ),
    ),
  );
  return report;
}

/** Who held the units, in order: the commissioning manufacturer, then each receiver. */
function custodyPath(bundle: EvidenceBundle, name: (gln: unknown) => string): HTMLElement | null {
  const path: string[] = [];
  for (const e of bundle.events) {
    const type = e.event.type;
    if (type !== 'commission' && type !== 'receive') continue;
    const holder = name(e.event.actor);
    if (path[path.length - 1] !== holder) path.push(holder);
  }
  if (path.length === 0) return null;
  const last = bundle.events[bundle.events.length - 1]?.event.type;
  const ending = last === 'dispense' ? ' → dispensed' : last === 'destroy' ? ' → destroyed' : '';
  return h('p', { class: 'custody-path' }, h('strong', null, 'Custody: '), path.join(' → ') + ending);
}

const TYPE_LABELS: Record<string, string> = {
  commission: 'Commissioned',
  ship: 'Shipped',
  receive: 'Received',
  dispense: 'Dispensed',
  pack: 'Packed',
  unpack: 'Unpacked',
  recall: 'Recall',
  'recall-lift': 'Recall lifted',
  quarantine: 'Quarantined',
  illegitimate: 'Illegitimate',
  clear: 'Cleared',
  decommission: 'Decommissioned',
  destroy: 'Destroyed',
  'product.register': 'Product registered',
  'party.register': 'Party registered',
};

function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

type Body = Record<string, unknown>;
const unitsText = (n: number) => `${formatCount(n)} unit${n === 1 ? '' : 's'}`;

/**
 * One line per event, in words, naming the parties. `inScope`: how many of the report's units the event is about
 * (event-units.ts), never the length of its body's item list (another lot's units, containers).
 */
function describeEvent(
  e: BundledEvent,
  name: (gln: unknown) => string,
  inScope: number,
): { what: string; detail: string } {
  const body = e.event.body as Body;
  const by = name(e.event.actor);
  const units = () => unitsText(inScope);
  switch (e.event.type) {
    case 'commission':
      return {
        what: `${by} commissioned ${units()}`,
        detail: `lot ${String(body.lot)}, expiry ${String(body.expiry)}`,
      };
    case 'ship': {
      const t = (body.transaction ?? {}) as Body;
      const refs = [
        body.shipmentId && `shipment ${String(body.shipmentId)}`,
        t.purchaseOrder && `PO ${String(t.purchaseOrder)}`,
        t.invoice && `invoice ${String(t.invoice)}`,
      ];
      return {
        what: `${by} shipped ${units()} to ${name(body.recipient)}`,
        detail: refs.filter(Boolean).join(' · '),
      };
    }
    case 'receive':
      return {
        what: `${by} received ${units()} from ${name(body.shipper)}`,
        detail: `shipment ${String(body.shipmentId)}`,
      };
    case 'dispense':
      return { what: `${by} dispensed ${units()}`, detail: '' };
    case 'pack':
      return { what: `${by} packed ${units()}`, detail: `into ${String(body.parent)}` };
    case 'unpack':
      return { what: `${by} unpacked ${String(body.parent)}`, detail: '' };
    case 'recall':
      return {
        what: `${by} recalled lot ${(body.lots as string[] | undefined)?.join(', ') ?? ''}`,
        detail: String(body.reason ?? ''),
      };
    case 'recall-lift':
      return {
        what: `${by} lifted the recall of lot ${(body.lots as string[] | undefined)?.join(', ') ?? ''}`,
        detail: String(body.reason ?? ''),
      };
    case 'quarantine':
      return { what: `${by} quarantined ${units()}`, detail: String(body.reason ?? '') };
    case 'illegitimate': {
      const report = (body.report ?? {}) as Body;
      return {
        what: `${by} reported ${units()} illegitimate (FDA 3911 ${String(report.reportType ?? '')})`,
        detail: [report.classification, report.description].filter(Boolean).join(': '),
      };
    }
    case 'clear':
      return { what: `${by} cleared ${units()}`, detail: String(body.reason ?? '') };
    case 'decommission':
    case 'destroy':
      return {
        what: `${by} ${e.event.type === 'destroy' ? 'destroyed' : 'decommissioned'} ${units()}`,
        detail: String(body.reason ?? ''),
      };
    case 'product.register':
      return {
        what: `${by} registered ${[body.name, body.strength, body.dosageForm].filter(Boolean).join(' ')}`,
        detail: `GTIN ${String(body.gtin)}${body.containerSize ? ` · ${String(body.containerSize)}` : ''}`,
      };
    default:
      return { what: `${typeLabel(e.event.type)} by ${by}`, detail: '' };
  }
}

function timelineItem(e: BundledEvent, name: (gln: unknown) => string, inScope: number): HTMLLIElement {
  const { what, detail } = describeEvent(e, name, inScope);
  const alarming = ['recall', 'quarantine', 'illegitimate', 'destroy'].includes(e.event.type);
  return h(
    'li',
    { class: `timeline-item${alarming ? ' timeline-item--alert' : ''}`, 'data-type': e.event.type },
    h('span', { class: 'timeline-time' }, h('time', { datetime: e.event.time }, formatDateTime(e.event.time))),
    h('span', { class: 'timeline-what' }, what),
    detail ? h('span', { class: 'timeline-detail' }, detail) : null,
    h('span', { class: 'timeline-index' }, `log entry ${e.index}`),
  );
}

function fact(term: string, value: string): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value));
}
