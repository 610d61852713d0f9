/**
 * The right edge of an append-only Merkle tree: the roots of the maximal complete subtrees of the current tree,
 * one per set bit of the size, largest (leftmost) first. That is all an integrator needs to keep in memory to
 * append leaves and compute the RFC 9162 root, and it can be reloaded from stored node hashes after a restart.
 */
import { EMPTY_ROOT, Hash, isHash, nodeHash } from './hash';
import { NodeId, assertTreeSize, bitIsSet, popCount } from './node-id';

/** Called for every complete subtree an append creates, smallest first (the leaf itself is level 0). */
export type OnComplete = (level: number, index: number, hash: Hash) => void;

export class MerkleFrontier {
  private readonly roots: Hash[];
  private treeSize: number;

  /**
   * @param size the number of leaves already in the tree
   * @param hashes the hashes of `MerkleFrontier.nodeIds(size)`, in that order
   */
  constructor(size: number, hashes: readonly Hash[]) {
    assertTreeSize(size, 'frontier size');
    const expected = popCount(size);
    if (hashes.length !== expected) {
      throw new RangeError(`a frontier of size ${size} has ${expected} hashes, got ${hashes.length}`);
    }
    hashes.forEach((hash, i) => {
      if (!isHash(hash)) throw new RangeError(`frontier hash ${i} must be 32 bytes, got ${hash.length}`);
    });
    this.treeSize = size;
    this.roots = hashes.map((hash) => Uint8Array.from(hash));
  }

  static empty(): MerkleFrontier {
    return new MerkleFrontier(0, []);
  }

  /**
   * The complete subtrees whose hashes make up the frontier of a tree of `size` leaves, left to right; load
   * their hashes from storage and pass them to the constructor.
   */
  static nodeIds(size: number): NodeId[] {
    assertTreeSize(size, 'tree size');
    const ids: NodeId[] = [];
    for (let level = 52; level >= 0; level--) {
      if (bitIsSet(size, level)) ids.push({ level, index: Math.floor(size / 2 ** level) - 1 });
    }
    return ids;
  }

  get size(): number {
    return this.treeSize;
  }

  /** A copy: callers cannot corrupt the frontier through it. */
  get hashes(): Hash[] {
    return this.roots.map((hash) => Uint8Array.from(hash));
  }

  append(leaf: Hash, onComplete?: OnComplete): void {
    if (!isHash(leaf)) throw new RangeError(`leaf hash must be 32 bytes, got ${leaf.length}`);
    if (!Number.isSafeInteger(this.treeSize + 1)) throw new RangeError('the tree is full (2^53 - 1 leaves)');
    let hash: Hash = Uint8Array.from(leaf);
    let level = 0;
    let index = this.treeSize;
    onComplete?.(level, index, hash);
    // Each set low bit of the old size is a complete subtree of the same height waiting for a right sibling.
    while (bitIsSet(this.treeSize, level)) {
      const left = this.roots.pop();
      if (left === undefined) throw new Error('frontier invariant broken: fewer hashes than set bits');
      hash = nodeHash(left, hash);
      level++;
      index = Math.floor(index / 2);
      onComplete?.(level, index, hash);
    }
    this.roots.push(hash);
    this.treeSize++;
  }

  /** MTH of the whole tree: the frontier hashes folded from the right (RFC 9162 §2.1.1). */
  root(): Hash {
    if (this.roots.length === 0) return Uint8Array.from(EMPTY_ROOT);
    let root = this.roots[this.roots.length - 1];
    for (let i = this.roots.length - 2; i >= 0; i--) root = nodeHash(this.roots[i], root);
    return Uint8Array.from(root);
  }
}
