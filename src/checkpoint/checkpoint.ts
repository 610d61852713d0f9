/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed tree head, as the text of a signed note.
 *
 *   <origin>
 *   <tree size, decimal, no leading zeros>
 *   <base64 root hash>
 *   [extension lines]
 */
import { base64ToBytesOrNull, bytesToBase64 } from '../bytes';
import { NoteError } from './errors';
import { NoteSigner, NoteVerifier } from './keys';
import { OpenedNote, openNote, signNote } from './note';
import { hasForbiddenControl, isWellFormed } from './text';

export const ROOT_HASH_SIZE = 32;

export interface Checkpoint {
  origin: string;
  /** Exact up to 2^53 - 1; a larger size is refused rather than rounded. */
  size: number;
  rootHash: Uint8Array;
  extensions: string[];
}

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  /** The note it came in: its verified signature and any cosignatures (unverified here). */
  note: OpenedNote;
}

function malformed(message: string): NoteError {
  return new NoteError('MALFORMED_CHECKPOINT', message);
}

function checkLine(line: string, what: string): void {
  if (line.length === 0) throw malformed(`${what} is empty`);
  if (line.includes('\n') || hasForbiddenControl(line)) throw malformed(`${what} contains a control character`);
  if (!isWellFormed(line)) throw malformed(`${what} is not valid Unicode`);
}

export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  checkLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`tree size must be an integer in [0, 2^53 - 1]`);
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== ROOT_HASH_SIZE) {
    throw malformed(`root hash must be ${ROOT_HASH_SIZE} bytes`);
  }
  extensions.forEach((line, i) => checkLine(line, `extension line ${i + 1}`));
  return [origin, String(size), bytesToBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('checkpoint text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('a checkpoint has at least three lines: origin, tree size, root hash');
  lines.forEach((line, i) => checkLine(line, `line ${i + 1}`));
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw malformed(`tree size ${JSON.stringify(sizeText)} is not a decimal without leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw malformed(`tree size ${sizeText} exceeds 2^53 - 1`);
  const rootHash = base64ToBytesOrNull(rootText);
  if (rootHash === null) throw malformed('root hash is not canonical base64');
  if (rootHash.length !== ROOT_HASH_SIZE)
    throw malformed(`root hash is ${rootHash.length} bytes, not ${ROOT_HASH_SIZE}`);
  return { origin, size, rootHash, extensions };
}

/** The log's key name must be the checkpoint origin, so that `openCheckpoint` can tie one to the other. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  if (signer.name !== checkpoint.origin) {
    throw new NoteError(
      'ORIGIN_MISMATCH',
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the signer's key name ${JSON.stringify(signer.name)}`,
    );
  }
  return signNote(formatCheckpoint(checkpoint), signer);
}

/** Opens a checkpoint note with the log's key: the signature must verify and the origin must be the key name. */
export function openCheckpoint(note: string | Uint8Array, verifier: NoteVerifier): OpenedCheckpoint {
  const opened = openNote(note, [verifier]);
  const checkpoint = parseCheckpoint(opened.text);
  if (checkpoint.origin !== verifier.name) {
    throw new NoteError(
      'ORIGIN_MISMATCH',
      `checkpoint origin ${JSON.stringify(checkpoint.origin)} is not the log key name ${JSON.stringify(verifier.name)}`,
    );
  }
  return { checkpoint, note: opened };
}
