import { describeScope } from '../report-scope';
import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import {
  EventInfo,
  ReportSnapshot,
  ScopeAlert,
  ScopeProduct,
  ScopeStatusLine,
  SuspiciousVerification,
} from '../reports.repository';
import { PdfLayout } from './pdf-layout';

/** Rows of the custody timeline a PDF shows; the CSV and the bundle carry every event. */
const MAX_TIMELINE_ROWS = 400;
const MAX_TRANSFERS = 300;
const MAX_ALERTS = 200;
const MAX_VERIFICATIONS = 100;

/** FD&C Act §581(27): the transaction statement a seller gives the buyer with every transaction. */
export const TRANSACTION_STATEMENT = [
  'The entity transferring ownership in the transaction:',
  '(A) is authorized as required under the Drug Supply Chain Security Act;',
  '(B) received the product from a person that is authorized as required under the Drug Supply Chain Security Act;',
  '(C) received transaction information and a transaction statement from the prior owner of the product, as ' +
    'required under section 582;',
  '(D) did not knowingly ship a suspect or illegitimate product;',
  '(E) had systems and processes in place to comply with verification requirements under section 582;',
  '(F) did not knowingly provide false transaction information; and',
  '(G) did not knowingly alter the transaction history.',
];

const EVENT_NAMES: Record<string, string> = {
  commission: 'Commissioned',
  pack: 'Packed',
  unpack: 'Unpacked',
  ship: 'Shipped',
  receive: 'Received',
  dispense: 'Dispensed',
  decommission: 'Decommissioned',
  destroy: 'Destroyed',
  quarantine: 'Quarantined',
  illegitimate: 'Reported illegitimate',
  clear: 'Hold cleared',
  recall: 'Lot recalled',
  'recall-lift': 'Recall lifted',
  'product.register': 'Product registered',
  'prefix.grant': 'Prefix granted',
  'party.register': 'Party registered',
  'key.add': 'Key added',
  'key.revoke': 'Key revoked',
};

/** Event types whose consecutive runs by one actor read as one line ("Packed ×10"). */
const GROUPED = new Set(['commission', 'pack', 'unpack', 'dispense', 'decommission', 'destroy']);

const n = (value: number) => value.toLocaleString('en-US');
/** 2026-11-23T10:15:02.123Z → 2026-11-23 10:15:02 (every time in the report is UTC, as its header says). */
const time = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, '') : '');
const party = (name: string | null, gln: string | null) => (gln ? `${name ?? 'unregistered'} (GLN ${gln})` : '');

/**
 * The report for people: what the product is, the DSCSA transaction information, history and statement, where every
 * unit went, the alerts, and the checkpoint that lets a reader tie the report to the log and to its evidence bundle.
 * Pages stream out as they are laid out.
 */
