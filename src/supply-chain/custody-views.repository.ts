import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { Alert, Product, Shipment } from '../protocol/custody';
import { toAlert, toProduct, toShipment } from './custody.repository';

export interface InventoryLine {
  gtin: string;
  name: string;
  ndc: string | null;
  lot: string;
  expiryCode: string;
  expiry: string;
  units: number;
  onHold: number;
  returnsPending: number;
  recalled: boolean;
}

export interface Page {
  limit: number;
  offset: number;
}

/**
 * The units `$1` holds (active), through indexes of item_record (migrations/1765000800000-InheritedCustody.ts): loose
 * units by their own custody, packed ones by their top container's (a packed unit's own custody columns are not its
 * state). Joined to the view `item` for the rest of their state.
 */
const HELD_UNITS = `SELECT code FROM item_record
                     WHERE custodian = $1 AND status = 'active' AND kind = 'unit' AND top IS NULL
                    UNION ALL
                    SELECT u.code FROM item_record t JOIN item_record u ON u.top = t.code AND u.kind = 'unit'
                     WHERE t.custodian = $1 AND t.status = 'active' AND t.kind = 'container' AND t.top IS NULL`;

/** Read-side SQL for the role views: inventory, shipments, alerts, products. */
@Injectable()
export class CustodyViewsRepository {
  constructor(private readonly db: Database) {}

  async inventory(gln: string, filter: { gtin?: string; lot?: string }): Promise<InventoryLine[]> {
    const rows = await this.db.query<{
      gtin: string;
      name: string;
      ndc: string | null;
      lot: string;
      expiry_code: string;
      expiry: string;
      units: number;
      on_hold: number;
      returns_pending: number;
      recalled: boolean;
    }>(
      `SELECT i.gtin, p.name, p.ndc, i.lot, i.expiry_code, to_char(i.expiry, 'YYYY-MM-DD') AS expiry,
              count(*)::int AS units,
              (count(*) FILTER (WHERE i.hold IS NOT NULL))::int AS on_hold,
              (count(*) FILTER (WHERE i.return_pending))::int AS returns_pending,
              coalesce(bool_or(l.recalled), false) AS recalled
         FROM (${HELD_UNITS}) h
         JOIN item i ON i.code = h.code
         JOIN product p ON p.gtin = i.gtin
         LEFT JOIN lot l ON l.gtin = i.gtin AND l.lot = i.lot
        WHERE ($2::text IS NULL OR i.gtin = $2) AND ($3::text IS NULL OR i.lot = $3)
        GROUP BY i.gtin, p.name, p.ndc, i.lot, i.expiry_code, i.expiry
        ORDER BY i.expiry, i.gtin, i.lot`,
      [gln, filter.gtin ?? null, filter.lot ?? null],
    );
    return rows.map((r) => ({
      gtin: r.gtin,
      name: r.name,
      ndc: r.ndc,
      lot: r.lot,
      expiryCode: r.expiry_code,
      expiry: r.expiry,
      units: r.units,
      onHold: r.on_hold,
      returnsPending: r.returns_pending,
      recalled: r.recalled,
    }));
  }

  async containersHeld(gln: string): Promise<{ code: string; units: number }[]> {
    return this.db.query(
      // A container packed in none holds its own custody (its row is its state): the item_record index finds it.
      `WITH RECURSIVE c AS (
         SELECT code AS root, code FROM item_record WHERE custodian = $1 AND status = 'active' AND kind = 'container'
                                                      AND parent IS NULL
         UNION ALL
         SELECT c.root, i.code FROM item_record i JOIN c ON i.parent = c.code
       )
       SELECT root AS code, (count(*) FILTER (WHERE i.kind = 'unit'))::int AS units
         FROM c JOIN item_record i ON i.code = c.code GROUP BY root ORDER BY root`,
      [gln],
    );
  }

