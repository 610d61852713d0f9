/**
 * Property tests against a reference tree built from the RFC 9162 §2.1.1 recursive definition of MTH:
 * proofs generated through the plans (as the server does) equal the RFC's PATH / PROOF and verify; every
 * mutation of a proof or of its claim is rejected; the frontier's root is the reference root after every append.
 */
import fc from 'fast-check';
import {
  EMPTY_ROOT,
  Hash,
  MerkleFrontier,
  NodeId,
  leafHash,
  nodeHash,
  planConsistency,
  planInclusion,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/merkle';
import { bytesToHex } from '../../../src/bytes';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  let rest = n;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}

/** MTH(D[begin:end]) by the RFC's recursion; results are memoised per range, which changes nothing but speed. */
abstract class ReferenceTree {
  private readonly memo = new Map<string, Hash>();

  abstract leaf(index: number): Hash;

  protected completeShortcut(_begin: number, _end: number): Hash | undefined {
    return undefined;
  }

  mth(begin: number, end: number): Hash {
    const n = end - begin;
    if (n === 0) return EMPTY_ROOT;
    if (n === 1) return this.leaf(begin);
    const key = `${begin}-${end}`;
    const known = this.memo.get(key) ?? this.completeShortcut(begin, end);
    if (known !== undefined) return known;
    const k = largestPowerOfTwoBelow(n);
    const hash = nodeHash(this.mth(begin, begin + k), this.mth(begin + k, end));
    this.memo.set(key, hash);
    return hash;
  }

  root(size: number): Hash {
    return this.mth(0, size);
  }

  node = (id: NodeId): Hash => this.mth(id.index * 2 ** id.level, (id.index + 1) * 2 ** id.level);
}

/** Every leaf different. */
class DistinctTree extends ReferenceTree {
  leaf(index: number): Hash {
    return leafHash(utf8(`custody event ${index}`));
  }
}

/**
 * A tree of any size up to 2^53 whose hashes are cheap: every leaf is the same except the one at `special`, so a
 * complete subtree without it hashes to a value that depends only on its height.
 */
class SparseTree extends ReferenceTree {
  private readonly uniform: Hash[] = [leafHash(utf8('common'))];

  constructor(private readonly special: number) {
    super();
  }

  leaf(index: number): Hash {
    return index === this.special ? leafHash(utf8('special')) : this.uniform[0];
  }

  protected override completeShortcut(begin: number, end: number): Hash | undefined {
    if ((begin <= this.special && this.special < end) || !isPowerOfTwo(end - begin)) return undefined;
    let level = 0;
    while (2 ** level < end - begin) level++;
    while (this.uniform.length <= level) {
      const below = this.uniform[this.uniform.length - 1];
      this.uniform.push(nodeHash(below, below));
    }
    return this.uniform[level];
  }
}

type Span = [number, number];

/** RFC 9162 §2.1.3.1 PATH(m, D[begin:end]) as leaf ranges. */
function pathSpans(m: number, begin: number, end: number): Span[] {
  const n = end - begin;
  if (n <= 1) return [];
  const k = largestPowerOfTwoBelow(n);
  return m < k
    ? [...pathSpans(m, begin, begin + k), [begin + k, end]]
    : [...pathSpans(m - k, begin + k, end), [begin, begin + k]];
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b) as leaf ranges. */
function subproofSpans(m: number, begin: number, end: number, b: boolean): Span[] {
  const n = end - begin;
  if (m === n) return b ? [] : [[begin, end]];
  const k = largestPowerOfTwoBelow(n);
  return m <= k
    ? [...subproofSpans(m, begin, begin + k, b), [begin + k, end]]
    : [...subproofSpans(m - k, begin + k, end, false), [begin, begin + k]];
}

function referenceInclusion(tree: ReferenceTree, index: number, size: number): Hash[] {
  return pathSpans(index, 0, size).map(([b, e]) => tree.mth(b, e));
}

function referenceConsistency(tree: ReferenceTree, size1: number, size2: number): Hash[] {
  return size1 === 0 || size1 === size2 ? [] : subproofSpans(size1, 0, size2, true).map(([b, e]) => tree.mth(b, e));
}

/**
 * The hash expression a verifier evaluates for a claim, over the proof elements p0, p1, ... and the inputs it is
 * given. Two claims about the same proof are both accepted only if they evaluate the same expression (anything
 * else would be a SHA-256 collision); this is how a wrong size or index can be judged without a second tree.
 */
