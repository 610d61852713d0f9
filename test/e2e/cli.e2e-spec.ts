import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { formatVerifierKey, generateNoteKey, parseSignerKey, signCheckpoint } from '../../src/checkpoint';
import { CliError, Output } from '../../src/cli/cli-error';
import { keygen } from '../../src/cli/keygen';
import { checkpointCommand, consistencyCommand, proveCommand } from '../../src/cli/log-commands';
import { VerificationError } from '../../src/cli/log-proofs';
import { postCommand } from '../../src/cli/post';
import { run } from '../../src/cli/program';
import { auditCommand } from '../../src/cli/server-commands';
import { createTestApp, newGln, testAddress, TestApp } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

/** NDJSON of unsigned notes. With a time given, signing is deterministic: posting the file again is a replay. */
const notes = (prefix: string, count: number, time = new Date().toISOString()) =>
  Array.from({ length: count }, (_, i) =>
    JSON.stringify({ id: `${prefix}-${i}`, type: 'test.note', time, body: { text: `${prefix} ${i}` } }),
  ).join('\n') + '\n';

/**
 * The partner's journey with the CLI against a live server: make a key, get it registered, post events from an
 * NDJSON file and verify every receipt, then check inclusion and consistency against the log's key; and the
 * operator's audit of the same database.
 */
