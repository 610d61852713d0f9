import {
  Hash,
  NodeId,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  planConsistency,
  planInclusion,
  rangeNodes,
} from '../../../src/merkle';
import { bytesToHex } from '../../../src/bytes';

const fakeNode = (id: NodeId): Hash => leafHash(new TextEncoder().encode(`${id.level}/${id.index}`));

describe('planInclusion / planConsistency arguments', () => {
  it.each([
    [0, 0, /leaf index 0 is not in a tree of size 0/],
    [5, 5, /leaf index 5 is not in a tree of size 5/],
    [-1, 5, /leaf index must be an integer/],
    [1.5, 5, /leaf index must be an integer/],
    [0, Number.NaN, /tree size must be an integer/],
    [0, 2 ** 53, /tree size must be an integer in \[0, 2\^53 - 1\]/],
  ])('planInclusion(%p, %p) throws a RangeError', (index, size, message) => {
    expect(() => planInclusion(index, size)).toThrow(RangeError);
    expect(() => planInclusion(index, size)).toThrow(message);
  });

  it.each([
    [3, 2, /first tree size 3 exceeds second tree size 2/],
    [-1, 2, /first tree size must be an integer/],
    [1, 2 ** 53, /second tree size must be an integer/],
  ])('planConsistency(%p, %p) throws a RangeError', (size1, size2, message) => {
    expect(() => planConsistency(size1, size2)).toThrow(RangeError);
    expect(() => planConsistency(size1, size2)).toThrow(message);
  });

  it('gives empty proofs from the empty tree, between equal sizes, and for a one-leaf tree', () => {
    expect(planConsistency(0, 0).nodes).toEqual([]);
    expect(planConsistency(0, 1000).nodes).toEqual([]);
    expect(planConsistency(77, 77).build([])).toEqual([]);
    expect(planInclusion(0, 1).nodes).toEqual([]);
    expect(consistencyProof(0, 9, fakeNode)).toEqual([]);
    expect(inclusionProof(0, 1, fakeNode)).toEqual([]);
  });
});

describe('plans', () => {
  it('name the complete subtrees a reader expects: leaf 5 of 7 needs 4, 6 and [0, 4)', () => {
    // Tree of 7: ((0..3) ((4 5) 6)); the path of leaf 5 is its sibling 4, then 6, then the left half.
    expect(planInclusion(5, 7).nodes).toEqual([
      { level: 0, index: 4 },
      { level: 0, index: 6 },
      { level: 2, index: 0 },
    ]);
  });

  it('rebuild the ephemeral right-border node from its complete pieces', () => {
    // Leaf 0 of 7: siblings 1, [2, 4), and the incomplete [4, 7) = node([4, 6), 6).
    const plan = planInclusion(0, 7);
    expect(plan.nodes).toEqual([
      { level: 0, index: 1 },
      { level: 1, index: 1 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    const hashes = plan.nodes.map(fakeNode);
    const proof = plan.build(hashes);
    expect(proof).toHaveLength(3);
    expect(bytesToHex(proof[0])).toBe(bytesToHex(hashes[0]));
    expect(bytesToHex(proof[1])).toBe(bytesToHex(hashes[1]));
    expect(bytesToHex(proof[2])).toBe(bytesToHex(nodeHash(hashes[2], hashes[3])));
  });

  it('consistency 6 -> 8 asks for [4, 6), 6..8 and [0, 4)', () => {
    expect(planConsistency(6, 8).nodes).toEqual([
      { level: 1, index: 2 },
      { level: 1, index: 3 },
      { level: 2, index: 0 },
    ]);
  });

  it('build refuses the wrong number of hashes or hashes that are not 32 bytes', () => {
    const plan = planInclusion(3, 10);
    const hashes = plan.nodes.map(fakeNode);
    expect(() => plan.build(hashes.slice(1))).toThrow(/needs 4 node hashes, got 3/);
    expect(() => plan.build([...hashes, hashes[0]])).toThrow(RangeError);
    expect(() => plan.build(hashes.map((h, i) => (i === 2 ? h.slice(0, 31) : h)))).toThrow(/must be 32 bytes/);
  });

  it('build does not let the caller corrupt the returned proof through the inputs', () => {
    const plan = planInclusion(2, 4);
    const hashes = plan.nodes.map(fakeNode);
    const proof = plan.build(hashes);
    hashes[0][0] ^= 0xff;
    expect(bytesToHex(proof[0])).toBe(bytesToHex(fakeNode(plan.nodes[0])));
  });
});

describe('rangeNodes', () => {
  it('splits [0, 13) into 8 + 4 + 1 and an unaligned range into the compact range', () => {
    expect(rangeNodes(0, 13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeNodes(3, 13)).toEqual([
      { level: 0, index: 3 },
      { level: 2, index: 1 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(rangeNodes(5, 5)).toEqual([]);
    expect(() => rangeNodes(6, 5)).toThrow(RangeError);
  });
});
