/**
 * `rxledger monitor --url URL --log-key VKEY --state FILE [--once] [--interval 10s] [--json]`: watches a log for a
 * rewritten history. It keeps the last checkpoint it trusted in FILE; at every poll it fetches the latest checkpoint
 * and a consistency proof from the trusted one, and accepts the new checkpoint only if `checkNewCheckpoint`
 * (src/bundle/monitor.ts) does. On a fork, a rollback, a bad signature or a bad proof it raises a loud alarm, keeps
 * its state, and exits 1 (with --once) or keeps watching and alarming.
 *
 * The state file holds the signed checkpoint itself, re-verified at every start: it is evidence, and a state file
 * edited by someone else is noticed. It is replaced atomically (write, fsync, rename), mode 0600.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkNewCheckpoint, CheckpointProblem, TreeHead } from '../bundle/monitor';
import { Checkpoint, NoteVerifier, openCheckpoint } from '../checkpoint';
import { LedgerClient, LedgerConnectionError, LedgerHttpError } from '../sdk/client';
import { bytesToBase64 } from '../bytes';
import { CliError, Output } from './cli-error';
import { resolveLogKey } from './files';

export interface MonitorOptions {
  url: string;
  /** The log's verifier key (vkey string or a file holding it). */
  logKey: string;
  /** Where the last trusted checkpoint is kept. */
  state: string;
  once?: boolean;
  /** Milliseconds between polls. */
  interval?: number;
  json?: boolean;
}

export interface MonitorControl {
  /** Stops the watching loop (the CLI aborts it on SIGINT / SIGTERM). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** What the state file holds. */
interface MonitorState {
  format: 'rxledger-monitor-state/v1';
  origin: string;
  size: number;
  rootHash: string;
  /** The signed checkpoint, as the log served it. */
  checkpoint: string;
  trustedAt: string;
  url: string;
}

type PollResult =
  | { status: 'trusted-on-first-use' | 'unchanged' | 'grew'; size: number; rootHash: string; from?: number }
  | {
      status: 'alarm';
      problem: CheckpointProblem;
      message: string;
      trusted: TreeHead | null;
      served: TreeHead | null;
      checkpoint: string;
    };

const DEFAULT_INTERVAL_MS = 10_000;
const PROBLEM_NAMES: Record<CheckpointProblem, string> = {
  fork: 'FORK',
  rollback: 'ROLLBACK',
  'bad-signature': 'BAD SIGNATURE',
  'bad-proof': 'INCONSISTENT PROOF',
};

/** Runs the monitor; resolves to the exit code (0: all well; 1: an alarm was raised). */
export async function monitorCommand(
  options: MonitorOptions,
  output: Output,
  control: MonitorControl = {},
): Promise<number> {
  const { verifier } = resolveLogKey(options.logKey);
  const client = new LedgerClient({ url: options.url, fetch: control.fetch });
  const interval = options.interval ?? DEFAULT_INTERVAL_MS;
  let alarmed = false;
  for (;;) {
    let result: PollResult | null = null;
    try {
      result = await poll(client, verifier, options.state);
    } catch (error) {
      if (options.once || !(error instanceof LedgerConnectionError || error instanceof LedgerHttpError)) throw error;
      output.err(`warning: ${(error as Error).message}; trying again in ${formatDuration(interval)}`);
    }
    if (result) {
      report(result, options, client.url, output);
      if (result.status === 'alarm') alarmed = true;
    }
    if (options.once) return alarmed ? 1 : 0;
    if (!(await sleep(interval, control.signal))) return alarmed ? 1 : 0;
  }
}

async function poll(client: LedgerClient, verifier: NoteVerifier, file: string): Promise<PollResult> {
  const state = readState(file, verifier);
  const note = await client.checkpoint();
  if (!state) {
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(note, verifier).checkpoint;
    } catch (error) {
      return alarm(unverifiable(error), note);
    }
    writeState(file, stateOf(checkpoint, note, client.url));
    return { status: 'trusted-on-first-use', size: checkpoint.size, rootHash: bytesToBase64(checkpoint.rootHash) };
  }

