import fc from 'fast-check';
import {
  MAX_NOTE_SIGNATURES,
  NoteError,
  NoteErrorCode,
  NoteVerifier,
  Ed25519NoteSigner,
  ed25519Signer,
  keyIdHex,
  openNote,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from '../../../src/checkpoint';
import { bytesToHex } from '../../../src/bytes';
import { generateSecretKey } from '../../../src/signing/ed25519';
import { readVectors } from '../../support/vectors';

interface NoteVector {
  source: string;
  vkey?: string;
  skey?: string;
  signed_note?: string;
  signed_text?: string;
  expect?: string;
  resigning_reproduces_signature?: boolean;
}

const vectors = (
  readVectors('signed-note.json') as {
    vectors: NoteVector[];
  }
).vectors;

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const peter = parseVerifierKey(PETER_VKEY);
const enoch = parseVerifierKey(ENOCH_VKEY);
const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const peterSig =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const enochSig =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

function expectCode(code: NoteErrorCode, action: () => unknown): NoteError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(NoteError);
    expect([(error as NoteError).code, (error as NoteError).message]).toEqual([code, expect.any(String)]);
    return error as NoteError;
  }
  throw new Error(`expected a NoteError ${code}`);
}

const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20);
const newSigner = (name: string): Ed25519NoteSigner => ed25519Signer(name, generateSecretKey());

