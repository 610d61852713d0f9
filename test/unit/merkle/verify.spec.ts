import {
  EMPTY_ROOT,
  Hash,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/merkle';

const leaves = [0, 1, 2].map((i) => leafHash(Uint8Array.of(i)));
const root3 = nodeHash(nodeHash(leaves[0], leaves[1]), leaves[2]);
const root2 = nodeHash(leaves[0], leaves[1]);

describe('verifiers never throw', () => {
  const garbage: unknown[] = [null, undefined, 'abc', 42, {}, [null], [new Uint16Array(16)], [[1, 2]]];

  it('on impossible indexes and sizes', () => {
    for (const [index, size] of [
      [-1, 3],
      [3, 3],
      [0, 0],
      [Number.NaN, 3],
      [0, Number.POSITIVE_INFINITY],
      [0.5, 3],
      [0, 2 ** 53],
    ]) {
      expect(verifyInclusion(leaves[0], index, size, [leaves[1], leaves[2]], root3)).toBe(false);
      expect(rootFromInclusionProof(leaves[0], index, size, [leaves[1], leaves[2]])).toBeNull();
    }
    for (const [size1, size2] of [
      [-1, 3],
      [3, 2],
      [Number.NaN, 3],
      [2, 2 ** 53],
      [1.5, 3],
    ]) {
      expect(verifyConsistency(size1, size2, [leaves[2]], root2, root3)).toBe(false);
    }
  });

  it('on values that are not hashes or lists of hashes', () => {
    for (const value of garbage) {
      expect(verifyInclusion(value as Hash, 2, 3, [root2], root3)).toBe(false);
      expect(verifyInclusion(leaves[2], 2, 3, value as Hash[], root3)).toBe(false);
      expect(verifyInclusion(leaves[2], 2, 3, [root2], value as Hash)).toBe(false);
      expect(verifyConsistency(2, 3, value as Hash[], root2, root3)).toBe(false);
      expect(verifyConsistency(2, 3, [leaves[2]], value as Hash, root3)).toBe(false);
      expect(verifyConsistency(2, 2, [], value as Hash, value as Hash)).toBe(false);
    }
  });

  it('accepts the sanity cases those fixtures are built on', () => {
    expect(verifyInclusion(leaves[2], 2, 3, [root2], root3)).toBe(true);
    expect(verifyConsistency(2, 3, [leaves[2]], root2, root3)).toBe(true);
  });
});

describe('consistency edge cases', () => {
  it('the empty tree is a prefix of every tree, with an empty proof and the empty root', () => {
    expect(verifyConsistency(0, 3, [], EMPTY_ROOT, root3)).toBe(true);
    expect(verifyConsistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)).toBe(true);
    expect(verifyConsistency(0, 3, [], root2, root3)).toBe(false);
    expect(verifyConsistency(0, 0, [], root2, root2)).toBe(false);
    expect(verifyConsistency(0, 3, [EMPTY_ROOT], EMPTY_ROOT, root3)).toBe(false);
  });

  it('equal sizes need an empty proof and the same root', () => {
    expect(verifyConsistency(3, 3, [], root3, root3)).toBe(true);
    expect(verifyConsistency(3, 3, [], root3, root2)).toBe(false);
    expect(verifyConsistency(3, 3, [root3], root3, root3)).toBe(false);
  });
});