  async shipments(
    gln: string,
    direction: 'incoming' | 'outgoing',
    status: 'in_transit' | 'received' | undefined,
    page: Page,
  ): Promise<Shipment[]> {
    const column = direction === 'incoming' ? 'recipient' : 'shipper';
    const rows = await this.db.query<Parameters<typeof toShipment>[0]>(
      `SELECT * FROM shipment WHERE ${column} = $1 AND ($2::text IS NULL OR status = $2)
        ORDER BY ship_idx DESC LIMIT $3 OFFSET $4`,
      [gln, status ?? null, page.limit, page.offset],
    );
    return rows.map(toShipment);
  }

  /**
   * Alerts a party sees: those naming it, and recalls of lots it holds or has in transit to it. `gln` null:
   * every alert (regulators).
   */
  async alerts(
    gln: string | null,
    status: 'open' | 'closed' | undefined,
    kind: string | undefined,
    page: Page,
  ): Promise<Alert[]> {
    const rows = await this.db.query<Parameters<typeof toAlert>[0]>(
      `SELECT a.* FROM alert a
        WHERE ($2::text IS NULL OR a.status = $2) AND ($3::text IS NULL OR a.kind = $3)
          AND ($1::text IS NULL OR a.parties @> ARRAY[$1::text]
               OR (a.kind = 'recall' AND EXISTS (
                     SELECT 1 FROM item i WHERE i.gtin = a.gtin AND i.lot = a.lot AND i.custodian = $1
                                            AND i.status IN ('active', 'in_transit'))))
        ORDER BY a.opened_idx DESC, a.seq LIMIT $4 OFFSET $5`,
      [gln, status ?? null, kind ?? null, page.limit, page.offset],
    );
    return rows.map(toAlert);
  }

  async products(manufacturer: string): Promise<Product[]> {
    const rows = await this.db.query<Parameters<typeof toProduct>[0]>(
      'SELECT * FROM product WHERE manufacturer = $1 ORDER BY gtin',
      [manufacturer],
    );
    return rows.map(toProduct);
  }

  async prefixes(gln: string): Promise<{ prefix: string; grantedIndex: number }[]> {
    const rows = await this.db.query<{ prefix: string; granted_idx: number }>(
      'SELECT prefix, granted_idx FROM company_prefix WHERE gln = $1 ORDER BY prefix',
      [gln],
    );
    return rows.map((r) => ({ prefix: r.prefix, grantedIndex: r.granted_idx }));
  }

  async recalledLots(
    manufacturer: string,
  ): Promise<{ gtin: string; lot: string; recallIndex: number; recall: unknown }[]> {
    const rows = await this.db.query<{ gtin: string; lot: string; recall_idx: number; recall: unknown }>(
      `SELECT l.gtin, l.lot, l.recall_idx, l.recall FROM lot l JOIN product p ON p.gtin = l.gtin
        WHERE p.manufacturer = $1 AND l.recalled ORDER BY l.recall_idx DESC`,
      [manufacturer],
    );
    return rows.map((r) => ({ gtin: r.gtin, lot: r.lot, recallIndex: r.recall_idx, recall: r.recall }));
  }

  /** Units received back as returns that their custodian has not yet verified. */
  async pendingReturns(
    gln: string,
    page: Page,
  ): Promise<{ code: string; gtin: string; lot: string; receivedAt: Date }[]> {
    const rows = await this.db.query<{ code: string; gtin: string; lot: string; return_received_at: Date }>(
      `SELECT i.code, i.gtin, i.lot, i.return_received_at FROM (${HELD_UNITS}) h JOIN item i ON i.code = h.code
        WHERE i.return_pending
          AND NOT EXISTS (SELECT 1 FROM verification v WHERE v.code = i.code AND v.requester = i.custodian
                                                         AND v.at > i.return_received_at AND v.verified)
        ORDER BY i.return_received_at, i.code LIMIT $2 OFFSET $3`,
      [gln, page.limit, page.offset],
    );
    return rows.map((r) => ({ code: r.code, gtin: r.gtin, lot: r.lot, receivedAt: r.return_received_at }));
  }
}