export async function writePdf(snapshot: ReportSnapshot, context: ReportContext, sink: ReportSink): Promise<void> {
  const { scope, checkpoint, counts } = context;
  if (scope.kind !== 'alerts') await snapshot.selectAlertsTouchingUnits(context.viewer, checkpoint.size);
  const products = await snapshot.products(50);
  const status = await snapshot.status(40, context.viewer);
  const alerts = await snapshot.alerts(MAX_ALERTS);
  const alertCount = await snapshot.count('rpt_alert');
  const verifications = await snapshot.suspiciousVerifications(
    context.viewer,
    scope.kind === 'alerts',
    MAX_VERIFICATIONS,
  );
  await snapshot.describeEvents();
  const transfers = await snapshot.transfers(MAX_TRANSFERS);

  const title = titleOf(context, products);
  const layout = new PdfLayout(
    { title: `RxLedger provenance report: ${title}`, subject: describeScope(scope) },
    {
      left: `RxLedger provenance report · ${title}`,
      right: `checkpoint ${checkpoint.size} · ${checkpoint.fingerprint}`,
    },
  );
  const pending: Buffer[] = [];
  layout.doc.on('data', (chunk: Buffer) => pending.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    layout.doc.once('end', resolve);
    layout.doc.once('error', reject);
  });
  // Awaited at the end; if the client goes away first, nobody else would see a failure of PDFKit's stream.
  finished.catch(() => undefined);
  const drain = async () => {
    while (pending.length > 0) await sink.writeBytes(pending.shift()!);
  };

  layout.title('Provenance report', title);
  layout.fields([
    ['Scope', describeScope(scope)],
    ['Generated', `${time(context.generatedAt.toISOString())} UTC (all times in this report are UTC)`],
    ['Requested by', requester(context)],
    [
      'Contents',
      `${n(counts.items)} unit(s), ${n(counts.events)} logged event(s)` +
        (counts.excluded > 0
          ? `; ${n(counts.excluded)} newer event(s) not yet in the checkpoint below were left out`
          : '; nothing logged before the export was left out'),
    ],
    ['Export id', context.exportId],
  ]);

  layout.heading('Log checkpoint: cross-check this report');
  layout.fields([
    ['Log', context.log.origin],
    ['Tree size', `${n(checkpoint.size)} entries`],
    ['Root hash', checkpoint.rootHash.toString('base64')],
    ['Fingerprint', `${checkpoint.fingerprint.replace(/(.{4})(?!$)/g, '$1 ')}  (SHA-256 of the signed checkpoint)`],
    ['Log key', context.log.verifierKey],
  ]);
  layout.paragraph(
    'Every event in this report is in the tree of this signed checkpoint. To check the report without trusting ' +
      'the operator, export the same scope as an evidence bundle (format=bundle) and run ' +
      '"rxledger verify-bundle FILE --log-key KEY" with a log key you already trust: its checkpoint must have the ' +
      'fingerprint above.',
    { size: 8, color: '#555555' },
  );

  const sections: [string, () => Promise<void> | void][] = [
    ['Product', () => productSection(layout, products, status)],
    ['Transaction information and history (DSCSA)', () => transfersSection(layout, transfers)],
    ['Transaction statement', () => statementSection(layout)],
    ['Custody timeline', () => timeline(layout, snapshot, counts.events, drain)],
    [
      'Alerts and investigations',
      () => alertsSection(layout, alerts, alertCount, verifications, scope.kind === 'alerts'),
    ],
  ];
  // A report on the open alerts starts with them.
  if (scope.kind === 'alerts') sections.unshift(sections.pop()!);
  for (const [i, [heading, write]] of sections.entries()) {
    layout.heading(`${i + 1}. ${heading}`);
    await write();
    await drain();
  }
  layout.end();
  await finished;
  await drain();
}

function titleOf(context: ReportContext, products: ScopeProduct[]): string {
  const { scope } = context;
  const product = products[0] ? `${products[0].name} ${products[0].strength} ${products[0].dosage_form}` : null;
  switch (scope.kind) {
    case 'serial':
      return `Serial ${scope.serial}${product ? ` · ${product}` : ''} · GTIN ${scope.gtin}`;
    case 'lot':
      return `Lot ${scope.lot}${product ? ` · ${product}` : ''} · GTIN ${scope.gtin}`;
    case 'gtin':
      return `GTIN ${scope.gtin}${product ? ` · ${product}` : ''} · ${time(scope.from)} to ${time(scope.to)}`;
    case 'party':
      return `Party ${scope.gln} · ${time(scope.from)} to ${time(scope.to)}`;
    case 'alerts':
      return 'Open alerts and investigations';
  }
}

function productSection(layout: PdfLayout, products: ScopeProduct[], status: ScopeStatusLine[]): void {
  if (products.length === 0) layout.paragraph('No units are in this report.');
  else productTables(layout, products);
  if (status.length === 0) return;
  layout.paragraph('Where the units are now (as of the export):', { bold: true });
  const table = layout.table([
    { header: 'Status', width: 1.2 },
    { header: 'Hold', width: 1 },
    { header: 'Custodian', width: 3 },
    { header: 'Units', width: 0.8, align: 'right' },
  ]);
  for (const line of status) {
    table.row([
      line.status.replace('_', ' '),
      line.hold ?? '',
      line.custodian ? party(line.custodian_name, line.custodian) : 'another party',
      n(line.units),
    ]);
  }
  table.end();
}

