/**
 * `rxledger epcis import FILE` and `rxledger epcis convert FILE`: an EPCIS 2.0 JSON-LD or EPCIS 1.2 XML document
 * (GS1 US DSCSA guideline; streamed, validated against GS1's XSD with `--xsd` and the guideline's rules) into RxLedger
 * events (src/epcis), signed with the importer's key and posted in batches; what cannot be mapped is reported by
 * EPCIS event. `importEpcis` is the same without files or a terminal, for scripts and tests.
 *
 * Wiring: `registerEpcisCommands(program, output, setExitCode)` in `buildProgram` (program.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  EpcisDocumentError,
  fromEpcisDocument,
  validateEpcisDocument,
  type EpcisImport,
  type IgnoredMembers,
  type ImportOptions,
  type UnmappedEvent,
} from '../epcis';
import { EpcisXmlError, fromEpcisXml, importEpcisXml, type GuidelineProblem } from '../epcis/xml';
import { isGln } from '../gs1';
import type { LedgerEvent, SignedEvent } from '../protocol/event';
import { type ErrorBody, LedgerClient, LedgerConnectionError, LedgerHttpError } from '../sdk/client';
import { signEvent } from '../signing/event-signing';
import type { SigningKey } from '../signing/key-file';
import { CliError, Output } from './cli-error';
import { readInput, readKeyFile } from './files';
import { DEFAULT_BATCH } from './post';

export interface EpcisImportRun {
  /** The key that signs every event; its GLN is the actor unless `actor` is given. */
  key: SigningKey;
  actor?: string;
  defaultShipTo?: string;
  ownGlns?: string[];
  /** The time the importer received the shipments the document sends it: they become its receipts. */
  receiveAt?: string;
  /** Where to post; without a client nothing is posted (a dry run). */
  client?: LedgerClient;
  /** Events per request (default 500). */
  batchSize?: number;
}

/** One RxLedger event made from the document: posted (accepted or refused) or, in a dry run, only signed. */
export interface ImportedEvent {
  eventIndex: number;
  eventId: string;
  type: string;
  accepted?: boolean;
  index?: number;
  /** Already logged before (same id, same bytes): a re-import. */
  duplicate?: boolean;
  error?: ErrorBody;
}

export interface EpcisImportReport {
  actor: string;
  conversion: EpcisImport;
  signed: SignedEvent[];
  results: ImportedEvent[];
  posted: boolean;
  accepted: number;
  duplicates: number;
  refused: number;
}

/** Converts `doc` for the key's party, signs every event and (with a client) posts them in order, in batches. */
export async function importEpcis(
  doc: unknown,
  run: EpcisImportRun,
  onResult: (result: ImportedEvent) => void = () => {},
): Promise<EpcisImportReport> {
  const actor = actorOf(run);
  const conversion = convert(doc, {
    actor,
    defaultShipTo: run.defaultShipTo,
    ownGlns: run.ownGlns,
    receiveAt: run.receiveAt,
  });
  const signed = conversion.events.map((unsigned): SignedEvent => {
    const event: LedgerEvent = { ...unsigned, keyId: run.key.keyId };
    return { event, signature: signEvent(event, run.key.secretKey) };
  });
  const report: EpcisImportReport = {
    actor,
    conversion,
    signed,
    results: [],
    posted: false,
    accepted: 0,
    duplicates: 0,
    refused: 0,
  };
  const describe = (i: number): ImportedEvent => ({
    eventIndex: conversion.sourceIndexes[i],
    eventId: signed[i].event.id,
    type: signed[i].event.type,
  });
  if (!run.client) {
    signed.forEach((_, i) => report.results.push(describe(i)));
    report.results.forEach((result) => onResult(result));
    return report;
  }
  const batchSize = run.batchSize ?? DEFAULT_BATCH;
  for (let start = 0; start < signed.length; start += batchSize) {
    const batch = signed.slice(start, start + batchSize);
    let response;
    try {
      response = await run.client.postBatch(batch);
    } catch (error) {
      if (error instanceof LedgerHttpError || error instanceof LedgerConnectionError) {
        const done = start === 0 ? 'nothing was posted' : `the first ${start} event(s) were posted`;
        throw new CliError(`posting events ${start + 1} to ${start + batch.length} failed: ${error.message}; ${done}`);
      }
      throw error;
    }
    if (!Array.isArray(response.results) || response.results.length !== batch.length) {
      throw new CliError(`the server answered ${response.results?.length} results for ${batch.length} events`);
    }
    response.results.forEach((outcome, j) => {
      const result = describe(start + j);
      if (outcome.accepted) {
        report.accepted++;
        result.accepted = true;
        result.index = outcome.receipt.index;
        if (outcome.receipt.duplicate) {
          report.duplicates++;
          result.duplicate = true;
        }
      } else {
        report.refused++;
        result.accepted = false;
        result.error = outcome.error;
      }
      report.results.push(result);
      onResult(result);
    });
  }
  report.posted = true;
  return report;
}

