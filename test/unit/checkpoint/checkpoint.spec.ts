import fc from 'fast-check';
import {
  Checkpoint,
  NoteError,
  NoteErrorCode,
  ed25519Signer,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  signNote,
} from '../../../src/checkpoint';
import { leafHash } from '../../../src/merkle';
import { bytesToHex, hexToBytes } from '../../../src/bytes';
import { generateSecretKey } from '../../../src/signing/ed25519';
import { readVectors } from '../../support/vectors';

const noteVectors = (
  readVectors('signed-note.json') as {
    vectors: {
      source: string;
      checkpoint?: string;
      parsed?: { origin: string; tree_size: number; root_hash_hex: string };
    }[];
  }
).vectors;
const merkleVectors = readVectors('merkle-rfc9162.json') as {
  copied: { go_sumdb_tree_note: { tree_size: number; formatted: string } };
};

function expectCode(code: NoteErrorCode, action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(NoteError);
    expect((error as NoteError).code).toBe(code);
    return;
  }
  throw new Error(`expected a NoteError ${code}`);
}

const ORIGIN = 'rxledger.example/log';
const root = leafHash(new TextEncoder().encode('root'));
const checkpoint = (overrides: Partial<Checkpoint> = {}): Checkpoint => ({
  origin: ORIGIN,
  size: 20852163,
  rootHash: root,
  extensions: [],
  ...overrides,
});

describe('checkpoint vectors', () => {
  it('parses the C2SP example body', () => {
    const v = noteVectors.find((x) => x.checkpoint !== undefined)!;
    const body = v.checkpoint!.slice(0, v.checkpoint!.indexOf('\n\n') + 1);
    const parsed = parseCheckpoint(body);
    expect(parsed.origin).toBe(v.parsed!.origin);
    expect(parsed.size).toBe(v.parsed!.tree_size);
    expect(bytesToHex(parsed.rootHash)).toBe(v.parsed!.root_hash_hex);
    expect(parsed.extensions).toEqual([]);
    expect(formatCheckpoint(parsed)).toBe(body);
  });

  it('formats the Go sumdb tree note exactly (root = leaf hash of "hello world")', () => {
    const v = merkleVectors.copied.go_sumdb_tree_note;
    const formatted = formatCheckpoint({
      origin: 'go.sum database tree',
      size: v.tree_size,
      rootHash: leafHash(new TextEncoder().encode('hello world')),
      extensions: [],
    });
    expect(formatted).toBe(v.formatted);
    expect(parseCheckpoint(v.formatted).size).toBe(123456789012);
  });
});