function expression(begin: number, end: number, labels: Map<string, string>): string {
  const label = labels.get(`${begin}-${end}`);
  if (label !== undefined) return label;
  if (end - begin <= 1) throw new Error(`leaf ${begin} is not covered`);
  const k = largestPowerOfTwoBelow(end - begin);
  return `(${expression(begin, begin + k, labels)} ${expression(begin + k, end, labels)})`;
}

function labelled(spans: Span[]): Map<string, string> {
  return new Map(spans.map(([b, e], j) => [`${b}-${e}`, `p${j}`]));
}

function inclusionExpression(index: number, size: number): string {
  const labels = labelled(pathSpans(index, 0, size));
  labels.set(`${index}-${index + 1}`, 'leaf');
  return expression(0, size, labels);
}

/** [root1 expression, root2 expression]; `root1Value` is what the root1 input stands for. */
function consistencyExpressions(size1: number, size2: number, root1Value: string): [string, string] {
  const labels = labelled(subproofSpans(size1, 0, size2, true));
  if (isPowerOfTwo(size1)) labels.set(`0-${size1}`, root1Value);
  return [expression(0, size1, labels), expression(0, size2, labels)];
}

function flipBit(hash: Hash, bit: number): Hash {
  const copy = Uint8Array.from(hash);
  copy[Math.floor(bit / 8) % copy.length] ^= 1 << (bit % 8);
  return copy;
}

const randomHash = (seed: number): Hash => leafHash(utf8(`not in the tree ${seed}`));

