/**
 * `rxledger verify-bundle` and `rxledger monitor` as a user runs them: exit codes, what they print, and the monitor's
 * state file (created on first use, 0600, replaced only by a checkpoint that verifies).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Output } from '../../../src/cli/cli-error';
import { monitorCommand, parseDuration } from '../../../src/cli/monitor.command';
import { run } from '../../../src/cli/program';
import { copy, journey, MemoryLog } from './memory-log';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-bundle-cli-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('rxledger verify-bundle', () => {
  const j = journey();
  const bundle = j.bundleOfLot('LOT-A');

  it('prints a summary and exits 0 when everything holds', async () => {
    const file = path.join(dir, 'lot-a.bundle.json');
    fs.writeFileSync(file, JSON.stringify(bundle, null, 2));
    const output = capture();
    expect(await run(['verify-bundle', file, '--log-key', j.log.vkey], output)).toBe(0);
    expect(output.lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^checkpoint: rxledger.test/log, size ${j.log.size}, root \\S+ \\(signed by the trusted log key\\)$`,
        ),
      ),
      'contents:   6 registry events, 13 events, 6 items; 19 signatures verified',
      expect.stringMatching(/^statement: +export \S+, signed by the operator, logged at log index \d+ \(prove it with/),
      expect.stringMatching(/^result: +OK/),
    ]);
    expect(output.errors).toEqual([expect.stringMatching(/^verified 19 events in [\d.]+ s \(\d+ events\/s\)$/)]);
  });

  it('names every failure and exits 1', async () => {
    const tampered = copy(bundle);
    tampered.events[4].event.body.children = ['(00)106141411234567897'];
    const file = path.join(dir, 'tampered.bundle.json');
    fs.writeFileSync(file, JSON.stringify(tampered));
    const output = capture();
    expect(await run(['verify-bundle', file, '--log-key', j.log.vkey], output)).toBe(1);
    expect(output.lines).toContainEqual(expect.stringMatching(/^result: +FAILED: \d+ failures$/));
    expect(output.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^  \\[inclusion\\] \\(log index ${tampered.events[4].index}\\) events\\[4\\]: the inclusion proof`),
      ),
    );
  });

  it('prints the report as JSON', async () => {
    const file = path.join(dir, 'lot-a.json');
    fs.writeFileSync(file, JSON.stringify(bundle));
    const output = capture();
    expect(await run(['verify-bundle', file, '--log-key', j.log.vkey, '--json'], output)).toBe(0);
    expect(JSON.parse(output.lines.join('\n'))).toMatchObject({ ok: true, counts: { events: 13, items: 6 } });
  });

  it('says plainly when the file cannot be read', async () => {
    const output = capture();
    expect(await run(['verify-bundle', path.join(dir, 'nope.json'), '--log-key', j.log.vkey], output)).toBe(1);
    expect(output.errors).toEqual([expect.stringMatching(/^rxledger: cannot read bundle .*nope.json: no such file$/)]);
  });
});

describe('rxledger monitor', () => {
  /** Serves `log` (or whatever `serve` says) as the log's HTTP API would. */
  function server(get: () => { log: MemoryLog; size?: number }) {
    return (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      const { log, size = log.size } = get();
      if (url.pathname === '/v1/log/checkpoint') return new Response(log.checkpoint(size), { status: 200 });
      if (url.pathname === '/v1/log/proof/consistency') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        return Response.json({ from, to, hashes: log.consistencyProof(from, to) });
      }
      return Response.json({ error: { code: 'NOT_FOUND', message: 'no' } }, { status: 404 });
    }) as typeof fetch;
  }

  function grow(log: MemoryLog, count: number): void {
    for (let i = 0; i < count; i++) log.appendLeafHash(randomBytes(32));
  }

  it('trusts on first use (loudly, 0600), follows consistent growth, and keeps its state on a fork', async () => {
    const log = new MemoryLog();
    grow(log, 5);
    let served = { log };
    const fetch = server(() => served);
    const state = path.join(dir, 'monitor.state');
    const options = { url: 'http://ledger.test', logKey: log.vkey, state, once: true };

    const first = capture();
    expect(await monitorCommand(options, first, { fetch })).toBe(0);
    expect(first.errors.join('\n')).toMatch(/TRUST ON FIRST USE: .*monitor.state did not exist[\s\S]*size 5, root/);
    expect(fs.statSync(state).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(state, 'utf8'))).toMatchObject({ size: 5, checkpoint: log.checkpoint(5) });

    grow(log, 6);
    const second = capture();
    expect(await monitorCommand(options, second, { fetch })).toBe(0);
    expect(second.lines).toEqual([
      expect.stringMatching(/ ok: size 5 -> 11, root \S+ \(consistency proof verified\)$/),
    ]);
    expect(JSON.parse(fs.readFileSync(state, 'utf8'))).toMatchObject({ size: 11 });

    const unchanged = capture();
    expect(await monitorCommand(options, unchanged, { fetch })).toBe(0);
    expect(unchanged.lines).toEqual([expect.stringMatching(/ ok: unchanged at size 11/)]);

    // Another history of 11 entries, signed with the same key.
    const fork = new MemoryLog(log.signer);
    grow(fork, 11);
    served = { log: fork };
    const before = fs.readFileSync(state, 'utf8');
    const alarm = capture();
    expect(await monitorCommand({ ...options, json: true }, alarm, { fetch })).toBe(1);
    expect(alarm.errors.join('\n')).toMatch(
      /ALARM: FORK at http:\/\/ledger.test[\s\S]*trusted: size 11[\s\S]*served: +size 11/,
    );
    expect(JSON.parse(alarm.lines[0])).toMatchObject({
      status: 'alarm',
      problem: 'fork',
      checkpoint: fork.checkpoint(),
    });
    expect(fs.readFileSync(state, 'utf8')).toBe(before);

    // A rollback to an older checkpoint of the real log.
    served = { log, size: 7 } as typeof served;
    const rollback = capture();
    expect(await monitorCommand(options, rollback, { fetch })).toBe(1);
    expect(rollback.errors.join('\n')).toMatch(/ALARM: ROLLBACK[\s\S]*trusted: size 11[\s\S]*served: +size 7/);
    expect(fs.readFileSync(state, 'utf8')).toBe(before);
  });

  it('refuses a state file it cannot verify instead of trusting anew', async () => {
    const log = new MemoryLog();
    grow(log, 3);
    const state = path.join(dir, 'edited.state');
    const fetch = server(() => ({ log }));
    await monitorCommand({ url: 'http://ledger.test', logKey: log.vkey, state, once: true }, capture(), { fetch });
    const edited = JSON.parse(fs.readFileSync(state, 'utf8'));
    edited.size = 2;
    fs.writeFileSync(state, JSON.stringify(edited));
    await expect(
      monitorCommand({ url: 'http://ledger.test', logKey: log.vkey, state, once: true }, capture(), { fetch }),
    ).rejects.toThrow(/is not usable \(its size or root is not that of its signed checkpoint\)/);
  });

  it('keeps watching until stopped, alarming at every bad answer', async () => {
    const log = new MemoryLog();
    grow(log, 4);
    const state = path.join(dir, 'watch.state');
    const other = new MemoryLog();
    grow(other, 4);
    let polls = 0;
    const controller = new AbortController();
    const honest = server(() => ({ log }));
    const impostor = server(() => ({ log: other }));
    const switching = ((input: string | URL | Request) => {
      if (String(input).endsWith('/checkpoint') && ++polls >= 4) controller.abort();
      return (polls >= 2 ? impostor : honest)(input);
    }) as typeof fetch;
    const output = capture();
    const code = await monitorCommand({ url: 'http://ledger.test', logKey: log.vkey, state, interval: 100 }, output, {
      fetch: switching,
      signal: controller.signal,
    });
    expect(code).toBe(1);
    expect(output.errors.filter((line) => /ALARM: BAD SIGNATURE/.test(line))).toHaveLength(3);
  });

  it('reads durations', () => {
    expect([parseDuration('10s'), parseDuration('500ms'), parseDuration('2m'), parseDuration('3')]).toEqual([
      10_000, 500, 120_000, 3000,
    ]);
    expect(() => parseDuration('soon')).toThrow(/expected a duration/);
  });
});