  let proof: string[] = [];
  let served: Checkpoint | null;
  try {
    served = openCheckpoint(note, verifier).checkpoint;
  } catch {
    served = null; // checkNewCheckpoint names it
  }
  if (served && served.size > state.size) {
    try {
      const answer = await client.consistencyProof(state.size, served.size);
      if (answer.from !== state.size || answer.to !== served.size || !Array.isArray(answer.hashes)) {
        return alarm(
          badProof(
            state,
            served,
            `the log answered a proof from ${answer.from} to ${answer.to}, not ${state.size} to ${served.size}`,
          ),
          note,
        );
      }
      proof = answer.hashes;
    } catch (error) {
      if (!(error instanceof LedgerHttpError)) throw error;
      return alarm(
        badProof(
          state,
          served,
          `the log signed ${served.size} entries but does not prove them consistent: ${error.message}`,
        ),
        note,
      );
    }
  }
  const check = checkNewCheckpoint({ note: state.checkpoint }, note, proof, verifier);
  if (!check.ok) return alarm(check, note);
  if (!check.grew) return { status: 'unchanged', size: check.size, rootHash: check.rootHash };
  writeState(file, stateOf(check.checkpoint, note, client.url));
  return { status: 'grew', size: check.size, rootHash: check.rootHash, from: state.size };
}

/** What an alarm names: `checkNewCheckpoint`'s refusals, and the monitor's own. */
interface Alarm {
  problem: CheckpointProblem;
  message: string;
  trusted: TreeHead | null;
  candidate: TreeHead | null;
}

function alarm(check: Alarm, note: string): PollResult {
  return {
    status: 'alarm',
    problem: check.problem,
    message: check.message,
    trusted: check.trusted,
    served: check.candidate,
    checkpoint: note,
  };
}

function unverifiable(error: unknown): Alarm {
  return {
    problem: 'bad-signature',
    message: `the log's checkpoint does not verify with the log key, so there is nothing to trust: ${(error as Error).message}`,
    trusted: null,
    candidate: null,
  };
}

function badProof(state: MonitorState, served: Checkpoint, message: string): Alarm {
  return {
    problem: 'bad-proof',
    message,
    trusted: { size: state.size, rootHash: state.rootHash },
    candidate: { size: served.size, rootHash: bytesToBase64(served.rootHash) },
  };
}

// ---- the state file ----

function stateOf(checkpoint: Checkpoint, note: string, url: string): MonitorState {
  return {
    format: 'rxledger-monitor-state/v1',
    origin: checkpoint.origin,
    size: checkpoint.size,
    rootHash: bytesToBase64(checkpoint.rootHash),
    checkpoint: note,
    trustedAt: new Date().toISOString(),
    url,
  };
}

