import { Injectable, Logger, Optional } from '@nestjs/common';
import { equalBytes } from '../bytes';
import { MerkleFrontier } from '../merkle/frontier';
import { Hash, HASH_SIZE, leafHash, nodeHash } from '../merkle/hash';
import { NodeId } from '../merkle/node-id';
import { planConsistency, planInclusion, ProofPlan } from '../merkle/proof';
import { tileForNode, tileWidth, TILE_HEIGHT, TILE_WIDTH } from '../merkle/tiles';
import { verifyInclusion } from '../merkle/verify';
import { encodeLeaf } from '../protocol/leaf';
import { ReadDatabase, readVia } from '../database/read-database';
import { LedgerError } from './ledger.errors';
import { LogRepository } from './log.repository';

/** Tiles kept in memory, most recently used first: 16 KiB each (see TileNodes), so at most 128 MiB. */
const TILE_CACHE_SIZE = 8192;

/** Inclusion proofs kept (about 1 KiB each). */
const PROOF_CACHE_SIZE = 20_000;

/** Roots of checked trees remembered (the latest checkpoints this process verified or signed). */
const TRUSTED_ROOTS = 64;

/** Entries read per round trip while the tree is recomputed from them. */
const VERIFY_CHUNK = 20_000;

/** A tile-level hash (tree level 8 × `tileLevel`) as stored in `tree_hash`. */
export interface TileLevelHash {
  tileLevel: number;
  index: number;
  hash: Hash;
}

/** The stored tree disagrees with the entries it covers (or with a signed checkpoint): someone changed the tables. */
export class TreeFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TreeFault';
  }
}

/** Slots of TileNodes: the 256 stored hashes, then the 128, 64, ..., 2 complete subtrees above them in the tile. */
const TILE_SLOTS = 2 * TILE_WIDTH - 2;
const levelStart = (levelInTile: number) => 2 * TILE_WIDTH - (2 * TILE_WIDTH) / 2 ** levelInTile;

/**
 * One tile as read from storage (its first `width` hashes) plus the hash of every complete subtree inside it,
 * computed once when the tile is read, packed in one buffer. A proof then costs no hashing for the nodes it takes
 * from a cached tile. A tile's first `width` hashes never change as the tree grows, so a partial tile serves any
 * tree whose width in it is at most `width`.
 */
class TileNodes {
  private constructor(
    readonly width: number,
    private readonly slots: Uint8Array,
  ) {}

  static build(stored: readonly Uint8Array[]): TileNodes {
    const slots = new Uint8Array(TILE_SLOTS * HASH_SIZE);
    stored.forEach((hash, i) => {
      if (hash.length !== HASH_SIZE) {
        throw new RangeError(`stored hash ${i} must be ${HASH_SIZE} bytes, got ${hash.length}`);
      }
      slots.set(hash, i * HASH_SIZE);
    });
    const tile = new TileNodes(stored.length, slots);
    for (let level = 1; level < TILE_HEIGHT; level++) {
      const start = levelStart(level);
      for (let i = 0; i < Math.floor(stored.length / 2 ** level); i++) {
        slots.set(nodeHash(tile.view(level - 1, 2 * i), tile.view(level - 1, 2 * i + 1)), (start + i) * HASH_SIZE);
      }
    }
    return tile;
  }

  /** The hash of the complete subtree `index` at `levelInTile` (0 = a stored hash); a copy. */
  hash(levelInTile: number, index: number): Hash {
    return this.view(levelInTile, index).slice();
  }

  private view(levelInTile: number, index: number): Uint8Array {
    const at = (levelStart(levelInTile) + index) * HASH_SIZE;
    return this.slots.subarray(at, at + HASH_SIZE);
  }
}

/**
 * Reads the Merkle tree as stored: leaf hashes (tree level 0) and the hashes at tree levels 8, 16, ... — exactly
 * the C2SP tlog-tiles. Every complete-subtree hash a proof needs lies inside one tile, so a proof costs a few tile
 * reads, most of them from the cache; nothing is ever rebuilt from all the leaves.
 */
@Injectable()
export class TreeService {
  private readonly tiles = new Map<string, TileNodes>();
  private readonly proofs = new Map<string, Hash[]>();
  private readonly logger = new Logger(TreeService.name);
  private readonly trustedRoots = new Map<number, Hash>();
  /** Set once the stored tree was found not to match its entries: from then on no tile or proof is served. */
  private faultFound?: string;

  constructor(
    private readonly log: LogRepository,
    @Optional() private readonly reads?: ReadDatabase,
  ) {}

  /** Why the stored tree is not served (see `fault`), if it was found faulty. */
  get fault(): string | undefined {
    return this.faultFound;
  }

