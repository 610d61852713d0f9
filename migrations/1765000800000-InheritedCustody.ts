import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Units inherit custody from their container (issue 12 §1): moving a pallet writes the pallet's row, not the row of
 * every unit inside it.
 *
 * - `item_record` (the former `item` table) holds each item's own row. A packed item's row names its `top`
 *   container (the outermost one) and `top_since`, the log index from which it inherits the top's moves; its
 *   custodian, status and shipment are read through the top, and its transfers, sellers and return state are its
 *   own values as at its last own event (`ops_base` = how many receipts of the top they already count) with the
 *   top's later receipts (`ops`: the shipper of a sale, '' for a return; `receipt_at`: the last one's time) applied.
 * - A top container's `moves` are the log indexes of the events that acted on it and on everything inside it (ship,
 *   receive, decommission …): a packed item's history is its own plus the top's moves after `top_since`. When an
 *   item changes top (pack, unpack), the moves it inherited are written into its own history.
 * - `item_membership`: every interval an item spent directly inside a container (from the event that packed it to
 *   the one that took it out, `to_idx` null while packed), appended by intake and recreated by `rebuild`.
 * - The view `item` gives every reader the effective state, with the columns the table had (then the top, and what
 *   intake's store needs to write the row again: `top_since`, `ops_length`, `top_ops_length`, `inherited`).
 */
export class InheritedCustody1765000800000 implements MigrationInterface {
  name = 'InheritedCustody1765000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE item RENAME TO item_record`);
    await q.query(`ALTER TABLE item_record RENAME CONSTRAINT item_pkey TO item_record_pkey`);
    await q.query(`
      ALTER TABLE item_record
        ADD COLUMN top text,
        ADD COLUMN top_since bigint,
        ADD COLUMN ops_base integer NOT NULL DEFAULT 0,
        ADD COLUMN moves bigint[] NOT NULL DEFAULT '{}',
        ADD COLUMN ops text[] NOT NULL DEFAULT '{}',
        ADD COLUMN receipt_at timestamptz`);
    await q.query(`CREATE INDEX item_record_top ON item_record (top) WHERE top IS NOT NULL`);
    // Existing packed items: their rows are complete (every move was written to them); they inherit from now on.
    await q.query(`
      WITH RECURSIVE up(code, anc, depth) AS (
        SELECT code, parent, 1 FROM item_record WHERE parent IS NOT NULL
        UNION ALL
        SELECT up.code, p.parent, up.depth + 1 FROM up JOIN item_record p ON p.code = up.anc
         WHERE p.parent IS NOT NULL AND up.depth < 10000
      )
      UPDATE item_record r SET top = u.anc, top_since = r.last_idx
        FROM (SELECT DISTINCT ON (code) code, anc FROM up ORDER BY code, depth DESC) u
       WHERE r.code = u.code`);

    await q.query(`
      CREATE TABLE item_membership (
        code text NOT NULL,
        container text NOT NULL,
        from_idx bigint NOT NULL,
        to_idx bigint,
        PRIMARY KEY (code, from_idx)
      )`);
    await q.query(`CREATE INDEX item_membership_container ON item_membership (container, from_idx)`);
    // The open intervals of items packed before this migration start at the last pack event that names them as a child.
    await q.query(`
      INSERT INTO item_membership (code, container, from_idx)
      SELECT r.code, r.parent,
             coalesce((SELECT max(h) FROM unnest(r.history) h JOIN log_entry e ON e.idx = h
                        WHERE e.event_type = 'pack' AND (e.event_json::jsonb -> 'body' -> 'children') ? r.code),
                      r.last_idx)
        FROM item_record r WHERE r.parent IS NOT NULL`);

    // A unit's sellers after its top's receipts: a sale appends the shipper, a return takes the last one off.
    await q.query(`
      CREATE FUNCTION custody_sellers(sellers text[], ops text[]) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        op text;
      BEGIN
        FOREACH op IN ARRAY ops LOOP
          IF op = '' THEN sellers := sellers[1:cardinality(sellers) - 1];
          ELSE sellers := sellers || op;
          END IF;
        END LOOP;
        RETURN sellers;
      END $$`);

    await q.query(`
      CREATE VIEW item AS
      SELECT r.code, r.kind, r.gtin, r.serial, r.lot, r.expiry_code, r.expiry,
             CASE WHEN t.code IS NULL THEN r.status ELSE t.status END AS status,
             r.hold,
             CASE WHEN t.code IS NULL THEN r.custodian ELSE t.custodian END AS custodian,
             CASE WHEN t.code IS NULL OR cardinality(t.ops) <= r.ops_base THEN r.sellers
                  ELSE custody_sellers(r.sellers, t.ops[r.ops_base + 1:]) END AS sellers,
             r.parent,
             CASE WHEN t.code IS NULL THEN r.shipment ELSE t.shipment END AS shipment,
             CASE WHEN t.code IS NULL OR cardinality(t.ops) <= r.ops_base THEN r.return_pending
                  ELSE r.kind = 'unit' AND t.ops[cardinality(t.ops)] = '' END AS return_pending,
             CASE WHEN t.code IS NULL OR cardinality(t.ops) <= r.ops_base THEN r.return_received_at
                  WHEN r.kind = 'unit' AND t.ops[cardinality(t.ops)] = '' THEN t.receipt_at END AS return_received_at,
             r.transfers + CASE WHEN t.code IS NULL THEN 0 ELSE greatest(cardinality(t.ops) - r.ops_base, 0) END
               AS transfers,
             CASE WHEN t.code IS NULL THEN r.last_idx ELSE greatest(r.last_idx, t.moves[cardinality(t.moves)]) END
               AS last_idx,
             CASE WHEN t.code IS NULL OR coalesce(t.moves[cardinality(t.moves)] > r.top_since, false) IS NOT TRUE
                  THEN r.history
                  ELSE ARRAY(SELECT h FROM unnest(r.history) h
                             UNION SELECT m FROM unnest(t.moves) m WHERE m > r.top_since ORDER BY 1) END AS history,
             r.top, r.top_since, cardinality(r.ops) AS ops_length, coalesce(cardinality(t.ops), 0) AS top_ops_length,
             CASE WHEN t.code IS NULL THEN '{}'::bigint[]
                  ELSE ARRAY(SELECT m FROM unnest(t.moves) m WHERE m > r.top_since) END AS inherited
        FROM item_record r LEFT JOIN item_record t ON t.code = r.top`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Packed items get their effective state written into their own rows again.
    await q.query(`
      UPDATE item_record r
         SET status = i.status, custodian = i.custodian, sellers = i.sellers, shipment = i.shipment,
             return_pending = i.return_pending, return_received_at = i.return_received_at, transfers = i.transfers,
             last_idx = i.last_idx, history = i.history
        FROM item i WHERE i.code = r.code AND r.top IS NOT NULL`);
    await q.query(`DROP VIEW item`);
    await q.query(`DROP FUNCTION custody_sellers(text[], text[])`);
    await q.query(`DROP TABLE item_membership`);
    await q.query(`DROP INDEX item_record_top`);
    await q.query(`
      ALTER TABLE item_record DROP COLUMN top, DROP COLUMN top_since, DROP COLUMN ops_base, DROP COLUMN moves,
        DROP COLUMN ops, DROP COLUMN receipt_at`);
    await q.query(`ALTER TABLE item_record RENAME CONSTRAINT item_record_pkey TO item_pkey`);
    await q.query(`ALTER TABLE item_record RENAME TO item`);
  }
}
