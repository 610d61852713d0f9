import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every verification answered (requester, time, what was asked, what was answered), append-only, as DSCSA
 * expects for saleable returns. Suspicious answers are the verification alerts.
 */
export class Verification1763949600000 implements MigrationInterface {
  name = 'Verification1763949600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE verification (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL,
        requester char(13) NOT NULL,
        channel text NOT NULL CHECK (channel IN ('lightweight', 'rich')),
        code text,
        gtin char(14),
        request jsonb NOT NULL,
        verified boolean NOT NULL,
        reasons text[] NOT NULL,
        suspicious boolean NOT NULL,
        answer jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX verification_code ON verification (code, requester, at) WHERE code IS NOT NULL`);
    await q.query(`CREATE INDEX verification_suspicious ON verification (gtin, at) WHERE suspicious`);
    await q.query(`CREATE INDEX verification_requester ON verification (requester, at)`);
    await q.query(`
      CREATE TRIGGER verification_append_only BEFORE UPDATE OR DELETE ON verification
      FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
    await q.query(`
      CREATE TRIGGER verification_no_truncate BEFORE TRUNCATE ON verification
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE verification`);
  }
}
