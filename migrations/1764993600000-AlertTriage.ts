import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Triage of verification alerts (issue 13 §4): every action a regulator takes on an alert (acknowledge, assign, note,
 * close, reopen), append-only, with who and when. An alert is the group of suspicious verifications of one unit
 * (`alert_code`) filed under one kind (`alert_kind`, src/alerts/alert-rules.ts); its state is derived from these rows,
 * never stored. No foreign key: an alert is not a row, and the verifications it groups are themselves append-only.
 */
export class AlertTriage1764993600000 implements MigrationInterface {
  name = 'AlertTriage1764993600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alert_action (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_kind text NOT NULL,
        alert_code text NOT NULL,
        action text NOT NULL CHECK (action IN ('acknowledge', 'assign', 'note', 'close', 'reopen')),
        at timestamptz NOT NULL,
        actor_gln char(13) NOT NULL,
        actor_role text NOT NULL,
        actor_token text,
        actor_person text,
        actor_person_name text,
        assignee text,
        note text,
        CHECK ((action = 'assign') = (assignee IS NOT NULL)),
        CHECK (action <> 'note' OR note IS NOT NULL)
      )`);
    // An alert's history and its state (the latest state-changing action): one index range per alert.
    await q.query(`CREATE INDEX alert_action_alert ON alert_action (alert_code, alert_kind, id)`);
    await q.query(`
      CREATE TRIGGER alert_action_append_only BEFORE UPDATE OR DELETE ON alert_action
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TRIGGER alert_action_no_truncate BEFORE TRUNCATE ON alert_action
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
    // One alert's scans (its detail, a filter on one unit): the suspicious verifications of a unit, by time.
    await q.query(`CREATE INDEX verification_suspicious_code ON verification (code, at) WHERE suspicious`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX verification_suspicious_code`);
    await q.query(`DROP TABLE alert_action`);
  }
}
