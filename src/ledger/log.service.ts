import { Injectable, Optional } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { AuthError } from '../common/app-error';
import { Hash } from '../merkle/hash';
import { encodeEntryBundle, parseTilePath, tileWidth, TILE_WIDTH } from '../merkle/tiles';
import { encodeLeaf } from '../protocol/leaf';
import { bytesToBase64 } from '../bytes';
import { ReadDatabase, readVia } from '../database/read-database';
import { CheckpointService, PublishedCheckpoint } from './checkpoint.service';
import { LedgerError } from './ledger.errors';
import { LogRepository } from './log.repository';
import { Receipt } from './receipt';
import { TreeService } from './tree.service';

export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  hashes: string[];
  /** The signed checkpoint of `treeSize`, when one was published for exactly that size. */
  checkpoint?: string;
}

export interface LogEntryView {
  index: number;
  leafHash: string;
  acceptedAt: string;
  eventHash: string;
  event: unknown;
  signature: string;
}

const b64 = (hashes: Hash[]) => hashes.map(bytesToBase64);

/** The read side of the log: checkpoints, tiles, entries and proofs (docs/PROTOCOL.md §4 to §6). */
@Injectable()
export class LogService {
  constructor(
    private readonly log: LogRepository,
    private readonly tree: TreeService,
    private readonly checkpoints: CheckpointService,
    @Optional() private readonly reads?: ReadDatabase,
  ) {}

  /** Entries logged so far (integrated or not). */
  committedSize(): Promise<number> {
    return this.log.committedSize();
  }

  /** How long the oldest entry not in a checkpoint of `checkpointSize` leaves has waited (null: none waits). */
  async oldestWaitMs(checkpointSize: number): Promise<number | null> {
    const acceptedAt = await this.log.acceptedAt(checkpointSize);
    return acceptedAt ? Math.max(0, Date.now() - acceptedAt.getTime()) : null;
  }

  /** Stored checkpoints newest first, of trees smaller than `before` when given: the tree's growth. */
  async checkpointHistory(before: number | undefined, limit: number) {
    const rows = await this.log.checkpointsBefore(before, limit);
    return rows.map((row) => ({
      treeSize: Number(row.tree_size),
      rootHash: bytesToBase64(row.root_hash),
      createdAt: row.created_at.toISOString(),
      note: row.note,
    }));
  }

  latest(): PublishedCheckpoint {
    const latest = this.checkpoints.latest();
    if (!latest) throw new LedgerError('NO_CHECKPOINT', 'no checkpoint has been published yet');
    return latest;
  }

  /** A tile or an entry bundle, by its C2SP tlog-tiles path (relative, starting with `tile/`). */
  async tile(path: string): Promise<{ bytes: Uint8Array; full: boolean }> {
    let parsed: ReturnType<typeof parseTilePath>;
    try {
      parsed = parseTilePath(path);
    } catch (error) {
      throw new LedgerError('TILE_PATH_INVALID', (error as Error).message);
    }
    const size = this.latest().size;
    const level = parsed.kind === 'entries' ? 0 : parsed.level;
    const width = parsed.width ?? TILE_WIDTH;
    if (tileWidth(level, parsed.index, size) < width) {
      throw new LedgerError(
        'TILE_NOT_FOUND',
        `tile ${path} is not in the tree of the latest checkpoint (size ${size})`,
      );
    }
    if (parsed.kind === 'entries') {
      const rows = await readVia(
        this.reads,
        (sql) => this.log.leafData(parsed.index * TILE_WIDTH, width, sql),
        (read) => read.length === width,
      );
      const leaves = rows.map((r) =>
        encodeLeaf({ acceptedAtMs: r.accepted_at.getTime(), eventHash: r.event_hash, signature: r.signature }),
      );
      return { bytes: encodeEntryBundle(leaves), full: width === TILE_WIDTH };
    }
    const hashes = (await this.tree.tileHashes(level, parsed.index, size)).slice(0, width);
    const bytes = new Uint8Array(hashes.length * 32);
    hashes.forEach((h, i) => bytes.set(h, i * 32));
    return { bytes, full: width === TILE_WIDTH };
  }

