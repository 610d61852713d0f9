import { Injectable } from '@nestjs/common';
import { Hash } from '../merkle/hash';
import { NodeId } from '../merkle/node-id';
import { planConsistency, planInclusion, ProofPlan } from '../merkle/proof';
import { hashFromTileRange, tileForNode, tileWidth, TILE_WIDTH } from '../merkle/tiles';
import { LogRepository } from './log.repository';

/** Full tiles never change: keep the most recently used ones in memory (256 hashes = 8 KiB each). */
const TILE_CACHE_SIZE = 8192;

/**
 * Reads the Merkle tree as stored: leaf hashes (tree level 0) and the hashes at tree levels 8, 16, ... — exactly
 * the C2SP tlog-tiles. Every complete-subtree hash a proof needs is at most 128 stored hashes of one tile folded
 * together, so a proof costs a few tile reads, most of them from the cache; nothing is ever rebuilt from all
 * the leaves.
 */
@Injectable()
export class TreeService {
  private readonly tiles = new Map<string, Hash[]>();

  constructor(private readonly log: LogRepository) {}

  /** The hashes of tile (level, index) present in a tree of `treeSize` leaves (all 256 when the tile is full). */
  async tileHashes(level: number, index: number, treeSize: number): Promise<Hash[]> {
    const width = tileWidth(level, index, treeSize);
    if (width === 0) return [];
    const key = `${level}/${index}`;
    const cached = this.tiles.get(key);
    if (cached) {
      // Refresh its position in the LRU order.
      this.tiles.delete(key);
      this.tiles.set(key, cached);
      return cached.slice(0, width);
    }
    const first = index * TILE_WIDTH;
    const rows =
      level === 0
        ? (await this.log.leafHashes(first, width)).map((r) => r.leaf_hash)
        : (await this.log.treeHashes(level, first, width)).map((r) => r.hash);
    if (rows.length !== width) {
      throw new Error(`tile ${key}: expected ${width} stored hashes, found ${rows.length}`);
    }
    const hashes = rows.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    if (width === TILE_WIDTH) {
      this.tiles.set(key, hashes);
      if (this.tiles.size > TILE_CACHE_SIZE) this.tiles.delete(this.tiles.keys().next().value!);
    }
    return hashes;
  }

  /** Hashes of complete subtrees of a tree of `treeSize` leaves. */
  async nodeHashes(ids: readonly NodeId[], treeSize: number): Promise<Hash[]> {
    const located = ids.map((id) => ({ id, at: tileForNode(id) }));
    const tileKeys = new Map<string, { level: number; index: number }>();
    for (const { at } of located) tileKeys.set(`${at.tileLevel}/${at.tileIndex}`, { level: at.tileLevel, index: at.tileIndex });
    const loaded = new Map<string, Hash[]>();
    await Promise.all(
      [...tileKeys].map(async ([key, t]) => loaded.set(key, await this.tileHashes(t.level, t.index, treeSize))),
    );
    return located.map(({ id, at }) => {
      const hashes = loaded.get(`${at.tileLevel}/${at.tileIndex}`)!;
      const range = hashes.slice(at.offset, at.offset + at.count);
      if (range.length !== at.count) {
        throw new Error(`node ${id.level}/${id.index} is not complete in a tree of ${treeSize} leaves`);
      }
      return hashFromTileRange(range);
    });
  }

  inclusionProof(index: number, treeSize: number): Promise<Hash[]> {
    return this.prove(planInclusion(index, treeSize), treeSize);
  }

  consistencyProof(from: number, to: number): Promise<Hash[]> {
    return this.prove(planConsistency(from, to), to);
  }

  private async prove(plan: ProofPlan, treeSize: number): Promise<Hash[]> {
    return plan.build(await this.nodeHashes(plan.nodes, treeSize));
  }
}
