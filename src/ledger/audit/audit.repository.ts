import type { PoolClient } from 'pg';
import { Database } from '../../database/database';

/**
 * One log entry exactly as stored. Times come as microseconds since the epoch (what `timestamptz` holds), so
 * that an edit a JavaScript `Date` would round away is still seen.
 */
export interface AuditEntryRow {
  idx: number;
  leaf_hash: Buffer;
  accepted_at_us: number;
  actor: string;
  event_id: string;
  event_type: string;
  key_id: string;
  event_time_us: number;
  event_hash: Buffer;
  signature: Buffer;
  event_json: string;
}

export interface AuditTreeHashRow {
  tile_level: number;
  idx: number;
  hash: Buffer;
}

export interface AuditCheckpointRow {
  tree_size: number;
  root_hash: Buffer;
  note: string;
}

export interface LogCounts {
  /** What the sequencer has handed out: every index below it must be in log_entry. */
  sequencerNext: number;
  entries: number;
  treeHashes: number;
  checkpoints: number;
  /** Largest checkpoint size, or 0 when there is none. */
  maxCheckpointSize: number;
}

/**
 * The SQL of `audit`: read-only, keyset-paginated reads of the log tables inside one REPEATABLE READ snapshot,
 * so that entries, tile hashes and checkpoints are seen as of one instant even while the server keeps appending.
 */
export class AuditRepository {
  private constructor(private readonly client: PoolClient) {}

  /** Runs `work` on one connection inside a read-only snapshot transaction. */
  static inSnapshot<T>(db: Database, work: (repository: AuditRepository) => Promise<T>): Promise<T> {
    return db.transaction((tx) => work(new AuditRepository(tx.client)), { snapshot: true });
  }

  async counts(): Promise<LogCounts> {
    const { rows } = await this.client.query<{
      sequencer_next: number | null;
      entries: number;
      tree_hashes: number;
      checkpoints: number;
      max_checkpoint_size: number | null;
    }>(
      `SELECT (SELECT next_index FROM log_sequencer WHERE id = 1) AS sequencer_next,
              (SELECT count(*) FROM log_entry) AS entries,
              (SELECT count(*) FROM tree_hash) AS tree_hashes,
              (SELECT count(*) FROM checkpoint) AS checkpoints,
              (SELECT max(tree_size) FROM checkpoint) AS max_checkpoint_size`,
    );
    const row = rows[0];
    return {
      sequencerNext: row.sequencer_next ?? 0,
      entries: row.entries,
      treeHashes: row.tree_hashes,
      checkpoints: row.checkpoints,
      maxCheckpointSize: row.max_checkpoint_size ?? 0,
    };
  }

  /** Up to `limit` entries with an index above `afterIndex`, in index order (keyset pagination). */
  async entriesAfter(afterIndex: number, limit: number): Promise<AuditEntryRow[]> {
    const { rows } = await this.client.query<AuditEntryRow>(
      `SELECT idx, leaf_hash,
              (extract(epoch FROM accepted_at) * 1000000)::bigint AS accepted_at_us,
              actor, event_id, event_type, key_id,
              (extract(epoch FROM event_time) * 1000000)::bigint AS event_time_us,
              event_hash, signature, event_json
         FROM log_entry
        WHERE idx > $1
        ORDER BY idx
        LIMIT $2`,
      [afterIndex, limit],
    );
    return rows;
  }

  /** The stored hashes among the given (tile level, index) pairs. */
  async treeHashes(levels: number[], indexes: number[]): Promise<AuditTreeHashRow[]> {
    if (levels.length === 0) return [];
    const { rows } = await this.client.query<AuditTreeHashRow>(
      `SELECT h.tile_level, h.idx, h.hash
         FROM unnest($1::smallint[], $2::bigint[]) AS k(tile_level, idx)
         JOIN tree_hash h ON h.tile_level = k.tile_level AND h.idx = k.idx`,
      [levels, indexes],
    );
    return rows;
  }

  /**
   * Stored tile hashes that no tree of `treeSize` leaves has (index at or beyond the number of complete
   * subtrees of that height), lowest first, and how many there are.
   */
  async treeHashesBeyond(treeSize: number, limit: number): Promise<{ rows: AuditTreeHashRow[]; count: number }> {
    const beyond = `idx >= floor($1::numeric / power(256::numeric, tile_level))`;
    const { rows } = await this.client.query<AuditTreeHashRow>(
      `SELECT tile_level, idx, hash FROM tree_hash WHERE ${beyond} ORDER BY tile_level, idx LIMIT $2`,
      [treeSize, limit],
    );
    const counted = await this.client.query<{ count: number }>(
      `SELECT count(*) AS count FROM tree_hash WHERE ${beyond}`,
      [treeSize],
    );
    return { rows, count: counted.rows[0].count };
  }

  /**
   * Items whose inherited-custody bookkeeping does not hold together (migrations/1765000800000-InheritedCustody.ts),
   * the first `limit` by code, and how many there are: the stored top against the outermost container of the
   * `parent` chain, the open membership interval against `parent`, the receipts counted against the top's.
   */
  async inheritanceProblems(limit: number): Promise<{ rows: { code: string; problem: string }[]; count: number }> {
    const { rows } = await this.client.query<{ code: string; problem: string; count: number }>(
      `WITH RECURSIVE chain(code, anc, depth) AS (
         SELECT code, parent, 1 FROM item_record WHERE parent IS NOT NULL
         UNION ALL
         SELECT c.code, p.parent, c.depth + 1 FROM chain c JOIN item_record p ON p.code = c.anc
          WHERE p.parent IS NOT NULL AND c.depth < 10000
       ),
       outermost AS (SELECT DISTINCT ON (code) code, anc AS top FROM chain ORDER BY code, depth DESC),
       problems AS (
         SELECT r.code,
                CASE WHEN r.top IS DISTINCT FROM o.top
                       THEN format('its stored top is %s, its outermost container %s', coalesce(r.top, 'none'),
                                   coalesce(o.top, 'none'))
                     WHEN r.parent IS DISTINCT FROM m.container
                       THEN format('it is in %s, its open membership interval names %s', coalesce(r.parent, 'none'),
                                   coalesce(m.container, 'none'))
                     WHEN r.top IS NOT NULL AND (r.top_since IS NULL OR r.ops_base > cardinality(t.ops))
                       THEN format('it counts %s receipts of its top %s, which has had %s', r.ops_base, r.top,
                                   coalesce(cardinality(t.ops), 0))
                END AS problem
           FROM item_record r
           LEFT JOIN outermost o ON o.code = r.code
           LEFT JOIN item_membership m ON m.code = r.code AND m.to_idx IS NULL
           LEFT JOIN item_record t ON t.code = r.top
       )
       SELECT code, problem, (count(*) OVER ())::int AS count FROM problems WHERE problem IS NOT NULL
        ORDER BY code LIMIT $1`,
      [limit],
    );
    return { rows: rows.map(({ code, problem }) => ({ code, problem })), count: rows[0]?.count ?? 0 };
  }

  /** Up to `limit` checkpoints with a size above `afterSize`, smallest first. */
  async checkpointsAfter(afterSize: number, limit: number): Promise<AuditCheckpointRow[]> {
    const { rows } = await this.client.query<AuditCheckpointRow>(
      `SELECT tree_size, root_hash, note FROM checkpoint WHERE tree_size > $1 ORDER BY tree_size LIMIT $2`,
      [afterSize, limit],
    );
    return rows;
  }
}