  /** An event with its signature, for the parties it names and for regulators. */
  async entry(index: number, principal: Principal): Promise<LogEntryView> {
    const row = await this.log.entry(index);
    if (!row) throw new LedgerError('ENTRY_NOT_FOUND', `no log entry ${index}`);
    if (principal.role !== 'regulator' && principal.role !== 'operator') {
      const parties = await this.log.entryParties(index);
      if (!parties.includes(principal.gln)) {
        throw AuthError.forbidden(
          `log entry ${index} does not name ${principal.gln}; only the parties it names and regulators may read it`,
        );
      }
    }
    return {
      index: row.idx,
      leafHash: bytesToBase64(row.leaf_hash),
      acceptedAt: row.accepted_at.toISOString(),
      eventHash: bytesToBase64(row.event_hash),
      event: JSON.parse(row.event_json),
      signature: bytesToBase64(row.signature),
    };
  }

  async inclusionProof(index: number, size?: number): Promise<InclusionProofView> {
    const latest = this.latest();
    const treeSize = this.proofTreeSize(size);
    if (index >= treeSize) {
      throw new LedgerError('INDEX_OUT_OF_RANGE', `index ${index} is not in a tree of ${treeSize} leaves`);
    }
    // The leaf and its proof come from the same tiles: one read at most.
    const { leaf, hashes } = await this.tree.inclusion(index, treeSize);
    return {
      leafIndex: index,
      treeSize,
      leafHash: bytesToBase64(leaf),
      hashes: b64(hashes),
      ...(treeSize === latest.size ? { checkpoint: latest.note } : {}),
    };
  }

  /** The tree size an inclusion proof is asked for: 1 … the latest checkpoint's (§6.4), by default the latest. */
  private proofTreeSize(size?: number): number {
    const latest = this.latest();
    const treeSize = size ?? latest.size;
    if (treeSize > latest.size || treeSize < 1) {
      throw new LedgerError('TREE_SIZE_INVALID', `size must be between 1 and the latest checkpoint's ${latest.size}`);
    }
    return treeSize;
  }

  async inclusionProofByLeafHash(leafHash: Uint8Array, size?: number): Promise<InclusionProofView> {
    const treeSize = this.proofTreeSize(size);
    const index = await readVia(
      this.reads,
      (sql) => this.log.indexOfLeafHash(leafHash, treeSize, sql),
      (found) => found !== undefined,
    );
    if (index === undefined) {
      throw new LedgerError('ENTRY_NOT_FOUND', `no leaf with that hash in a tree of ${treeSize} leaves`);
    }
    return this.inclusionProof(index, treeSize);
  }

  async consistencyProof(
    from: number,
    to?: number,
  ): Promise<{ from: number; to: number; hashes: string[]; checkpoint?: string }> {
    const latest = this.latest();
    const toSize = to ?? latest.size;
    if (toSize > latest.size) {
      throw new LedgerError('TREE_SIZE_INVALID', `to must be at most the latest checkpoint's size ${latest.size}`);
    }
    if (from > toSize) throw new LedgerError('TREE_SIZE_INVALID', `from (${from}) must not exceed to (${toSize})`);
    return {
      from,
      to: toSize,
      hashes: b64(await this.tree.consistencyProof(from, toSize)),
      ...(toSize === latest.size ? { checkpoint: latest.note } : {}),
    };
  }

  /** Waits until each receipt's event is in a signed checkpoint and adds that checkpoint and the proof. */
  async attachProofs(receipts: Receipt[], timeoutMs: number): Promise<Receipt[]> {
    if (receipts.length === 0) return receipts;
    const highest = Math.max(...receipts.map((r) => r.index));
    const checkpoint = await this.checkpoints.waitFor(highest, timeoutMs);
    if (!checkpoint) return receipts;
    return Promise.all(
      receipts.map(async (receipt) => ({
        ...receipt,
        checkpoint: checkpoint.note,
        inclusionProof: {
          treeSize: checkpoint.size,
          leafIndex: receipt.index,
          hashes: b64(await this.tree.inclusionProof(receipt.index, checkpoint.size)),
        },
      })),
    );
  }
}
