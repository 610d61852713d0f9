/**
 * Every vector of test/vectors/merkle-rfc9162.json: transparency-dev/merkle's hasher, tree, proofgen
 * and verifier-probe vectors, the locally derived full tables for trees of up to 8 leaves, C2SP tile paths.
 */
import {
  EMPTY_ROOT,
  Hash,
  MerkleFrontier,
  NodeId,
  consistencyProof,
  formatTileIndex,
  inclusionProof,
  leafHash,
  nodeHash,
  parseTileIndex,
  parseTilePath,
  rootFromInclusionProof,
  tileWidth,
  verifyConsistency,
  verifyInclusion,
} from '../../../src/merkle';
import { bytesToHex, hexToBytes } from '../../../src/bytes';
import { readVectors } from '../../support/vectors';

interface InclusionProbe {
  file: string;
  desc: string;
  wantErr: boolean;
  leaf_index: number;
  tree_size: number;
  root: string;
  leaf_hash: string;
  proof: string[];
}

interface ConsistencyProbe {
  file: string;
  desc: string;
  wantErr: boolean;
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[];
}

interface Vectors {
  copied: {
    hasher_unit_vectors: {
      cases: { desc: string; want: string; leaf_data_hex?: string; left_hex?: string; right_hex?: string }[];
    };
    eight_leaf_tree: {
      leaf_inputs_hex: string[];
      roots_by_tree_size: Record<string, string>;
      node_hashes_by_level: { levels: string[][] };
    };
    proofgen_table: {
      inclusion: {
        leaf_index: number;
        tree_size: number;
        leaf_input_hex: string;
        leaf_hash: string;
        root: string;
        proof: string[];
      }[];
      consistency: { size1: number; size2: number; root1: string; root2: string; proof: string[] }[];
    };
    verifier_probes: { inclusion: InclusionProbe[]; consistency: ConsistencyProbe[] };
    tile_paths: {
      c2sp_tlog_tiles: { examples: ({ index: number; path_element: string } | { text: string })[] };
      golang_sumdb_tlog: { examples: [string, string][] };
    };
  };
  derived: {
    inclusion_all: { leaf_index: number; tree_size: number; proof: string[] }[];
    consistency_all: { size1: number; size2: number; proof: string[] }[];
    pitfall: { valid_proofs_rejected_by_buggy_verifier: [number, number][] };
  };
}

const vectors = readVectors('merkle-rfc9162.json') as Vectors;

const tree = vectors.copied.eight_leaf_tree;
const leaves = tree.leaf_inputs_hex.map(hexToBytes);
const levels = tree.node_hashes_by_level.levels.map((level) => level.map(hexToBytes));
const rootOf = (size: number): Hash => hexToBytes(tree.roots_by_tree_size[String(size)]);
/** Complete-subtree hashes straight from the upstream table, so generation is checked against upstream data. */
const upstreamNode = (id: NodeId): Hash => {
  const hash = levels[id.level]?.[id.index];
  if (hash === undefined) throw new Error(`no upstream node ${id.level}/${id.index}`);
  return hash;
};
const hexes = (hashes: Hash[]): string[] => hashes.map(bytesToHex);

describe('RFC 9162 hasher (transparency-dev/merkle TestRFC6962Hasher)', () => {
  for (const c of vectors.copied.hasher_unit_vectors.cases) {
    it(c.desc, () => {
      if (c.leaf_data_hex !== undefined) expect(bytesToHex(leafHash(hexToBytes(c.leaf_data_hex)))).toBe(c.want);
      else if (c.left_hex !== undefined && c.right_hex !== undefined) {
        expect(bytesToHex(nodeHash(hexToBytes(c.left_hex), hexToBytes(c.right_hex)))).toBe(c.want);
      } else expect(bytesToHex(EMPTY_ROOT)).toBe(c.want);
    });
  }
});

