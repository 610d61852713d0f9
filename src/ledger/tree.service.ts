import { Injectable } from '@nestjs/common';
import { Hash, HASH_SIZE, nodeHash } from '../merkle/hash';
import { NodeId } from '../merkle/node-id';
import { planConsistency, planInclusion, ProofPlan } from '../merkle/proof';
import { tileForNode, tileWidth, TILE_HEIGHT, TILE_WIDTH } from '../merkle/tiles';
import { LogRepository } from './log.repository';

/** Tiles kept in memory, most recently used first: 16 KiB each (see TileNodes), so at most 128 MiB. */
const TILE_CACHE_SIZE = 8192;

/** Inclusion proofs kept (about 1 KiB each). */
const PROOF_CACHE_SIZE = 20_000;

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

  constructor(private readonly log: LogRepository) {}

  /** The hashes of tile (level, index) present in a tree of `treeSize` leaves (all 256 when the tile is full). */
  async tileHashes(level: number, index: number, treeSize: number): Promise<Hash[]> {
    const width = tileWidth(level, index, treeSize);
    if (width === 0) return [];
    const tile = await this.tile(level, index, width);
    return Array.from({ length: width }, (_, i) => tile.hash(0, i));
  }

  /** Hashes of complete subtrees of a tree of `treeSize` leaves. */
  async nodeHashes(ids: readonly NodeId[], treeSize: number): Promise<Hash[]> {
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
    const key = `${index}:${treeSize}`;
    let proof = this.proofs.get(key);
    if (!proof) {
      proof = await this.prove(planInclusion(index, treeSize), treeSize);
      if (this.proofs.size >= PROOF_CACHE_SIZE) this.proofs.delete(this.proofs.keys().next().value!);
      this.proofs.set(key, proof);
    }
    return proof;
  }

  consistencyProof(from: number, to: number): Promise<Hash[]> {
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
    const rows =
      level === 0
        ? (await this.log.leafHashes(first, width)).map((r) => r.leaf_hash)
        : (await this.log.treeHashes(level, first, width)).map((r) => r.hash);
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