describe('signed-note vectors', () => {
  const valid = vectors.filter((v) => v.signed_note !== undefined && v.expect === 'valid');

  it('has the C2SP and Go single-signature notes', () => {
    expect(valid).toHaveLength(2);
  });

  for (const v of valid) {
    it(`opens ${v.vkey!.split('+')[0]}'s note`, () => {
      const verifier = parseVerifierKey(v.vkey!);
      const opened = openNote(v.signed_note!, [verifier]);
      expect(opened.text).toBe(v.signed_text);
      expect(opened.signatures).toHaveLength(1);
      expect(opened.signatures[0].name).toBe(verifier.name);
      expect(keyIdHex(opened.signatures[0].keyId)).toBe(keyIdHex(verifier.keyId));
      expect(opened.signatures[0].signature).toHaveLength(64);
      expect(opened.unverifiedSignatures).toEqual([]);
      // The same note as bytes.
      expect(openNote(new TextEncoder().encode(v.signed_note!), [verifier]).text).toBe(v.signed_text);
    });
  }

  it('re-signing with the Go skey reproduces the published note byte for byte', () => {
    const v = vectors.find((x) => x.resigning_reproduces_signature === true)!;
    expect(signNote(v.signed_text!, parseSignerKey(v.skey!))).toBe(v.signed_note);
  });

  it('opens the doubly signed note with either key or both', () => {
    const note = vectors.find((x) => x.expect?.startsWith('valid for both'))!.signed_note!;
    expect(note).toBe(`${text}\n${peterSig}${enochSig}`);

    const byPeter = openNote(note, [peter]);
    expect(byPeter.signatures.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(byPeter.unverifiedSignatures.map((s) => `${s.name}+${keyIdHex(s.keyId)}`)).toEqual(['EnochRoot+af0cfe78']);

    const byEnoch = openNote(note, [enoch]);
    expect(byEnoch.signatures.map((s) => s.name)).toEqual(['EnochRoot']);

    const byBoth = openNote(note, [peter, enoch]);
    expect(byBoth.signatures.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(byBoth.unverifiedSignatures).toEqual([]);

    expectCode('UNVERIFIED_NOTE', () => openNote(note, []));
  });

  it('rejects the tampered note', () => {
    const v = vectors.find((x) => x.expect?.startsWith('invalid'))!;
    expectCode('INVALID_SIGNATURE', () => openNote(v.signed_note!, [parseVerifierKey(v.vkey!)]));
  });

  it('parses the signature lines of the C2SP checkpoint and cosignature examples', () => {
    const v = vectors.find((x) => x.source.includes('tlog-checkpoint'))! as NoteVector & {
      checkpoint: string;
      cosignature_line: string;
      parsed: { log_sig_key_id_hex: string; cosig_key_id_hex: string; cosig_timestamp: number };
    };
    const parsed = parseNote(`${v.checkpoint}${v.cosignature_line}\n`);
    expect(parsed.text).toBe('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n');
    expect(parsed.signatures.map((s) => [s.name, bytesToHex(s.keyId), s.signature.length])).toEqual([
      ['example.com/behind-the-sofa', v.parsed.log_sig_key_id_hex, 64],
      ['witness.example.com/w1', v.parsed.cosig_key_id_hex, 8 + 64],
    ]);
    const timestamp = new DataView(parsed.signatures[1].signature.buffer).getBigUint64(
      parsed.signatures[1].signature.byteOffset,
    );
    expect(timestamp).toBe(BigInt(v.parsed.cosig_timestamp));
    // No key is published for them: opening must not trust the text.
    expectCode('UNVERIFIED_NOTE', () => openNote(v.checkpoint, [peter]));
  });
});

describe('openNote (cases from golang.org/x/mod/sumdb/note TestOpen)', () => {
  it('rejects a known key whose signature fails, wherever it is', () => {
    const bad = peterSig.slice(0, 60) + 'ABCD' + peterSig.slice(60);
    expectCode('INVALID_SIGNATURE', () => openNote(`${text}\n${bad}`, [peter]));
    expectCode('INVALID_SIGNATURE', () => openNote(`${text}\n${enochSig}${bad}`, [peter, enoch]));
  });

  it('ignores unknown keys, including ones that share the name or the key ID (not both) with a known key', () => {
    const sameNameOtherId = peterSig.replace('x08go/', 'AAAAA/');
    const otherNameSameId = peterSig.replace('PeterNeumann', 'PeterNeumannJr');
    const opened = openNote(`${text}\n${sameNameOtherId}${otherNameSameId}${peterSig}`, [peter]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(opened.unverifiedSignatures).toHaveLength(2);
  });

  it('counts a key once however often its signature is repeated, and drops repeated unknown lines', () => {
    const enochABCD = enochSig.slice(0, 60) + 'ABCD' + enochSig.slice(60);
    const opened = openNote(`${text}\n${peterSig}${peterSig}${enochSig}${enochSig}${enochABCD}`, [peter]);
    expect(opened.signatures).toHaveLength(1);
    expect(opened.unverifiedSignatures.map((s) => s.name)).toEqual(['EnochRoot', 'EnochRoot']);
  });

  it('counts a key once even when it has two different valid signatures', () => {
    // Ed25519 signing is deterministic, so use a verifier that accepts any signature starting with 0x01.
    const lenient: NoteVerifier = {
      name: 'lenient.example',
      keyId: Uint8Array.of(1, 2, 3, 4),
      verify: (_, sig) => sig[0] === 1,
    };
    const line = (signature: number[]): string =>
      `\u2014 lenient.example ${Buffer.from([1, 2, 3, 4, ...signature]).toString('base64')}\n`;
    const opened = openNote(`hello\n\n${line([1, 0])}${line([1, 1])}`, [lenient]);
    expect(opened.signatures.map((s) => Array.from(s.signature))).toEqual([[1, 0]]);
    expectCode('INVALID_SIGNATURE', () => openNote(`hello\n\n${line([1, 0])}${line([2, 0])}`, [lenient]));
  });

  it('still checks every line of a known key: a good copy does not excuse a bad one', () => {
    const signer = newSigner('dup.example/log');
    const good = signNote('hello\n', signer);
    const otherSignature = signNote('other\n', signer).split('\n\n')[1];
    expectCode('INVALID_SIGNATURE', () => openNote(good + otherSignature, [signer.verifier]));
  });

  it('refuses two verifiers with the same name and key ID when a signature needs one', () => {
    expectCode('AMBIGUOUS_KEY', () => openNote(`${text}\n${enochSig}`, [enoch, peter, enoch]));
    expect(openNote(`${text}\n${peterSig}`, [enoch, peter, enoch]).signatures).toHaveLength(1);
  });

  it(`refuses more than ${MAX_NOTE_SIGNATURES} signatures`, () => {
    expect(openNote(`${text}\n${peterSig.repeat(MAX_NOTE_SIGNATURES)}`, [peter]).signatures).toHaveLength(1);
    expectCode('MALFORMED_NOTE', () => openNote(`${text}\n${peterSig.repeat(MAX_NOTE_SIGNATURES + 1)}`, [peter]));
    expectCode('MALFORMED_NOTE', () => openNote(`${text}\n${peterSig.repeat(MAX_NOTE_SIGNATURES + 1)}`, []));
  });

  it.each([
    ['no signature block', text],
    ['a blank line but no signatures', `${text}\n`],
    ['a missing final newline', `${text}\n${peterSig.slice(0, -1)}`],
    ['an extra newline at the end', `${text}\n${peterSig}\n`],
    ['a control character', `\u0001${text}\n${peterSig}`],
    ['a carriage return', `${text.replace('\n', '\r\n')}\n${peterSig}`],
    [
      'a key name with a space',
      `${text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
    ],
    ['an unexpected line after the signatures', `${text}\n${peterSig}Unexpected line.\n`],
    ['a hyphen instead of the em dash', `${text}\n${peterSig.replace('\u2014', '-')}`],
    ['two spaces after the dash', `${text}\n${peterSig.replace('\u2014 ', '\u2014  ')}`],
    ['no base64', `${text}\n\u2014 PeterNeumann\n`],
    ['an empty signature', `${text}\n\u2014 PeterNeumann \n`],
    ['base64 without padding', `${text}\n${peterSig.replace('M=\n', 'M\n')}`],
    ['a signature of only a key ID', `${text}\n\u2014 PeterNeumann x08gow==\n`],
    ['a lone surrogate', `\ud800${text}\n${peterSig}`],
  ])('rejects a note with %s as MALFORMED_NOTE', (_, note) => {
    expectCode('MALFORMED_NOTE', () => openNote(note, [peter]));
  });

  it('rejects bytes that are not UTF-8 and keeps a leading byte-order mark as signed text', () => {
    const good = new TextEncoder().encode(`${text}\n${peterSig}`);
    expectCode('MALFORMED_NOTE', () => openNote(Uint8Array.of(0xff, ...good), [peter]));
    expectCode('MALFORMED_NOTE', () => openNote(Uint8Array.of(0xc0, 0xaf, ...good), [peter]));
    // A decoder that silently dropped the BOM would verify the signature over the wrong bytes' meaning.
    expectCode('INVALID_SIGNATURE', () => openNote(Uint8Array.of(0xef, 0xbb, 0xbf, ...good), [peter]));
  });

  it('the signed text may contain blank lines: the signatures start after the last one', () => {
    const signer = newSigner('blank.example/log');
    for (const body of ['a\n\nb\n', '\n', 'a\n\n', '\n\n\n']) {
      const note = signNote(body, signer);
      expect(openNote(note, [signer.verifier]).text).toBe(body);
    }
  });
});

describe('signNote', () => {
  const signer = newSigner('rxledger.example/log');

  it('writes text, a blank line and one em-dash line per key', () => {
    const other = newSigner('witness.example/w1');
    const note = signNote('tree head\n', [signer, other]);
    const lines = note.split('\n');
    expect(lines.slice(0, 2)).toEqual(['tree head', '']);
    expect(lines[2]).toMatch(/^\u2014 rxledger\.example\/log [A-Za-z0-9+/]{91}=$/);
    expect(lines[3]).toMatch(/^\u2014 witness\.example\/w1 /);
    expect(lines[4]).toBe('');
    expect(lines).toHaveLength(5);
    expect(openNote(note, [signer.verifier, other.verifier]).signatures).toHaveLength(2);
  });

  it('round-trips any well-formed text', () => {
    const lineArb = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => !hasControl(s));
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 6 }), (lines) => {
        const body = lines.map((l) => `${l}\n`).join('');
        expect(openNote(signNote(body, signer), [signer.verifier]).text).toBe(body);
      }),
      { numRuns: 50 },
    );
  });

  it.each([
    ['empty text', ''],
    ['no final newline', 'tree head'],
    ['a control character', 'tree\thead\n'],
    ['a carriage return', 'tree head\r\n'],
    ['a lone surrogate', 'tree \udc00head\n'],
  ])('refuses %s', (_, body) => {
    expectCode('INVALID_TEXT', () => signNote(body, signer));
  });

  it('refuses no signers, the same key twice and invalid signer names', () => {
    expectCode('INVALID_KEY', () => signNote('x\n', []));
    expectCode('INVALID_KEY', () => signNote('x\n', [signer, signer]));
    expectCode('INVALID_KEY', () => signNote('x\n', { ...signer, name: 'a b' }));
  });

  it('does not verify with the wrong key, or after any change to the text', () => {
    const note = signNote('size 10\n', signer);
    const impostor = ed25519Signer('rxledger.example/log', generateSecretKey());
    // Same name, different key ID: an unknown key, so nothing verifies.
    expectCode('UNVERIFIED_NOTE', () => openNote(note, [impostor.verifier]));
    expectCode('INVALID_SIGNATURE', () => openNote(note.replace('10', '11'), [signer.verifier]));
    expectCode('INVALID_SIGNATURE', () => openNote(`x${note}`, [signer.verifier]));
  });
});
