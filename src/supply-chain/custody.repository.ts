import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { ClientSql, Database, Sql } from '../database/database';
import { Alert, AlertKind, Hold, Item, ItemStatus, Lot, Product, Shipment, TransactionInfo } from '../protocol/custody';

interface ItemRow {
  code: string;
  kind: 'unit' | 'container';
  gtin: string | null;
  serial: string | null;
  lot: string | null;
  expiry_code: string | null;
  expiry: string | null;
  status: ItemStatus;
  hold: Hold | null;
  custodian: string;
  sellers: string[];
  parent: string | null;
  shipment: string | null;
  return_pending: boolean;
  return_received_at: Date | null;
  transfers: number;
  last_idx: number;
}

/** An item row's inheritance bookkeeping, beside its effective state. */
interface RecordRow {
  top: string | null;
  top_since: string | number | null;
  ops_length: number;
  top_ops_length: number;
  inherited: (string | number)[];
}

/** How an item's own row inherits (see migrations/1765000800000-InheritedCustody.ts). */
export interface ItemRecord {
  /** Its outermost container (null: not packed). */
  top: string | null;
  /** The log index from which it inherits the top's moves. */
  topSince: number | null;
  /** A container's receipts so far (the length of its `ops`). */
  opsLength: number;
  /** The length of its top's `ops`. */
  topOpsLength: number;
  /** The top's moves it inherits (after `topSince`). */
  inherited: number[];
}

export interface LoadedItem {
  item: Item;
  record: ItemRecord;
}

/** The columns of an item row as `toItem` reads them, from the table aliased `a`. */
const itemColumns = (a: string) =>
  `${a}.code, ${a}.kind, ${a}.gtin, ${a}.serial, ${a}.lot, ${a}.expiry_code, to_char(${a}.expiry, 'YYYY-MM-DD') AS expiry,
   ${a}.status, ${a}.hold, ${a}.custodian, ${a}.sellers, ${a}.parent, ${a}.shipment, ${a}.return_pending,
   ${a}.return_received_at, ${a}.transfers, ${a}.last_idx`;

export const toItem = (r: ItemRow): Item => ({
  code: r.code,
  kind: r.kind,
  gtin: r.gtin,
  serial: r.serial,
  lot: r.lot,
  expiryCode: r.expiry_code,
  expiry: r.expiry,
  status: r.status,
  hold: r.hold,
  custodian: r.custodian,
  sellers: r.sellers,
  parent: r.parent,
  shipment: r.shipment,
  returnPending: r.return_pending,
  returnReceivedAt: r.return_received_at,
  transfers: r.transfers,
  lastIndex: r.last_idx,
});

interface ProductRow {
  gtin: string;
  ndc: string | null;
  name: string;
  strength: string;
  dosage_form: string;
  container_size: string;
  manufacturer: string;
  registered_idx: number;
}

export const toProduct = (r: ProductRow): Product => ({
  gtin: r.gtin,
  ndc: r.ndc,
  name: r.name,
  strength: r.strength,
  dosageForm: r.dosage_form,
  containerSize: r.container_size,
  manufacturer: r.manufacturer,
  registeredIndex: r.registered_idx,
});

interface ShipmentRow {
  id: string;
  shipper: string;
  shipment_id: string;
  recipient: string;
  reason: 'sale' | 'return';
  items: string[];
  unit_count: number;
  transaction: TransactionInfo;
  ship_idx: number;
  shipped_at: Date;
  status: 'in_transit' | 'received';
  receive_idx: number | null;
  received_at: Date | null;
  discrepancy: Shipment['discrepancy'];
}

export const toShipment = (r: ShipmentRow): Shipment => ({
  id: r.id,
  shipper: r.shipper,
  shipmentId: r.shipment_id,
  recipient: r.recipient,
  reason: r.reason,
  items: r.items,
  unitCount: r.unit_count,
  transaction: r.transaction,
  shipIndex: r.ship_idx,
  shippedAt: r.shipped_at,
  status: r.status,
  receiveIndex: r.receive_idx,
  receivedAt: r.received_at,
  discrepancy: r.discrepancy,
});

interface AlertRow {
  opened_idx: number;
  seq: number;
  kind: AlertKind;
  status: 'open' | 'closed';
  gtin: string | null;
  lot: string | null;
  items: string[];
  parties: string[];
  details: Record<string, unknown>;
  opened_at: Date;
  closed_idx: number | null;
  closed_at: Date | null;
}

