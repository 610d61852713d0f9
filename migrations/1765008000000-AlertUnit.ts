import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The alerts themselves, one row per unit and kind (issue 13 §4, PROTOCOL §8.6), so that a regulator's alert list is
 * an index range, not a grouping of every suspicious verification on each page: written by a trigger when a
 * suspicious verification of a unit is recorded (its first scan's time, never changed afterwards), insert-only.
 * Counts, last scans and who scanned are read from the verifications of that one unit (index
 * verification_suspicious_code). `alert_kind_of` is the kind's rule in SQL: the first of the verification's reasons in
 * the order of ALERT_KINDS (src/alerts/alert-rules.ts; test/e2e/alert-triage.e2e-spec.ts checks they agree).
 */
export class AlertUnit1765008000000 implements MigrationInterface {
  name = 'AlertUnit1765008000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION alert_kind_of(reasons text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT k FROM unnest(ARRAY['ALREADY_DISPENSED', 'ILLEGITIMATE', 'DESTROYED', 'UNKNOWN_SERIAL', 'UNKNOWN_GTIN',
                                   'LOT_MISMATCH', 'EXPIRY_MISMATCH', 'RECALLED', 'QUARANTINED', 'DECOMMISSIONED',
                                   'CUSTODY_MISMATCH', 'EXPIRED', 'EXPIRING_SOON']) WITH ORDINALITY o(k, n)
         WHERE k = ANY (reasons) ORDER BY n LIMIT 1
      $$`);
    await q.query(`
      CREATE TABLE alert_unit (
        kind text NOT NULL,
        code text NOT NULL,
        gtin text NOT NULL,
        first_at timestamptz NOT NULL,
        PRIMARY KEY (kind, code)
      )`);
    // The list's order (newest first) and its keyset cursor.
    await q.query(`CREATE INDEX alert_unit_order ON alert_unit (first_at, kind, code)`);
    await q.query(`
      INSERT INTO alert_unit (kind, code, gtin, first_at)
      SELECT alert_kind_of(reasons), code, min(gtin), min(at) FROM verification
       WHERE suspicious AND code IS NOT NULL AND alert_kind_of(reasons) IS NOT NULL
       GROUP BY 1, 2`);
    // The list's plan walks alert_unit_order only if the planner knows the table's size.
    await q.query(`ANALYZE alert_unit`);
    await q.query(`
      CREATE FUNCTION alert_unit_record() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO alert_unit (kind, code, gtin, first_at)
        SELECT k, NEW.code, NEW.gtin, NEW.at FROM alert_kind_of(NEW.reasons) k WHERE k IS NOT NULL
        ON CONFLICT (kind, code) DO NOTHING;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER verification_alert_unit AFTER INSERT ON verification
      FOR EACH ROW WHEN (NEW.suspicious AND NEW.code IS NOT NULL) EXECUTE FUNCTION alert_unit_record()`);
    await q.query(`
      CREATE TRIGGER alert_unit_append_only BEFORE UPDATE OR DELETE ON alert_unit
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TRIGGER alert_unit_no_truncate BEFORE TRUNCATE ON alert_unit
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER verification_alert_unit ON verification`);
    await q.query(`DROP FUNCTION alert_unit_record()`);
    await q.query(`DROP TABLE alert_unit`);
    await q.query(`DROP FUNCTION alert_kind_of(text[])`);
  }
}
