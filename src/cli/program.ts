/**
 * The `rxledger` command line: argument parsing (commander) and error reporting. The commands themselves are
 * plain functions in this folder, importable and testable without spawning a process.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { NoteError } from '../checkpoint';
import { LedgerConnectionError, LedgerHttpError } from '../sdk/client';
import { KeyFileError } from '../signing/key-file';
import { CliError, consoleOutput, Output } from './cli-error';
import type { AuditCommandOptions } from './server-commands';
import { registerEpcisCommands } from './epcis.command';
import { registerMonitorCommand } from './monitor.command';
import { registerVerifyBundleCommand } from './verify-bundle.command';
import { checkpointCommand, consistencyCommand, LogOptions, proveCommand } from './log-commands';
import { keygen, KeygenOptions } from './keygen';
import { DEFAULT_BATCH, postCommand, PostOptions } from './post';
import { signCommand, SignOptions } from './sign-command';

/** What each command does with its parsed options; resolves to the process exit code. */
export interface CommandHandlers {
  keygen(options: KeygenOptions): Promise<number>;
  sign(options: SignOptions): Promise<number>;
  post(options: PostOptions): Promise<number>;
  checkpoint(options: LogOptions & { save?: string; force?: boolean }): Promise<number>;
  prove(options: LogOptions & { index?: number; leafHash?: string }): Promise<number>;
  consistency(options: LogOptions & { from?: number; fromCheckpoint?: string }): Promise<number>;
  audit(options: AuditCommandOptions): Promise<number>;
  migrate(): Promise<number>;
  rebuild(): Promise<number>;
}

export function defaultHandlers(
  output: Output,
  env: Record<string, string | undefined> = process.env,
): CommandHandlers {
  return {
    keygen: async (options) => (keygen(options, output), 0),
    sign: async (options) => (signCommand(options, output), 0),
    post: async (options) => {
      const summary = await postCommand(options, output);
      return summary.refused > 0 || summary.verificationFailures > 0 ? 1 : 0;
    },
    checkpoint: async (options) => (await checkpointCommand(options, output), 0),
    prove: async (options) => (await proveCommand(options, output), 0),
    consistency: async (options) => (await consistencyCommand(options, output), 0),
    audit: async (options) => {
      const { auditCommand } = serverCommands();
      const report = await auditCommand(options, output, env);
      if (!report.ok) {
        output.err(
          `audit FAILED: the first disagreement is ${report.firstFailure!.where} (${report.firstFailure!.code})`,
        );
      }
      return report.ok ? 0 : 1;
    },
    migrate: async () => {
      const { migrateCommand } = serverCommands();
      await migrateCommand(output, env);
      return 0;
    },
    rebuild: async () => {
      const { rebuildCommand } = serverCommands();
      await rebuildCommand(output, env);
      return 0;
    },
  };
}

/** The server-side commands load NestJS, TypeORM and pg: only when one of them runs, so the others start fast. */
function serverCommands(): typeof import('./server-commands') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; this package compiles to CommonJS
  return require('./server-commands') as typeof import('./server-commands');
}

const integer =
  (min: number) =>
  (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
      throw new InvalidArgumentError(`expected an integer of at least ${min}, got "${value}"`);
    }
    return number;
  };

const urlOption = () =>
  new Option('--url <url>', 'the RxLedger server, e.g. http://localhost:3000')
    .env('RXLEDGER_URL')
    .makeOptionMandatory();
const logKeyOption = (mandatory: boolean) => {
  const option = new Option(
    '--log-key <vkey|file>',
    "the log's verifier key (<origin>+<key id>+<base64>, from the operator), or a file holding it",
  ).env('RXLEDGER_LOG_KEY');
  return mandatory ? option.makeOptionMandatory() : option;
};
const tokenOption = () =>
  new Option('--token <token>', 'your API token (better: set RXLEDGER_TOKEN)').env('RXLEDGER_TOKEN');

