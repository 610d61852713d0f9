import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every provenance report served (who asked, for what scope, in which format, when, against which checkpoint and
 * how much it held), append-only: DSCSA requests from FDA and trading partners must be answerable afterwards.
 */
export class Reports1763956800000 implements MigrationInterface {
  name = 'Reports1763956800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE report_export (
        id uuid PRIMARY KEY,
        exported_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        requester char(13) NOT NULL,
        requester_role text NOT NULL,
        scope jsonb NOT NULL,
        format text NOT NULL CHECK (format IN ('bundle', 'epcis', 'csv', 'pdf')),
        checkpoint_size bigint NOT NULL CHECK (checkpoint_size >= 0),
        events bigint NOT NULL CHECK (events >= 0),
        items bigint NOT NULL CHECK (items >= 0),
        events_excluded bigint NOT NULL CHECK (events_excluded >= 0)
      )`);
    await q.query(`CREATE INDEX report_export_at ON report_export (exported_at)`);
    await q.query(`CREATE INDEX report_export_requester ON report_export (requester, exported_at)`);
    await q.query(`
      CREATE TRIGGER report_export_append_only BEFORE UPDATE OR DELETE ON report_export
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TRIGGER report_export_no_truncate BEFORE TRUNCATE ON report_export
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE report_export`);
  }
}