export const toAlert = (r: AlertRow): Alert => ({
  openedIndex: r.opened_idx,
  seq: r.seq,
  kind: r.kind,
  status: r.status,
  gtin: r.gtin,
  lot: r.lot,
  items: r.items,
  parties: r.parties,
  details: r.details,
  openedAt: r.opened_at,
  closedIndex: r.closed_idx,
  closedAt: r.closed_at,
});

/**
 * All SQL of the supply-chain read model used by intake: bulk loads of the state a batch of events needs and
 * bulk writes of what the batch changed (multi-row `unnest`, one statement per table).
 */
@Injectable()
export class CustodyRepository {
  constructor(readonly db: Database) {}

  /**
   * The items and, for containers, everything packed in them, at any depth: each with its effective state (the
   * view `item`: a packed item's custody read through its top container) and its own row's inheritance bookkeeping.
   */
  async itemsWithContents(sql: Sql, codes: string[]): Promise<Item[]> {
    return (await this.loadWithContents(sql, codes)).map((loaded) => loaded.item);
  }

  /** `itemsWithContents` with each item's own-row bookkeeping, as intake's store needs it. */
  async loadWithContents(sql: Sql, codes: string[]): Promise<LoadedItem[]> {
    if (codes.length === 0) return [];
    // Carries the codes down the tree and recurses only from containers (units hold nothing), so each level is an
    // index probe on `parent` for the containers found, never a scan of the item table.
    const rows = await sql.query<ItemRow & RecordRow>(
      `WITH RECURSIVE tree AS (
         SELECT i.code, i.kind FROM item_record i WHERE i.code = ANY($1::text[])
         UNION ALL
         SELECT c.code, c.kind FROM tree t JOIN item_record c ON c.parent = t.code WHERE t.kind = 'container'
       )
       SELECT x.* FROM tree CROSS JOIN LATERAL (
         -- Per row (LIMIT 1 keeps it a subquery): two primary-key probes an item (its row and its top's), never a
         -- scan of item_record, whatever the planner guesses of the tree's size.
         SELECT ${itemColumns('i')}, i.top, i.top_since, i.ops_length, i.top_ops_length, i.inherited
           FROM item i WHERE i.code = tree.code LIMIT 1
       ) x`,
      [codes],
    );
    return rows.map((r) => ({
      item: toItem(r),
      record: {
        top: r.top,
        topSince: r.top_since === null ? null : Number(r.top_since),
        opsLength: r.ops_length,
        topOpsLength: r.top_ops_length,
        inherited: r.inherited.map(Number),
      },
    }));
  }

  /** Which of these codes are already items (a commissioning check: no contents needed). */
  async existingCodes(sql: Sql, codes: string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows = await sql.query<{ code: string }>(
      'SELECT i.code FROM unnest($1::text[]) AS c(code) JOIN item_record i ON i.code = c.code',
      [codes],
    );
    return rows.map((r) => r.code);
  }

  async products(sql: Sql, gtins: string[]): Promise<Product[]> {
    if (gtins.length === 0) return [];
    return (await sql.query<ProductRow>('SELECT * FROM product WHERE gtin = ANY($1)', [gtins])).map(toProduct);
  }

  async lots(sql: Sql, keys: { gtin: string; lot: string }[]): Promise<Lot[]> {
    if (keys.length === 0) return [];
    const rows = await sql.query<{
      gtin: string;
      lot: string;
      expiry_code: string;
      commissioned_idx: number;
      recalled: boolean;
      recall_idx: number | null;
      recall: Record<string, unknown> | null;
    }>(
      `SELECT l.* FROM unnest($1::text[], $2::text[]) AS k(gtin, lot) JOIN lot l ON l.gtin = k.gtin AND l.lot = k.lot`,
      [keys.map((k) => k.gtin), keys.map((k) => k.lot)],
    );
    return rows.map((r) => ({
      gtin: r.gtin,
      lot: r.lot,
      expiryCode: r.expiry_code,
      commissionedIndex: r.commissioned_idx,
      recalled: r.recalled,
      recallIndex: r.recall_idx,
      recall: r.recall,
    }));
  }

  async prefixes(sql: Sql, glns: string[]): Promise<{ prefix: string; gln: string }[]> {
    if (glns.length === 0) return [];
    return sql.query('SELECT prefix, gln FROM company_prefix WHERE gln = ANY($1)', [glns]);
  }

  async prefixOwners(sql: Sql, prefixes: string[]): Promise<{ prefix: string; gln: string }[]> {
    if (prefixes.length === 0) return [];
    // Overlapping prefixes too (one starts the other): each owns part of the other's GTINs.
    return sql.query(
      `SELECT prefix, gln FROM company_prefix c
        WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS q(p)
                       WHERE starts_with(q.p, c.prefix) OR starts_with(c.prefix, q.p))`,
      [prefixes],
    );
  }

