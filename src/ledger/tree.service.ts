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

/** An inclusion proof with the hash of the leaf it proves, as read from the stored tree. */
export interface InclusionWithLeaf {
  leaf: Hash;
  hashes: Hash[];
}

/** A tile wanted by a proof: its coordinates and how many of its hashes the proof's tree holds. */
interface TileWant {
  key: string;
  level: number;
  index: number;
  width: number;
}

const tileKey = (level: number, index: number) => `${level}/${index}`;

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
  private readonly tileCache = new Map<string, TileNodes>();
  private readonly proofs = new Map<string, InclusionWithLeaf>();
  /** Tile reads in flight, by tile key: concurrent proofs over the same tile share one read. */
  private readonly reading = new Map<string, { width: number; tile: Promise<TileNodes> }>();
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
    this.tileCache.clear();
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
   * A proof built from stored tiles for a size whose root this process computed itself (from the entries) is
   * verified against that root, with the leaf hash the same tiles give, before it is served: a stored hash changed
   * while the server runs then stops the tree being served (and signed over) instead of handing out proofs that do
   * not verify. It costs no read: the leaf comes with the proof's tiles. (Callers that serve an entry's leaf data
   * with the proof, verification's evidence, also compare that data's hash with the leaf: `checkLeafData`.)
   */
  private checkInclusion(index: number, treeSize: number, proof: InclusionWithLeaf): void {
    const root = this.trustedRoots.get(treeSize);
    if (!root || verifyInclusion(proof.leaf, index, treeSize, proof.hashes, root)) return;
    this.fail(
      `the stored tree gives entry ${index} an inclusion proof that does not verify against the root of checkpoint ${treeSize}`,
    );
  }

  /**
   * Checks that an entry's leaf data, as read from its row, hashes to the leaf hash the stored tree proves
   * (RFC 9162 §2.1.1: the leaf hash is SHA-256(0x00 || leaf)); a difference means a row was changed and is a fault.
   */
  checkLeafData(index: number, leafData: Uint8Array, leaf: Hash): void {
    if (equalBytes(leafHash(leafData), leaf)) return;
    this.fail(`the leaf data of entry ${index} does not hash to the leaf hash of the stored tree`);
  }

  private fail(message: string): never {
    this.logger.error(`${message}; tiles and proofs withheld, integration halted — run \`rxledger audit\``);
    this.reportFault(message);
    this.assertSound();
    throw new Error(message);
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

  /** Hashes of complete subtrees of a tree of `treeSize` leaves; the tiles not cached are read in one round trip. */
  async nodeHashes(ids: readonly NodeId[], treeSize: number): Promise<Hash[]> {
    this.assertSound();
    const located = ids.map((id) => ({ id, at: tileForNode(id) }));
    const wanted = new Map<string, TileWant>();
    for (const { at } of located) {
      const key = tileKey(at.tileLevel, at.tileIndex);
      if (wanted.has(key)) continue;
      const width = tileWidth(at.tileLevel, at.tileIndex, treeSize);
      wanted.set(key, { key, level: at.tileLevel, index: at.tileIndex, width });
    }
    const loaded = await this.tiles([...wanted.values()].filter((t) => t.width > 0));
    return located.map(({ id, at }) => {
      const key = tileKey(at.tileLevel, at.tileIndex);
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
    return (await this.inclusion(index, treeSize)).hashes;
  }

  /**
   * The inclusion proof of leaf `index` in a tree of `treeSize` leaves and that leaf's hash, from the same tiles
   * (the leaf's sibling lies in the leaf's own tile): one read at most, none when the tiles are cached.
   */
  async inclusion(index: number, treeSize: number): Promise<InclusionWithLeaf> {
    this.assertSound();
    const key = `${index}:${treeSize}`;
    let proof = this.proofs.get(key);
    if (!proof) {
      const plan = planInclusion(index, treeSize);
      const [leaf, ...nodes] = await this.nodeHashes([{ level: 0, index }, ...plan.nodes], treeSize);
      proof = { leaf, hashes: plan.build(nodes) };
      this.checkInclusion(index, treeSize, proof);
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
    const key = tileKey(level, index);
    return (await this.tiles([{ key, level, index, width }])).get(key)!;
  }

  /**
   * Tiles with at least the wanted widths, by key: from the cache, from a read already in flight, or read now, all of
   * those in one round trip, and cached. A full tile never changes; a partial one only grows, and its first `width`
   * hashes serve any tree whose width in it is at most that.
   */
  private async tiles(wanted: readonly TileWant[]): Promise<Map<string, TileNodes>> {
    const found = new Map<string, TileNodes>();
    const waits: [string, Promise<TileNodes>][] = [];
    const toRead: TileWant[] = [];
    for (const want of wanted) {
      const cached = this.tileCache.get(want.key);
      if (cached && cached.width >= want.width) {
        // Refresh its position in the LRU order.
        this.tileCache.delete(want.key);
        this.tileCache.set(want.key, cached);
        found.set(want.key, cached);
        continue;
      }
      const inFlight = this.reading.get(want.key);
      if (inFlight && inFlight.width >= want.width) waits.push([want.key, inFlight.tile]);
      else toRead.push(want);
    }
    if (toRead.length > 0) {
      const read = this.readTiles(toRead);
      for (const want of toRead) {
        const tile = read.then((tiles) => tiles.get(want.key)!);
        // Awaited below (and by whoever shares it); a failure is reported there.
        tile.catch(() => undefined);
        const entry = { width: want.width, tile };
        this.reading.set(want.key, entry);
        void tile
          .finally(() => {
            if (this.reading.get(want.key) === entry) this.reading.delete(want.key);
          })
          .catch(() => undefined);
        waits.push([want.key, tile]);
      }
    }
    for (const [key, tile] of waits) found.set(key, await tile);
    return found;
  }

  /** Reads tiles from storage in one query and caches them (keeping the widest version of each). */
  private async readTiles(wanted: readonly TileWant[]): Promise<Map<string, TileNodes>> {
    const total = wanted.reduce((sum, t) => sum + t.width, 0);
    const ranges = wanted.map((t) => ({ tileLevel: t.level, from: t.index * TILE_WIDTH, count: t.width }));
    // Stored hashes never change: a standby serves them whenever it has replayed them all (else the primary).
    const rows = await readVia(
      this.reads,
      (sql) => this.log.tileRows(ranges, sql),
      (read) => read.length === total,
    );
    const stored = new Map<string, Uint8Array[]>(wanted.map((t) => [t.key, new Array<Uint8Array>(t.width)]));
    for (const row of rows) {
      stored.get(tileKey(row.lvl, Math.floor(row.idx / TILE_WIDTH)))![row.idx % TILE_WIDTH] = row.hash;
    }
    const tiles = new Map<string, TileNodes>();
    for (const want of wanted) {
      const hashes = stored.get(want.key)!;
      // The array is sparse where a row is missing (reduce skips the holes).
      const present = hashes.reduce((n) => n + 1, 0);
      if (present !== want.width) {
        throw new Error(`tile ${want.key}: expected ${want.width} stored hashes, found ${present}`);
      }
      const tile = TileNodes.build(hashes);
      tiles.set(want.key, tile);
      const current = this.tileCache.get(want.key);
      // A concurrent read of a wider version of this tile may have finished first: keep the widest.
      if (!current || current.width < tile.width) {
        this.tileCache.delete(want.key);
        this.tileCache.set(want.key, tile);
        if (this.tileCache.size > TILE_CACHE_SIZE) this.tileCache.delete(this.tileCache.keys().next().value!);
      }
    }
    return tiles;
  }
}
