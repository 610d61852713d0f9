/**
 * The real server (`node dist/src/main.js`) as a child process, for tests that must kill it the hard way.
 * Every child started here is killed when the test process exits, whatever happens to the test.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');
export const SERVER_ENTRY = path.join(PROJECT_ROOT, 'dist/src/main.js');

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** `npm test` builds first (pretest); when run on its own, build if dist is missing. */
export function ensureBuilt(): void {
  if (fs.existsSync(SERVER_ENTRY)) return;
  execFileSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (!fs.existsSync(SERVER_ENTRY)) throw new Error(`npm run build did not produce ${SERVER_ENTRY}`);
}

export class ServerProcess {
  /** Recent stdout and stderr lines, for diagnosing a failure. */
  readonly output: string[] = [];
  readonly exited: Promise<number | string | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
      if (this.output.length > 2000) this.output.splice(0, this.output.length - 2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
    void this.exited.then(() => children.delete(child));
  }

  /**
   * Starts the server with exactly `env` (plus PATH and HOME) and waits until /v1/health answers 200 (or the
   * status `ready` accepts: 503 while the database is still away).
   */
  static async start(
    env: Record<string, string>,
    timeoutMs = 30_000,
    ready: (status: number) => boolean = (status) => status === 200,
  ): Promise<ServerProcess> {
    // Several engineers share the working tree: someone's `nest build` empties dist for a few seconds.
    for (let waited = 0; !fs.existsSync(SERVER_ENTRY) && waited < 60_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const server = new ServerProcess(child, `http://${env.HOST ?? '127.0.0.1'}:${env.PORT}`);
    let exitedEarly: number | string | null | undefined;
    void server.exited.then((code) => (exitedEarly = code));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exitedEarly !== undefined) {
        throw new Error(`the server exited (${exitedEarly}) before it was ready:\n${server.tail()}`);
      }
      try {
        const res = await fetch(`${server.baseUrl}/v1/health`);
        if (ready(res.status)) return server;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await server.kill();
    throw new Error(`the server was not ready within ${timeoutMs} ms:\n${server.tail()}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills the process (SIGKILL by default: no shutdown hooks, no flushing) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }

  tail(lines = 40): string {
    return this.output.slice(-lines).join('\n');
  }

  /** Parsed JSON log lines (LOG_FORMAT=json) at the given level. */
  logLines(level: string): Record<string, unknown>[] {
    return this.output
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .filter((entry) => entry.level === level);
  }
}