describe('formatCheckpoint / parseCheckpoint', () => {
  it('writes origin, size, base64 root and extension lines, each ending in a newline', () => {
    expect(
      formatCheckpoint(checkpoint({ size: 0, rootHash: hexToBytes('00'.repeat(32)), extensions: ['a b', 'c'] })),
    ).toBe(`${ORIGIN}\n0\n${'A'.repeat(43)}=\na b\nc\n`);
  });

  it('round-trips', () => {
    // Whole graphemes, so never a lone surrogate; control characters are not allowed in notes at all.
    const line = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20));
    fc.assert(
      fc.property(
        line,
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const cp = { origin, size, rootHash, extensions };
          const parsed = parseCheckpoint(formatCheckpoint(cp));
          expect({ ...parsed, rootHash: bytesToHex(parsed.rootHash) }).toEqual({
            ...cp,
            rootHash: bytesToHex(rootHash),
          });
        },
      ),
    );
  });

  const body = formatCheckpoint(checkpoint());
  const [originLine, sizeLine, rootLine] = body.split('\n');
  it.each([
    ['a non-canonical size', `${originLine}\n012\n${rootLine}\n`],
    ['a signed size', `${originLine}\n+12\n${rootLine}\n`],
    ['a negative size', `${originLine}\n-1\n${rootLine}\n`],
    ['a size with a space', `${originLine}\n12 \n${rootLine}\n`],
    ['a hex size', `${originLine}\n0x12\n${rootLine}\n`],
    ['a size beyond 2^53 - 1', `${originLine}\n9007199254740992\n${rootLine}\n`],
    ['a 31-byte root', `${originLine}\n${sizeLine}\n${Buffer.alloc(31).toString('base64')}\n`],
    ['a 33-byte root', `${originLine}\n${sizeLine}\n${Buffer.alloc(33).toString('base64')}\n`],
    ['an unpadded root', `${originLine}\n${sizeLine}\n${rootLine.replace('=', '')}\n`],
    [
      'a URL-safe root',
      `${originLine}\n${sizeLine}\n${Buffer.from(hexToBytes('fb'.repeat(32))).toString('base64url')}=\n`,
    ],
    ['a missing root line', `${originLine}\n${sizeLine}\n`],
    ['an empty origin', `\n${sizeLine}\n${rootLine}\n`],
    ['an empty extension line', `${body}\n`],
    ['no final newline', body.slice(0, -1)],
    ['a carriage return', body.replace(`\n${sizeLine}`, `\r\n${sizeLine}`)],
  ])('rejects a body with %s', (_, text) => {
    expectCode('MALFORMED_CHECKPOINT', () => parseCheckpoint(text));
  });

  it.each([
    ['an empty origin', checkpoint({ origin: '' })],
    ['a newline in the origin', checkpoint({ origin: 'a\nb' })],
    ['a fractional size', checkpoint({ size: 1.5 })],
    ['a negative size', checkpoint({ size: -1 })],
    ['an unsafe size', checkpoint({ size: 2 ** 53 })],
    ['a 31-byte root', checkpoint({ rootHash: root.slice(1) })],
    ['an empty extension', checkpoint({ extensions: [''] })],
    ['a newline in an extension', checkpoint({ extensions: ['a\nb'] })],
  ])('refuses to format %s', (_, cp) => {
    expectCode('MALFORMED_CHECKPOINT', () => formatCheckpoint(cp));
  });
});

describe('signCheckpoint / openCheckpoint', () => {
  const log = ed25519Signer(ORIGIN, generateSecretKey());

  it('signs and opens', () => {
    const note = signCheckpoint(checkpoint({ extensions: ['ext'] }), log);
    expect(note.startsWith(`${ORIGIN}\n20852163\n`)).toBe(true);
    const opened = openCheckpoint(note, log.verifier);
    expect(opened.checkpoint.size).toBe(20852163);
    expect(bytesToHex(opened.checkpoint.rootHash)).toBe(bytesToHex(root));
    expect(opened.checkpoint.extensions).toEqual(['ext']);
    expect(opened.note.signatures.map((s) => s.name)).toEqual([ORIGIN]);
  });

  it('keeps cosignatures as unverified signatures for the caller to check', () => {
    const witness = ed25519Signer('witness.example/w1', generateSecretKey());
    const note = signNote(formatCheckpoint(checkpoint()), [log, witness]);
    const opened = openCheckpoint(note, log.verifier);
    expect(opened.note.unverifiedSignatures.map((s) => s.name)).toEqual(['witness.example/w1']);
  });

  it('refuses to sign under a key named differently from the origin', () => {
    expectCode('ORIGIN_MISMATCH', () => signCheckpoint(checkpoint({ origin: 'other.example/log' }), log));
  });

  it('rejects a checkpoint whose origin is not the log key name, even if that key signed it', () => {
    const note = signNote(formatCheckpoint(checkpoint({ origin: 'other.example/log' })), log);
    expectCode('ORIGIN_MISMATCH', () => openCheckpoint(note, log.verifier));
  });

  it('rejects another key, a changed size, and a note body that is not a checkpoint', () => {
    const note = signCheckpoint(checkpoint(), log);
    const other = ed25519Signer(ORIGIN, generateSecretKey());
    expectCode('UNVERIFIED_NOTE', () => openCheckpoint(note, other.verifier));
    expectCode('INVALID_SIGNATURE', () => openCheckpoint(note.replace('20852163', '20852164'), log.verifier));
    expectCode('MALFORMED_CHECKPOINT', () => openCheckpoint(signNote(`${ORIGIN}\n012\nxx\n`, log), log.verifier));
  });
});
