/**
 * `audit`: recomputes the log from its events and checks every stored derivative of them (DESIGN.md §4, issue 2
 * item 5). For every entry, in index order: the index is the next one; `event_json` is the RFC 8785 form of
 * itself and its columns agree with it; the event hash and the 105-byte leaf are recomputed and compared; the
 * signer is checked against the key history as the log itself defines it up to that index (the registry events
 * are replayed through the same pure rules intake uses) and the signature is re-verified. The recomputed leaves
 * rebuild the Merkle tree, whose every tile-level hash is compared with `tree_hash`, and every stored checkpoint
 * is opened with the log's key and its root compared with the rebuilt tree's root at its size.
 *
 * It streams: entries are read in keyset-paginated chunks inside one read-only snapshot, and memory holds one
 * or two chunks, the O(log n) Merkle frontier and the key registry. Its cost is linear in the log's size.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../canonical-json';
import { NoteVerifier, openCheckpoint, parseVerifierKey } from '../../checkpoint';
import { Database } from '../../database/database';
import { MerkleFrontier } from '../../merkle/frontier';
import { TILE_HEIGHT } from '../../merkle/tiles';
import { LedgerEvent, parseEventTime } from '../../protocol/event';
import { encodeLeaf } from '../../protocol/leaf';
import {
  applyRegistryEvent,
  checkSigner,
  genesisKey,
  MemoryRegistry,
  REGISTRY_EVENT_TYPES,
  RegistryViolation,
} from '../../protocol/registry';
import { bytesToBase64, equalBytes } from '../../bytes';
import { verifyStrictNode, verifyStrictNodeAsync } from '../../signing/ed25519-node';
import { SIGNED_EVENT_PREFIX } from '../../signing/event-signing';
import { AuditFailure, AuditFailureCode, AuditReport } from './audit-report';
import { AuditCheckpointRow, AuditEntryRow, AuditRepository, LogCounts } from './audit.repository';

export interface AuditProgress {
  /** Entries checked so far. */
  checked: number;
  /** Entries in the log (as of the audit's snapshot). */
  total: number;
  elapsedMs: number;
}

export interface AuditOptions {
  /** The log's verifier key, in signed-note `vkey` form (`<origin>+<key id>+<base64>`). */
  logVerifierKey: string;
  onProgress?: (progress: AuditProgress) => void;
  /** Most entries read per query (default 4,000; fewer when events are large). */
  chunkSize?: number;
  /** How many failures the report lists (all are counted). Default 100. */
  maxFailures?: number;
}

const DEFAULT_CHUNK_SIZE = 4_000;
/** Event JSON read per chunk, at most (roughly): big events make smaller chunks. */
const CHUNK_BYTES = 64 * 1024 * 1024;
const CHECKPOINT_PAGE = 1_000;
const DEFAULT_MAX_FAILURES = 100;

const PREFIX = Buffer.from(SIGNED_EVENT_PREFIX);
const LEAF_HASH_PREFIX = Buffer.of(0x00);
const REGISTRY_TYPES: ReadonlySet<string> = new Set(REGISTRY_EVENT_TYPES);
const CHECKPOINT_CODES: ReadonlySet<AuditFailureCode> = new Set([
  'CHECKPOINT_NOTE_INVALID',
  'CHECKPOINT_COLUMN_MISMATCH',
  'CHECKPOINT_ROOT_MISMATCH',
  'CHECKPOINT_BEYOND_LOG',
]);

/** Audits the log in `db` against the log's verifier key; see the file comment. Read-only. */
export async function runAudit(db: Database, options: AuditOptions): Promise<AuditReport> {
  const key = parseVerifierKey(options.logVerifierKey.trim());
  // Same verdict as the key's own (noble) verifier, ten times faster: a log has one checkpoint per interval.
  const verifier: NoteVerifier = {
    name: key.name,
    keyId: key.keyId,
    verify: (message, signature) => verifyStrictNode(key.publicKey, message, signature),
  };
  return AuditRepository.inSnapshot(db, (repository) => new LogAudit(repository, verifier, options).run());
}

