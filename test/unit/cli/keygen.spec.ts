import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliError, Output } from '../../../src/cli/cli-error';
import { readKeyFile, resolveLogKey } from '../../../src/cli/files';
import { keygen } from '../../../src/cli/keygen';
import { generateNoteKey } from '../../../src/checkpoint';
import { base64ToBytes } from '../../../src/bytes';
import { keyIdOf } from '../../../src/signing/event-signing';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

describe('keygen and key files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a key file only its owner can read and prints the key id and public key', () => {
    const file = path.join(dir, 'me.key');
    const output = capture();
    const result = keygen({ out: file, gln: '0614141000005' }, output);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(keyIdOf(base64ToBytes(result.publicKey))).toBe(result.keyId);
    expect(output.lines).toEqual([`key id:     ${result.keyId}`, `public key: ${result.publicKey}`]);
    const key = readKeyFile(file, output);
    expect(key.keyId).toBe(result.keyId);
    expect(key.gln).toBe('0614141000005');
    expect(output.errors.join('\n')).not.toMatch(/warning/);
  });

  it('refuses to overwrite a file unless forced, and a forced file is 0600 too', () => {
    const file = path.join(dir, 'me.key');
    fs.writeFileSync(file, 'precious', { mode: 0o644 });
    expect(() => keygen({ out: file }, capture())).toThrow(`${file} already exists: not overwriting it (use --force`);
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
    const result = keygen({ out: file, force: true }, capture());
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readKeyFile(file).keyId).toBe(result.keyId);
  });

  it('refuses a GLN with a wrong check digit', () => {
    expect(() => keygen({ out: path.join(dir, 'k'), gln: '0614141000006' }, capture())).toThrow(
      /--gln 0614141000006 is not a GLN/,
    );
    expect(fs.existsSync(path.join(dir, 'k'))).toBe(false);
  });

  it('names the problem with a key file: missing, not a key file, readable by others', () => {
    expect(() => readKeyFile(path.join(dir, 'none'))).toThrow(
      `cannot read key file ${path.join(dir, 'none')}: no such file`,
    );
    const bad = path.join(dir, 'bad.key');
    fs.writeFileSync(bad, '{"type":"ed25519-private-key"}', { mode: 0o600 });
    expect(() => readKeyFile(bad)).toThrow(CliError);
    expect(() => readKeyFile(bad)).toThrow(/^bad key file .*bad.key: "secretKey" must be/);
    const open = path.join(dir, 'open.key');
    keygen({ out: open }, capture());
    fs.chmodSync(open, 0o644);
    const output = capture();
    readKeyFile(open, output);
    expect(output.errors).toEqual([expect.stringContaining('is readable by other users (mode 644); chmod 600 it')]);
  });

  it('takes the log key as a vkey or from a file, and names a bad one', () => {
    const { vkey } = generateNoteKey('example.com/log');
    expect(resolveLogKey(vkey).verifier.name).toBe('example.com/log');
    const file = path.join(dir, 'log.vkey');
    fs.writeFileSync(file, vkey + '\n');
    expect(resolveLogKey(file).vkey).toBe(vkey);
    expect(() => resolveLogKey(path.join(dir, 'nope'))).toThrow(/is neither a verifier key .* nor a file/);
    const broken = vkey.slice(0, -4) + 'AAA=';
    expect(() => resolveLogKey(broken)).toThrow(/^bad log verifier key: /);
  });
});