function actorOf(run: EpcisImportRun): string {
  const actor = run.actor ?? run.key.gln;
  if (actor === undefined) throw new CliError('give --actor GLN: the key file names no GLN');
  if (run.key.gln !== undefined && run.key.gln !== actor) {
    throw new CliError(
      `the key file belongs to ${run.key.gln}, not to --actor ${actor}: events are signed by their actor`,
    );
  }
  return actor;
}

function convert(doc: unknown, options: ImportOptions): EpcisImport {
  try {
    return fromEpcisDocument(doc, options);
  } catch (error) {
    if (error instanceof EpcisDocumentError) throw new CliError(error.message);
    throw error;
  }
}

export interface EpcisCommandOptions {
  file: string;
  receiveAt?: string;
  /** EPCIS 1.2 XML: validate against this XSD first (xmllint). */
  xsd?: string;
  /** EPCIS 1.2 XML: exit 1 when the document breaks a rule of the GS1 US guideline. */
  strict?: boolean;
  actor?: string;
  defaultShipTo?: string;
  ownGln?: string[];
  json?: boolean;
}

export interface EpcisImportOptions extends EpcisCommandOptions {
  key: string;
  url?: string;
  token?: string;
  batch?: number;
  dryRun?: boolean;
}

/** Whether `file` holds XML (EPCIS 1.2): by its name, else by its first character. */
function isXmlFile(file: string): boolean {
  if (/\.xml$/i.test(file)) return true;
  if (file === '-' || /\.json(ld)?$/i.test(file)) return false;
  try {
    const fd = openSync(file, 'r');
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    closeSync(fd);
    return head
      .subarray(0, n)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('<');
  } catch {
    return false;
  }
}

/**
 * Checks `file` against an XSD (GS1's EPCIS 1.2 XSD, `--xsd`) with xmllint from libxml2 (Debian libxml2-utils),
 * streaming (`--stream`), so a document of any size is validated in flat memory: no well-kept JavaScript library
 * validates XML Schema without a native build. Throws a CliError with xmllint's first messages when invalid.
 */
export function validateXsd(file: string, xsd: string): void {
  const run = spawnSync('xmllint', ['--noout', '--stream', '--schema', xsd, file], { encoding: 'utf8' });
  if (run.error) throw new CliError(`--xsd needs xmllint (Debian package libxml2-utils): ${run.error.message}`);
  if (run.status !== 0) {
    const lines = run.stderr.split('\n').filter((line) => line && !line.endsWith('fails to validate'));
    throw new CliError(`${file} is not valid per ${xsd}:\n${lines.slice(0, 10).join('\n')}`);
  }
}

/** How many unmapped, ignored and guideline-problem entries an XML import report keeps (the rest are counted). */
export const REPORT_KEEPS = 1000;

/** What a streamed import tells as it goes: each result, each unmapped part, each note, each guideline problem. */
export interface XmlImportListener {
  result?(result: ImportedEvent): void;
  unmapped?(unmapped: UnmappedEvent): void;
  ignored?(ignored: IgnoredMembers): void;
  problem?(problem: GuidelineProblem): void;
}

