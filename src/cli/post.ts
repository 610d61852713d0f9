/**
 * `rxledger post`: events from a JSON or NDJSON file, signed where needed, posted in batches; with `--wait`,
 * every receipt's inclusion proof and checkpoint is verified locally, and the checkpoints met on the way are
 * proven consistent with one another.
 */
import { Checkpoint, Ed25519NoteVerifier } from '../checkpoint';
import { verifyConsistency } from '../merkle/verify';
import type { SignedEvent } from '../protocol/event';
import { BatchItemResult, LedgerClient, LedgerConnectionError, LedgerHttpError } from '../sdk/client';
import { bytesToBase64, equalBytes } from '../bytes';
import { CliError, Output } from './cli-error';
import { parseEventsText } from './events-file';
import { readInput, readKeyFile, resolveLogKey } from './files';
import { decodeProof, verifyReceipt } from './log-proofs';
import { signItems } from './sign';

export interface PostOptions {
  url: string;
  token: string;
  /** JSON or NDJSON file, `-` for standard input. */
  file: string;
  /** Key file that signs the unsigned events. */
  key?: string;
  /** Events per request (default 500). */
  batch?: number;
  wait?: boolean;
  /** The log's verifier key, to verify receipts with `wait`; fetched from the server (with a warning) if absent. */
  logKey?: string;
  /** One JSON object per event on stdout instead of text. */
  json?: boolean;
  /** Treat the input as NDJSON whatever its name. */
  ndjson?: boolean;
}

export interface PostedEvent {
  eventId: string;
  accepted: boolean;
  index?: number;
  leafHash?: string;
  /** True when the event was already logged (same id, same bytes): nothing was appended. */
  duplicate?: boolean;
  error?: { code: string; message: string; details?: unknown };
  /** With `wait`: whether the receipt's proof and checkpoint verified; `problem` says why not. */
  verified?: boolean;
  checkpointSize?: number;
  problem?: string;
}

export interface PostSummary {
  events: PostedEvent[];
  accepted: number;
  duplicates: number;
  refused: number;
  verified: number;
  /** Receipts (or checkpoint pairs) that did not verify. */
  verificationFailures: number;
  /** The checkpoint sizes met, smallest first. */
  checkpoints: number[];
}

export const DEFAULT_BATCH = 500;

export async function postCommand(options: PostOptions, output: Output): Promise<PostSummary> {
  const batchSize = options.batch ?? DEFAULT_BATCH;
  const items = parseEventsText(readInput(options.file, 'events file'), options.file === '-' ? 'stdin' : options.file, {
    ndjson: options.ndjson,
  });
  const key = options.key === undefined ? undefined : readKeyFile(options.key, output);
  const events = signItems(items, key);
  const client = new LedgerClient({ url: options.url, token: options.token });
  const verifier = options.wait ? await logVerifier(options, client, output) : undefined;

  const summary: PostSummary = {
    events: [],
    accepted: 0,
    duplicates: 0,
    refused: 0,
    verified: 0,
    verificationFailures: 0,
    checkpoints: [],
  };
  const checkpoints = new Map<number, Checkpoint>();
  const opened = new Map<string, Checkpoint>();
  const batches = Math.ceil(events.length / batchSize);
  for (let b = 0; b < batches; b++) {
    const batch = events.slice(b * batchSize, (b + 1) * batchSize);
    let response;
    try {
      response = await client.postBatch(batch, { wait: options.wait });
    } catch (error) {
      if (error instanceof LedgerHttpError || error instanceof LedgerConnectionError) {
        const done = b === 0 ? 'nothing was posted' : `batches 1 to ${b} (${b * batchSize} events) were posted`;
        throw new CliError(
          `batch ${b + 1} of ${batches} (events ${b * batchSize + 1} to ${b * batchSize + batch.length}) failed: ${error.message}; ${done}`,
        );
      }
      throw error;
    }
    if (!Array.isArray(response.results) || response.results.length !== batch.length) {
      throw new CliError(
        `batch ${b + 1}: the server answered ${response.results?.length} results for ${batch.length} events`,
      );
    }
    response.results.forEach((result, i) => {
      const posted = record(batch[i], result, verifier, { checkpoints, opened }, summary);
      summary.events.push(posted);
      output.out(options.json ? JSON.stringify(posted) : describe(posted));
    });
  }
  if (verifier) await proveCheckpointsConsistent(client, checkpoints, summary, output);
  summary.checkpoints = [...checkpoints.keys()].sort((a, b) => a - b);

  const verifiedNote = verifier
    ? `; ${summary.verified} inclusion proofs verified` +
      (summary.checkpoints.length > 0
        ? ` (checkpoints up to size ${summary.checkpoints[summary.checkpoints.length - 1]})`
        : '') +
      (summary.verificationFailures > 0 ? `, ${summary.verificationFailures} FAILED verification` : '')
    : '';
  output.err(
    `posted ${events.length} event(s) in ${batches} batch(es): ${summary.accepted} accepted` +
      ` (${summary.duplicates} already logged), ${summary.refused} refused${verifiedNote}`,
  );
  return summary;
}