  /** Stops serving tiles and proofs: what the stored tree would give no longer verifies. */
  reportFault(message: string): void {
    this.faultFound = message;
    this.tiles.clear();
    this.proofs.clear();
  }

  /**
   * Extends `frontier` (a tree whose hashes are trusted) to `size` leaves, each recomputed from its entry's leaf data
   * (accepted_at, event_hash, signature: the C2SP entry) and compared with the stored `leaf_hash`; every tile-level
   * hash the extension completes within `storedSize` is compared with `tree_hash`, and those beyond it are returned
   * for the caller to store. Throws `TreeFault` at the first disagreement. Reads 20,000 entries a round trip; memory
   * holds one chunk and the O(log n) frontier.
   */
  async extendVerified(
    frontier: MerkleFrontier,
    size: number,
    storedSize: number,
  ): Promise<{ frontier: MerkleFrontier; newHashes: TileLevelHash[] }> {
    const working = new MerkleFrontier(frontier.size, frontier.hashes);
    const newHashes: TileLevelHash[] = [];
    let completed: TileLevelHash[] = [];
    const collect = (level: number, index: number, hash: Hash) => {
      if (level === 0 || level % TILE_HEIGHT !== 0) return;
      const produced = { tileLevel: level / TILE_HEIGHT, index, hash };
      ((index + 1) * 2 ** level <= storedSize ? completed : newHashes).push(produced);
    };
    while (working.size < size) {
      const from = working.size;
      const count = Math.min(VERIFY_CHUNK, size - from);
      const [data, stored] = await Promise.all([this.log.leafData(from, count), this.log.leafHashes(from, count)]);
      for (let i = 0; i < count; i++) {
        const index = from + i;
        if (data[i]?.idx !== index || stored[i]?.idx !== index) throw new Error(`log index ${index} is missing`);
        const { accepted_at: acceptedAt, event_hash: eventHash, signature } = data[i];
        let leaf: Hash;
        try {
          leaf = leafHash(encodeLeaf({ acceptedAtMs: acceptedAt.getTime(), eventHash, signature }));
        } catch (error) {
          throw new TreeFault(`entry ${index} has no valid leaf data (${(error as Error).message})`);
        }
        if (!equalBytes(leaf, new Uint8Array(stored[i].leaf_hash))) {
          throw new TreeFault(`leaf_hash of entry ${index} is not the hash of its leaf data`);
        }
        working.append(leaf, collect);
      }
      await this.compareStored(completed);
      completed = [];
    }
    return { frontier: working, newHashes };
  }

  /** Compares recomputed tile-level hashes with the stored ones. */
  private async compareStored(hashes: TileLevelHash[]): Promise<void> {
    const byLevel = new Map<number, TileLevelHash[]>();
    for (const h of hashes) byLevel.set(h.tileLevel, [...(byLevel.get(h.tileLevel) ?? []), h]);
    for (const [tileLevel, produced] of byLevel) {
      const first = produced[0].index;
      const rows = await this.log.treeHashes(tileLevel, first, produced[produced.length - 1].index - first + 1);
      const stored = new Map(rows.map((r) => [Number(r.idx), r.hash]));
      for (const h of produced) {
        const row = stored.get(h.index);
        if (!row || !equalBytes(h.hash, new Uint8Array(row))) {
          const node = `tree level ${8 * tileLevel} index ${h.index}`;
          throw new TreeFault(
            row
              ? `the stored hash of ${node} (tile ${tileLevel}/${Math.floor(h.index / TILE_WIDTH)}) does not match the entries under it`
              : `the hash of ${node} is missing from tree_hash`,
          );
        }
      }
    }
  }

  /**
   * Remembers the root of a tree this process computed from the entries (the integrator's checked trees): inclusion
   * proofs for that size are verified against it before they are served.
   */
  trustRoot(size: number, root: Hash): void {
    this.trustedRoots.delete(size);
    this.trustedRoots.set(size, root);
    if (this.trustedRoots.size > TRUSTED_ROOTS) this.trustedRoots.delete(this.trustedRoots.keys().next().value!);
  }

  /**
   * A proof built from stored tiles for a size whose root this process computed itself is verified, with the leaf
   * recomputed from the entry, before it is served: a row changed while the server runs then stops the tree being
   * served (and signed over) instead of handing out proofs that do not verify.
   */
  private async checkInclusion(index: number, treeSize: number, proof: Hash[]): Promise<void> {
    const root = this.trustedRoots.get(treeSize);
    if (!root) return;
    const [entry] = await this.log.leafData(index, 1);
    let leaf: Hash | undefined;
    try {
      leaf = leafHash(
        encodeLeaf({
          acceptedAtMs: entry.accepted_at.getTime(),
          eventHash: entry.event_hash,
          signature: entry.signature,
        }),
      );
    } catch {
      leaf = undefined;
    }
    if (leaf && verifyInclusion(leaf, index, treeSize, proof, root)) return;
    const message = `the stored tree gives entry ${index} an inclusion proof that does not verify against the root of checkpoint ${treeSize}`;
    this.logger.error(`${message}; tiles and proofs withheld, integration halted — run \`rxledger audit\``);
    this.reportFault(message);
    this.assertSound();
  }