/**
 * Streams an EPCIS 1.2 XML document: each event is mapped, signed and posted in batches as it is read, so memory
 * stays flat for any number of events. Tells `listener` everything as it comes; the report counts it all and keeps
 * the first REPORT_KEEPS of each list (a document of 100,000 events may have as many notes).
 */
export async function importEpcisXmlFile(
  chunks: AsyncIterable<string | Uint8Array>,
  run: EpcisImportRun,
  listener: XmlImportListener = {},
): Promise<EpcisXmlImportReport> {
  const actor = actorOf(run);
  const onResult = (result: ImportedEvent) => listener.result?.(result);
  const report: EpcisXmlImportReport = {
    actor,
    events: 0,
    unmapped: [],
    ignored: [],
    problems: [],
    counts: { unmapped: 0, ignored: 0, problems: 0 },
    posted: Boolean(run.client),
    accepted: 0,
    duplicates: 0,
    refused: 0,
  };
  const keep = <T>(list: T[], entry: T, kind: keyof EpcisXmlImportReport['counts']) => {
    report.counts[kind]++;
    if (list.length < REPORT_KEEPS) list.push(entry);
  };
  const batchSize = run.batchSize ?? DEFAULT_BATCH;
  let batch: { signed: SignedEvent; eventIndex: number }[] = [];
  // One batch is posted while the next is read, mapped and signed (signing is the CPU-bound part); posts stay in
  // order, one at a time, so results come in document order.
  let posting: Promise<void> = Promise.resolve();
  let postFailure: { error: unknown } | undefined;
  const settle = async () => {
    await posting;
    if (postFailure) throw postFailure.error;
  };
  const flush = async () => {
    const pending = batch;
    batch = [];
    if (pending.length === 0) return;
    await settle();
    posting = post(pending).catch((error: unknown) => {
      postFailure = { error };
    });
  };
  const post = async (pending: { signed: SignedEvent; eventIndex: number }[]) => {
    const describe = (i: number): ImportedEvent => ({
      eventIndex: pending[i].eventIndex,
      eventId: pending[i].signed.event.id,
      type: pending[i].signed.event.type,
    });
    if (!run.client) {
      pending.forEach((_, i) => onResult(describe(i)));
      return;
    }
    let response;
    try {
      response = await run.client.postBatch(pending.map((p) => p.signed));
    } catch (error) {
      if (error instanceof LedgerHttpError || error instanceof LedgerConnectionError) {
        throw new CliError(`posting failed after ${report.accepted + report.refused} event(s): ${error.message}`);
      }
      throw error;
    }
    response.results.forEach((outcome, j) => {
      const result = describe(j);
      if (outcome.accepted) {
        report.accepted++;
        result.accepted = true;
        result.index = outcome.receipt.index;
        if (outcome.receipt.duplicate) {
          report.duplicates++;
          result.duplicate = true;
        }
      } else {
        report.refused++;
        result.accepted = false;
        result.error = outcome.error;
      }
      onResult(result);
    });
  };
  try {
    for await (const step of importEpcisXml(chunks, {
      actor,
      defaultShipTo: run.defaultShipTo,
      ownGlns: run.ownGlns,
      receiveAt: run.receiveAt,
    })) {
      for (const problem of step.problems) {
        keep(report.problems, problem, 'problems');
        listener.problem?.(problem);
      }
      for (const unmapped of step.mapping.unmapped) {
        keep(report.unmapped, unmapped, 'unmapped');
        listener.unmapped?.(unmapped);
      }
      if (step.mapping.ignored) {
        keep(report.ignored, step.mapping.ignored, 'ignored');
        listener.ignored?.(step.mapping.ignored);
      }
      const eventIndex = step.kind === 'event' ? step.eventIndex : -1;
      for (const unsigned of step.mapping.events) {
        const event: LedgerEvent = { ...unsigned, keyId: run.key.keyId };
        batch.push({ signed: { event, signature: signEvent(event, run.key.secretKey) }, eventIndex });
        report.events++;
        if (batch.length >= batchSize) await flush();
      }
    }
  } catch (error) {
    await posting;
    if (error instanceof EpcisDocumentError || error instanceof EpcisXmlError) {
      const posted = run.client ? `; ${report.accepted + report.refused} event(s) were posted before` : '';
      throw new CliError(`${error.message}${posted}`);
    }
    throw error;
  }
  await flush();
  await settle();
  return report;
}

