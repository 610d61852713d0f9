import { isGln } from '../gs1/identifiers';
import { bytesToBase64 } from '../bytes';
import { generateSecretKey } from '../signing/ed25519';
import { formatKeyFile, parseKeyFile } from '../signing/key-file';
import { CliError, Output } from './cli-error';
import { writeNewFile } from './files';

export interface KeygenOptions {
  out: string;
  gln?: string;
  force?: boolean;
}

export interface KeygenResult {
  file: string;
  keyId: string;
  /** Standard base64 of the 32-byte public key: what the operator registers. */
  publicKey: string;
  gln?: string;
}

/** `rxledger keygen`: a new Ed25519 key pair in a key file readable only by its owner (0600). */
export function keygen(options: KeygenOptions, output: Output): KeygenResult {
  if (options.gln !== undefined && !isGln(options.gln)) {
    throw new CliError(`--gln ${options.gln} is not a GLN (13 digits with a valid GS1 check digit)`);
  }
  const text = formatKeyFile(generateSecretKey(), options.gln === undefined ? {} : { gln: options.gln });
  writeNewFile(options.out, text, { mode: 0o600, force: options.force });
  const key = parseKeyFile(text);
  const result: KeygenResult = {
    file: options.out,
    keyId: key.keyId,
    publicKey: bytesToBase64(key.publicKey),
    ...(key.gln === undefined ? {} : { gln: key.gln }),
  };
  output.out(`key id:     ${result.keyId}`);
  output.out(`public key: ${result.publicKey}`);
  output.err(
    `wrote ${options.out} (mode 0600). Keep it secret; give the public key to the network operator to register` +
      (result.gln ? ` for ${result.gln}.` : '.'),
  );
  return result;
}
