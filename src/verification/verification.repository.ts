import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database';

export interface VerificationRecord {
  id: string;
  at: Date;
  requester: string;
  channel: 'lightweight' | 'rich';
  code: string | null;
  gtin: string | null;
  request: Record<string, unknown>;
  verified: boolean;
  reasons: string[];
  suspicious: boolean;
  answer: unknown;
}

/** SQL on verification records (append-only) and the read model reads verification needs. */
@Injectable()
export class VerificationRepository {
  constructor(private readonly db: Database) {}

  /** Clean verifications of these units, by any requester (the rule decides which count). */
  async cleanVerifications(sql: Sql, codes: string[]): Promise<{ code: string; requester: string; at: Date }[]> {
    if (codes.length === 0) return [];
    return sql.query(
      `SELECT v.code, v.requester, v.at FROM verification v
        WHERE v.code = ANY($1::text[]) AND v.verified`,
      [codes],
    );
  }

  /** Appends records in one statement, without waiting for the WAL flush (see VerificationRecorder). */
  async append(records: VerificationRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.transaction(async (tx) => {
      await tx.query('SET LOCAL synchronous_commit TO off');
      await tx.query(
        `INSERT INTO verification (id, at, requester, channel, code, gtin, request, verified, reasons, suspicious, answer)
         SELECT id, at, requester, channel, code, gtin, request, verified, reasons::text[], suspicious, answer
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                              $8::boolean[], $9::text[], $10::boolean[], $11::jsonb[])
                AS t(id, at, requester, channel, code, gtin, request, verified, reasons, suspicious, answer)`,
        [
          records.map((r) => r.id),
          records.map((r) => r.at),
          records.map((r) => r.requester),
          records.map((r) => r.channel),
          records.map((r) => r.code),
          records.map((r) => r.gtin),
          records.map((r) => JSON.stringify(r.request)),
          records.map((r) => r.verified),
          records.map((r) => `{${r.reasons.join(',')}}`),
          records.map((r) => r.suspicious),
          records.map((r) => JSON.stringify(r.answer)),
        ],
      );
    });
  }
}