  async shipments(sql: Sql, ids: string[]): Promise<Shipment[]> {
    if (ids.length === 0) return [];
    return (await sql.query<ShipmentRow>('SELECT * FROM shipment WHERE id = ANY($1)', [ids])).map(toShipment);
  }

  async openAlertsTouching(sql: Sql, codes: string[], gtins: string[]): Promise<Alert[]> {
    if (codes.length === 0 && gtins.length === 0) return [];
    const rows = await sql.query<AlertRow>(
      `SELECT * FROM alert WHERE status = 'open' AND (items && $1::text[] OR gtin = ANY($2::text[]))`,
      [codes, gtins],
    );
    return rows.map(toAlert);
  }

  /**
   * New items. In a transaction they go in with `COPY … FROM STDIN` (pg-copy-streams): commissioning writes tens of
   * thousands of rows an event, and COPY spares PostgreSQL the parse of a JSON document and the planning.
   */
  async insertItems(sql: Sql, rows: ItemWrite[]): Promise<void> {
    if (rows.length === 0) return;
    if (sql instanceof ClientSql) {
      const text = rows.map(copyLine).join('');
      await pipeline(
        Readable.from([text]),
        sql.client.query(copyFrom(`COPY item_record (${ITEM_WRITE_COLUMNS}, ${RECORD_COLUMNS}) FROM STDIN`)),
      );
      return;
    }
    await sql.query(
      `INSERT INTO item_record (${ITEM_WRITE_COLUMNS}, ${RECORD_COLUMNS})
       SELECT ${ITEM_WRITE_COLUMNS}, ${RECORD_COLUMNS} FROM json_to_recordset($1::json) AS r(${ITEM_RECORD}, ${RECORD_RECORD})`,
      [itemRows(rows)],
    );
  }

  /**
   * Rewrites the rows of items with an own change and appends to the moves and receipts of top containers. A row
   * whose new history entries are not all later than its stored ones (moves inherited from a former top, written
   * into its own history when it changed top) is merged in order.
   */
  async updateItems(sql: Sql, rows: ItemWrite[]): Promise<void> {
    if (rows.length === 0) return;
    const own = rows.filter((r) => r.row !== null);
    if (own.length > 0) {
      await sql.query(
        `UPDATE item_record SET status = u.status, hold = u.hold, custodian = u.custodian, sellers = u.sellers,
                parent = u.parent, shipment = u.shipment, return_pending = u.return_pending,
                return_received_at = u.return_received_at, transfers = u.transfers, last_idx = u.last_idx,
                history = CASE WHEN u.merge THEN ARRAY(SELECT DISTINCT h FROM unnest(item_record.history || u.history) h
                                                       ORDER BY h)
                               ELSE item_record.history || u.history END,
                top = u.top, top_since = u.top_since, ops_base = u.ops_base,
                moves = item_record.moves || u.moves, ops = item_record.ops || u.ops,
                receipt_at = coalesce(u.receipt_at, item_record.receipt_at)
           FROM json_to_recordset($1::json) AS u(${ITEM_RECORD}, ${RECORD_RECORD}, merge boolean)
          WHERE item_record.code = u.code`,
        [itemRows(own)],
      );
    }
    const movesOnly = rows.filter((r) => r.row === null);
    if (movesOnly.length > 0) {
      await sql.query(
        `UPDATE item_record SET moves = item_record.moves || u.moves, ops = item_record.ops || u.ops,
                receipt_at = coalesce(u.receipt_at, item_record.receipt_at)
           FROM json_to_recordset($1::json) AS u(code text, moves bigint[], ops text[], receipt_at timestamptz)
          WHERE item_record.code = u.code`,
        [JSON.stringify(movesOnly.map((r) => ({ code: r.code, moves: r.moves, ops: r.ops, receipt_at: r.receiptAt })))],
      );
    }
  }

  /** Opens and closes membership intervals (item → container, from the packing index to the unpacking one). */
  async saveMemberships(sql: Sql, opened: Membership[], closed: { code: string; toIndex: number }[]): Promise<void> {
    if (closed.length > 0) {
      await sql.query(
        `UPDATE item_membership m SET to_idx = c.to_idx
           FROM unnest($1::text[], $2::bigint[]) AS c(code, to_idx)
          WHERE m.code = c.code AND m.to_idx IS NULL`,
        [closed.map((c) => c.code), closed.map((c) => c.toIndex)],
      );
    }
    if (opened.length > 0) {
      await sql.query(
        `INSERT INTO item_membership (code, container, from_idx, to_idx)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])`,
        [
          opened.map((m) => m.code),
          opened.map((m) => m.container),
          opened.map((m) => m.fromIndex),
          opened.map((m) => m.toIndex),
        ],
      );
    }
  }