async function logVerifier(options: PostOptions, client: LedgerClient, output: Output): Promise<Ed25519NoteVerifier> {
  if (options.logKey !== undefined) return resolveLogKey(options.logKey).verifier;
  const vkey = await client.verifierKey();
  output.err(
    `warning: no --log-key given; trusting the key the server states (${vkey}). ` +
      'That is trust on first use: pass the key you got from the operator out of band with --log-key.',
  );
  return resolveLogKey(vkey).verifier;
}

function record(
  signed: SignedEvent<unknown>,
  result: BatchItemResult,
  verifier: Ed25519NoteVerifier | undefined,
  seen: { checkpoints: Map<number, Checkpoint>; opened: Map<string, Checkpoint> },
  summary: PostSummary,
): PostedEvent {
  const { checkpoints, opened } = seen;
  const eventId = signed.event.id;
  if (!result.accepted) {
    summary.refused++;
    return { eventId, accepted: false, error: result.error };
  }
  const { receipt } = result;
  summary.accepted++;
  if (receipt.duplicate) summary.duplicates++;
  const posted: PostedEvent = {
    eventId,
    accepted: true,
    index: receipt.index,
    leafHash: receipt.leafHash,
    duplicate: receipt.duplicate,
  };
  if (!verifier) return posted;
  try {
    const checkpoint = verifyReceipt(signed, receipt, verifier, opened);
    const seen = checkpoints.get(checkpoint.size);
    if (seen && !equalBytes(seen.rootHash, checkpoint.rootHash)) {
      throw new Error(
        `two different signed checkpoints for size ${checkpoint.size} (roots ${bytesToBase64(seen.rootHash)} and ${bytesToBase64(checkpoint.rootHash)}): the log has forked`,
      );
    }
    checkpoints.set(checkpoint.size, checkpoint);
    summary.verified++;
    return { ...posted, verified: true, checkpointSize: checkpoint.size };
  } catch (error) {
    summary.verificationFailures++;
    return { ...posted, verified: false, problem: (error as Error).message };
  }
}

/** Each checkpoint met is proven to extend the previous one (no fork between the batches). */
async function proveCheckpointsConsistent(
  client: LedgerClient,
  checkpoints: Map<number, Checkpoint>,
  summary: PostSummary,
  output: Output,
): Promise<void> {
  const ordered = [...checkpoints.values()].sort((a, b) => a.size - b.size);
  for (let i = 1; i < ordered.length; i++) {
    const [older, newer] = [ordered[i - 1], ordered[i]];
    const proof = await client.consistencyProof(older.size, newer.size);
    let consistent: boolean;
    try {
      consistent = verifyConsistency(older.size, newer.size, decodeProof(proof.hashes), older.rootHash, newer.rootHash);
    } catch {
      consistent = false;
    }
    if (!consistent) {
      summary.verificationFailures++;
      output.err(`NOT CONSISTENT: checkpoint ${older.size} is not a prefix of checkpoint ${newer.size}`);
    }
  }
}

function describe(posted: PostedEvent): string {
  if (!posted.accepted) return `refused   ${posted.eventId}: ${posted.error!.code}: ${posted.error!.message}`;
  const duplicate = posted.duplicate ? ' (already logged)' : '';
  const verified =
    posted.verified === undefined
      ? ''
      : posted.verified
        ? `, in checkpoint ${posted.checkpointSize} (verified)`
        : `, NOT VERIFIED: ${posted.problem}`;
  return `accepted  ${posted.eventId}: index ${posted.index}${duplicate}${verified}`;
}