/** Every edit of the proof list itself. */
function proofMutations(proof: Hash[], seed: number): { what: string; proof: Hash[] }[] {
  const out: { what: string; proof: Hash[] }[] = [];
  proof.forEach((hash, i) => {
    out.push({
      what: `flip a bit of element ${i}`,
      proof: proof.map((h, j) => (j === i ? flipBit(h, seed + i * 37) : h)),
    });
    out.push({ what: `drop element ${i}`, proof: proof.filter((_, j) => j !== i) });
    out.push({ what: `truncate element ${i}`, proof: proof.map((h, j) => (j === i ? h.slice(0, 31) : h)) });
    out.push({ what: `extend element ${i}`, proof: proof.map((h, j) => (j === i ? Uint8Array.of(...h, 0) : h)) });
    for (let j = i + 1; j < proof.length; j++) {
      const swapped = [...proof];
      [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
      out.push({ what: `swap elements ${i} and ${j}`, proof: swapped });
    }
    out.push({ what: `duplicate element ${i}`, proof: [...proof.slice(0, i + 1), hash, ...proof.slice(i + 1)] });
  });
  for (let i = 0; i <= proof.length; i++) {
    out.push({
      what: `insert a foreign hash at ${i}`,
      proof: [...proof.slice(0, i), randomHash(seed + i), ...proof.slice(i)],
    });
  }
  return out;
}

function sizesAround(size: number, seed: number, limit: number): number[] {
  const candidates = [size - 1, size + 1, size * 2, Math.floor(size / 2), size + 2 ** (seed % 6), (seed % limit) + 1];
  return [...new Set(candidates)].filter((s) => s > 0 && s !== size);
}

function checkInclusion(
  tree: ReferenceTree,
  index: number,
  size: number,
  seed: number,
  exhaustiveIndexes: boolean,
): void {
  const root = tree.root(size);
  const leaf = tree.leaf(index);
  const plan = planInclusion(index, size);
  const proof = plan.build(plan.nodes.map(tree.node));

  // The plan asks only for complete subtrees, each once, O(log n) of them, and yields the RFC proof.
  const keys = plan.nodes.map((id) => `${id.level}/${id.index}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const id of plan.nodes) expect((id.index + 1) * 2 ** id.level).toBeLessThanOrEqual(size);
  expect(plan.nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)) + 1);
  expect(proof.map(bytesToHex)).toEqual(referenceInclusion(tree, index, size).map(bytesToHex));

  expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
  expect(bytesToHex(rootFromInclusionProof(leaf, index, size, proof)!)).toBe(bytesToHex(root));

  for (const m of proofMutations(proof, seed)) {
    if (verifyInclusion(leaf, index, size, m.proof, root))
      throw new Error(`accepted after "${m.what}" (${index}/${size})`);
  }
  for (const wrongRoot of [randomHash(seed), EMPTY_ROOT, flipBit(root, seed), root.slice(0, 31)]) {
    expect(verifyInclusion(leaf, index, size, proof, wrongRoot)).toBe(false);
  }
  const otherLeaf = tree.leaf(index === 0 ? 1 : index - 1);
  expect(verifyInclusion(otherLeaf, index, size, proof, root)).toBe(false);
  expect(verifyInclusion(flipBit(leaf, seed), index, size, proof, root)).toBe(false);

  // Wrong claims about the same proof: never with the claimed tree's real root; with the original root, exactly
  // when the claim makes the verifier evaluate a different expression.
  const expected = inclusionExpression(index, size);
  const indexes = exhaustiveIndexes
    ? Array.from({ length: size }, (_, i) => i)
    : [index - 1, index + 1, index ^ 1, (seed * 7919) % size].filter((i) => i >= 0 && i < size);
  const claims: [number, number][] = [
    ...indexes.filter((i) => i !== index).map((i): [number, number] => [i, size]),
    ...sizesAround(size, seed, 2 * size).map((s): [number, number] => [index, s]),
    [size, size],
    [index, index],
  ];
  for (const [claimedIndex, claimedSize] of claims) {
    const valid = claimedIndex < claimedSize;
    const sameExpression = valid && inclusionExpression(claimedIndex, claimedSize) === expected;
    const claim = `(${claimedIndex}, ${claimedSize}) for (${index}, ${size})`;
    expect([claim, verifyInclusion(leaf, claimedIndex, claimedSize, proof, root)]).toEqual([claim, sameExpression]);
    if (valid && claimedSize !== size) {
      expect([claim, verifyInclusion(leaf, claimedIndex, claimedSize, proof, tree.root(claimedSize))]).toEqual([
        claim,
        false,
      ]);
    }
  }
}

function checkConsistency(tree: ReferenceTree, size1: number, size2: number, seed: number): void {
  const root1 = tree.root(size1);
  const root2 = tree.root(size2);
  const plan = planConsistency(size1, size2);
  const proof = plan.build(plan.nodes.map(tree.node));

  const keys = plan.nodes.map((id) => `${id.level}/${id.index}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const id of plan.nodes) expect((id.index + 1) * 2 ** id.level).toBeLessThanOrEqual(size2);
  expect(plan.nodes.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(Math.max(size2, 1))) + 1);
  expect(proof.map(bytesToHex)).toEqual(referenceConsistency(tree, size1, size2).map(bytesToHex));
  expect(verifyConsistency(size1, size2, proof, root1, root2)).toBe(true);
  if (size1 === 0 || size1 === size2) {
    expect(proof).toEqual([]);
    expect(verifyConsistency(size1, size2, [randomHash(seed)], root1, root2)).toBe(false);
    return;
  }

  for (const m of proofMutations(proof, seed)) {
    if (verifyConsistency(size1, size2, m.proof, root1, root2)) {
      throw new Error(`accepted after "${m.what}" (${size1} -> ${size2})`);
    }
  }
  expect(verifyConsistency(size1, size2, [], root1, root2)).toBe(false);
  for (const wrong of [randomHash(seed), flipBit(root1, seed), root1.slice(0, 31)]) {
    expect(verifyConsistency(size1, size2, proof, wrong, root2)).toBe(false);
  }
  for (const wrong of [randomHash(seed), flipBit(root2, seed), root2.slice(0, 31)]) {
    expect(verifyConsistency(size1, size2, proof, root1, wrong)).toBe(false);
  }
  expect(verifyConsistency(size1, size2, proof, root2, root1)).toBe(false);

  const root1Value = isPowerOfTwo(size1) ? 'root1' : consistencyExpressions(size1, size2, 'root1')[0];
  const expected = consistencyExpressions(size1, size2, root1Value).join(' | ');
  const claims: [number, number][] = [
    ...sizesAround(size1, seed, size2).map((s): [number, number] => [s, size2]),
    ...sizesAround(size2, seed, 2 * size2).map((s): [number, number] => [size1, s]),
    [size1 + 1, size2 + 1],
    [size2, size1],
    [0, size2],
  ];
  for (const [claimed1, claimed2] of claims) {
    const comparable = claimed1 > 0 && claimed1 < claimed2;
    const sameExpression =
      comparable && consistencyExpressions(claimed1, claimed2, root1Value).join(' | ') === expected;
    const claim = `${claimed1} -> ${claimed2} for ${size1} -> ${size2}`;
    expect([claim, verifyConsistency(claimed1, claimed2, proof, root1, root2)]).toEqual([claim, sameExpression]);
    if (comparable) {
      const genuine = verifyConsistency(claimed1, claimed2, proof, tree.root(claimed1), tree.root(claimed2));
      expect([claim, genuine]).toEqual([claim, false]);
    }
  }
}

