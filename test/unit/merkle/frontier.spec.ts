import { EMPTY_ROOT, MerkleFrontier, leafHash, nodeHash } from '../../../src/merkle';
import { bytesToHex } from '../../../src/bytes';

const leaf = (i: number): Uint8Array => leafHash(Uint8Array.of(i));

describe('MerkleFrontier', () => {
  it('starts empty with the empty root', () => {
    const frontier = MerkleFrontier.empty();
    expect(frontier.size).toBe(0);
    expect(frontier.hashes).toEqual([]);
    expect(bytesToHex(frontier.root())).toBe(bytesToHex(EMPTY_ROOT));
  });

  it('reports every subtree an append completes, smallest first', () => {
    const frontier = MerkleFrontier.empty();
    for (let i = 0; i < 7; i++) frontier.append(leaf(i));
    const events: [number, number][] = [];
    frontier.append(leaf(7), (level, index) => events.push([level, index]));
    // Leaf 7 completes [6, 8), [4, 8) and [0, 8).
    expect(events).toEqual([
      [0, 7],
      [1, 3],
      [2, 1],
      [3, 0],
    ]);
    expect(frontier.hashes).toHaveLength(1);
  });

  it('names the nodes to load for a size', () => {
    expect(MerkleFrontier.nodeIds(0)).toEqual([]);
    expect(MerkleFrontier.nodeIds(13)).toEqual([
      { level: 3, index: 0 },
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(MerkleFrontier.nodeIds(2 ** 40)).toEqual([{ level: 40, index: 0 }]);
    expect(() => MerkleFrontier.nodeIds(-1)).toThrow(RangeError);
  });

  it('refuses a frontier that cannot be the frontier of its size', () => {
    const h = leaf(0);
    expect(() => new MerkleFrontier(3, [h])).toThrow(/a frontier of size 3 has 2 hashes, got 1/);
    expect(() => new MerkleFrontier(1, [h.slice(1)])).toThrow(/must be 32 bytes/);
    expect(() => new MerkleFrontier(-1, [])).toThrow(RangeError);
    expect(() => new MerkleFrontier(2 ** 53, [h])).toThrow(RangeError);
    expect(() => MerkleFrontier.empty().append(h.slice(0, 31))).toThrow(/leaf hash must be 32 bytes/);
  });

  it('is not corrupted through the arrays it was given or hands out', () => {
    const given = [leaf(0), leaf(1)].map((h) => Uint8Array.from(h));
    const frontier = new MerkleFrontier(3, [nodeHash(given[0], given[1]), leaf(2)]);
    const before = bytesToHex(frontier.root());
    frontier.hashes[0][0] ^= 1;
    const root = frontier.root();
    root[0] ^= 1;
    expect(bytesToHex(frontier.root())).toBe(before);
    const empty = MerkleFrontier.empty().root();
    empty[0] ^= 1;
    expect(bytesToHex(MerkleFrontier.empty().root())).toBe(bytesToHex(EMPTY_ROOT));
  });

  it('keeps exact indexes beyond 2^32 leaves', () => {
    // A reloaded frontier of 2^32 + 2^20 - 1 leaves: appending completes 21 subtrees at once.
    const size = 2 ** 32 + 2 ** 20 - 1;
    const ids = MerkleFrontier.nodeIds(size);
    const hashes = ids.map((_, i) => leaf(i));
    const frontier = new MerkleFrontier(size, hashes);
    const events: [number, number][] = [];
    const newLeaf = leaf(99);
    frontier.append(newLeaf, (level, index) => events.push([level, index]));
    expect(events).toEqual(Array.from({ length: 21 }, (_, level) => [level, Math.floor(size / 2 ** level)]));
    expect(events[20]).toEqual([20, 4096]); // leaves [2^32, 2^32 + 2^20)
    let expected = newLeaf;
    for (let i = hashes.length - 1; i >= 1; i--) expected = nodeHash(hashes[i], expected);
    expect(frontier.size).toBe(2 ** 32 + 2 ** 20);
    expect(frontier.hashes.map(bytesToHex)).toEqual([bytesToHex(hashes[0]), bytesToHex(expected)]);
    expect(bytesToHex(frontier.root())).toBe(bytesToHex(nodeHash(hashes[0], expected)));
  });
});
