export type NoteErrorCode =
  /** The bytes are not a signed note: bad UTF-8, control characters, no signature block, bad signature line. */
  | 'MALFORMED_NOTE'
  /** Well formed, but no signature by a known key (the text must not be trusted). */
  | 'UNVERIFIED_NOTE'
  /** A signature by a known key does not verify: the whole note is rejected. */
  | 'INVALID_SIGNATURE'
  /** Two configured verifiers share a key name and key ID. */
  | 'AMBIGUOUS_KEY'
  /** A verifier or signer key (vkey / skey string, public key, seed or key name) is unusable. */
  | 'INVALID_KEY'
  /** Text that cannot be signed as a note (empty, no final newline, control characters, ...). */
  | 'INVALID_TEXT'
  /** A note body that is not a C2SP tlog-checkpoint. */
  | 'MALFORMED_CHECKPOINT'
  /** The checkpoint's origin is not the name of the log key that opened it. */
  | 'ORIGIN_MISMATCH';

export class NoteError extends Error {
  constructor(
    readonly code: NoteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NoteError';
  }
}