  async saveProducts(sql: Sql, products: Product[]): Promise<void> {
    if (products.length === 0) return;
    await sql.query(
      `INSERT INTO product (gtin, ndc, name, strength, dosage_form, container_size, manufacturer, registered_idx)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::bigint[])`,
      [
        products.map((p) => p.gtin),
        products.map((p) => p.ndc),
        products.map((p) => p.name),
        products.map((p) => p.strength),
        products.map((p) => p.dosageForm),
        products.map((p) => p.containerSize),
        products.map((p) => p.manufacturer),
        products.map((p) => p.registeredIndex),
      ],
    );
  }

  async saveLots(sql: Sql, lots: Lot[]): Promise<void> {
    if (lots.length === 0) return;
    await sql.query(
      `INSERT INTO lot (gtin, lot, expiry_code, commissioned_idx, recalled, recall_idx, recall)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::bigint[], $7::jsonb[])
       ON CONFLICT (gtin, lot) DO UPDATE
          SET recalled = EXCLUDED.recalled, recall_idx = EXCLUDED.recall_idx, recall = EXCLUDED.recall`,
      [
        lots.map((l) => l.gtin),
        lots.map((l) => l.lot),
        lots.map((l) => l.expiryCode),
        lots.map((l) => l.commissionedIndex),
        lots.map((l) => l.recalled),
        lots.map((l) => l.recallIndex),
        lots.map((l) => (l.recall === null ? null : JSON.stringify(l.recall))),
      ],
    );
  }

  async savePrefixes(sql: Sql, prefixes: { prefix: string; gln: string; grantedIndex: number }[]): Promise<void> {
    if (prefixes.length === 0) return;
    await sql.query(
      'INSERT INTO company_prefix (prefix, gln, granted_idx) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])',
      [prefixes.map((p) => p.prefix), prefixes.map((p) => p.gln), prefixes.map((p) => p.grantedIndex)],
    );
  }

  async saveShipments(sql: Sql, shipments: Shipment[]): Promise<void> {
    if (shipments.length === 0) return;
    await sql.query(
      `INSERT INTO shipment (id, shipper, shipment_id, recipient, reason, items, unit_count, transaction, ship_idx,
                             shipped_at, status, receive_idx, received_at, discrepancy)
       SELECT id, shipper, shipment_id, recipient, reason, items, unit_count, transaction, ship_idx, shipped_at,
              status, receive_idx, received_at, discrepancy
         FROM json_to_recordset($1::json) AS r(id text, shipper text, shipment_id text, recipient text, reason text,
              items text[], unit_count int, transaction jsonb, ship_idx bigint, shipped_at timestamptz, status text,
              receive_idx bigint, received_at timestamptz, discrepancy jsonb)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, receive_idx = EXCLUDED.receive_idx,
              received_at = EXCLUDED.received_at, discrepancy = EXCLUDED.discrepancy`,
      [
        JSON.stringify(
          shipments.map((s) => ({
            id: s.id,
            shipper: s.shipper,
            shipment_id: s.shipmentId,
            recipient: s.recipient,
            reason: s.reason,
            items: s.items,
            unit_count: s.unitCount,
            transaction: s.transaction,
            ship_idx: s.shipIndex,
            shipped_at: s.shippedAt,
            status: s.status,
            receive_idx: s.receiveIndex,
            received_at: s.receivedAt,
            discrepancy: s.discrepancy,
          })),
        ),
      ],
    );
  }

  async saveAlerts(sql: Sql, alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await sql.query(
      `INSERT INTO alert (opened_idx, seq, kind, status, gtin, lot, items, parties, details, opened_at, closed_idx,
                          closed_at)
       SELECT opened_idx, seq, kind, status, gtin, lot, items::text[], parties::text[], details, opened_at, closed_idx,
              closed_at
         FROM unnest($1::bigint[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::jsonb[], $10::timestamptz[], $11::bigint[], $12::timestamptz[])
              AS t(opened_idx, seq, kind, status, gtin, lot, items, parties, details, opened_at, closed_idx, closed_at)
       ON CONFLICT (opened_idx, seq) DO UPDATE
          SET status = EXCLUDED.status, closed_idx = EXCLUDED.closed_idx, closed_at = EXCLUDED.closed_at`,
      [
        alerts.map((a) => a.openedIndex),
        alerts.map((a) => a.seq),
        alerts.map((a) => a.kind),
        alerts.map((a) => a.status),
        alerts.map((a) => a.gtin),
        alerts.map((a) => a.lot),
        alerts.map((a) => `{${a.items.map(pgQuote).join(',')}}`),
        alerts.map((a) => `{${a.parties.join(',')}}`),
        alerts.map((a) => JSON.stringify(a.details)),
        alerts.map((a) => a.openedAt),
        alerts.map((a) => a.closedIndex),
        alerts.map((a) => a.closedAt),
      ],
    );
  }
}

