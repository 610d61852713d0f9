import { bytesToHex, hexToBytes } from '../../../src/bytes';
import { publicKeyOf, sign, verifyStrict } from '../../../src/signing/ed25519';
import { verifyStrictNode, verifyStrictNodeAsync } from '../../../src/signing/ed25519-node';
import rfc8032 from './fixtures/rfc8032.json';

describe('RFC 8032 §7.1 Ed25519 test vectors', () => {
  it('covers the five published vectors', () => {
    expect(rfc8032.vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3', 'TEST 1024', 'TEST SHA(abc)']);
    expect(hexToBytes(rfc8032.vectors[3].message)).toHaveLength(1023);
  });

  describe.each(rfc8032.vectors)('$name', (vector) => {
    const secretKey = hexToBytes(vector.secretKey);
    const publicKey = hexToBytes(vector.publicKey);
    const message = hexToBytes(vector.message);
    const signature = hexToBytes(vector.signature);

    it('derives the published public key from the seed', () => {
      expect(bytesToHex(publicKeyOf(secretKey))).toBe(vector.publicKey);
    });

    it('signs to exactly the published signature', () => {
      expect(bytesToHex(sign(secretKey, message))).toBe(vector.signature);
    });

    it('is accepted by the noble and the OpenSSL verifiers', async () => {
      expect(verifyStrict(publicKey, message, signature)).toBe(true);
      expect(verifyStrictNode(publicKey, message, signature)).toBe(true);
      await expect(verifyStrictNodeAsync(publicKey, message, signature)).resolves.toBe(true);
    });

    it('is rejected by both once the message changes', async () => {
      const other = new Uint8Array([...message, 0]);
      expect(verifyStrict(publicKey, other, signature)).toBe(false);
      expect(verifyStrictNode(publicKey, other, signature)).toBe(false);
      await expect(verifyStrictNodeAsync(publicKey, other, signature)).resolves.toBe(false);
    });
  });
});
