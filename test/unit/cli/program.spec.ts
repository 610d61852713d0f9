import { CliError, Output } from '../../../src/cli/cli-error';
import { CommandHandlers, run } from '../../../src/cli/program';
import { LedgerHttpError } from '../../../src/sdk/client';

function capture(): Output & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (line) => lines.push(line), err: (line) => errors.push(line) };
}

/** Handlers that record the options they were given. */
function recording(): { calls: [string, unknown][]; handlers: CommandHandlers } {
  const calls: [string, unknown][] = [];
  const handler = (name: string) => async (options?: unknown) => {
    calls.push([name, options]);
    return 0;
  };
  const handlers = {
    keygen: handler('keygen'),
    sign: handler('sign'),
    post: handler('post'),
    checkpoint: handler('checkpoint'),
    prove: handler('prove'),
    consistency: handler('consistency'),
    audit: handler('audit'),
    migrate: handler('migrate'),
  } as CommandHandlers;
  return { calls, handlers };
}

const VKEY = 'example.com/log+12345678+AQ==';

describe('rxledger argument parsing', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it.each([
    [['keygen', '--out', 'k.json', '--gln', '0614141000005'], 'keygen', { out: 'k.json', gln: '0614141000005' }],
    [['keygen', '--out', 'k.json', '--force'], 'keygen', { out: 'k.json', force: true }],
    [['sign', '--key', 'k.json', '-'], 'sign', { key: 'k.json', file: '-' }],
    [
      [
        'post',
        '--url',
        'http://h:1',
        '--token',
        't',
        '--key',
        'k',
        '--batch',
        '50',
        '--wait',
        '--log-key',
        VKEY,
        '--json',
        'e.ndjson',
      ],
      'post',
      { url: 'http://h:1', token: 't', key: 'k', batch: 50, wait: true, logKey: VKEY, json: true, file: 'e.ndjson' },
    ],
    [
      ['post', '--url', 'u', '--token', 't', '--ndjson', '-'],
      'post',
      { url: 'u', token: 't', ndjson: true, file: '-' },
    ],
    [
      ['checkpoint', '--url', 'u', '--log-key', VKEY, '--save', 'cp.txt'],
      'checkpoint',
      { url: 'u', logKey: VKEY, save: 'cp.txt' },
    ],
    [['prove', '--url', 'u', '--log-key', VKEY, '--index', '0'], 'prove', { url: 'u', logKey: VKEY, index: 0 }],
    [
      ['prove', '--url', 'u', '--log-key', VKEY, '--leaf-hash', 'abc'],
      'prove',
      { url: 'u', logKey: VKEY, leafHash: 'abc' },
    ],
    [
      ['consistency', '--url', 'u', '--log-key', VKEY, '--from', '12'],
      'consistency',
      { url: 'u', logKey: VKEY, from: 12 },
    ],
    [
      ['consistency', '--url', 'u', '--log-key', VKEY, '--from-checkpoint', 'cp.txt'],
      'consistency',
      { url: 'u', logKey: VKEY, fromCheckpoint: 'cp.txt' },
    ],
    [['audit', '--json', '--no-progress'], 'audit', { json: true, progress: false }],
    [['audit', '--log-key', VKEY], 'audit', { logKey: VKEY }],
  ])('%j runs %s with %j', async (argv, command, options) => {
    delete process.env.RXLEDGER_URL;
    delete process.env.RXLEDGER_TOKEN;
    delete process.env.RXLEDGER_LOG_KEY;
    const { calls, handlers } = recording();
    const output = capture();
    expect(await run(argv, output, handlers)).toBe(0);
    expect(output.errors).toEqual([]);
    expect(calls).toEqual([[command, options]]);
  });

  it('takes the URL, token and log key from the environment', async () => {
    process.env.RXLEDGER_URL = 'http://ledger:3000';
    process.env.RXLEDGER_TOKEN = 'rx_secret';
    process.env.RXLEDGER_LOG_KEY = VKEY;
    const { calls, handlers } = recording();
    expect(await run(['post', 'e.json'], capture(), handlers)).toBe(0);
    expect(calls[0][1]).toMatchObject({ url: 'http://ledger:3000', token: 'rx_secret', logKey: VKEY });
  });

  it.each([
    [['post', '--url', 'u', 'e.json'], /required option '--token <token>' not specified/],
    [
      ['post', '--url', 'u', '--token', 't', '--batch', '0', 'e.json'],
      /'--batch <n>' argument '0' is invalid. expected an integer of at least 1/,
    ],
    [['prove', '--url', 'u', '--log-key', VKEY, '--index', '-1'], /argument '-1' is invalid/],
    [['prove', '--url', 'u', '--log-key', VKEY, '--index', '1.5'], /argument '1.5' is invalid/],
    [['checkpoint', '--url', 'u'], /required option '--log-key <vkey\|file>' not specified/],
    [['keygen'], /required option '--out <file>' not specified/],
    [['sign', '--key', 'k'], /missing required argument 'event-file'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['keygen', '--out', 'k', '--colour'], /unknown option '--colour'/],
  ])('%j is a usage error (exit 2): %s', async (argv, message) => {
    delete process.env.RXLEDGER_URL;
    delete process.env.RXLEDGER_TOKEN;
    delete process.env.RXLEDGER_LOG_KEY;
    const { calls, handlers } = recording();
    const output = capture();
    expect(await run(argv, output, handlers)).toBe(2);
    expect(output.errors.join('\n')).toMatch(message);
    expect(calls).toEqual([]);
  });

  it('prints help (exit 0) and usage without a command (exit 2)', async () => {
    const help = capture();
    expect(await run(['--help'], help, recording().handlers)).toBe(0);
    expect(help.lines.join('\n')).toMatch(/Commands:[\s\S]*keygen[\s\S]*consistency[\s\S]*audit/);
    expect(await run([], capture(), recording().handlers)).toBe(2);
  });

  it('reports a failing command in one plain line and exits with its code', async () => {
    const output = capture();
    const failing = { keygen: async () => Promise.reject(new CliError('k.json already exists', 3)) };
    expect(await run(['keygen', '--out', 'k.json'], output, failing)).toBe(3);
    expect(output.errors).toEqual(['rxledger: k.json already exists']);

    const http = capture();
    const refused = {
      checkpoint: async () =>
        Promise.reject(
          new LedgerHttpError(
            'GET',
            '/v1/log/checkpoint',
            404,
            'NO_CHECKPOINT',
            'no checkpoint has been published yet',
          ),
        ),
    };
    expect(await run(['checkpoint', '--url', 'u', '--log-key', VKEY], http, refused)).toBe(1);
    expect(http.errors).toEqual([
      'rxledger: GET /v1/log/checkpoint: HTTP 404 NO_CHECKPOINT: no checkpoint has been published yet',
    ]);
  });

  it('passes on the exit code a command returns', async () => {
    expect(await run(['migrate'], capture(), { migrate: async () => 1 })).toBe(1);
  });
});
