/**
 * RFC 9162 §2.1.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep a leaf from ever being mistaken for an
 * interior node (second-preimage resistance of the tree).
 */
import { sha256 } from '@noble/hashes/sha2.js';

export type Hash = Uint8Array;

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({}) = SHA-256(''). Treat as read-only: copy it before handing it to code that might write to it. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function leafHash(data: Uint8Array): Hash {
  return sha256.create().update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

export function isHash(value: Uint8Array): boolean {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}
