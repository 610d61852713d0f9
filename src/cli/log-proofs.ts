/**
 * Client-side verification of what the log serves: checkpoints against the log's key, receipts and inclusion
 * proofs against a checkpoint, consistency between checkpoints. Pure (browser-safe): nothing is taken on trust
 * from the server except what these checks prove.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Checkpoint, NoteVerifier, openCheckpoint } from '../checkpoint';
import { EMPTY_ROOT, Hash, leafHash } from '../merkle/hash';
import { MerkleFrontier } from '../merkle/frontier';
import { hashFromTileRange, tileForNode, tileWidth } from '../merkle/tiles';
import { verifyInclusion } from '../merkle/verify';
import type { Receipt } from '../ledger/receipt';
import type { SignedEvent } from '../protocol/event';
import { encodeLeaf } from '../protocol/leaf';
import { base64ToBytes, bytesToBase64, hexToBytes } from '../bytes';
import { signedEventBytes } from '../signing/event-signing';
import { CliError } from './cli-error';

/** A check that failed: the server's answer does not prove what it claims. */
export class VerificationError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'VerificationError';
  }
}

/** Opens a checkpoint note with the log's key (signature and origin). */
export function openLogCheckpoint(note: string, verifier: NoteVerifier, what = 'the checkpoint'): Checkpoint {
  try {
    return openCheckpoint(note, verifier).checkpoint;
  } catch (error) {
    throw new VerificationError(
      `${what} does not verify with the log key ${verifier.name}: ${(error as Error).message}`,
    );
  }
}

/** 32 bytes from standard base64 or hex. */
export function decodeHash(text: string, what: string): Uint8Array {
  let bytes: Uint8Array | null;
  try {
    bytes = /^[0-9a-fA-F]{64}$/.test(text) ? hexToBytes(text) : base64ToBytes(text);
  } catch {
    bytes = null;
  }
  if (!bytes || bytes.length !== 32) throw new CliError(`${what} must be 32 bytes as standard base64 or hex`);
  return bytes;
}

/** The Merkle leaf hash of an accepted event: the 105-byte leaf built from its receipt's acceptance time. */
export function eventLeafHash(signed: SignedEvent<unknown>, acceptedAt: string): Hash {
  const acceptedAtMs = Date.parse(acceptedAt);
  if (!Number.isSafeInteger(acceptedAtMs)) throw new VerificationError(`acceptedAt ${acceptedAt} is not a time`);
  return leafHash(
    encodeLeaf({
      acceptedAtMs,
      eventHash: sha256(signedEventBytes(signed.event)),
      signature: base64ToBytes(signed.signature),
    }),
  );
}

/**
 * Checks a receipt returned with `wait`: its leaf is this very event (recomputed here, not taken from the
 * server), its checkpoint is signed by the log, and the inclusion proof places the leaf at the receipt's index
 * under that checkpoint's root. Returns the checkpoint. `opened` caches checkpoints already verified, by note text.
 */
export function verifyReceipt(
  signed: SignedEvent<unknown>,
  receipt: Receipt,
  verifier: NoteVerifier,
  opened: Map<string, Checkpoint> = new Map(),
): Checkpoint {
  const leaf = eventLeafHash(signed, receipt.acceptedAt);
  if (receipt.leafHash !== bytesToBase64(leaf)) {
    throw new VerificationError(
      `the receipt's leaf hash is not the hash of this event's leaf (index ${receipt.index})`,
    );
  }
  if (!receipt.checkpoint || !receipt.inclusionProof) {
    throw new VerificationError(
      `no checkpoint came with the receipt of index ${receipt.index} (the server did not publish one in time)`,
    );
  }
  // A batch's receipts share one checkpoint: its signature is checked once.
  let checkpoint = opened.get(receipt.checkpoint);
  if (!checkpoint) {
    checkpoint = openLogCheckpoint(
      receipt.checkpoint,
      verifier,
      `the checkpoint in the receipt of index ${receipt.index}`,
    );
    opened.set(receipt.checkpoint, checkpoint);
  }
  const proof = receipt.inclusionProof;
  if (proof.treeSize !== checkpoint.size || proof.leafIndex !== receipt.index) {
    throw new VerificationError(
      `the inclusion proof is for index ${proof.leafIndex} of ${proof.treeSize} leaves, not index ${receipt.index} of the checkpoint's ${checkpoint.size}`,
    );
  }
  const hashes = decodeProof(proof.hashes);
  if (!verifyInclusion(leaf, receipt.index, checkpoint.size, hashes, checkpoint.rootHash)) {
    throw new VerificationError(
      `the inclusion proof of index ${receipt.index} does not lead to the root of checkpoint ${checkpoint.size}`,
    );
  }
  return checkpoint;
}

/** Proof hashes from their base64 form; a malformed one fails verification. */
export function decodeProof(hashes: unknown): Uint8Array[] {
  if (!Array.isArray(hashes)) throw new VerificationError('the proof is not a list of hashes');
  return hashes.map((hash, i) => {
    try {
      return base64ToBytes(hash as string);
    } catch {
      throw new VerificationError(`proof hash ${i} is not base64`);
    }
  });
}

/** Reads hash tile (level, index) with `width` hashes (C2SP tlog-tiles). */
export type TileReader = (level: number, index: number, width: number) => Promise<Uint8Array>;

/**
 * The root of the first `size` leaves, computed from the public hash tiles of a tree of `treeSize` leaves. Not
 * trusted by itself: a consistency proof to a signed checkpoint is what ties it to the log.
 */
export async function rootFromTiles(readTile: TileReader, size: number, treeSize: number): Promise<Hash> {
  if (size === 0) return Uint8Array.from(EMPTY_ROOT);
  const tiles = new Map<string, Promise<Uint8Array>>();
  const hashes: Hash[] = [];
  for (const id of MerkleFrontier.nodeIds(size)) {
    const at = tileForNode(id);
    const width = tileWidth(at.tileLevel, at.tileIndex, treeSize);
    const key = `${at.tileLevel}/${at.tileIndex}`;
    if (!tiles.has(key)) tiles.set(key, readTile(at.tileLevel, at.tileIndex, width));
    const tile = await tiles.get(key)!;
    const range: Hash[] = [];
    for (let i = at.offset; i < at.offset + at.count; i++) range.push(tile.slice(i * 32, i * 32 + 32));
    hashes.push(hashFromTileRange(range));
  }
  return new MerkleFrontier(size, hashes).root();
}