/** A failure and where the replay met it: the leaf index at which it shows, then entry < tile < checkpoint. */
interface Found {
  at: number;
  rank: number;
  failure: AuditFailure;
}

/** A tile-level hash the rebuilt tree produced, to compare with the stored row. */
interface ProducedHash {
  level: number;
  index: number;
  hash: Uint8Array;
  at: number;
}

class LogAudit {
  private readonly started = Date.now();
  private readonly chunkSize: number;
  private readonly maxFailures: number;
  private readonly frontier = MerkleFrontier.empty();
  private readonly registry = new MemoryRegistry();
  private lastAcceptedAtMs = -Infinity;
  private readonly failures: AuditFailure[] = [];
  private failureCount = 0;
  /** Failures of the chunk being checked; sorted into replay order when the chunk is done. */
  private found: Found[] = [];
  private produced: ProducedHash[] = [];
  private nextIndex = 0;
  private entries = 0;
  /** First missing index: the leaves after it cannot be placed, so the tree is not checked past it. */
  private gapAt: number | null = null;
  private appending = 0;
  /** Tile hashes completed below this size must be stored (the integrator stored the tree up to its largest checkpoint). */
  private tileLimit = 0;
  private signaturesVerified = 0;
  private registryEvents = 0;
  private tileHashesChecked = 0;
  private checkpointsChecked = 0;
  private latestCheckpointSize: number | null = null;
  private checkpoints: AuditCheckpointRow[] = [];
  private checkpointsAfter = -1;
  private checkpointsExhausted = false;

  constructor(
    private readonly repository: AuditRepository,
    private readonly verifier: NoteVerifier,
    private readonly options: AuditOptions,
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
  }

