export type { NoteErrorCode } from './errors';
export { NoteError } from './errors';
export { isValidKeyName } from './text';
export type { NoteVerifier, NoteSigner, Ed25519NoteVerifier, Ed25519NoteSigner } from './keys';
export {
  ED25519_SIGNATURE_TYPE,
  KEY_ID_LENGTH,
  ed25519KeyId,
  keyIdHex,
  ed25519Verifier,
  ed25519Signer,
  formatVerifierKey,
  parseVerifierKey,
  formatSignerKey,
  parseSignerKey,
  generateNoteKey,
} from './keys';
export type { NoteSignature, ParsedNote, OpenedNote } from './note';
export { MAX_NOTE_SIGNATURES, MAX_NOTE_BYTES, signNote, parseNote, openNote } from './note';
export type { Checkpoint, OpenedCheckpoint } from './checkpoint';
export { ROOT_HASH_SIZE, formatCheckpoint, parseCheckpoint, signCheckpoint, openCheckpoint } from './checkpoint';