describe('rxledger CLI against a running server', () => {
  let t: TestApp;
  let url: string;
  let logKey: string;
  let dir: string;
  let token: string;
  let keyFile: string;
  const gln = newGln();

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    // What the operator hands out of band.
    const signer = parseSignerKey(t.secrets.logSignerKey);
    logKey = formatVerifierKey(signer.name, signer.publicKey);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-cli-e2e-'));
    keyFile = path.join(dir, 'distributor.key');
  });

  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keygen → registration by the operator → post NDJSON with --wait, every receipt verified', async () => {
    const key = keygen({ out: keyFile, gln }, capture());
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    const registered = await t.http
      .post('/v1/parties')
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ gln, name: 'CLI Distributor', role: 'distributor', address: testAddress, publicKeys: [key.publicKey] });
    expect(registered.status).toBe(201);
    expect(registered.body.party.keys[0].keyId).toBe(key.keyId);
    const issued = await t.http
      .post(`/v1/parties/${gln}/tokens`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ label: 'cli' });
    token = issued.body.token;

    const file = path.join(dir, 'notes.ndjson');
    fs.writeFileSync(file, notes('first', 300));
    const output = capture();
    const summary = await postCommand({ url, token, file, key: keyFile, batch: 100, wait: true, logKey }, output);
    expect(summary).toMatchObject({ accepted: 300, duplicates: 0, refused: 0, verified: 300, verificationFailures: 0 });
    expect(summary.checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(output.lines).toHaveLength(300);
    expect(output.lines[0]).toMatch(/^accepted {2}first-0: index \d+, in checkpoint \d+ \(verified\)$/);
    expect(output.errors[output.errors.length - 1]).toMatch(
      /^posted 300 event\(s\) in 3 batch\(es\): 300 accepted \(0 already logged\), 0 refused; 300 inclusion proofs verified/,
    );

    // Posting the same file again appends nothing: the same receipts, still verified.
    const again = await postCommand({ url, token, file, key: keyFile, wait: true, logKey, json: true }, capture());
    expect(again).toMatchObject({ accepted: 300, duplicates: 300, verified: 300, verificationFailures: 0 });
    expect(again.events.map((e) => e.index)).toEqual(summary.events.map((e) => e.index));
  });

  it('exits 1 and says why when an event is refused, through the real command line', async () => {
    const file = path.join(dir, 'mixed.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { id: 'ok-1', type: 'test.note', body: { text: 'fine' } },
        { id: 'bad-1', type: 'no.such.type', body: {} },
      ]),
    );
    const output = capture();
    const code = await run(['post', '--url', url, '--token', token, '--key', keyFile, '--json', file], output);
    expect(code).toBe(1);
    const results = output.lines.map((line) => JSON.parse(line));
    expect(results[0]).toMatchObject({ eventId: 'ok-1', accepted: true });
    expect(results[1]).toMatchObject({ eventId: 'bad-1', accepted: false, error: { code: 'EVENT_TYPE_UNKNOWN' } });
  });

  it('names the HTTP status and error code when the server refuses the request', async () => {
    const file = path.join(dir, 'one.json');
    fs.writeFileSync(file, JSON.stringify({ id: 'x-1', type: 'test.note', body: { text: 'x' } }));
    const output = capture();
    expect(
      await run(['post', '--url', url, '--token', 'rx_wrong_token_wrong_token', '--key', keyFile, file], output),
    ).toBe(1);
    expect(output.errors.join('\n')).toMatch(
      /batch 1 of 1 \(events 1 to 1\) failed: POST \/v1\/events\/batch: HTTP 401 UNAUTHENTICATED: .*; nothing was posted/,
    );
  });

  it('checkpoint → more events → prove (by index and by leaf hash) → consistency (from a size and from a kept checkpoint)', async () => {
    const saved = path.join(dir, 'checkpoint.txt');
    const old = await checkpointCommand({ url, logKey, save: saved }, capture());
    expect(old.origin).toBe(t.config.LOG_ORIGIN);
    expect(fs.readFileSync(saved, 'utf8')).toBe(old.note);

    const file = path.join(dir, 'more.ndjson');
    fs.writeFileSync(file, notes('second', 40));
    const posted = await postCommand({ url, token, file, key: keyFile, wait: true, logKey }, capture());
    expect(posted.verified).toBe(40);

    const first = posted.events[0];
    const byIndex = await proveCommand({ url, logKey, index: first.index }, capture());
    expect(byIndex).toMatchObject({ index: first.index, leafHash: first.leafHash });
    expect(byIndex.treeSize).toBeGreaterThan(first.index!);
    const hex = Buffer.from(first.leafHash!, 'base64').toString('hex');
    const byHash = await proveCommand({ url, logKey, leafHash: hex }, capture());
    expect(byHash.index).toBe(first.index);

    const fromSize = await consistencyCommand({ url, logKey, from: 123 }, capture());
    expect(fromSize).toMatchObject({ from: 123, fromRootSource: 'tiles' });
    expect(fromSize.to).toBeGreaterThanOrEqual(old.size + 40);
    const output = capture();
    const fromKept = await consistencyCommand({ url, logKey, fromCheckpoint: saved }, output);
    expect(fromKept).toMatchObject({ from: old.size, fromRoot: old.rootHash, fromRootSource: 'checkpoint' });
    expect(output.lines[output.lines.length - 1]).toMatch(/^verified: the log of \d+ entries extends the log of \d+/);
  });

  it('refuses what the log key does not vouch for', async () => {
    const stranger = generateNoteKey(t.config.LOG_ORIGIN).vkey;
    await expect(checkpointCommand({ url, logKey: stranger }, capture())).rejects.toThrow(VerificationError);
    await expect(proveCommand({ url, logKey: stranger, index: 0 }, capture())).rejects.toThrow(
      /the latest checkpoint of http:\/\/127.0.0.1:\d+ does not verify with the log key/,
    );
    // A forged "kept" checkpoint: signed by another key for the same origin.
    const forged = path.join(dir, 'forged.txt');
    const other = generateNoteKey(t.config.LOG_ORIGIN);
    fs.writeFileSync(
      forged,
      signCheckpoint(
        { origin: t.config.LOG_ORIGIN, size: 5, rootHash: new Uint8Array(32), extensions: [] },
        parseSignerKey(other.skey),
      ),
    );
    await expect(consistencyCommand({ url, logKey, fromCheckpoint: forged }, capture())).rejects.toThrow(
      /the checkpoint in .*forged.txt does not verify with the log key/,
    );
    // A real kept checkpoint whose root does not match the log (e.g. the log was rewritten): NOT CONSISTENT.
    const signer = parseSignerKey(t.secrets.logSignerKey);
    fs.writeFileSync(
      forged,
      signCheckpoint({ origin: signer.name, size: 5, rootHash: new Uint8Array(32), extensions: [] }, signer),
    );
    await expect(consistencyCommand({ url, logKey, fromCheckpoint: forged }, capture())).rejects.toThrow(
      /NOT CONSISTENT: the tree of 5 leaves/,
    );
  });

  it('warns that trusting the server’s own key is trust on first use', async () => {
    const file = path.join(dir, 'tofu.json');
    fs.writeFileSync(file, JSON.stringify({ id: 'tofu-1', type: 'test.note', body: { text: 'x' } }));
    const output = capture();
    const summary = await postCommand({ url, token, file, key: keyFile, wait: true }, output);
    expect(summary.verified).toBe(1);
    expect(output.errors[0]).toMatch(
      /^warning: no --log-key given; trusting the key the server states .* trust on first use/,
    );
  });

  it('audits the server’s database: with --log-key, and with the log key from the configuration', async () => {
    await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
    const env = { DATABASE_URL: t.databaseUrl, DATA_DIR: path.join(dir, 'data') };
    const output = capture();
    const report = await auditCommand({ logKey, progress: false }, output, env);
    expect(report.ok).toBe(true);
    expect(report.entries).toBeGreaterThan(340);
    expect(output.lines.join('\n')).toMatch(/OK: the log tables agree with the events and every signed checkpoint/);

    const configured = await auditCommand({ json: true, progress: false }, capture(), {
      ...env,
      LOG_PRIVATE_KEY: t.secrets.logSignerKey,
    });
    expect(configured.ok).toBe(true);
    await expect(auditCommand({}, capture(), env)).rejects.toThrow(CliError);
    await expect(auditCommand({}, capture(), env)).rejects.toThrow(
      /no log key: LOG_PRIVATE_KEY is not set and .*log.skey does not exist/,
    );
  });
});
