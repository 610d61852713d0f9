import {
  NoteError,
  ed25519KeyId,
  ed25519Signer,
  ed25519Verifier,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKey,
  isValidKeyName,
  keyIdHex,
  parseSignerKey,
  parseVerifierKey,
} from '../../../src/checkpoint';
import { bytesToHex, hexToBytes } from '../../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../../src/signing/ed25519';
import { readVectors } from '../../support/vectors';

interface NoteVector {
  vkey?: string;
  skey?: string;
  key_name?: string;
  key_id_hex?: string;
  ed25519_public_key_hex?: string;
  ed25519_seed_hex?: string;
  invalid_vkeys?: string[];
}

const vectors = (
  readVectors('signed-note.json') as {
    vectors: NoteVector[];
  }
).vectors;

function expectKeyError(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(NoteError);
    expect((error as NoteError).code).toBe('INVALID_KEY');
    return;
  }
  throw new Error('expected an INVALID_KEY NoteError');
}

describe('verifier keys from the vectors', () => {
  const withKeys = vectors.filter((v) => v.vkey !== undefined && v.ed25519_public_key_hex !== undefined);

  it('covers the C2SP, PeterNeumann and EnochRoot keys', () => {
    expect(withKeys.map((v) => v.vkey!.split('+')[0])).toEqual(
      expect.arrayContaining(['example.com/foo', 'PeterNeumann', 'EnochRoot']),
    );
  });

  for (const v of withKeys) {
    it(`parses and re-formats ${v.vkey}`, () => {
      const verifier = parseVerifierKey(v.vkey!);
      const name = v.vkey!.split('+')[0];
      expect(verifier.name).toBe(name);
      expect(bytesToHex(verifier.publicKey)).toBe(v.ed25519_public_key_hex);
      expect(keyIdHex(verifier.keyId)).toBe(v.key_id_hex);
      expect(bytesToHex(ed25519KeyId(name, hexToBytes(v.ed25519_public_key_hex!)))).toBe(v.key_id_hex);
      expect(formatVerifierKey(name, verifier.publicKey)).toBe(v.vkey);
    });
  }

  it('derives the EnochRoot key from the all-zero seed, as the vector says', () => {
    const enoch = vectors.find((v) => v.vkey?.startsWith('EnochRoot+'))!;
    expect(bytesToHex(publicKeyOf(hexToBytes(enoch.ed25519_seed_hex!)))).toBe(enoch.ed25519_public_key_hex);
  });

  for (const bad of vectors.flatMap((v) => v.invalid_vkeys ?? [])) {
    it(`rejects the invalid vector key ${bad}`, () => expectKeyError(() => parseVerifierKey(bad)));
  }
});

describe('signer keys', () => {
  const peter = vectors.find((v) => v.skey !== undefined)!;

  it('parses the Go skey vector to the published seed and public key', () => {
    const signer = parseSignerKey(peter.skey!);
    expect(signer.name).toBe('PeterNeumann');
    expect(keyIdHex(signer.keyId)).toBe('c74f20a3');
    expect(bytesToHex(signer.publicKey)).toBe(peter.ed25519_public_key_hex);
    expect(formatSignerKey('PeterNeumann', hexToBytes(peter.ed25519_seed_hex!))).toBe(peter.skey);
    expect(formatVerifierKey(signer.name, signer.verifier.publicKey)).toBe(peter.vkey);
  });

  it('rejects a signer key whose ID names another public key', () => {
    expectKeyError(() => parseSignerKey(peter.skey!.replace('c74f20a3', 'c74f20a4')));
  });

  it('generates key pairs whose two halves match', () => {
    const { skey, vkey } = generateNoteKey('rxledger.example/log');
    const signer = parseSignerKey(skey);
    const verifier = parseVerifierKey(vkey);
    expect(keyIdHex(signer.keyId)).toBe(keyIdHex(verifier.keyId));
    expect(verifier.verify(new Uint8Array([1]), signer.sign(new Uint8Array([1])))).toBe(true);
    expect(verifier.verify(new Uint8Array([2]), signer.sign(new Uint8Array([1])))).toBe(false);
  });
});

