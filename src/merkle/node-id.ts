/**
 * Names for the complete subtrees of an append-only Merkle tree, and the integer arithmetic on tree sizes.
 *
 * Sizes and indexes are JS numbers, exact up to 2^53. The 32-bit bitwise operators would silently truncate
 * them, so every shift here is a multiplication or a floored division by a power of two (both exact for safe
 * integers).
 */

/**
 * A complete (perfect) subtree: `level` 0 is a single leaf; level h covers the 2^h leaves
 * [index * 2^h, (index + 1) * 2^h). Its hash never changes once the tree has grown past its last leaf.
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** Tree sizes and leaf indexes must stay exact; 2^53 - 1 leaves is far beyond any log we will run. */
export function isTreeSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

export function assertTreeSize(value: number, what: string): void {
  if (!isTreeSize(value)) {
    throw new RangeError(`${what} must be an integer in [0, 2^53 - 1], got ${String(value)}`);
  }
}

export function assertNodeId(id: NodeId): void {
  if (!Number.isInteger(id.level) || id.level < 0 || id.level > 52) {
    throw new RangeError(`node level must be an integer in [0, 52], got ${String(id.level)}`);
  }
  assertTreeSize(id.index, 'node index');
  if (!Number.isSafeInteger((id.index + 1) * 2 ** id.level)) {
    throw new RangeError(`node (level ${id.level}, index ${id.index}) lies beyond 2^53 leaves`);
  }
}

/** The leaves [begin, end) a node covers. */
export function nodeRange(id: NodeId): { begin: number; end: number } {
  const width = 2 ** id.level;
  return { begin: id.index * width, end: (id.index + 1) * width };
}

/** A node is complete in a tree of `size` leaves when all of its leaves exist. */
export function isCompleteIn(id: NodeId, size: number): boolean {
  return nodeRange(id).end <= size;
}

/** A stable string key for maps and de-duplication. */
export function nodeKey(id: NodeId): string {
  return `${id.level}/${id.index}`;
}

/**
 * The fewest complete subtrees that exactly cover the leaves [begin, end), left to right.
 *
 * When `begin` is a multiple of a power of two that is at least `end - begin` (true of [0, size) and of every
 * subtree the RFC 9162 recursion visits), the pieces come out in decreasing size, and folding them from the right
 * with `nodeHash` yields MTH(D[begin:end]).
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  assertTreeSize(begin, 'range begin');
  assertTreeSize(end, 'range end');
  if (begin > end) throw new RangeError(`range begin ${begin} > end ${end}`);
  const nodes: NodeId[] = [];
  let position = begin;
  while (position < end) {
    const remaining = end - position;
    let level = 0;
    // Grow the piece while position stays aligned to it and it still fits.
    while (2 ** (level + 1) <= remaining && position % 2 ** (level + 1) === 0) level++;
    nodes.push({ level, index: position / 2 ** level });
    position += 2 ** level;
  }
  return nodes;
}

/** The largest power of two strictly below n (n > 1): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Whether bit `bit` of a non-negative safe integer is set. */
export function bitIsSet(value: number, bit: number): boolean {
  return Math.floor(value / 2 ** bit) % 2 === 1;
}

export function popCount(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}