export interface EpcisXmlImportReport {
  actor: string;
  events: number;
  /** The first REPORT_KEEPS of each; `counts` has how many there were. */
  unmapped: UnmappedEvent[];
  ignored: IgnoredMembers[];
  problems: GuidelineProblem[];
  counts: { unmapped: number; ignored: number; problems: number };
  posted: boolean;
  accepted: number;
  duplicates: number;
  refused: number;
}

async function epcisXmlImportCommand(options: EpcisImportOptions, output: Output): Promise<number> {
  if (options.xsd !== undefined) validateXsd(options.file, options.xsd);
  if (!options.dryRun && (!options.url || !options.token)) {
    throw new CliError('give --url and --token (or RXLEDGER_URL and RXLEDGER_TOKEN), or --dry-run');
  }
  const key = readKeyFile(options.key, output);
  const client = options.dryRun ? undefined : new LedgerClient({ url: options.url!, token: options.token });
  const chunks = options.file === '-' ? process.stdin : createReadStream(options.file);
  const report = await importEpcisXmlFile(
    chunks,
    {
      key,
      actor: options.actor,
      defaultShipTo: options.defaultShipTo,
      ownGlns: options.ownGln,
      receiveAt: options.receiveAt,
      client,
      batchSize: options.batch,
    },
    {
      result: (result) => output.out(options.json ? JSON.stringify(result) : describeResult(result)),
      unmapped: (unmapped) => printUnmapped(unmapped, options, output),
      ignored: (ignored) => printIgnored(ignored, output),
      problem: (problem) => printProblem(problem, options.file, output),
    },
  );
  const posted = report.posted
    ? `${report.accepted} accepted (${report.duplicates} already logged), ${report.refused} refused`
    : 'signed, not posted (--dry-run)';
  const { counts } = report;
  output.err(
    `${options.file}: ${report.events} RxLedger event(s) for ${report.actor}: ${posted}; ` +
      `${counts.unmapped} EPCIS event part(s) unmapped; ${counts.problems} guideline problem(s)`,
  );
  return counts.unmapped > 0 || report.refused > 0 || (options.strict && counts.problems > 0) ? 1 : 0;
}

function printProblem(problem: GuidelineProblem, file: string, output: Output): void {
  const where = problem.eventIndex < 0 ? 'header' : `EPCIS event ${problem.eventIndex}`;
  output.err(`guideline: ${file}: ${where}: ${problem.rule}: ${problem.message}`);
}

/** `rxledger epcis import`: exit code 1 if any EPCIS event was unmapped or any event refused. */
export async function epcisImportCommand(options: EpcisImportOptions, output: Output): Promise<number> {
  if (isXmlFile(options.file)) return epcisXmlImportCommand(options, output);
  const doc = readDocument(options.file, output);
  if (!options.dryRun && (!options.url || !options.token)) {
    throw new CliError('give --url and --token (or RXLEDGER_URL and RXLEDGER_TOKEN), or --dry-run');
  }
  const key = readKeyFile(options.key, output);
  const client = options.dryRun ? undefined : new LedgerClient({ url: options.url!, token: options.token });
  const report = await importEpcis(
    doc,
    {
      key,
      actor: options.actor,
      defaultShipTo: options.defaultShipTo,
      ownGlns: options.ownGln,
      receiveAt: options.receiveAt,
      client,
      batchSize: options.batch,
    },
    (result) => output.out(options.json ? JSON.stringify(result) : describeResult(result)),
  );
  reportUnmapped(report.conversion, options, output);
  const { conversion } = report;
  const unmapped = conversion.unmapped.length;
  const posted = report.posted
    ? `${report.accepted} accepted (${report.duplicates} already logged), ${report.refused} refused`
    : 'signed, not posted (--dry-run)';
  output.err(
    `${options.file}: ${conversion.events.length} RxLedger event(s) for ${report.actor}: ${posted}; ` +
      `${unmapped} EPCIS event part(s) unmapped`,
  );
  return unmapped > 0 || report.refused > 0 ? 1 : 0;
}