  async run(): Promise<AuditReport> {
    const counts = await this.repository.counts();
    this.tileLimit = counts.maxCheckpointSize;
    await this.checkCheckpointsUpTo(0);

    let limit = this.chunkSize;
    let next = this.repository.entriesAfter(-1, limit);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      const requested = limit;
      limit = this.nextLimit(rows);
      // Read the next chunk while this one is hashed and verified.
      next =
        rows.length < requested ? Promise.resolve([]) : this.repository.entriesAfter(rows[rows.length - 1].idx, limit);
      next.catch(() => undefined);
      await this.checkChunk(rows);
      this.options.onProgress?.({ checked: this.entries, total: counts.entries, elapsedMs: Date.now() - this.started });
    }
    await this.checkEnd(counts);
    return this.report(counts);
  }

  private nextLimit(rows: AuditEntryRow[]): number {
    let bytes = 0;
    for (const row of rows) bytes += row.event_json.length;
    const perRow = Math.max(1, bytes / rows.length);
    return Math.max(16, Math.min(this.chunkSize, Math.floor(CHUNK_BYTES / perRow)));
  }

  private async checkChunk(rows: AuditEntryRow[]): Promise<void> {
    const verifications: Promise<void>[] = [];
    for (const row of rows) {
      if (row.idx !== this.nextIndex) {
        this.fail(this.nextIndex, 0, 'INDEX_MISSING', entryWhere(this.nextIndex), {
          index: this.nextIndex,
          message:
            `entries ${this.nextIndex}..${row.idx - 1} are missing` +
            (this.gapAt === null ? '; the tree and the checkpoints are not checked past this gap' : ''),
        });
        this.gapAt ??= this.nextIndex;
        this.nextIndex = row.idx;
      }
      const leaf = this.checkEntry(row, verifications);
      this.entries++;
      this.nextIndex = row.idx + 1;
      if (this.gapAt !== null) continue;
      this.appending = row.idx;
      this.frontier.append(leaf, this.collect);
      if (this.checkpointDue(this.frontier.size)) await this.checkCheckpointsUpTo(this.frontier.size);
    }
    await this.compareTileHashes();
    await Promise.all(verifications);
    this.flushFound();
  }

  /** Checks one entry; returns the leaf hash recomputed from its stored event, signature and acceptance time. */
  private checkEntry(row: AuditEntryRow, verifications: Promise<void>[]): Uint8Array {
    const index = row.idx;
    const failAt = (code: AuditFailureCode, message: string) =>
      this.fail(index, 0, code, entryWhere(index), { index, message });

    const event = this.parseEvent(row, failAt);
    const message = Buffer.concat([PREFIX, Buffer.from(row.event_json, 'utf8')]);
    const eventHash = sha256(message);
    if (!equalBytes(eventHash, view(row.event_hash))) {
      failAt('EVENT_HASH_MISMATCH', 'event_hash is not SHA-256 of the signed bytes (prefix || event_json)');
    }
    if (row.accepted_at_us % 1000 !== 0) {
      failAt('ACCEPTED_AT_INVALID', 'accepted_at has a sub-millisecond part, which no leaf can carry');
    }
    const acceptedAtMs = Math.floor(row.accepted_at_us / 1000);
    const signature = view(row.signature);
    const leaf = sha256(LEAF_HASH_PREFIX, encodeLeaf({ acceptedAtMs, eventHash, signature }));
    if (!equalBytes(leaf, view(row.leaf_hash))) {
      failAt(
        'LEAF_HASH_MISMATCH',
        'leaf_hash is not the hash of the leaf built from accepted_at, the event and its signature',
      );
    } else {
      // Times of entries whose leaves hold: an edited time is a leaf mismatch above, not a decrease at the next.
      if (acceptedAtMs < this.lastAcceptedAtMs) {
        failAt(
          'ACCEPTED_AT_DECREASES',
          `accepted_at ${new Date(acceptedAtMs).toISOString()} is before the previous entry's (${new Date(this.lastAcceptedAtMs).toISOString()}); acceptance times never decrease along the log`,
        );
      }
      this.lastAcceptedAtMs = Math.max(this.lastAcceptedAtMs, acceptedAtMs);
    }

    if (!event) return leaf;
    const publicKey = this.signerKey(event, acceptedAtMs, failAt);
    if (!publicKey) return leaf;
    if (REGISTRY_TYPES.has(event.type)) {
      this.registryEvents++;
      try {
        applyRegistryEvent(this.registry, event, index, acceptedAtMs);
      } catch (error) {
        failAt('REGISTRY_EVENT_INVALID', `the registry rules refuse this ${event.type}: ${describe(error)}`);
      }
    }
    verifications.push(
      verifyStrictNodeAsync(publicKey, message, signature).then((valid) => {
        if (valid) this.signaturesVerified++;
        else failAt('SIGNATURE_INVALID', `the signature does not verify with key ${event.keyId}`);
      }),
    );
    return leaf;
  }

  /** The event in `event_json`, if it is one; reports non-canonical text and columns that disagree with it. */
  private parseEvent(
    row: AuditEntryRow,
    failAt: (code: AuditFailureCode, message: string) => void,
  ): LedgerEvent<unknown> | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.event_json);
    } catch (error) {
      failAt('EVENT_MALFORMED', `event_json is not JSON (${describe(error)})`);
      return null;
    }
    const shape = eventShapeError(parsed);
    if (shape) {
      failAt('EVENT_MALFORMED', `event_json is not an event: ${shape}`);
      return null;
    }
    const event = parsed as LedgerEvent<unknown>;
    let canonical: string | null;
    try {
      canonical = canonicalJson(parsed);
    } catch (error) {
      canonical = null;
      failAt('EVENT_NOT_CANONICAL', `event_json has no RFC 8785 form: ${describe(error)}`);
    }
    if (canonical !== null && canonical !== row.event_json) {
      failAt(
        'EVENT_NOT_CANONICAL',
        'event_json is not in RFC 8785 canonical form, so it is not the text that was signed',
      );
    }
    const columns: [string, string, string][] = [
      ['actor', row.actor, event.actor],
      ['event_id', row.event_id, event.id],
      ['event_type', row.event_type, event.type],
      ['key_id', row.key_id, event.keyId],
    ];
    for (const [column, stored, inEvent] of columns) {
      if (stored !== inEvent) {
        failAt(
          'COLUMN_MISMATCH',
          `${column} is ${JSON.stringify(stored)} but the event says ${JSON.stringify(inEvent)}`,
        );
      }
    }
    const timeUs = eventTimeMicros(event.time);
    if (timeUs === null) {
      failAt('EVENT_MALFORMED', `event time ${JSON.stringify(event.time)} is not a valid RFC 3339 date-time`);
    } else if (timeUs !== row.event_time_us) {
      failAt(
        'COLUMN_MISMATCH',
        `event_time is ${microsToIso(row.event_time_us)} but the event says ${JSON.stringify(event.time)}`,
      );
    }
    return event;
  }

  /**
   * The key that may sign `event` at this point of the log, exactly as intake decides it: the genesis rule for
   * the first event, else a registered, unrevoked key of the actor. Null (and a failure) when there is none.
   */
  private signerKey(
    event: LedgerEvent<unknown>,
    acceptedAtMs: number,
    failAt: (code: AuditFailureCode, message: string) => void,
  ): Uint8Array | null {
    const genesis = this.registry.isEmpty() ? genesisKey(event) : null;
    try {
      checkSigner(this.registry, event, acceptedAtMs);
    } catch (error) {
      if (!(error instanceof RegistryViolation)) throw error;
      failAt('SIGNER_NOT_ALLOWED', `${error.code}: ${error.message}`);
      return null;
    }
    return genesis ?? this.registry.key(event.keyId)!.publicKey;
  }

  /** Collects the hashes at tree levels 8, 16, ... (tile levels >= 1) as the frontier completes them. */
  private readonly collect = (level: number, index: number, hash: Uint8Array): void => {
    if (level === 0 || level % TILE_HEIGHT !== 0 || this.appending >= this.tileLimit) return;
    this.produced.push({ level: level / TILE_HEIGHT, index, hash, at: this.appending });
  };

  private async compareTileHashes(): Promise<void> {
    if (this.produced.length === 0) return;
    const produced = this.produced;
    this.produced = [];
    const stored = await this.repository.treeHashes(
      produced.map((p) => p.level),
      produced.map((p) => p.index),
    );
    const byKey = new Map(stored.map((row) => [`${row.tile_level}/${row.idx}`, view(row.hash)]));
    for (const p of produced) {
      const hash = byKey.get(`${p.level}/${p.index}`);
      const where = `tile hash ${p.level}/${p.index}`;
      const tile = { level: p.level, index: p.index };
      const leaves = `leaves ${p.index * 256 ** p.level}..${p.at}`;
      if (!hash) {
        this.fail(p.at, 1, 'TREE_HASH_MISSING', where, {
          tile,
          message: `tree_hash has no row for the subtree of ${leaves}, which the checkpointed tree contains`,
        });
      } else if (!equalBytes(hash, p.hash)) {
        this.fail(p.at, 1, 'TREE_HASH_MISMATCH', where, {
          tile,
          message: `the stored hash of ${leaves} is ${bytesToBase64(hash)}; the entries give ${bytesToBase64(p.hash)}`,
        });
      } else {
        this.tileHashesChecked++;
      }
    }
  }

  private checkpointDue(size: number): boolean {
    return this.checkpoints.length === 0 ? !this.checkpointsExhausted : this.checkpoints[0].tree_size <= size;
  }

  private async nextCheckpoint(): Promise<AuditCheckpointRow | undefined> {
    if (this.checkpoints.length === 0 && !this.checkpointsExhausted) {
      this.checkpoints = await this.repository.checkpointsAfter(this.checkpointsAfter, CHECKPOINT_PAGE);
      if (this.checkpoints.length < CHECKPOINT_PAGE) this.checkpointsExhausted = true;
      if (this.checkpoints.length > 0) this.checkpointsAfter = this.checkpoints[this.checkpoints.length - 1].tree_size;
    }
    return this.checkpoints[0];
  }

  /** Checks the stored checkpoints of sizes up to `size`, the size of the rebuilt tree. */
  private async checkCheckpointsUpTo(size: number): Promise<void> {
    for (;;) {
      const row = await this.nextCheckpoint();
      if (!row || row.tree_size > size) return;
      this.checkpoints.shift();
      this.checkCheckpoint(row, this.frontier.root());
    }
  }

  /** The note against the log key, the columns against the note, and (given the rebuilt root) the root. */
  private checkCheckpoint(row: AuditCheckpointRow, rebuiltRoot: Uint8Array | null): boolean {
    this.checkpointsChecked++;
    this.latestCheckpointSize = row.tree_size;
    const size = row.tree_size;
    const at = size - 1;
    const failAt = (code: AuditFailureCode, message: string) =>
      this.fail(at, 2, code, `checkpoint ${size}`, { checkpointSize: size, message });
    let signed;
    try {
      signed = openCheckpoint(row.note, this.verifier).checkpoint;
    } catch (error) {
      failAt(
        'CHECKPOINT_NOTE_INVALID',
        `the note does not open with the log key ${this.verifier.name}: ${describe(error)}`,
      );
      return false;
    }
    let ok = true;
    if (signed.size !== size) {
      failAt('CHECKPOINT_COLUMN_MISMATCH', `tree_size is ${size} but the signed note is for size ${signed.size}`);
      ok = false;
    }
    if (!equalBytes(signed.rootHash, view(row.root_hash))) {
      failAt(
        'CHECKPOINT_COLUMN_MISMATCH',
        `root_hash ${bytesToBase64(row.root_hash)} is not the signed root ${bytesToBase64(signed.rootHash)}`,
      );
      ok = false;
    }
    if (ok && rebuiltRoot && !equalBytes(signed.rootHash, rebuiltRoot)) {
      failAt(
        'CHECKPOINT_ROOT_MISMATCH',
        `the signed root ${bytesToBase64(signed.rootHash)} is not ${bytesToBase64(rebuiltRoot)}, the root of the first ${size} leaves rebuilt from the entries`,
      );
      ok = false;
    }
    return ok;
  }

  /** After the last entry: a missing tail, checkpoints beyond the log, tile hashes no checkpointed tree has. */
  private async checkEnd(counts: LogCounts): Promise<void> {
    const end = this.nextIndex;
    if (counts.sequencerNext > end) {
      this.fail(end, 0, 'INDEX_MISSING', entryWhere(end), {
        index: end,
        message: `the sequencer has handed out indexes up to ${counts.sequencerNext - 1} but the log ends at ${end - 1}: entries ${end}..${counts.sequencerNext - 1} are missing`,
      });
    } else if (counts.sequencerNext < end) {
      this.fail(end, 0, 'SEQUENCER_MISMATCH', 'sequencer', {
        message: `log_sequencer.next_index is ${counts.sequencerNext} but the log holds entries up to ${end - 1}: the next event would reuse an index`,
      });
    }
    this.flushFound();
    if (this.gapAt !== null) return;

    for (;;) {
      const row = await this.nextCheckpoint();
      if (!row) break;
      this.checkpoints.shift();
      if (this.checkCheckpoint(row, null)) {
        this.fail(end, 2, 'CHECKPOINT_BEYOND_LOG', `checkpoint ${row.tree_size}`, {
          checkpointSize: row.tree_size,
          message: `a checkpoint signed for ${row.tree_size} leaves, but the log holds ${end}`,
        });
      }
    }
    this.flushFound();

    const treeSize = Math.min(this.tileLimit, this.frontier.size);
    const beyond = await this.repository.treeHashesBeyond(treeSize, this.maxFailures);
    for (const row of beyond.rows) {
      this.fail(end, 1, 'TREE_HASH_UNEXPECTED', `tile hash ${row.tile_level}/${row.idx}`, {
        tile: { level: row.tile_level, index: row.idx },
        message: `a stored tile hash that the tree of ${treeSize} leaves (the largest checkpointed tree) does not have`,
      });
    }
    this.flushFound();
    this.failureCount += beyond.count - beyond.rows.length;

    // The read model's inherited custody: the one stored state a replay of the log does not recompute here.
    const inheritance = await this.repository.inheritanceProblems(this.maxFailures);
    for (const row of inheritance.rows) {
      this.fail(end, 3, 'CUSTODY_INHERITANCE_INVALID', `item ${row.code}`, { message: row.problem });
    }
    this.flushFound();
    this.failureCount += inheritance.count - inheritance.rows.length;
  }

  private fail(
    at: number,
    rank: number,
    code: AuditFailureCode,
    where: string,
    detail: Omit<AuditFailure, 'code' | 'where'>,
  ): void {
    this.found.push({ at, rank, failure: { code, where, ...detail } });
  }

  /** Moves the chunk's failures, in replay order, to the report (keeping the first `maxFailures`). */
  private flushFound(): void {
    const found = this.found;
    this.found = [];
    found.sort((a, b) => a.at - b.at || a.rank - b.rank);
    for (const { failure } of found) {
      this.failureCount++;
      if (this.failures.length < this.maxFailures) this.failures.push(failure);
    }
  }

  private report(counts: LogCounts): AuditReport {
    const durationMs = Date.now() - this.started;
    const allKeys = this.registry.allKeys();
    const checkpointFailures = this.failures.some((f) => CHECKPOINT_CODES.has(f.code));
    return {
      ok: this.failureCount === 0,
      origin: this.verifier.name,
      entries: this.entries,
      treeSize: this.frontier.size,
      rootHash: bytesToBase64(this.frontier.root()),
      signaturesVerified: this.signaturesVerified,
      registryEvents: this.registryEvents,
      parties: new Set(allKeys.map((k) => k.gln)).size,
      keys: allKeys.length,
      tileHashesChecked: this.tileHashesChecked,
      checkpointsChecked: this.checkpointsChecked,
      latestCheckpointSize: this.latestCheckpointSize,
      checkpointsConsistent:
        this.gapAt === null && !checkpointFailures && this.checkpointsChecked === counts.checkpoints,
      firstFailure: this.failures[0] ?? null,
      failures: this.failures,
      failureCount: this.failureCount,
      startedAt: new Date(this.started).toISOString(),
      durationMs,
      entriesPerSecond: durationMs > 0 ? (this.entries * 1000) / durationMs : this.entries,
    };
  }
}

