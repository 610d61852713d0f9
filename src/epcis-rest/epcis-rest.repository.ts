import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import type { Problem } from './problem';

export interface ScannedEntry {
  idx: number;
  accepted_at: Date;
  event_json: string;
}

/** One chunk of the log as a caller may read it, in index order. */
export interface EventScan {
  /** The caller's GLN when it only sees the entries that name it (log_entry_party); undefined for everything. */
  namedGln?: string;
  /** Continue after (ascending) or before (descending) this index. */
  cursor?: number;
  descending: boolean;
  limit: number;
  /** Only indexes in [fromIndex, toIndex): a recordTime range as an index range (acceptance times never decrease). */
  fromIndex?: number;
  toIndex?: number;
  /** Only entries in the history of one of these items (exact EPCs of MATCH_epc, MATCH_anyEPC, MATCH_parentID). */
  itemCodes?: string[];
  /** Event types with no EPCIS form (registry events): never read. */
  excludedTypes: string[];
}

export interface CaptureJobRow {
  id: string;
  gln: string;
  created_at: Date;
  finished_at: Date | null;
  running: boolean;
  success: boolean;
  error_behaviour: 'rollback' | 'proceed';
  epcis_events: number;
  logged: number;
  errors: Problem[];
}

/** All SQL of the EPCIS REST binding: paging through the log as the caller may see it, and capture jobs. */
@Injectable()
export class EpcisRestRepository {
  constructor(private readonly db: Database) {}

  /**
   * Reads at most `limit` entries past the cursor through an index, never a whole table: a party's walk its own rows
   * of log_entry_party (primary key (gln, idx)), a regulator's log_entry's primary key, and with exact EPCs the
   * items' histories (item primary key), joined to the entries by index.
   */
  async scan(scan: EventScan): Promise<ScannedEntry[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    let from: string;
    let key: string;
    if (scan.itemCodes !== undefined) {
      from = `(SELECT DISTINCT h AS idx FROM item i CROSS JOIN LATERAL unnest(i.history) h
                WHERE i.code = ANY(${param(scan.itemCodes)}::text[])) c JOIN log_entry e ON e.idx = c.idx`;
      key = 'c.idx';
      if (scan.namedGln !== undefined) {
        where.push(`EXISTS (SELECT 1 FROM log_entry_party p WHERE p.gln = ${param(scan.namedGln)} AND p.idx = c.idx)`);
      }
    } else if (scan.namedGln !== undefined) {
      from = 'log_entry_party p JOIN log_entry e ON e.idx = p.idx';
      key = 'p.idx';
      where.push(`p.gln = ${param(scan.namedGln)}`);
    } else {
      from = 'log_entry e';
      key = 'e.idx';
    }
    if (scan.cursor !== undefined) where.push(`${key} ${scan.descending ? '<' : '>'} ${param(scan.cursor)}`);
    if (scan.fromIndex !== undefined) where.push(`${key} >= ${param(scan.fromIndex)}`);
    if (scan.toIndex !== undefined) where.push(`${key} < ${param(scan.toIndex)}`);
    if (scan.excludedTypes.length > 0) where.push(`e.event_type <> ALL(${param(scan.excludedTypes)}::text[])`);
    const rows = await this.db.query<ScannedEntry>(
      `SELECT e.idx, e.accepted_at, e.event_json FROM ${from}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${key} ${scan.descending ? 'DESC' : 'ASC'} LIMIT ${param(scan.limit)}`,
      params,
    );
    return rows.map((row) => ({ ...row, idx: Number(row.idx) }));
  }

  /**
   * The first log index accepted at or after `ms` (the log size when none is): a binary search over the primary key,
   * since acceptance times never decrease along the log (docs/PROTOCOL.md §4).
   */
  async firstIndexAcceptedFrom(ms: number): Promise<number> {
    const [{ next_index: size }] = await this.db.query<{ next_index: string }>(
      'SELECT next_index FROM log_sequencer WHERE id = 1',
    );
    let low = 0;
    let high = Number(size);
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const [row] = await this.db.query<{ accepted_at: Date }>('SELECT accepted_at FROM log_entry WHERE idx = $1', [
        middle,
      ]);
      if (row && row.accepted_at.getTime() >= ms) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  async companyPrefixes(): Promise<string[]> {
    return (await this.db.query<{ prefix: string }>('SELECT prefix FROM company_prefix')).map((r) => r.prefix);
  }

  async createJob(job: { id: string; gln: string; errorBehaviour: string; epcisEvents: number }): Promise<Date> {
    const [row] = await this.db.query<{ created_at: Date }>(
      `INSERT INTO epcis_capture_job (id, gln, error_behaviour, epcis_events) VALUES ($1, $2, $3, $4)
       RETURNING created_at`,
      [job.id, job.gln, job.errorBehaviour, job.epcisEvents],
    );
    return row.created_at;
  }

  async finishJob(id: string, outcome: { success: boolean; logged: number; errors: Problem[] }): Promise<void> {
    await this.db.query(
      `UPDATE epcis_capture_job SET running = false, finished_at = clock_timestamp(), success = $2, logged = $3,
              errors = $4::jsonb WHERE id = $1`,
      [id, outcome.success, outcome.logged, JSON.stringify(outcome.errors)],
    );
  }

  async job(id: string, gln: string): Promise<CaptureJobRow | undefined> {
    const [row] = await this.db.query<CaptureJobRow>(
      `SELECT id, gln, created_at, finished_at, running, success, error_behaviour, epcis_events, logged, errors
         FROM epcis_capture_job WHERE id = $1 AND gln = $2`,
      [id, gln],
    );
    return row;
  }
}
