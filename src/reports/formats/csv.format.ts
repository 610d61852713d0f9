import { stringify } from 'csv-stringify';
import { once } from 'node:events';
import { ReportSink } from '../report-sink';
import { ReportSnapshot } from '../reports.repository';

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

const ROW_BATCH = 5000;

/**
 * RFC 4180 (CRLF line ends, quotes only where needed) through csv-stringify's stream: rows go in as the cursor
 * yields them, text comes out to the response; a slow client stalls the stringifier, which stalls the cursor.
 */
export async function writeCsv(snapshot: ReportSnapshot, sink: ReportSink): Promise<{ rows: number }> {
  await snapshot.describeEvents();
  const csv = stringify({ header: true, columns: [...CSV_COLUMNS], record_delimiter: 'windows' });
  csv.setEncoding('utf8');
  const output = (async () => {
    for await (const chunk of csv) await sink.write(chunk as string);
  })();
  // Surfaces an output failure (the client went away) to the loop below, which may be waiting for 'drain'.
  const failed = output.then(() => new Promise<never>(() => undefined));
  let rows = 0;
  try {
    for await (const batch of snapshot.csvRows(ROW_BATCH)) {
      for (const row of batch) {
        if (!csv.write(row)) await Promise.race([once(csv, 'drain'), failed]);
      }
      rows += batch.length;
    }
    csv.end();
  } catch (error) {
    csv.destroy();
    await output.catch(() => undefined);
    throw error;
  }
  await output;
  return { rows };
}
