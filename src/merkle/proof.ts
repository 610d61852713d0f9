/**
 * Inclusion and consistency proof generation (RFC 9162 §2.1.3.1 and §2.1.4.1) from stored complete-subtree
 * hashes, never from the whole tree. Modelled on transparency-dev/merkle's `proof.Nodes` / `Rehash`:
 *
 * 1. `planInclusion` / `planConsistency` name the complete subtrees whose hashes the caller must fetch
 *    (O(log n) of them, no duplicates);
 * 2. `build` turns those hashes, in the same order, into the proof.
 *
 * Each proof element is the MTH of a subtree of the RFC recursion. Most are complete subtrees, fetched as they
 * are; at most one per proof lies on the right border of the tree and is incomplete ("ephemeral"): it is
 * rebuilt from the complete subtrees that cover it. Splitting planning from fetching lets the server read all
 * the hashes it needs in one round trip.
 */
import { Hash, isHash, nodeHash } from './hash';
import { NodeId, assertTreeSize, nodeKey, rangeNodes, splitPoint } from './node-id';

export interface ProofPlan {
  /** The complete subtrees whose hashes `build` needs, each listed once. */
  readonly nodes: NodeId[];
  /** The proof, in RFC 9162 order, from the hashes of `nodes` (same order). */
  build(hashes: readonly Hash[]): Hash[];
}

/** A leaf range [begin, end) that is a subtree of the RFC 9162 recursion and whose MTH is one proof element. */
interface Span {
  begin: number;
  end: number;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), as the spans of its elements, bottom-up. */
function pathSpans(m: number, begin: number, end: number, out: Span[]): void {
  const n = end - begin;
  if (n <= 1) return;
  const k = splitPoint(n);
  if (m < k) {
    pathSpans(m, begin, begin + k, out);
    out.push({ begin: begin + k, end });
  } else {
    pathSpans(m - k, begin + k, end, out);
    out.push({ begin, end: begin + k });
  }
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), as spans. */
function subproofSpans(m: number, begin: number, end: number, complete: boolean, out: Span[]): void {
  const n = end - begin;
  if (m === n) {
    if (!complete) out.push({ begin, end });
    return;
  }
  const k = splitPoint(n);
  if (m <= k) {
    subproofSpans(m, begin, begin + k, complete, out);
    out.push({ begin: begin + k, end });
  } else {
    subproofSpans(m - k, begin + k, end, false, out);
    out.push({ begin, end: begin + k });
  }
}

function planFromSpans(spans: readonly Span[]): ProofPlan {
  const nodes: NodeId[] = [];
  const position = new Map<string, number>();
  // For each proof element, the positions in `nodes` of its pieces, left to right.
  const elements: number[][] = spans.map((span) =>
    rangeNodes(span.begin, span.end).map((id) => {
      const key = nodeKey(id);
      let at = position.get(key);
      if (at === undefined) {
        at = nodes.length;
        position.set(key, at);
        nodes.push(id);
      }
      return at;
    }),
  );
  const build = (hashes: readonly Hash[]): Hash[] => {
    if (hashes.length !== nodes.length) {
      throw new RangeError(`the plan needs ${nodes.length} node hashes, got ${hashes.length}`);
    }
    hashes.forEach((hash, i) => {
      if (!isHash(hash)) {
        throw new RangeError(`hash of node (level ${nodes[i].level}, index ${nodes[i].index}) must be 32 bytes`);
      }
    });
    return elements.map((pieces) => {
      // Pieces of an RFC subtree shrink left to right, so folding from the right reproduces its MTH.
      let hash = hashes[pieces[pieces.length - 1]];
      for (let j = pieces.length - 2; j >= 0; j--) hash = nodeHash(hashes[pieces[j]], hash);
      return Uint8Array.from(hash);
    });
  };
  return { nodes: nodes.map((id) => ({ ...id })), build };
}

/** What to fetch to prove that leaf `index` is in the tree of `size` leaves. Requires 0 <= index < size. */
export function planInclusion(index: number, size: number): ProofPlan {
  assertTreeSize(index, 'leaf index');
  assertTreeSize(size, 'tree size');
  if (index >= size) throw new RangeError(`leaf index ${index} is not in a tree of size ${size}`);
  const spans: Span[] = [];
  pathSpans(index, 0, size, spans);
  return planFromSpans(spans);
}

/**
 * What to fetch to prove that the tree of `size1` leaves is a prefix of the tree of `size2` leaves.
 * Requires 0 <= size1 <= size2; the proof is empty when size1 is 0 or equal to size2.
 */
export function planConsistency(size1: number, size2: number): ProofPlan {
  assertTreeSize(size1, 'first tree size');
  assertTreeSize(size2, 'second tree size');
  if (size1 > size2) throw new RangeError(`first tree size ${size1} exceeds second tree size ${size2}`);
  const spans: Span[] = [];
  if (size1 > 0 && size1 < size2) subproofSpans(size1, 0, size2, true, spans);
  return planFromSpans(spans);
}

/** Reads complete-subtree hashes synchronously (tests, in-memory trees, the offline verifier). */
export type NodeReader = (id: NodeId) => Hash;

export function inclusionProof(index: number, size: number, getNode: NodeReader): Hash[] {
  const plan = planInclusion(index, size);
  return plan.build(plan.nodes.map(getNode));
}

export function consistencyProof(size1: number, size2: number, getNode: NodeReader): Hash[] {
  const plan = planConsistency(size1, size2);
  return plan.build(plan.nodes.map(getNode));
}
