import { ed25519Signer, signCheckpoint } from '../../../src/checkpoint';
import { decodeHash, rootFromTiles, verifyReceipt, VerificationError } from '../../../src/cli/log-proofs';
import { Receipt } from '../../../src/ledger/receipt';
import { Hash, inclusionProof, leafHash, MerkleFrontier, NodeId, nodeHash } from '../../../src/merkle';
import { encodeLeaf } from '../../../src/protocol/leaf';
import { bytesToBase64, bytesToHex, concatBytes, utf8 } from '../../../src/bytes';
import { generateSecretKey } from '../../../src/signing/ed25519';
import { keyIdOf, signEvent, signedEventBytes } from '../../../src/signing/event-signing';
import { publicKeyOf } from '../../../src/signing/ed25519';
import { sha256 } from '@noble/hashes/sha2.js';

/** A small in-memory log: leaves, complete-subtree hashes, and signed checkpoints. */
class MemoryLog {
  readonly leaves: Hash[] = [];
  private readonly nodes = new Map<string, Hash>();

  append(leaf: Hash): number {
    this.leaves.push(leaf);
    return this.leaves.length - 1;
  }

  node = (id: NodeId): Hash => {
    const key = `${id.level}/${id.index}`;
    let hash = this.nodes.get(key);
    if (!hash) {
      hash =
        id.level === 0
          ? this.leaves[id.index]
          : nodeHash(
              this.node({ level: id.level - 1, index: 2 * id.index }),
              this.node({ level: id.level - 1, index: 2 * id.index + 1 }),
            );
      this.nodes.set(key, hash);
    }
    return hash;
  };

  root(size = this.leaves.length): Hash {
    const frontier = MerkleFrontier.empty();
    this.leaves.slice(0, size).forEach((leaf) => frontier.append(leaf));
    return frontier.root();
  }

  /** Hash tile (level, index) of `width` hashes: the tree level 8·level hashes. */
  tile = async (level: number, index: number, width: number): Promise<Uint8Array> => {
    const bytes = new Uint8Array(width * 32);
    for (let i = 0; i < width; i++) bytes.set(this.node({ level: 8 * level, index: index * 256 + i }), i * 32);
    return bytes;
  };
}

const logSigner = ed25519Signer('example.com/log', generateSecretKey());
const otherSigner = ed25519Signer('example.com/log', generateSecretKey());

function filler(i: number): Hash {
  return leafHash(utf8(`filler ${i}`));
}

describe('verifying receipts', () => {
  const secretKey = generateSecretKey();
  const event = {
    id: 'note-1',
    type: 'test.note',
    actor: '0614141000005',
    keyId: keyIdOf(publicKeyOf(secretKey)),
    time: '2026-11-23T10:00:00.000Z',
    body: { text: 'hello' },
  };
  const signed = { event, signature: signEvent(event, secretKey) };
  const acceptedAt = '2026-11-23T10:00:00.123Z';
  const log = new MemoryLog();
  for (let i = 0; i < 300; i++) log.append(filler(i));
  const leaf = leafHash(
    encodeLeaf({
      acceptedAtMs: Date.parse(acceptedAt),
      eventHash: sha256(signedEventBytes(event)),
      signature: Uint8Array.from(Buffer.from(signed.signature, 'base64')),
    }),
  );
  const index = log.append(leaf);
  for (let i = 0; i < 20; i++) log.append(filler(1000 + i));
  const size = log.leaves.length;
  const note = signCheckpoint({ origin: logSigner.name, size, rootHash: log.root(), extensions: [] }, logSigner);
  const receipt: Receipt = {
    index,
    leafHash: bytesToBase64(leaf),
    eventId: event.id,
    actor: event.actor,
    acceptedAt,
    duplicate: false,
    checkpoint: note,
    inclusionProof: {
      treeSize: size,
      leafIndex: index,
      hashes: inclusionProof(index, size, log.node).map(bytesToBase64),
    },
  };

  it('accepts a receipt whose leaf is this event and whose proof reaches the signed root', () => {
    const checkpoint = verifyReceipt(signed, receipt, logSigner.verifier);
    expect(checkpoint.size).toBe(size);
  });

  it.each<[string, Partial<Receipt>, typeof signed | undefined, RegExp]>([
    [
      'another acceptance time',
      { acceptedAt: '2026-11-23T10:00:00.124Z' },
      undefined,
      /leaf hash is not the hash of this event's leaf/,
    ],
    ['another event', {}, { ...signed, event: { ...event, body: { text: 'hello!' } } }, /leaf hash is not the hash/],
    ['no checkpoint', { checkpoint: undefined }, undefined, /no checkpoint came with the receipt/],
    [
      'a checkpoint signed by another key',
      {
        checkpoint: signCheckpoint(
          { origin: otherSigner.name, size, rootHash: log.root(), extensions: [] },
          otherSigner,
        ),
      },
      undefined,
      /does not verify with the log key example.com\/log/,
    ],
    [
      'a proof for another size',
      { inclusionProof: { ...receipt.inclusionProof!, treeSize: size - 1 } },
      undefined,
      /is for index \d+ of \d+ leaves, not index/,
    ],
    [
      'a proof with one hash changed',
      {
        inclusionProof: {
          ...receipt.inclusionProof!,
          hashes: [bytesToBase64(filler(7)), ...receipt.inclusionProof!.hashes.slice(1)],
        },
      },
      undefined,
      /does not lead to the root of checkpoint/,
    ],
    [
      'the leaf placed at another index',
      { index: index + 1, inclusionProof: { ...receipt.inclusionProof!, leafIndex: index + 1 } },
      undefined,
      /does not lead to the root/,
    ],
  ])('rejects %s', (_name, change, other, message) => {
    const check = () => verifyReceipt(other ?? signed, { ...receipt, ...change }, logSigner.verifier);
    expect(check).toThrow(VerificationError);
    expect(check).toThrow(message);
  });
});

describe('rootFromTiles', () => {
  it('computes the root of every prefix size from the tiles of a larger tree', async () => {
    const log = new MemoryLog();
    for (let i = 0; i < 1100; i++) log.append(filler(i));
    for (const size of [0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 777, 1024, 1099, 1100]) {
      expect(bytesToHex(await rootFromTiles(log.tile, size, 1100))).toBe(bytesToHex(log.root(size)));
    }
  });

  it('reads each tile once', async () => {
    const log = new MemoryLog();
    for (let i = 0; i < 600; i++) log.append(filler(i));
    const reads: string[] = [];
    await rootFromTiles(
      async (level, index, width) => (reads.push(`${level}/${index}/${width}`), log.tile(level, index, width)),
      599,
      600,
    );
    expect(reads.sort()).toEqual(['0/2/88', '1/0/2']);
  });
});

describe('decodeHash', () => {
  const hash = sha256(concatBytes(utf8('x')));
  it('takes base64 or hex', () => {
    expect(decodeHash(bytesToBase64(hash), 'h')).toEqual(hash);
    expect(decodeHash(bytesToHex(hash), 'h')).toEqual(hash);
    expect(decodeHash(bytesToHex(hash).toUpperCase(), 'h')).toEqual(hash);
  });
  it.each(['', 'abc', bytesToBase64(hash.slice(1)), bytesToHex(hash) + '00'])('refuses %j', (text) => {
    expect(() => decodeHash(text, '--leaf-hash')).toThrow('--leaf-hash must be 32 bytes as standard base64 or hex');
  });
});
