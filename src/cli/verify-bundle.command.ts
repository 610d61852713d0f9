/**
 * `rxledger verify-bundle FILE --log-key VKEY [--json]`: checks an evidence bundle offline (src/bundle), reading the
 * file as a stream so that a bundle of a whole lot never has to fit in memory at once. Exits 0 only when every
 * check holds.
 */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { BundleReport, verifyBundleStream } from '../bundle';
import { verifyStrictNode } from '../signing/ed25519-node';
import { CliError, Output } from './cli-error';
import { resolveLogKey } from './files';

export interface VerifyBundleCommandOptions {
  file: string;
  /** The log's verifier key (vkey string or a file holding it). */
  logKey: string;
  json?: boolean;
}

const CHUNK = 1 << 20;

/** Verifies the bundle in `file` (`-`: standard input); prints the report; returns it. */
export async function verifyBundleCommand(options: VerifyBundleCommandOptions, output: Output): Promise<BundleReport> {
  const { vkey } = resolveLogKey(options.logKey);
  if (options.file !== '-') {
    try {
      if (fs.statSync(options.file).isDirectory())
        throw new CliError(`cannot read bundle ${options.file}: it is a directory`);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        `cannot read bundle ${options.file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      );
    }
  }
  const started = performance.now();
  const stream =
    options.file === '-'
      ? process.stdin.setEncoding('utf8')
      : fs.createReadStream(options.file, { encoding: 'utf8', highWaterMark: CHUNK });
  let report: BundleReport;
  try {
    // Node's OpenSSL path: the same verdicts as the pure verifier's, about ten times faster.
    report = await verifyBundleStream(stream as AsyncIterable<string>, vkey, { verifySignature: verifyStrictNode });
  } catch (error) {
    throw new CliError(`cannot read bundle ${options.file}: ${(error as Error).message}`);
  }
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    output.out(JSON.stringify(report, null, 2));
  } else {
    printReport(report, output);
  }
  const entries = report.counts.events + report.counts.registryEvents;
  output.err(
    `verified ${entries} events in ${seconds.toFixed(2)} s (${Math.round(entries / Math.max(seconds, 1e-3))} events/s)`,
  );
  return report;
}

function printReport(report: BundleReport, output: Output): void {
  const { checkpoint, counts } = report;
  output.out(
    checkpoint
      ? `checkpoint: ${checkpoint.origin}, size ${checkpoint.size}, root ${checkpoint.rootHash} (signed by the trusted log key)`
      : 'checkpoint: NOT VERIFIED',
  );
  output.out(
    `contents:   ${counts.registryEvents} registry events, ${counts.events} events, ${counts.items} items; ` +
      `${counts.signatures} signatures verified`,
  );
  for (const limit of report.limits) output.out(`limit:      ${limit}`);
  if (report.ok) {
    output.out(
      'result:     OK: the checkpoint, every inclusion proof, every signature, the key history and the chain of custody hold',
    );
    return;
  }
  output.out(`result:     FAILED: ${counts.failures} failure${counts.failures === 1 ? '' : 's'}`);
  for (const failure of report.failures) {
    const where = [failure.index === undefined ? null : `log index ${failure.index}`, failure.item ?? null]
      .filter((part) => part !== null)
      .join(', ');
    output.out(`  [${failure.check}]${where ? ` (${where})` : ''} ${failure.message}`);
  }
  if (counts.failures > report.failures.length) {
    output.out(`  ... and ${counts.failures - report.failures.length} more (see --json for the listed ones)`);
  }
}

/** Adds `verify-bundle` to the program (see program.ts). */
export function registerVerifyBundleCommand(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  program
    .command('verify-bundle')
    .description(
      'verify an evidence bundle offline: checkpoint, inclusion proofs, signatures, key history, chain of custody; exits 1 on any failure',
    )
    .argument('<file>', 'the bundle (JSON); - reads standard input')
    .addOption(
      new Option(
        '--log-key <vkey|file>',
        "the log's verifier key that you trust (<origin>+<key id>+<base64>, from the operator), or a file holding it",
      )
        .env('RXLEDGER_LOG_KEY')
        .makeOptionMandatory(),
    )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: Omit<VerifyBundleCommandOptions, 'file'>) => {
      const report = await verifyBundleCommand({ ...options, file }, output);
      setExitCode(report.ok ? 0 : 1);
    });
}
