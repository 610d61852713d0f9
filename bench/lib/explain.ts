import { randomBytes } from 'node:crypto';
import type { PoolClient, QueryResultRow } from 'pg';
import { Sql } from '../../src/database/database';
import { LogRepository, NewLogEntry } from '../../src/ledger/log.repository';
import { Item, Shipment } from '../../src/protocol/custody';
import { CustodyRepository, ItemWrite } from '../../src/supply-chain/custody.repository';
import { VerificationRepository } from '../../src/verification/verification.repository';
import type { Database } from '../../src/database/database';
import { BENCH_TRANSACTION } from './supply-chain';

export interface ExplainedStatement {
  /** What the statement did in this sample, e.g. "UPDATE item: 500 units shipped". */
  label: string;
  /** The statement's first line. */
  statement: string;
  executionMs: number;
  planningMs: number;
  plan: string[];
}

/**
 * A `Sql` that runs every statement under EXPLAIN (ANALYZE, BUFFERS) and keeps the plans instead of the rows: the
 * repositories' own statements, with their own parameters, explained as intake runs them. ANALYZE executes the
 * statement, so use it inside a transaction that is rolled back.
 */
export class ExplainingSql implements Sql {
  readonly plans: Omit<ExplainedStatement, 'label'>[] = [];

  constructor(private readonly client: PoolClient) {}

  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    const { rows } = await this.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
    const plan = rows.map((row) => row['QUERY PLAN']);
    const time = (name: string) => Number(new RegExp(`${name} Time: ([\\d.]+) ms`).exec(plan.join('\n'))?.[1] ?? NaN);
    this.plans.push({
      statement: text.trim().split('\n')[0].replace(/\s+/g, ' ').slice(0, 100),
      executionMs: time('Execution'),
      planningMs: time('Planning'),
      plan,
    });
    return [];
  }
}

class PlainSql implements Sql {
  constructor(private readonly client: PoolClient) {}
  async query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.client.query<T>(text, params)).rows;
  }
}

const SUGGESTED_COLUMNS = (t: string) =>
  ['code', 'kind', 'gtin', 'serial', 'lot', 'expiry_code', 'expiry', 'status', 'hold', 'custodian', 'sellers', 'parent']
    .concat(['shipment', 'return_pending', 'return_received_at', 'transfers', 'last_idx'])
    .map((column) => `${t}.${column}`)
    .join(', ');

