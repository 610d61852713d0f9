/**
 * Standard base64 with padding (RFC 4648 §4), written out because neither `Buffer` (Node-only) nor
 * `Uint8Array.fromBase64` (too new) is available everywhere this library runs.
 *
 * Decoding is canonical: padding is required and the unused low bits of the last character must be zero. A
 * lenient decoder would give one signature or root hash several spellings, so two parties could disagree about
 * whether two notes are "the same".
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map<string, number>([...ALPHABET].map((char, value) => [char, value]));

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i];
    const b1 = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out += ALPHABET[b0 >> 2] + ALPHABET[((b0 & 0x03) << 4) | (b1 >> 4)];
    out += i + 1 < bytes.length ? ALPHABET[((b1 & 0x0f) << 2) | (b2 >> 6)] : '=';
    out += i + 2 < bytes.length ? ALPHABET[b2 & 0x3f] : '=';
  }
  return out;
}

/** The decoded bytes, or `null` when `text` is not canonical padded standard base64. */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0) return null;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  let at = 0;
  for (let i = 0; i < text.length; i += 4) {
    const lastGroup = i + 4 === text.length;
    const values: number[] = [];
    for (let j = 0; j < 4; j++) {
      const char = text[i + j];
      if (char === '=' && lastGroup && j >= 4 - padding) {
        values.push(0);
        continue;
      }
      const value = VALUES.get(char);
      if (value === undefined) return null;
      values.push(value);
    }
    const [c0, c1, c2, c3] = values;
    out[at++] = (c0 << 2) | (c1 >> 4);
    if (lastGroup && padding === 2) {
      if ((c1 & 0x0f) !== 0) return null;
      break;
    }
    out[at++] = ((c1 & 0x0f) << 4) | (c2 >> 2);
    if (lastGroup && padding === 1) {
      if ((c2 & 0x03) !== 0) return null;
      break;
    }
    out[at++] = ((c2 & 0x03) << 6) | c3;
  }
  return out;
}
