import { MigrationInterface, QueryRunner } from 'typeorm';

/** Reports may be exported as EPCIS 1.2 XML (format `epcis-xml`, issue 14): the recorded format may say so. */
export class EpcisXmlReportFormat1764957600000 implements MigrationInterface {
  name = 'EpcisXmlReportFormat1764957600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_export DROP CONSTRAINT report_export_format_check`);
    await q.query(
      `ALTER TABLE report_export ADD CONSTRAINT report_export_format_check ` +
        `CHECK (format IN ('bundle', 'epcis', 'epcis-xml', 'csv', 'pdf'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE report_export DROP CONSTRAINT report_export_format_check`);
    await q.query(
      `ALTER TABLE report_export ADD CONSTRAINT report_export_format_check ` +
        `CHECK (format IN ('bundle', 'epcis', 'csv', 'pdf'))`,
    );
  }
}
