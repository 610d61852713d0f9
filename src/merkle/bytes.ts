import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Lowercase hex, the form the vectors, the API and the logs use. */
export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** Strict hex decoding: even length, hex digits only; throws a `RangeError` otherwise. */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new RangeError(`not a hex string: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return hexToBytes(text);
}

/** Compares in time independent of where the first difference is (proofs and roots are public, but keys are not). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
