/**
 * Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) write it, with the
 * bit operations done in exact arithmetic so that sizes up to 2^53 work. These functions never throw: anything
 * malformed (wrong hash lengths, impossible sizes, a proof of the wrong length) is simply not a valid proof.
 */
import { equalBytes } from '../bytes';
import { EMPTY_ROOT, Hash, isHash, nodeHash } from './hash';
import { isTreeSize } from './node-id';

const isOdd = (value: number): boolean => value % 2 === 1;
const half = (value: number): number => Math.floor(value / 2);

function allHashes(values: readonly Uint8Array[]): boolean {
  return Array.isArray(values) && values.every((value) => isHash(value));
}

/**
 * The root that an inclusion proof implies for the tree of `size` leaves, or `null` when the proof cannot be a
 * proof for that (index, size) at all.
 */
export function rootFromInclusionProof(
  leafHash: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
): Hash | null {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) return null;
  if (!isHash(leafHash) || !allHashes(proof)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Hash = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Step 4.b.ii: climb past the levels where the right border node has no sibling. Omitting this loop
      // rejects valid proofs such as leaf 2 of a 3-leaf tree.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

export function verifyInclusion(
  leafHash: Hash,
  index: number,
  size: number,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  try {
    const computed = rootFromInclusionProof(leafHash, index, size, proof);
    return computed !== null && isHash(root) && equalBytes(computed, root);
  } catch {
    return false;
  }
}

/**
 * RFC 9162 §2.1.4.2 covers 0 < size1 < size2. The edge cases follow from the definitions, as in C2SP
 * tlog-witness: equal sizes need an empty proof and identical roots; the empty tree (whose root must be
 * SHA-256('')) is a prefix of every tree, with an empty proof. transparency-dev/merkle instead refuses
 * size1 = 0 as meaningless; we accept it because `planConsistency` emits that empty proof and a client that
 * has seen nothing yet must be able to start.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): boolean {
  try {
    return consistencyHolds(size1, size2, proof, root1, root2);
  } catch {
    return false;
  }
}

function consistencyHolds(size1: number, size2: number, proof: readonly Hash[], root1: Hash, root2: Hash): boolean {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 > size2) return false;
  if (!Array.isArray(proof) || !(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) return false;
  // Equal non-empty sizes: nothing to hash, the claim holds iff the roots are the same bytes (as upstream,
  // whose vectors accept this even for roots that are not 32 bytes).
  if (size1 === size2 && size1 > 0) return proof.length === 0 && equalBytes(root1, root2);
  if (!isHash(root1) || !isHash(root2) || !allHashes(proof)) return false;
  if (size1 === 0) {
    return proof.length === 0 && equalBytes(root1, EMPTY_ROOT) && (size2 > 0 || equalBytes(root2, EMPTY_ROOT));
  }

  // 1. An empty proof cannot connect two different sizes.
  if (proof.length === 0) return false;
  // 2. When size1 is a power of two, its root is itself a node of the larger tree and starts the chain.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  // 3.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5.
  let fr = path[0];
  let sr = path[0];
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  return sn === 0 && equalBytes(fr, root1) && equalBytes(sr, root2);
}

function isPowerOfTwo(value: number): boolean {
  let rest = value;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}