describe('the 8-leaf tree', () => {
  it('leaf hashes are level 0 of the node table', () => {
    expect(leaves.map((leaf) => bytesToHex(leafHash(leaf)))).toEqual(tree.node_hashes_by_level.levels[0]);
  });

  it('the frontier reproduces the root for every size 0..8 and reports every node of the table', () => {
    const frontier = MerkleFrontier.empty();
    const reported: string[][] = [[], [], [], []];
    expect(bytesToHex(frontier.root())).toBe(tree.roots_by_tree_size['0']);
    leaves.forEach((leaf, i) => {
      frontier.append(leafHash(leaf), (level, index, hash) => {
        expect(reported[level].length).toBe(index);
        reported[level].push(bytesToHex(hash));
      });
      expect(frontier.size).toBe(i + 1);
      expect(bytesToHex(frontier.root())).toBe(tree.roots_by_tree_size[String(i + 1)]);
    });
    expect(reported).toEqual(tree.node_hashes_by_level.levels);
  });
});

describe('proofgen table (transparency-dev/merkle cmd/proofgen)', () => {
  for (const v of vectors.copied.proofgen_table.inclusion) {
    it(`inclusion of leaf ${v.leaf_index} in a tree of ${v.tree_size}`, () => {
      expect(bytesToHex(leafHash(hexToBytes(v.leaf_input_hex)))).toBe(v.leaf_hash);
      expect(hexes(inclusionProof(v.leaf_index, v.tree_size, upstreamNode))).toEqual(v.proof);
      expect(
        verifyInclusion(
          hexToBytes(v.leaf_hash),
          v.leaf_index,
          v.tree_size,
          v.proof.map(hexToBytes),
          hexToBytes(v.root),
        ),
      ).toBe(true);
    });
  }
  for (const v of vectors.copied.proofgen_table.consistency) {
    it(`consistency ${v.size1} -> ${v.size2}`, () => {
      expect(hexes(consistencyProof(v.size1, v.size2, upstreamNode))).toEqual(v.proof);
      expect(
        verifyConsistency(v.size1, v.size2, v.proof.map(hexToBytes), hexToBytes(v.root1), hexToBytes(v.root2)),
      ).toBe(true);
    });
  }
});

describe('verifier probes (transparency-dev/merkle testdata)', () => {
  it('has the 82 inclusion and 98 consistency probes', () => {
    expect(vectors.copied.verifier_probes.inclusion).toHaveLength(82);
    expect(vectors.copied.verifier_probes.consistency).toHaveLength(98);
  });

  for (const p of vectors.copied.verifier_probes.inclusion) {
    it(`inclusion ${p.file}: ${p.wantErr ? 'rejects' : 'accepts'}`, () => {
      const accepted = verifyInclusion(
        hexToBytes(p.leaf_hash),
        p.leaf_index,
        p.tree_size,
        p.proof.map(hexToBytes),
        hexToBytes(p.root),
      );
      expect(accepted).toBe(!p.wantErr);
      if (!p.wantErr) {
        expect(hexes(inclusionProof(p.leaf_index, p.tree_size, upstreamNode))).toEqual(p.proof);
      }
    });
  }

  for (const p of vectors.copied.verifier_probes.consistency) {
    it(`consistency ${p.file}: ${p.wantErr ? 'rejects' : 'accepts'}`, () => {
      const accepted = verifyConsistency(
        p.size1,
        p.size2,
        p.proof.map(hexToBytes),
        hexToBytes(p.root1),
        hexToBytes(p.root2),
      );
      expect(accepted).toBe(!p.wantErr);
      if (!p.wantErr && p.size2 <= 8) {
        expect(hexes(consistencyProof(p.size1, p.size2, upstreamNode))).toEqual(p.proof);
      }
    });
  }
});