function transfersSection(layout: PdfLayout, transfers: { rows: EventInfo[]; total: number }): void {
  layout.paragraph(
    'Every change of ownership of the units in this report, oldest first: the transaction information (TI) of each ' +
      'transaction, which together, back to the manufacturer, make the transaction history (TH). The product ' +
      'information of each transaction is in the product section.',
  );
  if (transfers.total === 0) {
    layout.paragraph('The units in this report have not been sold or shipped.');
    return;
  }
  const table = layout.table([
    { header: 'Log #', width: 0.7 },
    { header: 'Transaction / shipment date', width: 1.2 },
    { header: 'Seller (shipper)', width: 2.4 },
    { header: 'Buyer (recipient)', width: 2.4 },
    { header: 'Units', width: 0.7, align: 'right' },
    { header: 'PO / invoice', width: 1.1 },
    { header: 'Shipment', width: 1.9 },
  ]);
  for (const t of transfers.rows) {
    table.row([
      String(t.idx),
      `${t.transaction_date ?? ''}\n${t.shipment_date ?? ''}`,
      `${t.seller_name ?? ''}\nGLN ${t.seller_gln ?? ''}\n${t.seller_address ?? ''}`,
      `${t.buyer_name ?? ''}\nGLN ${t.buyer_gln ?? ''}\n${t.buyer_address ?? ''}`,
      n(t.units),
      [t.purchase_order, t.invoice].filter(Boolean).join('\n'),
      shipmentCell(t),
    ]);
  }
  table.end();
  if (transfers.total > transfers.rows.length) {
    layout.paragraph(`… and ${n(transfers.total - transfers.rows.length)} more transactions: see the CSV export.`);
  }
}

function statementSection(layout: PdfLayout): void {
  layout.paragraph(
    'With each transaction above, the seller states (Federal Food, Drug, and Cosmetic Act §581(27), as amended by ' +
      'the Drug Supply Chain Security Act):',
  );
  for (const line of TRANSACTION_STATEMENT.slice(1)) layout.paragraph(`    ${line}`, { size: 8.5 });
}

function alertsSection(
  layout: PdfLayout,
  alerts: ScopeAlert[],
  total: number,
  verifications: SuspiciousVerification[],
  openOnly: boolean,
): void {
  alertsTable(layout, alerts, total, openOnly);
  if (verifications.length === 0) {
    layout.paragraph('No suspicious verifications of these units.');
    return;
  }
  layout.paragraph('Suspicious verifications (the scan did not match the log):', { bold: true });
  const table = layout.table([
    { header: 'Time', width: 1.3 },
    { header: 'Requester', width: 2.2 },
    { header: 'Unit', width: 2.4 },
    { header: 'Reasons', width: 1.8 },
  ]);
  for (const v of verifications) {
    table.row([
      time(v.at),
      party(v.requester_name, v.requester),
      v.code ?? `unknown serial of GTIN ${v.gtin ?? '?'}`,
      v.reasons.join(', '),
    ]);
  }
  table.end();
}

function requester(context: ReportContext): string {
  const who = party(context.viewerName, context.viewer.gln);
  return context.viewer.everyone
    ? `${who}, regulator: every party's events`
    : `${who}: its own history only (the events naming it, and the history of the units it holds or held)`;
}