/** Quotes one element of a PostgreSQL array literal (item codes contain parentheses and may contain quotes). */
function pgQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const ITEM_WRITE_COLUMNS = `code, kind, gtin, serial, lot, expiry_code, expiry, status, hold, custodian, sellers, parent,
  shipment, return_pending, return_received_at, transfers, last_idx`;

const ITEM_RECORD = `code text, kind text, gtin text, serial text, lot text, expiry_code text, expiry date, status text,
  hold text, custodian text, sellers text[], parent text, shipment text, return_pending boolean,
  return_received_at timestamptz, transfers int, last_idx bigint`;

const RECORD_COLUMNS = 'history, top, top_since, ops_base, moves, ops, receipt_at';

const RECORD_RECORD = `history bigint[], top text, top_since bigint, ops_base int, moves bigint[], ops text[],
  receipt_at timestamptz`;

/** An item's own row as written (its values as at its last own event) and what it inherits from. */
export interface OwnRow {
  item: Item;
  top: string | null;
  topSince: number | null;
  opsBase: number;
}

/** One item's write: its own row (null: only a top container's moves and receipts are appended). */
export interface ItemWrite {
  code: string;
  row: OwnRow | null;
  /** Log indexes appended to its own history. */
  history: number[];
  /** True when `history` may hold indexes below the stored ones (moves inherited from a former top). */
  merge: boolean;
  moves: number[];
  ops: string[];
  receiptAt: Date | null;
}

export interface Membership {
  code: string;
  container: string;
  fromIndex: number;
  toIndex: number | null;
}

/** One value in COPY's text format (backslash, tab and line ends escaped; null as \N). */
function copyValue(value: string | number | boolean | Date | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  const text = value instanceof Date ? value.toISOString() : value;
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : text;
}

/** A PostgreSQL array literal (elements quoted: item codes hold parentheses, a return's receipt is ''). */
function arrayLiteral(values: readonly (string | number)[]): string {
  return `{${values.map((v) => (typeof v === 'number' ? String(v) : pgQuote(v))).join(',')}}`;
}

/** One new item as a line of COPY text, in the column order of the COPY in `insertItems`. */
function copyLine({ row, code, history, moves, ops, receiptAt }: ItemWrite): string {
  const i = row!.item;
  return (
    [
      code,
      i.kind,
      i.gtin,
      i.serial,
      i.lot,
      i.expiryCode,
      i.expiry,
      i.status,
      i.hold,
      i.custodian,
      arrayLiteral(i.sellers),
      i.parent,
      i.shipment,
      i.returnPending,
      i.returnReceivedAt,
      i.transfers,
      i.lastIndex,
      arrayLiteral(history),
      row!.top,
      row!.topSince,
      row!.opsBase,
      arrayLiteral(moves),
      arrayLiteral(ops),
      receiptAt,
    ]
      .map(copyValue)
      .join('\t') + '\n'
  );
}

/** Rows as one JSON document for json_to_recordset. */
function itemRows(rows: ItemWrite[]): string {
  return JSON.stringify(
    rows.map(({ row, code, history, merge, moves, ops, receiptAt }) => {
      const i = row!.item;
      return {
        code,
        kind: i.kind,
        gtin: i.gtin,
        serial: i.serial,
        lot: i.lot,
        expiry_code: i.expiryCode,
        expiry: i.expiry,
        status: i.status,
        hold: i.hold,
        custodian: i.custodian,
        sellers: i.sellers,
        parent: i.parent,
        shipment: i.shipment,
        return_pending: i.returnPending,
        return_received_at: i.returnReceivedAt,
        transfers: i.transfers,
        last_idx: i.lastIndex,
        history,
        top: row!.top,
        top_since: row!.topSince,
        ops_base: row!.opsBase,
        moves,
        ops,
        receipt_at: receiptAt,
        merge,
      };
    }),
  );
}
