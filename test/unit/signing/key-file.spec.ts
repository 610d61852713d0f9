import { bytesToBase64, hexToBytes } from '../../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../../src/signing/ed25519';
import { keyIdOf } from '../../../src/signing/event-signing';
import { formatKeyFile, KeyFileError, parseKeyFile } from '../../../src/signing/key-file';
import rfc8032 from './fixtures/rfc8032.json';

const rfcSeed = hexToBytes(rfc8032.vectors[0].secretKey);
const rfcPublicKey = hexToBytes(rfc8032.vectors[0].publicKey);

function fileWith(changes: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(formatKeyFile(rfcSeed, { gln: '0614141000005' })), ...changes });
}

function errorOf(text: string): KeyFileError {
  try {
    parseKeyFile(text);
  } catch (error) {
    if (error instanceof KeyFileError) return error;
    throw error;
  }
  throw new Error('parseKeyFile accepted the file');
}

describe('formatKeyFile', () => {
  it('writes the documented members for the RFC 8032 TEST 1 seed', () => {
    expect(JSON.parse(formatKeyFile(rfcSeed, { gln: '0614141000005' }))).toEqual({
      type: 'ed25519-private-key',
      keyId: keyIdOf(rfcPublicKey),
      publicKey: bytesToBase64(rfcPublicKey),
      secretKey: bytesToBase64(rfcSeed),
      gln: '0614141000005',
    });
  });

  it('omits gln when not given and ends with a newline', () => {
    const text = formatKeyFile(rfcSeed);
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).not.toHaveProperty('gln');
  });

  it('refuses a seed of the wrong length and a malformed gln', () => {
    expect(() => formatKeyFile(new Uint8Array(31))).toThrow(KeyFileError);
    expect(() => formatKeyFile(rfcSeed, { gln: '12345' })).toThrow('gln must be 13 digits');
  });
});

describe('parseKeyFile', () => {
  it('round-trips a fresh key', () => {
    const seed = generateSecretKey();
    const key = parseKeyFile(formatKeyFile(seed, { gln: '0614141000005' }));
    expect(key).toEqual({
      secretKey: seed,
      publicKey: publicKeyOf(seed),
      keyId: keyIdOf(publicKeyOf(seed)),
      gln: '0614141000005',
    });
  });

  it('accepts a file without gln, and a leading byte-order mark', () => {
    const key = parseKeyFile('\uFEFF' + formatKeyFile(rfcSeed));
    expect(key.publicKey).toEqual(rfcPublicKey);
    expect(key).not.toHaveProperty('gln');
  });

  const otherPublicKey = bytesToBase64(publicKeyOf(hexToBytes(rfc8032.vectors[1].secretKey)));
  it.each([
    ['text that is not JSON', '{"type":', 'not valid JSON'],
    ['a JSON array', '[]', 'must be a JSON object'],
    ['another type', fileWith({ type: 'x25519-private-key' }), '"type" must be "ed25519-private-key"'],
    ['an unknown member', fileWith({ secret: 'x' }), 'unknown member "secret"'],
    ['a missing secretKey', fileWith({ secretKey: undefined }), '"secretKey" must be the base64 of a 32-byte seed'],
    [
      'a 64-byte secretKey (seed || public key)',
      fileWith({ secretKey: bytesToBase64(new Uint8Array(64)) }),
      '"secretKey"',
    ],
    ['secretKey in hex', fileWith({ secretKey: rfc8032.vectors[0].secretKey }), '"secretKey"'],
    ['a truncated publicKey', fileWith({ publicKey: bytesToBase64(rfcPublicKey.subarray(1)) }), '"publicKey" must be'],
    [
      'someone else’s publicKey',
      fileWith({ publicKey: otherPublicKey }),
      '"publicKey" is not the public key of "secretKey"',
    ],
    ['a wrong keyId', fileWith({ keyId: '0000000000000000' }), `"keyId" must be "${keyIdOf(rfcPublicKey)}"`],
    ['a numeric gln', fileWith({ gln: 614141000005 }), '"gln" must be 13 digits'],
  ])('rejects %s with a clear message', (_name, text, message) => {
    const error = errorOf(text);
    expect(error.message).toContain(message);
    expect(error.code).toBe('KEY_FILE_INVALID');
  });

  it('never puts key material in an error message', () => {
    const secret = bytesToBase64(rfcSeed);
    const texts = [fileWith({ keyId: 'x' }), fileWith({ publicKey: otherPublicKey }), `{"secretKey":"${secret}"`];
    for (const text of texts) expect(errorOf(text).message).not.toContain(secret.slice(0, 12));
  });
});
