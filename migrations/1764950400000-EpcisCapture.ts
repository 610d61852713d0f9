import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * EPCIS 2.0 capture jobs (`POST /epcis/capture`, docs/PROTOCOL.md §12): their state and per-event errors, readable
 * by the party that posted them from any server process. Not log facts: the captured events are in the log.
 */
export class EpcisCapture1764950400000 implements MigrationInterface {
  name = 'EpcisCapture1764950400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE epcis_capture_job (
        id uuid PRIMARY KEY,
        gln char(13) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        running boolean NOT NULL DEFAULT true,
        success boolean NOT NULL DEFAULT true,
        error_behaviour text NOT NULL CHECK (error_behaviour IN ('rollback', 'proceed')),
        epcis_events integer NOT NULL CHECK (epcis_events >= 0),
        logged integer NOT NULL DEFAULT 0 CHECK (logged >= 0),
        errors jsonb NOT NULL DEFAULT '[]'
      )`);
    await q.query(`CREATE INDEX epcis_capture_job_gln ON epcis_capture_job (gln, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE epcis_capture_job`);
  }
}