export function buildProgram(output: Output, handlers: CommandHandlers, setExitCode: (code: number) => void): Command {
  const program = new Command('rxledger')
    .description('RxLedger: sign and post supply-chain events, verify the log, audit the database')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
    })
    .showHelpAfterError('(run with --help for usage)');
  const action =
    <T>(handler: (options: T) => Promise<number>) =>
    async (options: T) =>
      setExitCode(await handler(options));

  program
    .command('keygen')
    .description('generate an Ed25519 key pair into a key file readable only by you (mode 0600)')
    .requiredOption('--out <file>', 'the key file to write')
    .option('--gln <gln>', 'your GLN, recorded in the key file (then `sign` fills in the actor)')
    .option('--force', 'overwrite an existing file')
    .action(action((options: KeygenOptions) => handlers.keygen(options)));

  program
    .command('sign')
    .description(
      'sign an event (JSON: id, type, actor, body; keyId and time are filled in) and print {event, signature}',
    )
    .requiredOption('--key <file>', 'your key file')
    .argument('<event-file>', 'the event as JSON (or an array, or NDJSON); - reads standard input')
    .action((file: string, options: { key: string }) => action(handlers.sign)({ key: options.key, file }));

  program
    .command('post')
    .description('post events from a JSON or NDJSON file in batches; exits 1 if any is refused or fails to verify')
    .addOption(urlOption())
    .addOption(tokenOption().makeOptionMandatory())
    .option('--key <file>', 'key file to sign the events that are not signed yet')
    .option('--batch <n>', `events per request (default ${DEFAULT_BATCH})`, integer(1))
    .option('--wait', 'wait until each event is in a signed checkpoint, and verify its inclusion proof locally')
    .addOption(logKeyOption(false))
    .option('--ndjson', 'read the file as NDJSON whatever its name')
    .option('--json', 'print one JSON object per event')
    .argument('<file>', 'JSON (an event, a signed event, or an array) or NDJSON; - reads standard input')
    .action((file: string, options: Omit<PostOptions, 'file'>) => action(handlers.post)({ ...options, file }));

  program
    .command('checkpoint')
    .description("fetch the log's latest checkpoint and verify its signature")
    .addOption(urlOption())
    .addOption(logKeyOption(true))
    .option('--save <file>', 'keep the signed checkpoint in a file (for `consistency --from-checkpoint`)')
    .option('--force', 'overwrite the --save file')
    .action(action((options: LogOptions & { save?: string; force?: boolean }) => handlers.checkpoint(options)));

  program
    .command('prove')
    .description('prove that a leaf is in the latest checkpoint (verified locally)')
    .addOption(urlOption())
    .addOption(logKeyOption(true))
    .option('--index <n>', 'the log index of the leaf', integer(0))
    .option('--leaf-hash <hash>', 'the leaf hash (base64 or hex), e.g. from a receipt')
    .action(action((options: LogOptions & { index?: number; leafHash?: string }) => handlers.prove(options)));

  program
    .command('consistency')
    .description('prove that the latest checkpoint extends an older tree (verified locally)')
    .addOption(urlOption())
    .addOption(logKeyOption(true))
    .option('--from <n>', 'the older tree size (its root is read from the public tiles)', integer(0))
    .option('--from-checkpoint <file>', 'an older signed checkpoint you kept (from `checkpoint --save`)')
    .action(
      action((options: LogOptions & { from?: number; fromCheckpoint?: string }) => handlers.consistency(options)),
    );

  program
    .command('audit')
    .description(
      'recompute the whole log from its events and check every hash, signature, tile and checkpoint in the database',
    )
    .addOption(logKeyOption(false))
    .option('--json', 'print the report as JSON')
    .option('--progress', 'print progress on stderr (default: when stderr is a terminal)')
    .option('--no-progress', 'no progress lines')
    .action(action((options: AuditCommandOptions) => handlers.audit(options)));

  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, or the embedded PostgreSQL in DATA_DIR)')
    .action(action(() => handlers.migrate()));

  program
    .command('rebuild')
    .description('replay the whole log into empty read-model tables (inventory, custody, shipments, alerts, registry)')
    .action(action(() => handlers.rebuild()));

  registerEpcisCommands(program, output, setExitCode);
  registerVerifyBundleCommand(program, output, setExitCode);
  registerMonitorCommand(program, output, setExitCode);
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. Never throws. */
export async function run(
  argv: string[],
  output: Output = consoleOutput,
  handlers?: Partial<CommandHandlers>,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(output, { ...defaultHandlers(output, env), ...handlers }, (code) => (exitCode = code));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, output);
  }
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Commander has printed the message (or the help) already.
    return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' ? 0 : 2;
  }
  if (error instanceof CliError) {
    output.err(`rxledger: ${error.message}`);
    return error.exitCode;
  }
  if (
    error instanceof LedgerHttpError ||
    error instanceof LedgerConnectionError ||
    error instanceof KeyFileError ||
    error instanceof NoteError
  ) {
    output.err(`rxledger: ${error.message}`);
    return 1;
  }
  output.err(`rxledger: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
}
