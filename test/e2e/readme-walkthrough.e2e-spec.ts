import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { createTestApp, TestApp } from '../support/test-app';

const ROOT = path.resolve(__dirname, '../..');

/** The first ```sh block under the README's "A walk through the main journeys" heading. */
function readmeWalkthrough(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A walk through the main journeys'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ```sh block in "A walk through the main journeys"');
  return block[1];
}

/**
 * The README's walkthrough, run as written by bash (with `set -euo pipefail`) against a running server on a fresh
 * database: a newcomer who copies it gets a genuine verification, a bundle that verifies offline, a monitor that
 * trusts the log and a clean audit. The only change made to the text is the server's address (the test's port
 * instead of 3000). The folder it runs in looks like a checkout after `npm start`: `dist`, `node_modules` and
 * `package.json` of this repository, and `.rxledger/keys` with the operator's token and the log's key.
 */
describe('README walkthrough', () => {
  let t: TestApp;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-readme-'));
    for (const name of ['dist', 'node_modules', 'package.json'])
      fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
    fs.mkdirSync(path.join(dir, '.rxledger', 'keys'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.rxledger', 'keys', 'operator.token'), t.secrets.operatorToken, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, '.rxledger', 'keys', 'log.skey'), t.secrets.logSignerKey, { mode: 0o600 });
  });

  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs from start to end and shows what it says', async () => {
    const script = readmeWalkthrough().replaceAll('http://localhost:3000', url);
    expect(script).toContain(url);
    const { stdout, stderr } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: t.databaseUrl, LOG_FORMAT: 'text' },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(
        `the walkthrough failed: ${error.message}\n--- stdout\n${error.stdout}\n--- stderr\n${error.stderr}`,
      );
    });
    const output = stdout + stderr;
    expect(output).toMatch(/posted 3 event\(s\) in 1 batch\(es\): 3 accepted .* 3 inclusion proofs verified/);
    expect(output).toContain('accepted  r-1');
    expect(output).toMatch(/"verdict":"genuine","reasons":\[\]/);
    expect(output).toContain('"heldByRequester":true');
    expect(output).toMatch(/result: +OK: the checkpoint, every inclusion proof/);
    expect(output).toContain('TRUST ON FIRST USE');
    expect(output).toContain('OK: the log tables agree with the events and every signed checkpoint');
    expect(output).not.toMatch(/^refused |[1-9]\d* refused|FAIL/m);
  });
});
