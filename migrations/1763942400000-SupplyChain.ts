import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The supply-chain read model, written by intake in the same transaction as each event and recreated from the
 * log by `rebuild`: company prefixes, products, lots, items (units and containers) with their custody and
 * status, shipments, and alerts.
 */
export class SupplyChain1763942400000 implements MigrationInterface {
  name = 'SupplyChain1763942400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE company_prefix (
        prefix text PRIMARY KEY CHECK (prefix ~ '^[0-9]{6,12}$'),
        gln char(13) NOT NULL,
        granted_idx bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX company_prefix_gln ON company_prefix (gln)`);

    await q.query(`
      CREATE TABLE product (
        gtin char(14) PRIMARY KEY,
        ndc char(10),
        name text NOT NULL,
        strength text NOT NULL,
        dosage_form text NOT NULL,
        container_size text NOT NULL,
        manufacturer char(13) NOT NULL,
        registered_idx bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX product_manufacturer ON product (manufacturer)`);
    await q.query(`CREATE INDEX product_ndc ON product (ndc)`);

    await q.query(`
      CREATE TABLE lot (
        gtin char(14) NOT NULL,
        lot text NOT NULL,
        expiry_code char(6) NOT NULL,
        commissioned_idx bigint NOT NULL,
        recalled boolean NOT NULL DEFAULT false,
        recall_idx bigint,
        recall jsonb,
        PRIMARY KEY (gtin, lot)
      )`);

    // Units: code "(01)<gtin>(21)<serial>"; containers (cases, pallets): code "(00)<sscc>".
    await q.query(`
      CREATE TABLE item (
        code text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('unit', 'container')),
        gtin char(14),
        serial text,
        lot text,
        expiry_code char(6),
        expiry date,
        status text NOT NULL CHECK (status IN ('active', 'in_transit', 'dispensed', 'decommissioned', 'destroyed')),
        hold text CHECK (hold IN ('quarantined', 'illegitimate')),
        custodian char(13) NOT NULL,
        sellers text[] NOT NULL DEFAULT '{}',
        parent text,
        shipment text,
        return_pending boolean NOT NULL DEFAULT false,
        return_received_at timestamptz,
        transfers integer NOT NULL DEFAULT 0,
        last_idx bigint NOT NULL,
        history bigint[] NOT NULL
      )`);
    await q.query(`CREATE INDEX item_custodian ON item (custodian, gtin, lot) WHERE status = 'active'`);
    await q.query(`CREATE INDEX item_parent ON item (parent) WHERE parent IS NOT NULL`);
    await q.query(`CREATE INDEX item_gtin_lot ON item (gtin, lot)`);

    await q.query(`
      CREATE TABLE shipment (
        id text PRIMARY KEY,
        shipper char(13) NOT NULL,
        shipment_id text NOT NULL,
        recipient char(13) NOT NULL,
        reason text NOT NULL CHECK (reason IN ('sale', 'return')),
        items text[] NOT NULL,
        unit_count integer NOT NULL,
        transaction jsonb NOT NULL,
        ship_idx bigint NOT NULL,
        shipped_at timestamptz NOT NULL,
        status text NOT NULL CHECK (status IN ('in_transit', 'received')),
        receive_idx bigint,
        received_at timestamptz,
        discrepancy jsonb
      )`);
    await q.query(`CREATE INDEX shipment_recipient ON shipment (recipient, status)`);
    await q.query(`CREATE INDEX shipment_shipper ON shipment (shipper, status)`);

    await q.query(`
      CREATE TABLE alert (
        opened_idx bigint NOT NULL,
        seq smallint NOT NULL,
        kind text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'closed')),
        gtin char(14),
        lot text,
        items text[] NOT NULL,
        parties text[] NOT NULL,
        details jsonb NOT NULL,
        opened_at timestamptz NOT NULL,
        closed_idx bigint,
        closed_at timestamptz,
        PRIMARY KEY (opened_idx, seq)
      )`);
    await q.query(`CREATE INDEX alert_parties ON alert USING gin (parties)`);
    await q.query(`CREATE INDEX alert_open_items ON alert USING gin (items) WHERE status = 'open'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert, shipment, item, lot, product, company_prefix`);
  }
}
