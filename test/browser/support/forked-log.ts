import { randomBytes } from 'node:crypto';
import { parseSignerKey, signCheckpoint } from '../../../src/checkpoint';
import { consistencyProof, nodeHash, nodeRange } from '../../../src/merkle';
import { bytesToBase64 } from '../../../src/bytes';

/** RFC 9162 §2.1.1 MTH over leaf hashes. */
export function treeHash(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(treeHash(leaves.slice(0, k)), treeHash(leaves.slice(k)));
}

/**
 * Another history of `size` entries, signed with the real log key: what a log that forked would show. Its
 * signature verifies; only a consistency check against a tree seen earlier can tell it apart.
 */
export function forkedLog(signerKey: string, size: number) {
  const signer = parseSignerKey(signerKey);
  const leaves = Array.from({ length: size }, () => new Uint8Array(randomBytes(32)));
  const checkpoint = signCheckpoint({ origin: signer.name, size, rootHash: treeHash(leaves), extensions: [] }, signer);
  return {
    checkpoint,
    consistency(from: number) {
      const hashes = consistencyProof(from, size, (id) => {
        const { begin, end } = nodeRange(id);
        return treeHash(leaves.slice(begin, end));
      });
      return { from, to: size, hashes: hashes.map(bytesToBase64) };
    },
  };
}
