/**
 * What a client or auditor does with the log's public answers: open a checkpoint with the log's verifier key,
 * check proofs with the pure verifiers (src/merkle), and recompute leaf hashes and tree roots on its own.
 *
 * Leaf bytes and RFC 9162 hashing are written out here again on purpose, from the protocol's definition rather
 * than from src/protocol/leaf.ts, so that a change to the server's leaf format or hashing shows up as a failure.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../src/canonical-json';
import { NoteVerifier, openCheckpoint, parseVerifierKey } from '../../src/checkpoint';
import { verifyConsistency, verifyInclusion } from '../../src/merkle';
import { base64ToBytes, bytesToBase64 } from '../../src/bytes';

/** A checkpoint whose signature has been verified. */
export interface SeenCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
}

export interface InclusionProofBody {
  leafIndex: number;
  treeSize: number;
  hashes: string[];
}

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const hash = createHash('sha256');
  parts.forEach((part) => hash.update(part));
  return new Uint8Array(hash.digest());
};

/** RFC 9162 §2.1.1: SHA-256(0x00 || leaf data). */
export function rfc9162LeafHash(data: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), data);
}

/** RFC 9162 §2.1.1: SHA-256(0x01 || left || right). */
export function rfc9162NodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1), left, right);
}

/** RFC 9162 MTH over leaf hashes, straight from the definition (k = largest power of two below n). */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return sha256();
  if (leafHashes.length === 1) return leafHashes[0];
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return rfc9162NodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

/** SHA-256 of the signed bytes: "rxledger/event/v1\n" || JCS(event). */
export function eventHashOf(event: object): Uint8Array {
  return sha256(new TextEncoder().encode('rxledger/event/v1\n'), new TextEncoder().encode(canonicalJson(event)));
}

/** The 105 leaf bytes: 0x01 || accepted_at (u64 big-endian ms) || event hash (32) || signature (64). */
export function leafBytes(acceptedAtMs: number, eventHash: Uint8Array, signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(105);
  out[0] = 1;
  new DataView(out.buffer).setBigUint64(1, BigInt(acceptedAtMs), false);
  out.set(eventHash, 9);
  out.set(signature, 41);
  return out;
}

/** The leaf hash (base64) a receipt must carry for this signed event accepted at `acceptedAt`. */
export function expectedLeafHash(event: object, signatureB64: string, acceptedAt: string): string {
  const leaf = leafBytes(Date.parse(acceptedAt), eventHashOf(event), base64ToBytes(signatureB64));
  return bytesToBase64(rfc9162LeafHash(leaf));
}

/** Splits a hash tile into its 32-byte hashes. */
export function tileHashes(tile: Uint8Array): Uint8Array[] {
  if (tile.length % 32 !== 0) throw new Error(`a hash tile is a multiple of 32 bytes, got ${tile.length}`);
  const out: Uint8Array[] = [];
  for (let at = 0; at < tile.length; at += 32) out.push(tile.slice(at, at + 32));
  return out;
}

/** Decodes a tlog-tiles entry bundle (uint16 big-endian length before each entry), independently of src/merkle. */
export function bundleEntries(bundle: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    const length = (bundle[at] << 8) | bundle[at + 1];
    out.push(bundle.slice(at + 2, at + 2 + length));
    at += 2 + length;
  }
  if (at !== bundle.length) throw new Error('entry bundle is truncated');
  return out;
}

export function logVerifier(vkey: string): NoteVerifier {
  return parseVerifierKey(vkey.trim());
}

/** Opens a checkpoint note with the log's key (throws if the signature or the origin is wrong). */
export function openLogCheckpoint(note: string, verifier: NoteVerifier): SeenCheckpoint {
  const { checkpoint } = openCheckpoint(note, verifier);
  return { size: checkpoint.size, root: checkpoint.rootHash, note };
}

export function inclusionHolds(leafHashB64: string, proof: InclusionProofBody, root: Uint8Array): boolean {
  return verifyInclusion(
    base64ToBytes(leafHashB64),
    proof.leafIndex,
    proof.treeSize,
    proof.hashes.map(base64ToBytes),
    root,
  );
}

export function consistencyHolds(from: SeenCheckpoint, to: SeenCheckpoint, hashes: string[]): boolean {
  return verifyConsistency(from.size, to.size, hashes.map(base64ToBytes), from.root, to.root);
}

export const b64 = bytesToBase64;
export const unb64 = base64ToBytes;