describe('manglings (golang.org/x/mod/sumdb/note TestNewVerifier / TestNewSigner)', () => {
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

  function manglings(key: string): string[] {
    const out: string[] = [];
    for (let i = 0; i <= key.length; i++) {
      for (let j = i + 1; j <= key.length; j++) if (i !== 0 || j !== key.length) out.push(key.slice(i, j));
    }
    for (let i = 0; i < key.length; i++) {
      out.push(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) + 1) + key.slice(i + 1));
    }
    return out;
  }

  it('rejects every proper substring and every one-character bump of the verifier key', () => {
    const accepted = manglings(vkey).filter((k) => {
      try {
        parseVerifierKey(k);
        return true;
      } catch (error) {
        expect((error as NoteError).code).toBe('INVALID_KEY');
        return false;
      }
    });
    expect(accepted).toEqual([]);
  });

  it('rejects every proper substring and every one-character bump of the signer key', () => {
    const accepted = manglings(skey).filter((k) => {
      try {
        parseSignerKey(k);
        return true;
      } catch {
        return false;
      }
    });
    expect(accepted).toEqual([]);
  });
});

describe('strict verifier keys', () => {
  const peter = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

  it.each([
    ['an uppercase key ID', peter.replace('c74f20a3', 'C74F20A3')],
    ['URL-safe base64 key data', peter.replace('/', '_')],
    ['an extra field', `${peter}+x`],
    ['an empty name', peter.replace('PeterNeumann', '')],
    ['a space in the name', peter.replace('PeterNeumann', 'Peter Neumann')],
  ])('rejects a key with %s', (_, bad) => {
    expect(bad).not.toBe(peter);
    expectKeyError(() => parseVerifierKey(bad));
  });

  it('rejects small-order and non-canonical public keys even with a matching key ID', () => {
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the identity point
    expectKeyError(() => formatVerifierKey('log.example/a', smallOrder));
    const nonCanonical = new Uint8Array(32).fill(0xff);
    nonCanonical[31] = 0x7f; // y = 2^255 - 1 >= p
    expectKeyError(() => ed25519Verifier('log.example/a', nonCanonical));
    // Handcraft the vkey string, since formatVerifierKey refuses to produce it.
    const base64 = Buffer.from(Uint8Array.of(1, ...smallOrder)).toString('base64');
    const id = keyIdHex(ed25519KeyId('log.example/a', smallOrder));
    expectKeyError(() => parseVerifierKey(`log.example/a+${id}+${base64}`));
  });

  it('refuses seeds that are not 32 bytes', () => {
    expectKeyError(() => ed25519Signer('log.example/a', new Uint8Array(31)));
    expectKeyError(() => formatSignerKey('log.example/a', new Uint8Array(64)));
  });
});

describe('key names', () => {
  it.each(['example.com/log42', 'PeterNeumann', 'rxledger.example/checkpoints', 'é', 'a/b?c=d'])(
    'accepts %p',
    (name) => {
      expect(isValidKeyName(name)).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    ['a+b', 'plus'],
    ['a b', 'space'],
    ['a\tb', 'tab'],
    ['a\nb', 'newline'],
    ['a\u00a0b', 'no-break space'],
    ['a\u0085b', 'next line'],
    ['a\u2003b', 'em space'],
    ['a\u3000b', 'ideographic space'],
    ['a\u2028b', 'line separator'],
    ['a\u0001b', 'control character'],
    ['a\ud800b', 'lone surrogate'],
  ])('rejects %p (%s)', (name) => {
    expect(isValidKeyName(name)).toBe(false);
    expectKeyError(() => formatVerifierKey(name, publicKeyOf(generateSecretKey())));
  });
});