/** `rxledger epcis convert`: the unsigned events, unmapped and ignored parts as one JSON object; exit 1 if unmapped. */
export function epcisConvertCommand(options: EpcisCommandOptions, output: Output): number {
  if (options.actor === undefined) throw new CliError('give --actor GLN: the party the events would be signed by');
  if (isXmlFile(options.file)) {
    if (options.xsd !== undefined) validateXsd(options.file, options.xsd);
    let conversion;
    try {
      conversion = fromEpcisXml(readInput(options.file, 'EPCIS document'), {
        actor: options.actor,
        defaultShipTo: options.defaultShipTo,
        ownGlns: options.ownGln,
        receiveAt: options.receiveAt,
      });
    } catch (error) {
      if (error instanceof EpcisDocumentError || error instanceof EpcisXmlError) throw new CliError(error.message);
      throw error;
    }
    output.out(JSON.stringify(conversion, null, 2));
    conversion.problems.forEach((problem) => printProblem(problem, options.file, output));
    const failed = conversion.unmapped.length > 0 || (options.strict === true && conversion.problems.length > 0);
    return failed ? 1 : 0;
  }
  const doc = readDocument(options.file, output);
  const conversion = convert(doc, {
    actor: options.actor,
    defaultShipTo: options.defaultShipTo,
    ownGlns: options.ownGln,
    receiveAt: options.receiveAt,
  });
  output.out(JSON.stringify(conversion, null, 2));
  if (conversion.unmapped.length > 0) {
    output.err(`${options.file}: ${conversion.unmapped.length} EPCIS event part(s) unmapped (see "unmapped")`);
  }
  return conversion.unmapped.length > 0 ? 1 : 0;
}

function describeResult(result: ImportedEvent): string {
  const what = `${result.eventId} (${result.type}, EPCIS event ${result.eventIndex})`;
  if (result.accepted === undefined) return `signed    ${what}`;
  if (!result.accepted) return `refused   ${what}: ${result.error?.code}: ${result.error?.message}`;
  return `accepted  ${what}: index ${result.index}${result.duplicate ? ' (already logged)' : ''}`;
}

function reportUnmapped(conversion: EpcisImport, options: EpcisCommandOptions, output: Output): void {
  conversion.unmapped.forEach((unmapped) => printUnmapped(unmapped, options, output));
  conversion.ignored.forEach((ignored) => printIgnored(ignored, output));
}

function printUnmapped(unmapped: UnmappedEvent, options: EpcisCommandOptions, output: Output): void {
  output.out(options.json ? JSON.stringify({ unmapped }) : `unmapped  ${where(unmapped)}: ${unmapped.reason}`);
}

function printIgnored(ignored: IgnoredMembers, output: Output): void {
  output.err(`note: EPCIS event ${ignored.eventIndex} was mapped without ${ignored.members.join(', ')}`);
}

function where(unmapped: UnmappedEvent): string {
  return `EPCIS event ${unmapped.eventIndex}${unmapped.eventID !== undefined ? ` (${unmapped.eventID})` : ''}`;
}