describe('derived tables: every proof in trees of up to 8 leaves', () => {
  it('covers all 36 (index, size) and 28 (size1, size2) pairs', () => {
    expect(vectors.derived.inclusion_all).toHaveLength(36);
    expect(vectors.derived.consistency_all).toHaveLength(28);
  });

  for (const v of vectors.derived.inclusion_all) {
    it(`inclusion ${v.leaf_index} in ${v.tree_size}`, () => {
      expect(hexes(inclusionProof(v.leaf_index, v.tree_size, upstreamNode))).toEqual(v.proof);
      const leaf = levels[0][v.leaf_index];
      const proof = v.proof.map(hexToBytes);
      expect(verifyInclusion(leaf, v.leaf_index, v.tree_size, proof, rootOf(v.tree_size))).toBe(true);
      expect(bytesToHex(rootFromInclusionProof(leaf, v.leaf_index, v.tree_size, proof)!)).toBe(
        bytesToHex(rootOf(v.tree_size)),
      );
    });
  }

  for (const v of vectors.derived.consistency_all) {
    it(`consistency ${v.size1} -> ${v.size2}`, () => {
      expect(hexes(consistencyProof(v.size1, v.size2, upstreamNode))).toEqual(v.proof);
      expect(verifyConsistency(v.size1, v.size2, v.proof.map(hexToBytes), rootOf(v.size1), rootOf(v.size2))).toBe(true);
    });
  }
});

/** RFC 9162 §2.1.3.2 without step 4.b.ii, as seen in the wild; shows the pitfall vectors are discriminating. */
function verifyInclusionWithoutStep4bii(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash): boolean {
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) r = nodeHash(p, r);
    else r = nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesToHex(r) === bytesToHex(root);
}

describe('pitfall: RFC 9162 step 2.1.3.2 4.b.ii', () => {
  for (const [index, size] of vectors.derived.pitfall.valid_proofs_rejected_by_buggy_verifier) {
    it(`accepts leaf ${index} of a tree of ${size}, which a verifier without 4.b.ii rejects`, () => {
      const proof = inclusionProof(index, size, upstreamNode);
      expect(verifyInclusion(levels[0][index], index, size, proof, rootOf(size))).toBe(true);
      expect(verifyInclusionWithoutStep4bii(levels[0][index], index, size, proof, rootOf(size))).toBe(false);
    });
  }
});

describe('tile paths', () => {
  it('encodes the C2SP example index', () => {
    for (const example of vectors.copied.tile_paths.c2sp_tlog_tiles.examples) {
      if ('index' in example) {
        expect(formatTileIndex(example.index)).toBe(example.path_element);
        expect(parseTileIndex(example.path_element)).toBe(example.index);
      }
    }
  });

  it('describes a tree of 70,000 leaves as the C2SP text says', () => {
    // 273 full level-0 tiles, one partial of width 112, one full level-1 tile, one partial level-1 tile of
    // width 17, one partial level-2 tile of width 1.
    for (let i = 0; i < 273; i++) expect(tileWidth(0, i, 70000)).toBe(256);
    expect(tileWidth(0, 273, 70000)).toBe(112);
    expect(tileWidth(0, 274, 70000)).toBe(0);
    expect(tileWidth(1, 0, 70000)).toBe(256);
    expect(tileWidth(1, 1, 70000)).toBe(17);
    expect(tileWidth(1, 2, 70000)).toBe(0);
    expect(tileWidth(2, 0, 70000)).toBe(1);
    expect(tileWidth(3, 0, 70000)).toBe(0);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
    expect(tileWidth(0, 0, 256)).toBe(256);
    expect(tileWidth(1, 0, 256)).toBe(1);
  });

  it('reads the <N>[.p/<W>] part of the Go sumdb examples the same way (their tile/<H>/<L>/ prefix differs)', () => {
    for (const [goPath, meaning] of vectors.copied.tile_paths.golang_sumdb_tlog.examples) {
      const rest = goPath.split('/').slice(3).join('/');
      const asC2sp = `tile/0/${rest}`;
      if (meaning.startsWith('invalid')) {
        expect(() => parseTilePath(asC2sp)).toThrow(/xNNN/);
        continue;
      }
      const n = Number(/N=(\d+)/.exec(meaning)![1]);
      const parsed = parseTilePath(asC2sp);
      expect(parsed.index).toBe(n);
      expect(parsed.width === undefined).toBe(!rest.includes('.p/'));
      if (parsed.width !== undefined) expect(parsed.width).toBe(Number(/W=(\d+)/.exec(meaning)![1]));
    }
  });
});
