/** UTF-8 and character rules shared by key names, notes and checkpoints. */

const encoder = new TextEncoder();
// `fatal` rejects invalid UTF-8 instead of substituting U+FFFD; `ignoreBOM` keeps a leading U+FEFF as text
// instead of silently dropping it, so the text we verify is exactly the bytes that were signed.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The string, or `null` when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** A JS string with a lone surrogate has no UTF-8 encoding (TextEncoder would silently write U+FFFD). */
export function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

/** Signed notes must not contain ASCII control characters other than newline. */
export function hasForbiddenControl(text: string): boolean {
  return firstControl(text, true) >= 0;
}

/** Index of the first character below U+0020 (newline allowed or not), or -1. */
function firstControl(text: string, allowNewline: boolean): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && !(allowNewline && code === 0x0a)) return i;
  }
  return -1;
}

/**
 * C2SP signed-note key names: non-empty, no Unicode space (Go's `unicode.IsSpace`, i.e. the White_Space
 * property), no '+'. We also refuse what could never appear in a note line: other control characters and
 * lone surrogates.
 */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !name.includes('+') &&
    !/\p{White_Space}/u.test(name) &&
    firstControl(name, false) < 0 &&
    isWellFormed(name)
  );
}
