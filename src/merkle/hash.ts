/**
 * RFC 9162 §2.1.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep a leaf from ever being mistaken for an
 * interior node (second-preimage resistance of the tree).
 */
import { sha256 } from '@noble/hashes/sha2.js';

export type Hash = Uint8Array;

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** MTH({}) = SHA-256(''). Treat as read-only: copy it before handing it to code that might write to it. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

// Each hash is taken over one buffer holding the prefix and the input: one call instead of a hasher fed in parts,
// about half the time (proofs and tiles hash a great many 65-byte inputs).

export function leafHash(data: Uint8Array): Hash {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

export function isHash(value: Uint8Array): boolean {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}
