import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { encodeLeaf } from '../../src/protocol/leaf';

/**
 * Synthetic log entries, written straight into the tables the server writes (log_entry, log_entry_party and the
 * log_sequencer row) by PostgreSQL itself, so that a log of millions of leaves takes a minute, not hours of signed
 * HTTP intake. They are NOT valid events: the signature is 64 arbitrary bytes and the event JSON is a stub, so
 * `audit` would reject them. What is real is everything the tree depends on: the leaf bytes follow
 * docs/PROTOCOL.md (src/protocol/leaf.ts) and the leaf hash is RFC 9162's, and `syntheticLeafHash` recomputes
 * the same hash in JavaScript so a benchmark can check the server's proofs independently of the database.
 *
 * Entry i (i >= 1; entry 0 is the operator's real registration) is:
 *   accepted_at = 2025-01-01T00:00:00Z + i ms
 *   event_hash  = SHA-256("rxledger-bench-event-<i>")
 *   signature   = SHA-512("rxledger-bench-signature-<i>")
 *   leaf        = 0x01 || uint64be(accepted_at ms) || event_hash || signature
 *   leaf_hash   = SHA-256(0x00 || leaf)
 */
export const SYNTHETIC_ACTOR = '0860000000017';
export const SYNTHETIC_KEY_ID = 'benchsynthetic00';
export const SYNTHETIC_EVENT_TYPE = 'bench.synthetic';
export const SYNTHETIC_BASE_MS = Date.UTC(2025, 0, 1);

const INSERT_ENTRIES = `
  WITH synthetic AS (
    SELECT i,
           $3::bigint + i AS ms,
           sha256(convert_to('rxledger-bench-event-' || i, 'UTF8')) AS event_hash,
           sha512(convert_to('rxledger-bench-signature-' || i, 'UTF8')) AS signature
      FROM generate_series($1::bigint, $2::bigint - 1) AS i
  )
  INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                         event_hash, signature, event_json)
  SELECT i,
         sha256(decode('0001', 'hex') || int8send(ms) || event_hash || signature),
         timestamptz 'epoch' + ms * interval '1 millisecond',
         $4, 'bench-' || i, $5, $6,
         timestamptz 'epoch' + ms * interval '1 millisecond',
         event_hash, signature, '{"synthetic":' || i || '}'
    FROM synthetic`;

const INSERT_PARTIES = `
  INSERT INTO log_entry_party (gln, idx) SELECT $3, i FROM generate_series($1::bigint, $2::bigint - 1) AS i`;

/** The JavaScript twin of the SQL above: the leaf hash of synthetic entry `index`. */
export function syntheticLeafHash(index: number): Uint8Array {
  const eventHash = createHash('sha256').update(`rxledger-bench-event-${index}`).digest();
  const signature = createHash('sha512').update(`rxledger-bench-signature-${index}`).digest();
  const leaf = encodeLeaf({ acceptedAtMs: SYNTHETIC_BASE_MS + index, eventHash, signature });
  const hash = createHash('sha256').update(Uint8Array.of(0)).update(leaf).digest();
  return new Uint8Array(hash.buffer, hash.byteOffset, hash.byteLength);
}

export interface SeedOptions {
  /** First index to write (the log's current size). */
  from: number;
  /** One past the last index to write. */
  to: number;
  /** Entries per INSERT (one transaction each). */
  chunk?: number;
  /** INSERTs running at once, on separate connections. */
  parallel?: number;
  onProgress?: (written: number) => void;
}

/**
 * Writes synthetic entries [from, to) without advancing the sequencer: the integrator (which integrates only up
 * to log_sequencer.next_index) does not see them until `publishSyntheticEntries`. The pool needs `parallel`
 * connections.
 */
export async function writeSyntheticEntries(pool: Pool, options: SeedOptions): Promise<void> {
  const chunk = options.chunk ?? 100_000;
  const chunks: [number, number][] = [];
  for (let start = options.from; start < options.to; start += chunk)
    chunks.push([start, Math.min(options.to, start + chunk)]);
  let written = 0;
  const worker = async () => {
    for (let next = chunks.shift(); next; next = chunks.shift()) {
      const [start, end] = next;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Bulk load: nothing is acknowledged to anyone before the sequencer moves, so no need to wait for the WAL flush.
        await client.query('SET LOCAL synchronous_commit = off');
        await client.query(INSERT_ENTRIES, [
          start,
          end,
          SYNTHETIC_BASE_MS,
          SYNTHETIC_ACTOR,
          SYNTHETIC_EVENT_TYPE,
          SYNTHETIC_KEY_ID,
        ]);
        await client.query(INSERT_PARTIES, [start, end, SYNTHETIC_ACTOR]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      written += end - start;
      options.onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 2 }, worker));
}

/**
 * Moves the sequencer from `from` to `to` (checking nobody else moved it) and tells the server, as intake does,
 * that entries were appended: the integrator wakes up and integrates them all in one batch.
 */
export async function publishSyntheticEntries(pool: Pool, from: number, to: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const moved = await client.query('UPDATE log_sequencer SET next_index = $2 WHERE id = 1 AND next_index = $1', [
      from,
      to,
    ]);
    if (moved.rowCount !== 1) throw new Error(`the log sequencer is not at ${from}: someone else appended entries`);
    await client.query('SELECT pg_notify($1, $2)', [
      'rxledger_log',
      JSON.stringify({ from: 'bench', kind: 'appended', next: to }),
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Watches the server's checkpoints through its own LISTEN/NOTIFY channel, with a poll of the table as a fallback. */
export class CheckpointWatcher {
  private readonly waiters = new Set<{ size: number; seen: (at: number) => void }>();
  private largest = 0;
  private poll?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly listener: PoolClient,
  ) {}

  /** Resolves once LISTEN is in place: any checkpoint published after this is seen. */
  static async start(pool: Pool): Promise<CheckpointWatcher> {
    const watcher = new CheckpointWatcher(pool, await pool.connect());
    watcher.listener.on('notification', (message) => {
      try {
        const signal = JSON.parse(message.payload ?? '{}') as { kind?: string; size?: number };
        if (signal.kind === 'checkpoint' && typeof signal.size === 'number') watcher.saw(signal.size);
      } catch {
        // Not ours to judge.
      }
    });
    await watcher.listener.query('LISTEN rxledger_log');
    watcher.poll = setInterval(() => void watcher.check(), 250);
    await watcher.check();
    return watcher;
  }

  /** performance.now() when a checkpoint of at least `size` leaves was first seen. */
  until(size: number, timeoutMs: number): Promise<number> {
    if (this.largest >= size) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const waiter = {
        size,
        seen: (at: number) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no checkpoint of ${size} leaves within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    await this.listener.query('UNLISTEN rxledger_log').catch(() => undefined);
    this.listener.release();
  }

  private saw(size: number): void {
    const at = performance.now();
    this.largest = Math.max(this.largest, size);
    for (const waiter of [...this.waiters]) {
      if (waiter.size <= this.largest) {
        this.waiters.delete(waiter);
        waiter.seen(at);
      }
    }
  }

  private async check(): Promise<void> {
    try {
      const result = await this.pool.query<{ size: string | number | null }>(
        'SELECT max(tree_size) AS size FROM checkpoint',
      );
      this.saw(Number(result.rows[0]?.size ?? 0));
    } catch {
      // The notification path may still work; a real problem shows up as a timeout in until().
    }
  }
}