function productTables(layout: PdfLayout, products: ScopeProduct[]): void {
  const seen = new Set<string>();
  const table = layout.table([
    { header: 'GTIN', width: 1.3 },
    { header: 'NDC', width: 0.9 },
    { header: 'Product', width: 1.5 },
    { header: 'Strength', width: 0.8 },
    { header: 'Dosage form', width: 0.9 },
    { header: 'Container size', width: 1 },
    { header: 'Manufacturer', width: 2.2 },
  ]);
  for (const p of products) {
    if (seen.has(p.gtin)) continue;
    seen.add(p.gtin);
    table.row([
      p.gtin,
      p.ndc ?? '',
      p.name,
      p.strength,
      p.dosage_form,
      p.container_size,
      `${p.manufacturer_name ?? ''}\nGLN ${p.manufacturer}\n${p.manufacturer_address ?? ''}`,
    ]);
  }
  table.end();
  const lots = layout.table([
    { header: 'GTIN', width: 1.3 },
    { header: 'Lot', width: 1 },
    { header: 'Expiry', width: 1.2 },
    { header: 'Units in this report', width: 1, align: 'right' },
    { header: 'Recall', width: 3 },
  ]);
  for (const p of products) {
    const recall = p.recalled
      ? `RECALLED: ${[p.recall?.reason, p.recall?.classification && `class ${String(p.recall.classification)}`].filter(Boolean).join(', ')}`
      : 'not recalled';
    lots.row([p.gtin, p.lot, `${p.expiry} (${p.expiry_code})`, n(p.units), recall]);
  }
  lots.end();
  if (products.length >= 50) layout.paragraph('… more products and lots: see the CSV export.');
}

function shipmentCell(t: EventInfo): string {
  const lines = [`${t.shipment_id ?? ''} (${t.shipment_reason === 'return' ? 'return' : 'sale'})`];
  if (t.receive_idx !== null) lines.push(`received ${time(t.received_at)} (log #${t.receive_idx})`);
  else lines.push('in transit');
  if (t.discrepancy) {
    const { missing, extra } = t.discrepancy;
    lines.push(`DISCREPANCY: ${missing.length} missing, ${extra.length} extra`);
  }
  return lines.join('\n');
}

interface TimelineRow {
  first: EventInfo;
  last: EventInfo;
  count: number;
  units: number;
}

async function timeline(
  layout: PdfLayout,
  snapshot: ReportSnapshot,
  total: number,
  drain: () => Promise<void>,
): Promise<void> {
  if (total === 0) {
    layout.paragraph('No events.');
    return;
  }
  layout.paragraph(
    'Every logged event about these units, in log order. Consecutive events of the same kind by the same party, ' +
      'each about as many units, are shown as one line.',
    { size: 8, color: '#555555' },
  );
  const table = layout.table([
    { header: 'Log #', width: 0.9 },
    { header: 'Event time', width: 1.3 },
    { header: 'Event', width: 1.2 },
    { header: 'By', width: 2.2 },
    { header: 'Units', width: 0.7, align: 'right' },
    { header: 'Details', width: 2.8 },
  ]);
  let rows = 0;
  let shown = 0;
  let open: TimelineRow | null = null;
  const emit = (row: TimelineRow) => {
    const { first, last, count } = row;
    table.row([
      count === 1 ? String(first.idx) : `${first.idx}–${last.idx}`,
      count === 1 ? time(first.event_time) : `${time(first.event_time)}\n… ${time(last.event_time)}`,
      count === 1 ? eventName(first.event_type) : `${eventName(first.event_type)} ×${n(count)}`,
      party(first.actor_name, first.actor),
      row.units > 0
        ? n(row.units)
        : first.event_type.startsWith('recall') || first.event_type === 'product.register'
          ? 'lot'
          : '',
      details(first, count),
    ]);
    rows++;
    shown += count;
  };
  for await (const batch of snapshot.eventInfos(1000)) {
    for (const e of batch) {
      // Runs of alike events (ten cases packed, ten batches commissioned) read as one line; equal unit counts keep
      // the sum honest (a pallet packed after its cases is its own line).
      if (
        open &&
        GROUPED.has(e.event_type) &&
        open.first.event_type === e.event_type &&
        open.first.actor === e.actor &&
        open.first.units === e.units
      ) {
        open.last = e;
        open.count++;
        open.units += e.units;
        continue;
      }
      if (open) emit(open);
      open = { first: e, last: e, count: 1, units: e.units };
      if (rows >= MAX_TIMELINE_ROWS) break;
    }
    await drain();
    if (rows >= MAX_TIMELINE_ROWS) break;
  }
  if (open && rows < MAX_TIMELINE_ROWS) emit(open);
  table.end();
  if (shown < total) {
    layout.paragraph(`… and ${n(total - shown)} more events: see the CSV export or the evidence bundle.`);
  }
}

