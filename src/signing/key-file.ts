/**
 * The CLI's key file: one Ed25519 signing key as JSON,
 *
 *     { "type": "ed25519-private-key", "keyId": "…", "publicKey": "<base64>", "secretKey": "<base64 32-byte seed>",
 *       "gln": "…" }   // gln optional
 *
 * Browser-safe text in, text out: the CLI reads and writes the file (mode 0600) itself. Parsing checks everything
 * that can be checked, so a hand-edited or truncated file fails here with a clear message instead of producing
 * signatures the ledger rejects. Error messages never contain key material.
 */
import { base64ToBytes, bytesToBase64, equalBytes, isBytes } from '../bytes';
import { publicKeyOf, SECRET_KEY_LENGTH } from './ed25519';
import { keyIdOf } from './event-signing';

export const KEY_FILE_TYPE = 'ed25519-private-key';

/** The JSON members of a key file. */
export interface KeyFile {
  type: typeof KEY_FILE_TYPE;
  keyId: string;
  publicKey: string;
  secretKey: string;
  gln?: string;
}

/** A parsed key file. */
export interface SigningKey {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
  keyId: string;
  gln?: string;
}

export class KeyFileError extends Error {
  readonly code = 'KEY_FILE_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

const MEMBERS = new Set(['type', 'keyId', 'publicKey', 'secretKey', 'gln']);
const GLN_PATTERN = /^\d{13}$/;

/** The key file text (pretty-printed JSON with a final newline) for a 32-byte secret key (seed). */
export function formatKeyFile(secretKey: Uint8Array, options: { gln?: string } = {}): string {
  if (!isBytes(secretKey) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new KeyFileError(`the secret key must be a ${SECRET_KEY_LENGTH}-byte seed`);
  }
  if (options.gln !== undefined && !GLN_PATTERN.test(options.gln)) throw new KeyFileError('gln must be 13 digits');
  const publicKey = publicKeyOf(secretKey);
  const file: KeyFile = {
    type: KEY_FILE_TYPE,
    keyId: keyIdOf(publicKey),
    publicKey: bytesToBase64(publicKey),
    secretKey: bytesToBase64(secretKey),
    ...(options.gln !== undefined ? { gln: options.gln } : {}),
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Parses and checks a key file: the public key and the key id must be the ones the seed yields. */
export function parseKeyFile(text: string): SigningKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new KeyFileError('the key file is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KeyFileError('the key file must be a JSON object');
  }
  const file = parsed as Record<string, unknown>;
  for (const member of Object.keys(file)) {
    if (!MEMBERS.has(member)) throw new KeyFileError(`unknown member "${member}" in the key file`);
  }
  if (file.type !== KEY_FILE_TYPE) throw new KeyFileError(`"type" must be "${KEY_FILE_TYPE}"`);

  const secretKey = decodeMember(file, 'secretKey', `the base64 of a ${SECRET_KEY_LENGTH}-byte seed`);
  const publicKey = decodeMember(file, 'publicKey', 'the base64 of a 32-byte Ed25519 public key');
  if (!equalBytes(publicKey, publicKeyOf(secretKey))) {
    throw new KeyFileError('"publicKey" is not the public key of "secretKey"');
  }
  const keyId = keyIdOf(publicKey);
  if (file.keyId !== keyId) throw new KeyFileError(`"keyId" must be "${keyId}", the id of "publicKey"`);
  if (file.gln !== undefined && (typeof file.gln !== 'string' || !GLN_PATTERN.test(file.gln))) {
    throw new KeyFileError('"gln" must be 13 digits');
  }
  return { secretKey, publicKey, keyId, ...(file.gln !== undefined ? { gln: file.gln as string } : {}) };
}

function decodeMember(file: Record<string, unknown>, member: 'secretKey' | 'publicKey', expected: string): Uint8Array {
  const value = file[member];
  let bytes: Uint8Array | undefined;
  if (typeof value === 'string') {
    try {
      bytes = base64ToBytes(value);
    } catch {
      bytes = undefined;
    }
  }
  if (!bytes || bytes.length !== 32) throw new KeyFileError(`"${member}" must be ${expected}`);
  return bytes;
}
