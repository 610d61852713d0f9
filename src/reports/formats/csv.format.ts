import { stringify } from 'csv-stringify/sync';
import { ReportContext } from '../report-context';
import { ReportSink } from '../report-sink';
import { EventInfo, ReportSnapshot } from '../reports.repository';

/**
 * The CSV columns, in order: one row per unit per event, carrying the DSCSA transaction information of the event
 * where it is a transfer (ship, and the receive that completed it). For a return, the seller is the party sending
 * the units back. Times are UTC, RFC 3339 with milliseconds; dates are YYYY-MM-DD.
 */
export const CSV_COLUMNS = [
  'product_name',
  'strength',
  'dosage_form',
  'container_size',
  'ndc',
  'gtin',
  'serial',
  'lot',
  'expiry',
  'event_type',
  'log_index',
  'event_time',
  'accepted_at',
  'actor_gln',
  'actor_name',
  'seller_gln',
  'seller_name',
  'seller_address',
  'buyer_gln',
  'buyer_name',
  'buyer_address',
  'transaction_date',
  'shipment_date',
  'purchase_order',
  'invoice',
  'shipment_id',
  'shipment_reason',
] as const;

/** Units per page: about 6 rows each in a typical lot. */
const UNIT_PAGE = 1000;
/** Event fragments kept: a lot has a few thousand events; a long party window may have millions. */
const MAX_CACHED_EVENTS = 50_000;

/** One record's fields as RFC 4180 text (CRLF line ends, quotes only where needed), without the line end. */
const fields = (values: unknown[]) => stringify([values], { record_delimiter: 'unix' }).slice(0, -1);

/**
 * Writes the CSV as it reads the units, a page at a time. Each row is one unit's fields (product and package) and
 * one event's (what happened, who, the transaction information), and every unit and every event is in many rows:
 * csv-stringify quotes the fields of each unit once and of each event once (kept while the export runs), and rows
 * are assembled from those pieces. That keeps the per-row cost to a string concatenation and the database's output
 * to one row per unit instead of one wide row per unit per event.
 */
export async function writeCsv(
  snapshot: ReportSnapshot,
  context: Pick<ReportContext, 'checkpoint' | 'completeHistories'>,
  sink: ReportSink,
): Promise<{ rows: number }> {
  await snapshot.describeEvents();
  await sink.write(fields([...CSV_COLUMNS]) + '\r\n');
  const products = new Map<string, string>();
  const events = new Map<number, string>();
  let rows = 0;
  let after = '';
  for (;;) {
    const units = await snapshot.unitsPage(after, UNIT_PAGE, context.checkpoint.size, context.completeHistories);
    if (units.length === 0) break;
    after = units[units.length - 1].code;
    const newGtins = [...new Set(units.map((u) => u.gtin))].filter((gtin) => !products.has(gtin));
    for (const p of newGtins.length > 0 ? await snapshot.productsOf(newGtins) : []) {
      products.set(p.gtin, fields([p.name, p.strength, p.dosage_form, p.container_size, p.ndc]));
    }
    const needed = [...new Set(units.flatMap((u) => u.history))];
    let missing = needed.filter((idx) => !events.has(idx));
    if (events.size + missing.length > MAX_CACHED_EVENTS) {
      events.clear();
      missing = needed;
    }
    for (const e of missing.length > 0 ? await snapshot.eventInfosOf(missing) : []) {
      events.set(e.idx, eventFields(e));
    }
    for (const unit of units) {
      // One unit's rows at a time: the sink sends 64 KiB chunks, so no page-sized string is ever built.
      const head = `${products.get(unit.gtin)},${fields([unit.gtin, unit.serial, unit.lot, unit.expiry])},`;
      let text = '';
      for (const idx of unit.history) text += head + events.get(idx)! + '\r\n';
      rows += unit.history.length;
      await sink.write(text);
    }
  }
  return { rows };
}

function eventFields(e: EventInfo): string {
  return fields([
    e.event_type,
    e.idx,
    e.event_time,
    e.accepted_at,
    e.actor,
    e.actor_name,
    e.seller_gln,
    e.seller_name,
    e.seller_address,
    e.buyer_gln,
    e.buyer_name,
    e.buyer_address,
    e.transaction_date,
    e.shipment_date,
    e.purchase_order,
    e.invoice,
    e.shipment_id,
    e.shipment_reason,
  ]);
}