function entryWhere(index: number): string {
  return `log entry ${index}`;
}

/** A view of `bytes` in this realm's Uint8Array (Jest runs code in a realm where a Node Buffer is not one). */
function view(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return view(hash.digest());
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why `value` is not an event object, or null. */
function eventShapeError(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const event = value as Record<string, unknown>;
  for (const member of ['id', 'type', 'actor', 'keyId', 'time']) {
    if (typeof event[member] !== 'string') return `"${member}" is not a string`;
  }
  if (event.body === undefined) return '"body" is missing';
  return null;
}

/**
 * Microseconds since the epoch for an RFC 3339 event time, rounded as PostgreSQL rounds a `timestamptz` input
 * (rint of the fraction in microseconds), or null for an invalid time.
 */
export function eventTimeMicros(time: string): number | null {
  if (Number.isNaN(parseEventTime(time))) return null;
  const fraction = /\.(\d+)/.exec(time);
  const wholeSeconds = Date.parse(fraction ? time.replace(fraction[0], '') : time);
  if (Number.isNaN(wholeSeconds)) return null;
  const micros = fraction ? roundHalfEven(Number(`0.${fraction[1]}`) * 1e6) : 0;
  return wholeSeconds * 1000 + micros;
}

function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  const iso = new Date(ms).toISOString();
  return rest === 0 ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}