export interface IntakeSample {
  /** Loose units, as a batch of single-unit ship events names them. */
  units: string[];
  /** Pallets, as a batch of pallet ship events names them. */
  pallets: string[];
  shipper: string;
  recipient: string;
  /** GTIN and lot for a commissioning sample (new serials under them). */
  gtin: string;
  lot: string;
  /** How many new serials the commissioning sample inserts. */
  commissionSerials: number;
  /** Logged events (actor, event id), as intake looks them up to recognize a replay. */
  logged: { actor: string; eventId: string }[];
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the heavy statements of the intake transaction, each in a transaction that is
 * rolled back (nothing stays, the sequencer does not move): the recursive item load, UPDATE item, INSERT INTO
 * item, INSERT INTO log_entry and log_entry_party, INSERT INTO shipment, with batch-sized inputs.
 */
export async function explainIntakeStatements(
  connect: () => Promise<PoolClient>,
  sample: IntakeSample,
): Promise<ExplainedStatement[]> {
  const out: ExplainedStatement[] = [];
  const client = await connect();
  const plain = new PlainSql(client);
  const custody = new CustodyRepository(undefined as never);
  const log = new LogRepository(undefined as never);
  const inRollback = async (label: string, work: (sql: ExplainingSql) => Promise<void>) => {
    await client.query('BEGIN');
    try {
      const sql = new ExplainingSql(client);
      await work(sql);
      sql.plans.forEach((plan, i) =>
        out.push({ label: sql.plans.length > 1 ? `${label} (${i + 1})` : label, ...plan }),
      );
    } catch (error) {
      // A statement written here for comparison may not match the schema any more: say so, keep the others.
      out.push({
        label,
        statement: `failed: ${(error as Error).message}`,
        executionMs: NaN,
        planningMs: NaN,
        plan: [],
      });
    } finally {
      await client.query('ROLLBACK');
    }
  };
  try {
    const { rows } = await client.query<{ next_index: string }>('SELECT next_index FROM log_sequencer');
    const next = Number(rows[0].next_index);
    const n = sample.units.length;

    await inRollback(`replay check: ${sample.logged.length} (actor, event id) lookups`, (sql) =>
      log
        .findByEventIds(
          sql,
          sample.logged.map((e) => e.actor),
          sample.logged.map((e) => e.eventId),
        )
        .then(() => undefined),
    );
    // For comparison, not in src: the same lookup with the actors typed like the column (char(13)), so that the
    // comparison needs no cast of log_entry.actor and the unique index (actor, event_id) applies.
    await inRollback(`SUGGESTED replay check (not in src): actors as char(13)`, (sql) =>
      sql
        .query(
          `SELECT e.idx, e.actor, e.event_id, e.event_hash, e.signature, e.leaf_hash, e.accepted_at
             FROM unnest($1::char(13)[], $2::text[]) AS k(actor, event_id)
             JOIN log_entry e ON e.actor = k.actor AND e.event_id = k.event_id`,
          [sample.logged.map((e) => e.actor), sample.logged.map((e) => e.eventId)],
        )
        .then(() => undefined),
    );
    await inRollback(`recursive item load: ${n} loose units`, (sql) =>
      custody.itemsWithContents(sql, sample.units).then(() => undefined),
    );
    await inRollback(`recursive item load: ${sample.pallets.length} pallets`, (sql) =>
      custody.itemsWithContents(sql, sample.pallets).then(() => undefined),
    );

    // For comparison, not in src: the same load as one recursive query that carries the rows (no second lookup by
    // code) and recurses only from containers (units have no contents), so the planner has no reason to scan
    // the whole item table for each level.
    const rowsOfTree = `WITH RECURSIVE tree AS (
         SELECT ${SUGGESTED_COLUMNS('i')} FROM item_record i WHERE i.code = ANY($1::text[])
         UNION ALL
         SELECT ${SUGGESTED_COLUMNS('c')} FROM tree t JOIN item_record c ON c.parent = t.code WHERE t.kind = 'container'
       )
       SELECT * FROM tree`;
    for (const [what, codes] of [
      [`${n} loose units`, sample.units],
      [`${sample.pallets.length} pallets`, sample.pallets],
    ] as const) {
      await inRollback(`SUGGESTED recursive load (not in src): ${what}`, (sql) =>
        sql.query(rowsOfTree, [codes]).then(() => undefined),
      );
    }

    // Loose units are written whole; a pallet's move (issue 12 §1) writes the pallet's row only: its contents
    // inherit the move (migrations/1765000800000-InheritedCustody.ts).
    const shipped = (item: Item): ItemWrite => ({
      code: item.code,
      row: {
        item: { ...item, custodian: sample.recipient, status: 'in_transit', lastIndex: next },
        top: null,
        topSince: null,
        opsBase: 0,
      },
      history: [next],
      merge: false,
      moves: item.kind === 'container' && item.parent === null ? [next] : [],
      ops: [],
      receiptAt: null,
    });
    const units = await custody.itemsWithContents(plain, sample.units);
    await inRollback(`UPDATE item_record: ${units.length} units shipped`, (sql) =>
      custody.updateItems(sql, units.map(shipped)),
    );
    const palletContents = await custody.itemsWithContents(plain, sample.pallets);
    await inRollback(
      `UPDATE item_record: ${sample.pallets.length} pallets shipped (${palletContents.length} items inside and out)`,
      (sql) => custody.updateItems(sql, palletContents.filter((item) => item.parent === null).map(shipped)),
    );

    // For comparison, not in src: what recording each moved unit's new log index as an append-only (code, idx) row
    // costs, next to rewriting the unit's whole row (and every index entry) as UPDATE item does.
    await inRollback(`ALTERNATIVE (not in src): INSERT ${palletContents.length} (code, idx) rows`, async (sql) => {
      // A plain (WAL-logged) table like item, created in the transaction that is rolled back.
      await client.query('CREATE TABLE item_event_sketch (code text, idx bigint, PRIMARY KEY (code, idx))');
      await sql.query('INSERT INTO item_event_sketch (code, idx) SELECT * FROM unnest($1::text[], $2::bigint[])', [
        palletContents.map((item) => item.code),
        palletContents.map(() => next),
      ]);
    });

    const template = units[0];
    const fresh: Item[] = Array.from({ length: sample.commissionSerials }, (_, i) => ({
      ...template,
      code: `(01)${sample.gtin}(21)X${String(i).padStart(9, '0')}`,
      serial: `X${String(i).padStart(9, '0')}`,
      gtin: sample.gtin,
      lot: sample.lot,
      status: 'active',
      custodian: sample.shipper,
      sellers: [],
      parent: null,
      shipment: null,
      transfers: 0,
      lastIndex: next,
    }));
    await inRollback(`INSERT INTO item_record: ${fresh.length} serials commissioned`, (sql) =>
      custody.insertItems(
        sql,
        fresh.map((item) => ({
          code: item.code,
          row: { item, top: null, topSince: null, opsBase: 0 },
          history: [next],
          merge: false,
          moves: [],
          ops: [],
          receiptAt: null,
        })),
      ),
    );

    const entries: NewLogEntry[] = Array.from({ length: n }, (_, i) => ({
      index: next + i,
      leafHash: randomBytes(32),
      actor: sample.shipper,
      eventId: `explain-${i}`,
      eventType: 'ship',
      keyId: '0000000000000000',
      eventTime: new Date().toISOString(),
      eventHash: randomBytes(32),
      signature: randomBytes(64),
      eventJson: JSON.stringify({ explain: i, items: [sample.units[i % n]], transaction: BENCH_TRANSACTION }),
      parties: [sample.shipper, sample.recipient],
    }));
    await inRollback(`INSERT INTO log_entry + log_entry_party: ${n} entries`, (sql) =>
      log.append(sql, entries, new Date()),
    );

    const shipments: Shipment[] = Array.from({ length: n }, (_, i) => ({
      id: `${sample.shipper}:EXPLAIN-${i}`,
      shipper: sample.shipper,
      shipmentId: `EXPLAIN-${i}`,
      recipient: sample.recipient,
      reason: 'sale',
      items: [sample.units[i % n]],
      unitCount: 1,
      transaction: BENCH_TRANSACTION,
      shipIndex: next + i,
      shippedAt: new Date(),
      status: 'in_transit',
      receiveIndex: null,
      receivedAt: null,
      discrepancy: null,
    }));
    await inRollback(`INSERT INTO shipment: ${n} shipments`, (sql) => custody.saveShipments(sql, shipments));
  } finally {
    client.release();
  }
  return out;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the one read behind a verification (VerificationRepository.facts, the src SQL),
 * for each sample: how many buffers it touches shows whether it stays O(log n) as the tables grow.
 */
export async function explainVerificationFacts(
  connect: () => Promise<PoolClient>,
  samples: { label: string; gtin: string; code: string }[],
  treeSize: number,
): Promise<(ExplainedStatement & { buffers: number })[]> {
  const client = await connect();
  try {
    const sql = new ExplainingSql(client);
    const repository = new VerificationRepository(sql as unknown as Database);
    const out: (ExplainedStatement & { buffers: number })[] = [];
    for (const sample of samples) {
      await repository.facts(sample.gtin, sample.code, treeSize);
      const plan = sql.plans[sql.plans.length - 1];
      // The top node's buffer line totals the whole statement.
      const line = plan.plan.find((l) => l.trim().startsWith('Buffers:')) ?? '';
      const buffers = [...line.matchAll(/(?:hit|read)=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      out.push({ label: sample.label, ...plan, buffers });
    }
    return out;
  } finally {
    client.release();
  }
}
