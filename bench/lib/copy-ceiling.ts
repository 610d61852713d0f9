import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { unitCode } from '../../src/protocol/item-code';

export interface CopyCeiling {
  rows: number;
  durationMs: number;
  rowsPerSecond: number;
}

/**
 * The same-run ceiling for commissioning (issue 12 §1): `COPY … FROM STDIN` (pg-copy-streams) of `rows` commissioned
 * unit rows, the row shape the intake writes (every column of `item_record` but the inheritance ones, which keep their defaults; history of one index), into a table created
 * `LIKE item_record INCLUDING ALL` (the same columns, defaults and indexes; no foreign keys), `clients` connections at once,
 * `chunk` rows a COPY. The table is dropped afterwards. Only the COPY is timed; the text is built before.
 */
export async function copyCeiling(
  pool: Pool,
  options: { rows: number; clients: number; chunk: number; gtin: string; lot: string; custodian: string },
): Promise<CopyCeiling> {
  await pool.query('DROP TABLE IF EXISTS bench_copy_item');
  await pool.query('CREATE TABLE bench_copy_item (LIKE item_record INCLUDING ALL)');
  const columns =
    'code, kind, gtin, serial, lot, expiry_code, expiry, status, hold, custodian, sellers, parent, shipment, ' +
    'return_pending, return_received_at, transfers, last_idx, history';
  const chunks: string[] = [];
  for (let start = 0; start < options.rows; start += options.chunk) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(start + options.chunk, options.rows); i++) {
      const serial = `C${String(i).padStart(12, '0')}`;
      const index = 1_000_000 + i;
      lines.push(
        `${unitCode(options.gtin, serial)}\tunit\t${options.gtin}\t${serial}\t${options.lot}\t291231\t2029-12-31\t` +
          `active\t\\N\t${options.custodian}\t{}\t\\N\t\\N\tf\t\\N\t0\t${index}\t{${index}}\n`,
      );
    }
    chunks.push(lines.join(''));
  }
  const clients = await Promise.all(Array.from({ length: options.clients }, () => pool.connect()));
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < chunks.length; i = next++) {
          await pipeline(
            Readable.from([chunks[i]]),
            client.query(copyFrom(`COPY bench_copy_item (${columns}) FROM STDIN`)),
          );
        }
      }),
    );
    const durationMs = performance.now() - started;
    return { rows: options.rows, durationMs, rowsPerSecond: (options.rows * 1000) / durationMs };
  } finally {
    for (const client of clients) client.release();
    await pool.query('DROP TABLE IF EXISTS bench_copy_item');
  }
}
