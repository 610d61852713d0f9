/**
 * C2SP signed notes (https://c2sp.org/signed-note), following golang.org/x/mod/sumdb/note:
 *
 *   <text, ending in a newline>
 *   <blank line>
 *   — <key name> base64(4-byte key ID || signature)      one line per signature, em dash U+2014
 *
 * The signed message is the text including its final newline, without the blank separator line.
 */
import { base64ToBytesOrNull, bytesToBase64 } from '../bytes';
import { NoteError } from './errors';
import { KEY_ID_LENGTH, NoteSigner, NoteVerifier, keyIdHex } from './keys';
import { decodeUtf8, hasForbiddenControl, isValidKeyName, isWellFormed, utf8 } from './text';

/**
 * The spec asks verifiers to cap the signatures (at no fewer than 16); Go's reference uses 100. The byte cap
 * bounds the work done on hostile input; notes this library handles are well under a kilobyte.
 */
export const MAX_NOTE_SIGNATURES = 100;
export const MAX_NOTE_BYTES = 1 << 20;

const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** The signature bytes, without the key ID. */
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  /** Untrusted until a signature by a trusted key has been verified. */
  readonly text: string;
  readonly signatures: NoteSignature[];
}

export interface OpenedNote {
  readonly text: string;
  /** Verified signatures by the given verifiers, one per key, in note order. */
  readonly signatures: NoteSignature[];
  /** Signatures by keys we were not given (e.g. witness cosignatures), not checked, duplicates dropped. */
  readonly unverifiedSignatures: NoteSignature[];
}

function malformed(message: string): NoteError {
  return new NoteError('MALFORMED_NOTE', message);
}

function checkText(text: string): void {
  if (typeof text !== 'string' || text.length === 0) throw new NoteError('INVALID_TEXT', 'note text is empty');
  if (!text.endsWith('\n')) throw new NoteError('INVALID_TEXT', 'note text must end with a newline');
  if (hasForbiddenControl(text)) {
    throw new NoteError('INVALID_TEXT', 'note text must not contain control characters other than newline');
  }
  if (!isWellFormed(text)) throw new NoteError('INVALID_TEXT', 'note text is not valid Unicode (lone surrogate)');
}