/** The trusted checkpoint, re-verified; null when there is no state file yet. */
function readState(file: string, verifier: NoteVerifier): MonitorState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read the monitor state ${file}: ${(error as Error).message}`);
  }
  const broken = (why: string) =>
    new CliError(
      `the monitor state ${file} is not usable (${why}); it is left as it is: move it away only if you know why it changed`,
    );
  let state: MonitorState;
  try {
    state = JSON.parse(text) as MonitorState;
  } catch {
    throw broken('not JSON');
  }
  if (state?.format !== 'rxledger-monitor-state/v1' || typeof state.checkpoint !== 'string')
    throw broken('not a monitor state');
  let checkpoint: Checkpoint;
  try {
    checkpoint = openCheckpoint(state.checkpoint, verifier).checkpoint;
  } catch (error) {
    throw broken(`its checkpoint does not verify with the log key: ${(error as Error).message}`);
  }
  if (checkpoint.size !== state.size || bytesToBase64(checkpoint.rootHash) !== state.rootHash) {
    throw broken('its size or root is not that of its signed checkpoint');
  }
  return state;
}

/** Replaces the state file atomically: a crash leaves the old state or the new one, never half of either. */
function writeState(file: string, state: MonitorState): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      fs.fchmodSync(fd, 0o600);
      fs.writeSync(fd, JSON.stringify(state, null, 2) + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new CliError(`cannot write the monitor state ${file}: ${(error as Error).message}`);
  }
}

// ---- output ----

function report(result: PollResult, options: MonitorOptions, url: string, output: Output): void {
  const time = new Date().toISOString();
  if (options.json) output.out(JSON.stringify({ time, url, ...result }));
  switch (result.status) {
    case 'trusted-on-first-use': {
      const lines = [
        `TRUST ON FIRST USE: ${options.state} did not exist, so the checkpoint ${url} serves now is trusted without any`,
        `earlier one to check it against: size ${result.size}, root ${result.rootHash}.`,
        'Compare this root with one obtained independently (another monitor, the operator). Kept in ' +
          `${options.state} (mode 0600); every later checkpoint must extend it.`,
      ];
      banner(lines, output);
      return;
    }
    case 'unchanged':
      if (!options.json) output.out(`${time} ok: unchanged at size ${result.size}, root ${result.rootHash}`);
      return;
    case 'grew':
      if (!options.json) {
        output.out(
          `${time} ok: size ${result.from} -> ${result.size}, root ${result.rootHash} (consistency proof verified)`,
        );
      }
      return;
    case 'alarm': {
      const head = (tree: TreeHead | null) => (tree ? `size ${tree.size}, root ${tree.rootHash}` : 'none');
      banner(
        [
          `ALARM: ${PROBLEM_NAMES[result.problem]} at ${url} (${time})`,
          `trusted: ${head(result.trusted)} (${options.state})`,
          `served:  ${head(result.served)}`,
          result.message,
          'The trusted state is kept. Keep this output: the served checkpoint below is signed evidence.',
          ...result.checkpoint
            .trimEnd()
            .split('\n')
            .map((line) => `  | ${line}`),
        ],
        output,
      );
      return;
    }
  }
}

function banner(lines: string[], output: Output): void {
  const rule = '!'.repeat(78);
  output.err(rule);
  for (const line of lines) output.err(`!!! ${line}`);
  output.err(rule);
}

// ---- time ----

/** Waits `ms`; false when `signal` aborted first. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10s`, `500ms`, `2m`, `1h`, or a number of seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's'] : NaN;
  if (!Number.isFinite(ms) || ms < 100) {
    throw new InvalidArgumentError(`expected a duration of at least 100ms such as 10s, 500ms or 2m, got "${text}"`);
  }
  return Math.round(ms);
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Adds `monitor` to the program (see program.ts). */
export function registerMonitorCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  program
    .command('monitor')
    .description(
      'watch the log for a rewritten history: each new checkpoint must be signed by the log key and extend the last one trusted (consistency proof); a fork, rollback, bad signature or bad proof raises an alarm',
    )
    .addOption(
      new Option('--url <url>', 'the RxLedger server, e.g. http://localhost:3000')
        .env('RXLEDGER_URL')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--log-key <vkey|file>',
        "the log's verifier key (<origin>+<key id>+<base64>, from the operator), or a file holding it",
      )
        .env('RXLEDGER_LOG_KEY')
        .makeOptionMandatory(),
    )
    .requiredOption('--state <file>', 'where the last trusted checkpoint is kept (created on the first run, mode 0600)')
    .option('--once', 'check once and exit: 0 when the log is consistent, 1 on an alarm')
    .option(
      '--interval <duration>',
      `time between checks, e.g. 10s, 500ms, 2m (default ${formatDuration(DEFAULT_INTERVAL_MS)})`,
      parseDuration,
    )
    .option('--json', 'print one JSON object per check on standard output')
    .action(async (options: MonitorOptions) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      if (!options.once) {
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
      try {
        setExitCode(await monitorCommand(options, output, { signal: controller.signal }));
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
    });
}
