/** The CLI's file handling (Node): reading inputs and key files, writing key files, naming failures plainly. */
import * as fs from 'node:fs';
import { Ed25519NoteVerifier, parseVerifierKey } from '../checkpoint';
import { KeyFileError, parseKeyFile, SigningKey } from '../signing/key-file';
import { CliError, Output } from './cli-error';

/** The text of `file`, or of standard input for `-`. */
export function readInput(file: string, what = 'file'): string {
  if (file === '-') {
    try {
      return fs.readFileSync(0, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read standard input: ${(error as Error).message}`);
    }
  }
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${file}: ${fileReason(error)}`);
  }
}

/** A key file, checked; warns when other users may read it. */
export function readKeyFile(file: string, output?: Output): SigningKey {
  const text = readInput(file, 'key file');
  let key: SigningKey;
  try {
    key = parseKeyFile(text);
  } catch (error) {
    if (error instanceof KeyFileError) throw new CliError(`bad key file ${file}: ${error.message}`);
    throw error;
  }
  if (output && process.platform !== 'win32') {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      output.err(`warning: key file ${file} is readable by other users (mode ${mode.toString(8)}); chmod 600 it`);
    }
  }
  return key;
}

/** Writes `text` to a new file with `mode` (0600 for secrets); refuses to overwrite unless `force`. */
export function writeNewFile(file: string, text: string, options: { mode: number; force?: boolean }): void {
  let fd: number;
  try {
    fd = fs.openSync(file, options.force ? 'w' : 'wx', options.mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(`${file} already exists: not overwriting it (use --force to replace it)`);
    }
    throw new CliError(`cannot write ${file}: ${fileReason(error)}`);
  }
  try {
    // An existing file keeps its mode when opened with 'w': set it explicitly.
    fs.fchmodSync(fd, options.mode);
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** A log verifier key given as the vkey string itself or as a file holding it. */
export function resolveLogKey(value: string): { vkey: string; verifier: Ed25519NoteVerifier } {
  let vkey = value.trim();
  if (!/^[^+\s]+\+[0-9a-f]{8}\+/.test(vkey)) {
    if (!fs.existsSync(value)) {
      throw new CliError(`--log-key ${value} is neither a verifier key (<origin>+<key id>+<base64>) nor a file`);
    }
    vkey = readInput(value, 'log key file').trim();
  }
  try {
    return { vkey, verifier: parseVerifierKey(vkey) };
  } catch (error) {
    throw new CliError(`bad log verifier key: ${(error as Error).message}`);
  }
}

function fileReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message;
}
