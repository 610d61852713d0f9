import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database';

export interface NewLogEntry {
  index: number;
  leafHash: Uint8Array;
  actor: string;
  eventId: string;
  eventType: string;
  keyId: string;
  eventTime: string;
  eventHash: Uint8Array;
  signature: Uint8Array;
  eventJson: string;
  /** Every party the event names, the actor included. */
  parties: string[];
}

export interface StoredEntryRef {
  idx: number;
  actor: string;
  event_id: string;
  event_hash: Buffer;
  signature: Buffer;
  leaf_hash: Buffer;
  accepted_at: Date;
}

export interface StoredEntry extends StoredEntryRef {
  event_type: string;
  key_id: string;
  event_time: Date;
  event_json: string;
}

export interface StoredCheckpoint {
  tree_size: number;
  root_hash: Buffer;
  note: string;
  created_at: Date;
}

const bytes = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const hex = (value: Uint8Array) => bytes(value).toString('hex');

/** All SQL on the log tables: the sequencer, entries, tile hashes and checkpoints. */
@Injectable()
export class LogRepository {
  constructor(private readonly db: Database) {}

  /**
   * Locks the sequencer row for the rest of the transaction; returns the next free index and when the last entry was
   * accepted (acceptance times never decrease along the log: docs/PROTOCOL.md §4).
   */
  async lockSequencer(tx: Sql): Promise<{ next: number; lastAcceptedAt: Date | null }> {
    const [row] = await tx.query<{ next_index: number; last_accepted_at: Date | null }>(
      `SELECT s.next_index, e.accepted_at AS last_accepted_at
         FROM log_sequencer s LEFT JOIN log_entry e ON e.idx = s.next_index - 1
        WHERE s.id = 1 FOR UPDATE OF s`,
    );
    return { next: row.next_index, lastAcceptedAt: row.last_accepted_at };
  }

  async advanceSequencer(tx: Sql, nextIndex: number): Promise<void> {
    await tx.query('UPDATE log_sequencer SET next_index = $1 WHERE id = 1', [nextIndex]);
  }

  /** Entries already logged under any of these (actor, event id) pairs (an index lookup each: actor is char(13)). */
  async findByEventIds(sql: Sql, actors: string[], eventIds: string[]): Promise<StoredEntryRef[]> {
    if (actors.length === 0) return [];
    return sql.query<StoredEntryRef>(
      `SELECT e.idx, e.actor, e.event_id, e.event_hash, e.signature, e.leaf_hash, e.accepted_at
         FROM unnest($1::char(13)[], $2::text[]) AS k(actor, event_id)
         JOIN log_entry e ON e.actor = k.actor AND e.event_id = k.event_id`,
      [actors, eventIds],
    );
  }

  async append(tx: Sql, entries: NewLogEntry[], acceptedAt: Date): Promise<void> {
    if (entries.length === 0) return;
    // Rows travel as one JSON document: far cheaper to build than pg's array literals, and parsed by PostgreSQL.
    await tx.query(
      `INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                              event_hash, signature, event_json)
       SELECT r.idx, decode(r.leaf_hash, 'hex'), $2, r.actor, r.event_id, r.event_type, r.key_id, r.event_time,
              decode(r.event_hash, 'hex'), decode(r.signature, 'hex'), r.event_json
         FROM json_to_recordset($1::json) AS r(idx bigint, leaf_hash text, actor text, event_id text, event_type text,
                                              key_id text, event_time timestamptz, event_hash text, signature text,
                                              event_json text)`,
      [
        JSON.stringify(
          entries.map((e) => ({
            idx: e.index,
            leaf_hash: hex(e.leafHash),
            actor: e.actor,
            event_id: e.eventId,
            event_type: e.eventType,
            key_id: e.keyId,
            event_time: e.eventTime,
            event_hash: hex(e.eventHash),
            signature: hex(e.signature),
            event_json: e.eventJson,
          })),
        ),
        acceptedAt,
      ],
    );
    await this.nameParties(tx, entries);
  }

  /** Records who each entry names (read model). */
  async nameParties(tx: Sql, entries: { index: number; parties: string[] }[]): Promise<void> {
    const glns: string[] = [];
    const idxs: number[] = [];
    for (const entry of entries) {
      for (const gln of new Set(entry.parties)) {
        glns.push(gln);
        idxs.push(entry.index);
      }
    }
    if (glns.length === 0) return;
    await tx.query(
      'INSERT INTO log_entry_party (gln, idx) SELECT * FROM json_to_recordset($1::json) AS r(gln text, idx bigint)',
      [JSON.stringify(glns.map((gln, i) => ({ gln, idx: idxs[i] })))],
    );
  }

  /** Entries [from, from + count) with what replaying them needs. */
  async entriesForReplay(
    tx: Sql,
    from: number,
    count: number,
  ): Promise<{ idx: number; accepted_at: Date; event_json: string }[]> {
    return tx.query('SELECT idx, accepted_at, event_json FROM log_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx', [
      from,
      from + count,
    ]);
  }

  /** Empties read-model tables (never the log tables, which refuse it). */
  async truncate(tx: Sql, tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    const safe = tables.map((t) => {
      if (!/^[a-z_]+$/.test(t)) throw new Error(`not a table name: ${t}`);
      return t;
    });
    await tx.query(`TRUNCATE ${safe.join(', ')}`);
  }

  async entry(index: number): Promise<StoredEntry | undefined> {
    const [row] = await this.db.query<StoredEntry>('SELECT * FROM log_entry WHERE idx = $1', [index]);
    return row;
  }

  async entryParties(index: number): Promise<string[]> {
    const rows = await this.db.query<{ gln: string }>('SELECT gln FROM log_entry_party WHERE idx = $1', [index]);
    return rows.map((r) => r.gln);
  }

