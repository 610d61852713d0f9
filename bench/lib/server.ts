import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSignerKey, NoteVerifier, parseSignerKey } from '../../src/checkpoint';
import { freePort } from '../../src/database/free-port';
import { note } from './report';

/** The origin line of checkpoints signed by benchmark servers. */
export const BENCH_LOG_ORIGIN = 'rxledger.bench/log';

const seed = (label: string) => new Uint8Array(createHash('sha256').update(`rxledger-bench/${label}`).digest());

/**
 * Fixed, public secrets: benchmark runs are reproducible and a benchmark can check the log's signatures
 * against the key it configured rather than trusting the key the server announces.
 */
export const BENCH_SECRETS = {
  logPrivateKey: formatSignerKey(BENCH_LOG_ORIGIN, seed('log-key')),
  operatorSeed: seed('operator-key'),
  operatorToken: `rxo_bench_${Buffer.from(seed('operator-token')).toString('hex')}`,
};

/** The verifier of checkpoints signed with BENCH_SECRETS.logPrivateKey. */
export function benchLogVerifier(): NoteVerifier {
  return parseSignerKey(BENCH_SECRETS.logPrivateKey).verifier;
}

export interface BenchServer {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  host: string;
  port: number;
  pid: number;
  /** Milliseconds from spawn until /v1/health answered 200. */
  startupMs: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  databaseUrl: string;
  /** Folder for the server's DATA_DIR (nothing is written there when every secret is configured). */
  dataDir: string;
  /** Extra or overriding environment, e.g. { CHECKPOINT_INTERVAL_MS: '1000' }. */
  env?: Record<string, string>;
  /** Echo the server's output (warnings and errors at the default LOG_LEVEL=warn) to stderr. Default true. */
  echo?: boolean;
  /** Called with each whole line the server writes to stdout (e.g. its per-request timing at LOG_LEVEL=debug). */
  onStdoutLine?: (line: string) => void;
  startTimeoutMs?: number;
}

const DIST = path.resolve(__dirname, '..', '..');
const REPO = path.dirname(DIST);

/**
 * A copy of the built application (dist/src and dist/migrations) in `dir`, run against the repository's
 * node_modules. Other people build in this working tree, and `nest build` empties dist/ first: a server started
 * from the copy is immune to that during a long run.
 */
export function snapshotApp(dir: string): string {
  const app = path.join(dir, 'app');
  if (!fs.existsSync(path.join(app, 'dist', 'src', 'main.js'))) {
    for (const part of ['src', 'migrations']) {
      fs.cpSync(path.join(DIST, part), path.join(app, 'dist', part), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  }
  return path.join(app, 'dist', 'src', 'main.js');
}

/** Starts `node dist/src/main.js` as a child process on a free port of 127.0.0.1 and waits for /v1/health. */
export async function startServer(options: ServerOptions): Promise<BenchServer> {
  const host = '127.0.0.1';
  const port = await freePort();
  // BENCH_APP=<dir holding dist/src/main.js> runs another build instead (e.g. to compare before and after a change).
  const main = process.env.BENCH_APP
    ? path.resolve(process.env.BENCH_APP, 'dist', 'src', 'main.js')
    : snapshotApp(options.dataDir);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    HOST: host,
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: path.join(options.dataDir, 'server'),
    LOG_ORIGIN: BENCH_LOG_ORIGIN,
    LOG_PRIVATE_KEY: BENCH_SECRETS.logPrivateKey,
    OPERATOR_PRIVATE_KEY: Buffer.from(BENCH_SECRETS.operatorSeed).toString('base64'),
    OPERATOR_TOKEN: BENCH_SECRETS.operatorToken,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...options.env,
  };
  const started = performance.now();
  // To profile the server during a benchmark: BENCH_SERVER_NODE_ARGS=--prof (then `node --prof-process` on the log
  // it leaves in the current directory).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((arg) => arg.length > 0);
  const child = spawn(process.execPath, [...nodeArgs, main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (prefix: string) => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      if (options.echo !== false) process.stderr.write(`[server ${prefix}] ${line}\n`);
    }
  };
  child.stdout!.on('data', keep('out'));
  child.stderr!.on('data', keep('err'));
  if (options.onStdoutLine) {
    // Chunks cut lines anywhere: hand on whole lines only.
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) options.onStdoutLine!(line);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const baseUrl = `http://${host}:${port}`;
  const stop = () => stopChild(child, exited);
  try {
    await waitForHealth(baseUrl, exited, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\nlast server output:\n${output.join('\n')}`, { cause: error });
  }
  const startupMs = performance.now() - started;
  note(`server pid ${child.pid} listening on ${baseUrl} after ${startupMs.toFixed(0)} ms`);
  return { baseUrl, host, port, pid: child.pid!, startupMs, stop };
}

async function waitForHealth(baseUrl: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (gone !== undefined) throw new Error(`the server exited with code ${gone} before it was healthy`);
    try {
      const response = await fetch(`${baseUrl}/v1/health`);
      if (response.status === 200) return;
      await response.arrayBuffer();
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server did not answer /v1/health within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
