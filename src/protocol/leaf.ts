/**
 * Leaf data of the RxLedger log (docs/PROTOCOL.md §4). A leaf commits to one accepted event without carrying
 * it: an event may hold 100,000 serials (megabytes), while a tlog-tiles entry bundle caps an entry at 65,535
 * bytes, and the public tiles must not reveal trading relationships. So every leaf is exactly 105 bytes:
 *
 *   version (1 byte, 0x01) || accepted_at (8 bytes, big-endian milliseconds since the Unix epoch)
 *   || event_hash (32 bytes, SHA-256 of the signed bytes) || signature (64 bytes, Ed25519)
 *
 * and its Merkle leaf hash is SHA-256(0x00 || leaf data) per RFC 9162.
 */
export const LEAF_VERSION = 1;
export const LEAF_LENGTH = 1 + 8 + 32 + 64;

export interface LeafData {
  acceptedAtMs: number;
  eventHash: Uint8Array;
  signature: Uint8Array;
}

export function encodeLeaf(leaf: LeafData): Uint8Array {
  if (leaf.eventHash.length !== 32) throw new RangeError('eventHash must be 32 bytes');
  if (leaf.signature.length !== 64) throw new RangeError('signature must be 64 bytes');
  if (!Number.isSafeInteger(leaf.acceptedAtMs) || leaf.acceptedAtMs < 0)
    throw new RangeError('acceptedAtMs must be a non-negative integer');
  const out = new Uint8Array(LEAF_LENGTH);
  out[0] = LEAF_VERSION;
  new DataView(out.buffer).setBigUint64(1, BigInt(leaf.acceptedAtMs), false);
  out.set(leaf.eventHash, 9);
  out.set(leaf.signature, 41);
  return out;
}

export function decodeLeaf(data: Uint8Array): LeafData {
  if (data.length !== LEAF_LENGTH) throw new RangeError(`leaf data must be ${LEAF_LENGTH} bytes, got ${data.length}`);
  if (data[0] !== LEAF_VERSION) throw new RangeError(`unknown leaf version ${data[0]}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    acceptedAtMs: Number(view.getBigUint64(1, false)),
    eventHash: data.slice(9, 41),
    signature: data.slice(41, 105),
  };
}