  private assertSound(): void {
    if (this.faultFound) {
      throw new LedgerError(
        'TREE_FAULT',
        `the stored Merkle tree does not match the log's entries (${this.faultFound}); tiles and proofs are withheld until the operator repairs it`,
      );
    }
  }

  /** The hashes of tile (level, index) present in a tree of `treeSize` leaves (all 256 when the tile is full). */
  async tileHashes(level: number, index: number, treeSize: number): Promise<Hash[]> {
    this.assertSound();
    const width = tileWidth(level, index, treeSize);
    if (width === 0) return [];
    const tile = await this.tile(level, index, width);
    return Array.from({ length: width }, (_, i) => tile.hash(0, i));
  }

  /** Hashes of complete subtrees of a tree of `treeSize` leaves. */
  async nodeHashes(ids: readonly NodeId[], treeSize: number): Promise<Hash[]> {
    this.assertSound();
    const located = ids.map((id) => ({ id, at: tileForNode(id) }));
    const wanted = new Map<string, { level: number; index: number; width: number }>();
    for (const { at } of located) {
      const width = tileWidth(at.tileLevel, at.tileIndex, treeSize);
      wanted.set(`${at.tileLevel}/${at.tileIndex}`, { level: at.tileLevel, index: at.tileIndex, width });
    }
    const loaded = new Map<string, TileNodes>();
    await Promise.all(
      [...wanted].map(async ([key, t]) => {
        if (t.width > 0) loaded.set(key, await this.tile(t.level, t.index, t.width));
      }),
    );
    return located.map(({ id, at }) => {
      const key = `${at.tileLevel}/${at.tileIndex}`;
      const tile = loaded.get(key);
      if (!tile || at.offset + at.count > wanted.get(key)!.width) {
        throw new Error(`node ${id.level}/${id.index} is not complete in a tree of ${treeSize} leaves`);
      }
      return tile.hash(Math.log2(at.count), at.offset / at.count);
    });
  }

  /**
   * Remembered per (index, tree size): a checkpoint stands for a while, and answers about the many units of one
   * commissioning or shipment all prove the same entry against it.
   */
  async inclusionProof(index: number, treeSize: number): Promise<Hash[]> {
    this.assertSound();
    const key = `${index}:${treeSize}`;
    let proof = this.proofs.get(key);
    if (!proof) {
      proof = await this.prove(planInclusion(index, treeSize), treeSize);
      await this.checkInclusion(index, treeSize, proof);
      if (this.proofs.size >= PROOF_CACHE_SIZE) this.proofs.delete(this.proofs.keys().next().value!);
      this.proofs.set(key, proof);
    }
    return proof;
  }

  consistencyProof(from: number, to: number): Promise<Hash[]> {
    this.assertSound();
    return this.prove(planConsistency(from, to), to);
  }

  private async prove(plan: ProofPlan, treeSize: number): Promise<Hash[]> {
    return plan.build(await this.nodeHashes(plan.nodes, treeSize));
  }

  /** Tile (level, index) with at least its first `width` hashes: from the cache, or read and cached. */
  private async tile(level: number, index: number, width: number): Promise<TileNodes> {
    const key = `${level}/${index}`;
    const cached = this.tiles.get(key);
    if (cached && cached.width >= width) {
      // Refresh its position in the LRU order.
      this.tiles.delete(key);
      this.tiles.set(key, cached);
      return cached;
    }
    const first = index * TILE_WIDTH;
    // Stored hashes never change: a standby serves them whenever it has replayed them all (else the primary).
    const rows = await readVia(
      this.reads,
      async (sql) =>
        level === 0
          ? (await this.log.leafHashes(first, width, sql)).map((r) => r.leaf_hash)
          : (await this.log.treeHashes(level, first, width, sql)).map((r) => r.hash),
      (read) => read.length === width,
    );
    if (rows.length !== width) {
      throw new Error(`tile ${key}: expected ${width} stored hashes, found ${rows.length}`);
    }
    const tile = TileNodes.build(rows);
    const current = this.tiles.get(key);
    // A concurrent read of a wider version of this tile may have finished first: keep the widest.
    if (!current || current.width < tile.width) {
      this.tiles.delete(key);
      this.tiles.set(key, tile);
      if (this.tiles.size > TILE_CACHE_SIZE) this.tiles.delete(this.tiles.keys().next().value!);
    }
    return tile;
  }
}
