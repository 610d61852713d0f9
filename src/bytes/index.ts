/**
 * Byte helpers of every pure library (signing, Merkle trees, signed notes, bundles). Browser-safe: no `Buffer`, no
 * `node:` imports, so the browser, the SDK, the CLI and the offline verifier share them with the server.
 *
 * Decoders are strict on purpose: a signature or key has exactly one accepted text form, so two encodings of the
 * same bytes can never be told apart by a database unique index or a cache key.
 */

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUES: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64_ALPHABET.length; i++) table[BASE64_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Standard base64 (RFC 4648 §4) with `=` padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63];
    out += BASE64_ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += BASE64_ALPHABET[n >> 18] + BASE64_ALPHABET[(n >> 12) & 63] + BASE64_ALPHABET[(n >> 6) & 63] + '=';
  }
  return out;
}

/**
 * Decodes standard base64 with padding, and only its canonical form: no whitespace, no URL-safe alphabet, no missing
 * padding, and zero unused bits in the last character. Throws a `RangeError` otherwise.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (typeof text !== 'string') throw new RangeError('base64: expected a string');
  if (text.length % 4 !== 0) throw new RangeError('base64: length is not a multiple of 4 (padding is required)');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const digit = (index: number): number => {
    const code = text.charCodeAt(index);
    const value = code < 128 ? BASE64_VALUES[code] : -1;
    if (value < 0) throw new RangeError(`base64: invalid character at position ${index}`);
    return value;
  };
  let o = 0;
  const fullGroups = padding === 0 ? text.length : text.length - 4;
  for (let i = 0; i < fullGroups; i += 4) {
    const n = (digit(i) << 18) | (digit(i + 1) << 12) | (digit(i + 2) << 6) | digit(i + 3);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (padding > 0) {
    const i = fullGroups;
    const a = digit(i);
    const b = digit(i + 1);
    const c = padding === 1 ? digit(i + 2) : 0;
    const unusedBits = padding === 2 ? b & 15 : c & 3;
    if (unusedBits !== 0) throw new RangeError('base64: non-canonical encoding (unused bits are not zero)');
    out[o] = (a << 2) | (b >> 4);
    if (padding === 1) out[o + 1] = ((b & 15) << 4) | (c >> 2);
  }
  return out;
}

/** `base64ToBytes`, with `null` instead of an exception for text that is not canonical padded base64. */
export function base64ToBytesOrNull(text: string): Uint8Array | null {
  try {
    return base64ToBytes(text);
  } catch {
    return null;
  }
}

/** Lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return out;
}

/** Strict hex decoding: even length, hex digits only (either case). Throws a `RangeError` otherwise. */
export function hexToBytes(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new RangeError('hex: expected an even number of hex digits');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Equality whose time does not depend on where the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * True for a `Uint8Array` (a Node `Buffer` included) from any realm: Jest runs tests in a separate realm, where a
 * `Buffer` made by Node fails `instanceof Uint8Array`.
 */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]')
  );
}