/** The JSON document in `file`; warns (without stopping) where it does not follow GS1's schema. */
function readDocument(file: string, output: Output): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(readInput(file, 'EPCIS document').replace(/^\uFEFF/, ''));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `${file} is not JSON: ${(error as Error).message} (EPCIS 2.0 JSON-LD is expected; XML is not read)`,
    );
  }
  const validation = validateEpcisDocument(doc);
  if (!validation.valid) {
    const [first] = validation.problems;
    output.err(
      `warning: ${file} does not follow GS1's EPCIS 2.0 JSON schema (${validation.problems.length} problem(s), ` +
        `first: ${first.path} ${first.message}); importing what can be mapped`,
    );
  }
  return doc;
}

const gln = (value: string): string => {
  if (!isGln(value)) throw new InvalidArgumentError(`"${value}" is not a GLN (13 digits with a valid check digit)`);
  return value;
};

const positive = (value: string): number => {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError(`expected an integer of at least 1, got "${value}"`);
  }
  return number;
};

const collectGln = (value: string, previous: string[] = []): string[] => [...previous, gln(value)];

/** Adds `epcis import` and `epcis convert` to the program; each sets the exit code through `setExitCode`. */
export function registerEpcisCommands(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
  handlers: {
    import?: (options: EpcisImportOptions) => Promise<number>;
    convert?: (options: EpcisCommandOptions) => Promise<number>;
  } = {},
): Command {
  const runImport = handlers.import ?? ((options) => epcisImportCommand(options, output));
  const runConvert = handlers.convert ?? (async (options) => epcisConvertCommand(options, output));
  const epcis = program
    .command('epcis')
    .description(
      'import EPCIS 2.0 JSON-LD and EPCIS 1.2 XML documents (GS1, GS1 US DSCSA guideline) as RxLedger events',
    );
  const mappingOptions = (command: Command) =>
    command
      .option('--xsd <file>', "EPCIS 1.2 XML: validate against this XSD first (GS1's EPCglobal-epcis-1_2.xsd; xmllint)")
      .option('--strict', 'EPCIS 1.2 XML: exit 1 when the document breaks a rule of the GS1 US DSCSA guideline')
      .option(
        '--receive-at <time>',
        'you received the shipments the document sends you at this time (RFC 3339): they become your receipts',
      )
      .option('--default-ship-to <gln>', 'recipient of shipping events that name no destination owning_party', gln)
      .option('--own-gln <gln>', 'another GLN of yours (a facility) used as business location; repeatable', collectGln);

  mappingOptions(
    epcis
      .command('import')
      .description(
        'convert an EPCIS document into your events, sign them and post them in batches; ' +
          'prints each result and what could not be mapped; exits 1 if anything was unmapped or refused',
      )
      .argument('<file>', 'the EPCIS 2.0 JSON-LD or EPCIS 1.2 XML document; - reads standard input (JSON-LD)')
      .requiredOption('--key <file>', 'your key file (its GLN is the actor of every event)')
      .addOption(new Option('--url <url>', 'the RxLedger server, e.g. http://localhost:3000').env('RXLEDGER_URL'))
      .addOption(new Option('--token <token>', 'your API token (better: set RXLEDGER_TOKEN)').env('RXLEDGER_TOKEN'))
      .option('--actor <gln>', 'your GLN, if the key file names none', gln),
  )
    .option('--batch <n>', `events per request (default ${DEFAULT_BATCH})`, positive)
    .option('--dry-run', 'convert and sign, post nothing')
    .option('--json', 'one JSON object per line')
    .action(async (file: string, options: Omit<EpcisImportOptions, 'file'>) =>
      setExitCode(await runImport({ ...options, file })),
    );

  mappingOptions(
    epcis
      .command('convert')
      .description(
        'print the unsigned events a party would import from an EPCIS document, and what is unmapped (JSON; no network)',
      )
      .argument('<file>', 'the EPCIS 2.0 JSON-LD or EPCIS 1.2 XML document; - reads standard input (JSON-LD)')
      .requiredOption('--actor <gln>', 'the importing party', gln),
  ).action(async (file: string, options: Omit<EpcisCommandOptions, 'file'>) =>
    setExitCode(await runConvert({ ...options, file })),
  );
  return epcis;
}