describe('the expression judge used for wrong claims', () => {
  it('tells leaf positions apart and sees the one size a (0, 4) proof also fits', () => {
    expect(inclusionExpression(0, 4)).toBe('((leaf p0) p1)');
    expect(inclusionExpression(1, 4)).toBe('((p0 leaf) p1)');
    expect(inclusionExpression(0, 3)).toBe('((leaf p0) p1)');
    expect(inclusionExpression(0, 5)).toBe('(((leaf p0) p1) p2)');
  });
});

describe('inclusion proofs', () => {
  const tree = new DistinctTree();

  it('every leaf of every tree of up to 40 leaves, with every mutation', () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) checkInclusion(tree, index, size, size * 131 + index, size <= 24);
    }
  });

  it('random leaves of random trees of up to 300 leaves', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 }), fc.nat())),
        ([size, index, seed]) => checkInclusion(tree, index, size, seed, false),
      ),
      { numRuns: 400 },
    );
  });

  it('random leaves of trees of up to 100,000 leaves (lazily computed)', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(fc.integer({ min: 50_000, max: 100_000 }), fc.constantFrom(65_535, 65_536, 65_537, 100_000))
          .chain((size) => fc.tuple(fc.constant(size), fc.nat({ max: size - 1 }), fc.nat())),
        ([size, index, seed]) => checkInclusion(tree, index, size, seed, false),
      ),
      { numRuns: 12 },
    );
  });

  it('trees of up to 2^53 - 1 leaves (no 32-bit arithmetic anywhere)', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(
            fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
            fc.constantFrom(2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 52 + 3),
          )
          .chain((size) =>
            fc.tuple(
              fc.constant(size),
              fc.oneof(fc.integer({ min: 0, max: size - 1 }), fc.constant(size - 1)),
              fc.nat(),
            ),
          ),
        ([size, index, seed]) => {
          const tree = new SparseTree(index);
          const root = tree.root(size);
          const plan = planInclusion(index, size);
          const proof = plan.build(plan.nodes.map(tree.node));
          expect(proof.map(bytesToHex)).toEqual(referenceInclusion(tree, index, size).map(bytesToHex));
          expect(verifyInclusion(tree.leaf(index), index, size, proof, root)).toBe(true);
          expect(verifyInclusion(tree.leaf(index), index, size, proof, flipBit(root, seed))).toBe(false);
          const bit = seed % (proof.length * 256);
          const flipped = proof.map((h, j) => (j === Math.floor(bit / 256) ? flipBit(h, bit % 256) : h));
          expect(verifyInclusion(tree.leaf(index), index, size, flipped, root)).toBe(false);
          for (const other of [index - 1, index + 1]) {
            if (other >= 0 && other < size)
              expect(verifyInclusion(tree.leaf(index), other, size, proof, root)).toBe(false);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('consistency proofs', () => {
  const tree = new DistinctTree();

  it('every pair of sizes up to 32, with every mutation', () => {
    for (let size2 = 0; size2 <= 32; size2++) {
      for (let size1 = 0; size1 <= size2; size1++) checkConsistency(tree, size1, size2, size2 * 97 + size1);
    }
  });

  it('random pairs of sizes up to 300', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size2) => fc.tuple(fc.nat({ max: size2 }), fc.constant(size2), fc.nat())),
        ([size1, size2, seed]) => checkConsistency(tree, size1, size2, seed),
      ),
      { numRuns: 400 },
    );
  });

  it('random pairs of sizes up to 100,000 (lazily computed)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 50_000, max: 100_000 })
          .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2), fc.nat())),
        ([size1, size2, seed]) => checkConsistency(tree, size1, size2, seed),
      ),
      { numRuns: 12 },
    );
  });

  it('sizes up to 2^53 - 1', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: Number.MAX_SAFE_INTEGER })
          .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 - 1 }), fc.constant(size2), fc.nat())),
        ([size1, size2, seed]) => {
          // The odd leaf sits just below size1, so both roots depend on it.
          const tree = new SparseTree(size1 - 1);
          const proof = planConsistency(size1, size2).build(planConsistency(size1, size2).nodes.map(tree.node));
          expect(proof.map(bytesToHex)).toEqual(referenceConsistency(tree, size1, size2).map(bytesToHex));
          expect(verifyConsistency(size1, size2, proof, tree.root(size1), tree.root(size2))).toBe(true);
          const bit = seed % (proof.length * 256);
          const flipped = proof.map((h, j) => (j === Math.floor(bit / 256) ? flipBit(h, bit % 256) : h));
          expect(verifyConsistency(size1, size2, flipped, tree.root(size1), tree.root(size2))).toBe(false);
          expect(verifyConsistency(size1, size2, proof, tree.root(size1), flipBit(tree.root(size2), seed))).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('known blind spots of RFC 9162 proofs (the signed checkpoint binds size to root)', () => {
  const tree = new DistinctTree();

  it('an inclusion proof for (0, 4) also verifies as (0, 3) against the same root', () => {
    const proof = referenceInclusion(tree, 0, 4);
    expect(verifyInclusion(tree.leaf(0), 0, 3, proof, tree.root(4))).toBe(true);
    expect(verifyInclusion(tree.leaf(0), 0, 3, proof, tree.root(3))).toBe(false);
  });

  it('a consistency proof for 4 -> 8 also verifies as 4 -> 5 against the same roots', () => {
    const proof = referenceConsistency(tree, 4, 8);
    expect(verifyConsistency(4, 5, proof, tree.root(4), tree.root(8))).toBe(true);
    expect(verifyConsistency(4, 5, proof, tree.root(4), tree.root(5))).toBe(false);
  });
});

describe('MerkleFrontier against the reference', () => {
  const tree = new DistinctTree();

  function checkFrontier(size: number): void {
    const frontier = MerkleFrontier.empty();
    const seen = new Map<string, string>();
    for (let i = 0; i < size; i++) {
      let lastLevel = -1;
      frontier.append(tree.leaf(i), (level, index, hash) => {
        expect(level).toBe(lastLevel + 1);
        lastLevel = level;
        const key = `${level}/${index}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, bytesToHex(hash));
        // Created by this append: it ends exactly at the new leaf.
        expect((index + 1) * 2 ** level).toBe(i + 1);
      });
      expect(frontier.size).toBe(i + 1);
      expect(bytesToHex(frontier.root())).toBe(bytesToHex(tree.root(i + 1)));
    }
    // Every complete subtree of the final tree was reported once, with its reference hash.
    let expectedCount = 0;
    for (let level = 0; 2 ** level <= size; level++) {
      for (let index = 0; (index + 1) * 2 ** level <= size; index++) {
        expectedCount++;
        expect(seen.get(`${level}/${index}`)).toBe(bytesToHex(tree.node({ level, index })));
      }
    }
    expect(seen.size).toBe(expectedCount);
  }

  it('after every append, for random sizes up to 300', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), checkFrontier), { numRuns: 40 });
  });

  it('reloads from the stored nodes it names and keeps appending', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 40 }), (size, more) => {
        const ids = MerkleFrontier.nodeIds(size);
        const frontier = new MerkleFrontier(size, ids.map(tree.node));
        expect(bytesToHex(frontier.root())).toBe(bytesToHex(tree.root(size)));
        for (let i = size; i < size + more; i++) {
          frontier.append(tree.leaf(i));
          expect(bytesToHex(frontier.root())).toBe(bytesToHex(tree.root(i + 1)));
        }
        expect(frontier.hashes.map(bytesToHex)).toEqual(
          MerkleFrontier.nodeIds(size + more)
            .map(tree.node)
            .map(bytesToHex),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('names the frontier of any size up to 2^53 - 1: one complete subtree per set bit, tiling [0, size)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.constant(Number.MAX_SAFE_INTEGER)), (size) => {
        const ids = MerkleFrontier.nodeIds(size);
        let covered = 0;
        let previousLevel = Infinity;
        for (const id of ids) {
          expect(id.level).toBeLessThan(previousLevel);
          previousLevel = id.level;
          expect(id.index * 2 ** id.level).toBe(covered);
          covered += 2 ** id.level;
        }
        expect(covered).toBe(size);
        expect(ids.length).toBe(size.toString(2).replace(/0/g, '').length);
      }),
    );
  });

  it('matches the reference on a 100,000-leaf tree', () => {
    const frontier = MerkleFrontier.empty();
    for (let i = 0; i < 100_000; i++) frontier.append(tree.leaf(i));
    expect(bytesToHex(frontier.root())).toBe(bytesToHex(tree.root(100_000)));
  });
});