function eventName(type: string): string {
  return EVENT_NAMES[type] ?? type;
}

function details(e: EventInfo, count: number): string {
  if (e.withheld) return 'between other parties: withheld (it does not name you); logged and in the checkpoint';
  switch (e.event_type) {
    case 'ship':
      return `to ${party(e.buyer_name, e.buyer_gln)}, shipment ${e.shipment_id ?? '?'}${e.shipment_reason === 'return' ? ' (return)' : ''}`;
    case 'receive': {
      const base = `from ${party(e.seller_name, e.seller_gln)}, shipment ${e.shipment_id ?? '?'}`;
      if (!e.discrepancy || e.receive_idx !== e.idx) return base;
      return `${base}; DISCREPANCY: ${e.discrepancy.missing.length} missing, ${e.discrepancy.extra.length} extra`;
    }
    case 'pack':
      return count === 1 ? `into ${e.note ?? '?'}` : `into ${n(count)} containers`;
    case 'unpack':
      return count === 1 ? `from ${e.note ?? '?'}` : `from ${n(count)} containers`;
    case 'illegitimate':
      return `classification: ${e.note ?? '?'}`;
    default:
      return e.note ? `reason: ${e.note}` : '';
  }
}

function alertsTable(layout: PdfLayout, alerts: ScopeAlert[], total: number, openOnly: boolean): void {
  if (alerts.length === 0) {
    layout.paragraph(openOnly ? 'No open alerts.' : 'No alerts concern these units.');
    return;
  }
  const table = layout.table([
    { header: 'Opened', width: 1.3 },
    { header: 'Kind', width: 1 },
    { header: 'Status', width: 1.2 },
    { header: 'Items', width: 0.6, align: 'right' },
    { header: 'Details', width: 3.6 },
  ]);
  for (const a of alerts) {
    table.row([
      `log #${a.opened_idx}\n${time(a.opened_at)}`,
      a.kind,
      a.status === 'open' ? 'OPEN' : `closed\nlog #${a.closed_idx ?? '?'}\n${time(a.closed_at)}`,
      a.kind === 'recall' ? 'lot' : n(a.item_count),
      alertDetails(a),
    ]);
  }
  table.end();
  if (total > alerts.length) layout.paragraph(`… and ${n(total - alerts.length)} more alerts.`);
}

function alertDetails(a: ScopeAlert): string {
  const d = a.details as Record<string, unknown>;
  const who = (gln: unknown) => (typeof gln === 'string' ? party(a.names?.[gln] ?? null, gln) : '?');
  switch (a.kind) {
    case 'discrepancy': {
      const missing = (d.missing as string[] | undefined) ?? [];
      const extra = (d.extra as string[] | undefined) ?? [];
      const list = (codes: string[]) =>
        codes.slice(0, 3).join(', ') + (codes.length > 3 ? ` (+${codes.length - 3})` : '');
      return (
        `shipment ${String(d.shipmentId)} from ${who(d.shipper)} to ${who(d.recipient)}` +
        (missing.length > 0 ? `; missing: ${list(missing)}` : '') +
        (extra.length > 0 ? `; extra: ${list(extra)}` : '')
      );
    }
    case 'quarantine':
      return `reason: ${String(d.reason)}; by ${who(d.by)}`;
    case 'illegitimate': {
      const report = (d.report ?? {}) as Record<string, unknown>;
      return `FDA 3911 ${String(report.reportType)}: ${String(report.classification)}; ${String(report.description ?? '')}; by ${who(d.by)}`;
    }
    case 'recall':
      return `lot ${a.lot ?? '?'} of GTIN ${a.gtin ?? '?'}: ${String(d.reason)}${d.classification ? `, class ${String(d.classification)}` : ''}`;
    default:
      return JSON.stringify(d);
  }
}