/** Signs `text` with one or more keys and returns the signed note. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  checkText(text);
  const list: readonly NoteSigner[] = Array.isArray(signers) ? signers : [signers as NoteSigner];
  if (list.length === 0) throw new NoteError('INVALID_KEY', 'a note needs at least one signer');
  const message = utf8(text);
  const seen = new Set<string>();
  const lines = list.map((signer) => {
    if (!isValidKeyName(signer.name))
      throw new NoteError('INVALID_KEY', `invalid key name ${JSON.stringify(signer.name)}`);
    if (signer.keyId.length !== KEY_ID_LENGTH) throw new NoteError('INVALID_KEY', 'a key ID is 4 bytes');
    const id = `${signer.name}+${keyIdHex(signer.keyId)}`;
    if (seen.has(id)) throw new NoteError('INVALID_KEY', `key ${id} is listed twice`);
    seen.add(id);
    const signature = signer.sign(message);
    return `${SIGNATURE_PREFIX}${signer.name} ${bytesToBase64(Uint8Array.of(...signer.keyId, ...signature))}\n`;
  });
  const note = `${text}\n${lines.join('')}`;
  if (utf8(note).length > MAX_NOTE_BYTES)
    throw new NoteError('INVALID_TEXT', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  return note;
}

/**
 * Splits a note into its text and signature lines and checks the syntax, without verifying anything. Use
 * `openNote` unless you only need to look at the signature lines (the text must not be trusted).
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const { text, lines } = splitNote(note);
  return { text, signatures: lines.map((line) => line.signature) };
}

interface SignatureLine {
  line: string;
  signature: NoteSignature;
}

function splitNote(note: string | Uint8Array): { text: string; lines: SignatureLine[] } {
  let decoded: string;
  if (typeof note === 'string') {
    if (!isWellFormed(note)) throw malformed('note is not valid Unicode (lone surrogate)');
    if (note.length > MAX_NOTE_BYTES || utf8(note).length > MAX_NOTE_BYTES) {
      throw malformed(`note exceeds ${MAX_NOTE_BYTES} bytes`);
    }
    decoded = note;
  } else {
    if (note.length > MAX_NOTE_BYTES) throw malformed(`note exceeds ${MAX_NOTE_BYTES} bytes`);
    const text = decodeUtf8(note);
    if (text === null) throw malformed('note is not valid UTF-8');
    decoded = text;
  }
  if (hasForbiddenControl(decoded)) throw malformed('note contains a control character other than newline');

  // The text may itself contain blank lines: the signatures start after the last one.
  const split = decoded.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = decoded.slice(0, split + 1);
  const block = decoded.slice(split + 2);
  if (block.length === 0) throw malformed('no signature lines');
  if (!block.endsWith('\n')) throw malformed('the last signature line does not end with a newline');

  const rawLines = block.slice(0, -1).split('\n');
  if (rawLines.length > MAX_NOTE_SIGNATURES) throw malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  const lines = rawLines.map((line, i) => ({ line, signature: parseSignatureLine(line, i + 1) }));
  return { text, lines };
}

function parseSignatureLine(line: string, number: number): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed(`signature line ${number} does not start with "— "`);
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? rest : rest.slice(0, space);
  const encoded = space < 0 ? '' : rest.slice(space + 1);
  if (!isValidKeyName(name)) throw malformed(`signature line ${number} has an invalid key name`);
  const bytes = encoded === '' ? null : base64ToBytesOrNull(encoded);
  if (bytes === null) throw malformed(`signature line ${number} is not "— <name> <base64>"`);
  if (bytes.length <= KEY_ID_LENGTH)
    throw malformed(`signature line ${number} is too short for a key ID and signature`);
  return { name, keyId: bytes.slice(0, KEY_ID_LENGTH), signature: bytes.slice(KEY_ID_LENGTH) };
}

/**
 * Parses a signed note and verifies it against the trusted `verifiers`, per the spec:
 * - signatures by unknown keys (name and key ID not both matching a verifier) are ignored;
 * - every signature by a known key is verified, and one that fails rejects the whole note (INVALID_SIGNATURE);
 * - at least one signature by a known key is required (UNVERIFIED_NOTE).
 *
 * Repeated identical lines are dropped, as in the Go reference, and a key that signed more than once is
 * reported once: a note never counts as signed by more keys than it really is.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const byKey = new Map<string, NoteVerifier[]>();
  for (const verifier of verifiers) {
    const id = `${verifier.name}+${keyIdHex(verifier.keyId)}`;
    byKey.set(id, [...(byKey.get(id) ?? []), verifier]);
  }

  const { text, lines } = splitNote(note);
  const message = utf8(text);
  const signatures: NoteSignature[] = [];
  const unverifiedSignatures: NoteSignature[] = [];
  const seenLines = new Set<string>();
  const verifiedKeys = new Set<string>();
  for (const { line, signature } of lines) {
    if (seenLines.has(line)) continue;
    seenLines.add(line);
    const id = `${signature.name}+${keyIdHex(signature.keyId)}`;
    const candidates = byKey.get(id);
    if (candidates === undefined) {
      unverifiedSignatures.push(signature);
      continue;
    }
    if (candidates.length > 1) throw new NoteError('AMBIGUOUS_KEY', `more than one verifier for key ${id}`);
    if (!candidates[0].verify(message, signature.signature)) {
      throw new NoteError('INVALID_SIGNATURE', `invalid signature for key ${id}`);
    }
    if (!verifiedKeys.has(id)) {
      verifiedKeys.add(id);
      signatures.push(signature);
    }
  }
  if (signatures.length === 0) {
    throw new NoteError('UNVERIFIED_NOTE', 'note has no signature by a known key');
  }
  return { text, signatures, unverifiedSignatures };
}