  async indexOfLeafHash(leafHash: Uint8Array, below: number, sql: Sql = this.db): Promise<number | undefined> {
    const [row] = await sql.query<{ idx: number }>(
      'SELECT idx FROM log_entry WHERE leaf_hash = $1 AND idx < $2 ORDER BY idx LIMIT 1',
      [bytes(leafHash), below],
    );
    return row?.idx;
  }

  /** Leaf hashes [from, from + count), in index order. */
  async leafHashes(from: number, count: number, sql: Sql = this.db): Promise<{ idx: number; leaf_hash: Buffer }[]> {
    return sql.query('SELECT idx, leaf_hash FROM log_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx', [
      from,
      from + count,
    ]);
  }

  /** Hashes of tile level `tileLevel` (>= 1), indexes [from, from + count). */
  async treeHashes(
    tileLevel: number,
    from: number,
    count: number,
    sql: Sql = this.db,
  ): Promise<{ idx: number; hash: Buffer }[]> {
    return sql.query('SELECT idx, hash FROM tree_hash WHERE tile_level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx', [
      tileLevel,
      from,
      from + count,
    ]);
  }

  /**
   * The stored hashes of several tiles in one round trip: tile level 0 from `log_entry.leaf_hash`, the others from
   * `tree_hash`, each tile given as its tile level and the range [from, from + count) of its hashes' indexes. Rows
   * come in no particular order.
   */
  async tileRows(
    tiles: readonly { tileLevel: number; from: number; count: number }[],
    sql: Sql = this.db,
  ): Promise<{ lvl: number; idx: number; hash: Buffer }[]> {
    const leaves = tiles.filter((t) => t.tileLevel === 0);
    const upper = tiles.filter((t) => t.tileLevel > 0);
    return sql.query(
      `SELECT 0 AS lvl, e.idx, e.leaf_hash AS hash
         FROM unnest($1::bigint[], $2::bigint[]) AS r(lo, hi)
         CROSS JOIN LATERAL (SELECT idx, leaf_hash FROM log_entry WHERE idx >= r.lo AND idx < r.hi) e
       UNION ALL
       SELECT r.lvl, t.idx, t.hash
         FROM unnest($3::smallint[], $4::bigint[], $5::bigint[]) AS r(lvl, lo, hi)
         CROSS JOIN LATERAL (SELECT idx, hash FROM tree_hash WHERE tile_level = r.lvl AND idx >= r.lo AND idx < r.hi) t`,
      [
        leaves.map((t) => t.from),
        leaves.map((t) => t.from + t.count),
        upper.map((t) => t.tileLevel),
        upper.map((t) => t.from),
        upper.map((t) => t.from + t.count),
      ],
    );
  }

  /** Leaf data bundles for [from, from + count): accepted_at, event hash and signature of each entry. */
  async leafData(
    from: number,
    count: number,
    sql: Sql = this.db,
  ): Promise<{ idx: number; accepted_at: Date; event_hash: Buffer; signature: Buffer }[]> {
    return sql.query(
      'SELECT idx, accepted_at, event_hash, signature FROM log_entry WHERE idx >= $1 AND idx < $2 ORDER BY idx',
      [from, from + count],
    );
  }

  async latestCheckpoint(sql: Sql = this.db): Promise<StoredCheckpoint | undefined> {
    const [row] = await sql.query<StoredCheckpoint>('SELECT * FROM checkpoint ORDER BY tree_size DESC LIMIT 1');
    return row;
  }

  /** Stored checkpoints newest first, below `before` when given (keyset on the primary key, tree_size). */
  async checkpointsBefore(before: number | undefined, limit: number): Promise<StoredCheckpoint[]> {
    return this.db.query<StoredCheckpoint>(
      'SELECT * FROM checkpoint WHERE tree_size < $1 ORDER BY tree_size DESC LIMIT $2',
      [before ?? Number.MAX_SAFE_INTEGER, limit],
    );
  }

  async checkpointAtLeast(size: number): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.db.query<StoredCheckpoint>(
      'SELECT * FROM checkpoint WHERE tree_size >= $1 ORDER BY tree_size LIMIT 1',
      [size],
    );
    return row;
  }

  /** Stores the integrator's new tile hashes and the checkpoint that covers them, atomically. */
  async publish(
    tx: Sql,
    hashes: { tileLevel: number; index: number; hash: Uint8Array }[],
    checkpoint: { treeSize: number; rootHash: Uint8Array; note: string },
  ): Promise<Date> {
    if (hashes.length > 0) {
      await tx.query(
        'INSERT INTO tree_hash (tile_level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
        [hashes.map((h) => h.tileLevel), hashes.map((h) => h.index), hashes.map((h) => bytes(h.hash))],
      );
    }
    const [row] = await tx.query<{ created_at: Date }>(
      'INSERT INTO checkpoint (tree_size, root_hash, note) VALUES ($1, $2, $3) RETURNING created_at',
      [checkpoint.treeSize, bytes(checkpoint.rootHash), checkpoint.note],
    );
    return row.created_at;
  }

  /** When the entry at `index` was accepted (undefined when there is none). */
  async acceptedAt(index: number): Promise<Date | undefined> {
    const [row] = await this.db.query<{ accepted_at: Date }>('SELECT accepted_at FROM log_entry WHERE idx = $1', [
      index,
    ]);
    return row?.accepted_at;
  }

  /** Highest index logged so far + 1 (what the sequencer has handed out and committed). */
  async committedSize(sql: Sql = this.db): Promise<number> {
    const [row] = await sql.query<{ next_index: number }>('SELECT next_index FROM log_sequencer WHERE id = 1');
    return row.next_index;
  }
}
