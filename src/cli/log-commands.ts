/**
 * `rxledger checkpoint`, `prove` and `consistency`: fetch from the log and verify locally with the pure
 * libraries, against the log's verifier key given by the user.
 */
import { Checkpoint, Ed25519NoteVerifier } from '../checkpoint';
import { verifyConsistency, verifyInclusion } from '../merkle/verify';
import { LedgerClient } from '../sdk/client';
import { bytesToBase64, bytesToHex, equalBytes } from '../bytes';
import { CliError, Output } from './cli-error';
import { readInput, resolveLogKey, writeNewFile } from './files';
import { decodeHash, decodeProof, openLogCheckpoint, rootFromTiles, VerificationError } from './log-proofs';

export interface LogOptions {
  url: string;
  /** The log's verifier key (vkey string or a file holding it). */
  logKey: string;
  token?: string;
}

export interface VerifiedCheckpoint {
  origin: string;
  size: number;
  /** Standard base64. */
  rootHash: string;
  note: string;
}

/** Fetches the latest checkpoint and opens it with the log key. */
async function latestCheckpoint(
  client: LedgerClient,
  verifier: Ed25519NoteVerifier,
): Promise<{ note: string; checkpoint: Checkpoint }> {
  const note = await client.checkpoint();
  return { note, checkpoint: openLogCheckpoint(note, verifier, `the latest checkpoint of ${client.url}`) };
}

function view(note: string, checkpoint: Checkpoint): VerifiedCheckpoint {
  return { origin: checkpoint.origin, size: checkpoint.size, rootHash: bytesToBase64(checkpoint.rootHash), note };
}

/** `rxledger checkpoint`: the latest checkpoint, verified; optionally saved for a later `consistency`. */
export async function checkpointCommand(
  options: LogOptions & { save?: string; force?: boolean },
  output: Output,
): Promise<VerifiedCheckpoint> {
  const { verifier } = resolveLogKey(options.logKey);
  const client = new LedgerClient({ url: options.url, token: options.token });
  const { note, checkpoint } = await latestCheckpoint(client, verifier);
  output.out(`origin: ${checkpoint.origin}`);
  output.out(`size:   ${checkpoint.size}`);
  output.out(`root:   ${bytesToBase64(checkpoint.rootHash)} (hex ${bytesToHex(checkpoint.rootHash)})`);
  output.err(`verified: signed by the log key ${verifier.name}`);
  if (options.save) {
    writeNewFile(options.save, note, { mode: 0o644, force: options.force });
    output.err(
      `saved the signed checkpoint to ${options.save} (for a later \`rxledger consistency --from-checkpoint\`)`,
    );
  }
  return view(note, checkpoint);
}

export interface ProveResult {
  index: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
}

/** `rxledger prove`: an inclusion proof of a leaf (by index or leaf hash) in the latest checkpoint, verified. */
export async function proveCommand(
  options: LogOptions & { index?: number; leafHash?: string },
  output: Output,
): Promise<ProveResult> {
  if ((options.index === undefined) === (options.leafHash === undefined)) {
    throw new CliError('give exactly one of --index N and --leaf-hash HASH');
  }
  const wanted = options.leafHash === undefined ? undefined : decodeHash(options.leafHash, '--leaf-hash');
  const { verifier } = resolveLogKey(options.logKey);
  const client = new LedgerClient({ url: options.url, token: options.token });
  const { checkpoint } = await latestCheckpoint(client, verifier);
  if (options.index !== undefined && options.index >= checkpoint.size) {
    throw new CliError(`index ${options.index} is not in the latest checkpoint (size ${checkpoint.size}) yet`);
  }
  const proof = await client.inclusionProof({
    ...(options.index !== undefined ? { index: options.index } : { leafHash: bytesToBase64(wanted!) }),
    size: checkpoint.size,
  });
  const leaf = decodeHash(proof.leafHash, 'the leaf hash in the proof');
  if (wanted && !equalBytes(leaf, wanted)) throw new VerificationError('the server proved a different leaf hash');
  if (options.index !== undefined && proof.leafIndex !== options.index) {
    throw new VerificationError(`the server proved index ${proof.leafIndex}, not ${options.index}`);
  }
  if (proof.treeSize !== checkpoint.size) {
    throw new VerificationError(`the proof is for ${proof.treeSize} leaves, not the checkpoint's ${checkpoint.size}`);
  }
  if (!verifyInclusion(leaf, proof.leafIndex, checkpoint.size, decodeProof(proof.hashes), checkpoint.rootHash)) {
    throw new VerificationError(
      `the inclusion proof of index ${proof.leafIndex} does not lead to the root of checkpoint ${checkpoint.size}`,
    );
  }
  const result = {
    index: proof.leafIndex,
    leafHash: bytesToBase64(leaf),
    treeSize: checkpoint.size,
    rootHash: bytesToBase64(checkpoint.rootHash),
  };
  output.out(`leaf ${result.index} (hash ${result.leafHash}) is in the log`);
  output.out(
    `verified: ${proof.hashes.length}-hash inclusion proof to checkpoint ${result.treeSize}, root ${result.rootHash}`,
  );
  return result;
}

export interface ConsistencyResult {
  from: number;
  to: number;
  fromRoot: string;
  toRoot: string;
  /** Where the old root came from: a signed checkpoint the user kept, or the log's own tiles. */
  fromRootSource: 'checkpoint' | 'tiles';
}

/**
 * `rxledger consistency`: proves that the latest checkpoint extends an older tree. The older tree is a signed
 * checkpoint the user kept (`--from-checkpoint`), or a size whose root is read from the public tiles (`--from`).
 */
export async function consistencyCommand(
  options: LogOptions & { from?: number; fromCheckpoint?: string },
  output: Output,
): Promise<ConsistencyResult> {
  if (options.from === undefined && options.fromCheckpoint === undefined) {
    throw new CliError('give --from N or --from-checkpoint FILE');
  }
  const { verifier } = resolveLogKey(options.logKey);
  const client = new LedgerClient({ url: options.url, token: options.token });
  let old: { size: number; rootHash: Uint8Array } | undefined;
  if (options.fromCheckpoint !== undefined) {
    const note = readInput(options.fromCheckpoint, 'checkpoint file');
    old = openLogCheckpoint(note, verifier, `the checkpoint in ${options.fromCheckpoint}`);
    if (options.from !== undefined && options.from !== old.size) {
      throw new CliError(`--from ${options.from} disagrees with the checkpoint file, which is for size ${old.size}`);
    }
  }
  const { checkpoint: latest } = await latestCheckpoint(client, verifier);
  const from = old?.size ?? options.from!;
  if (from > latest.size) {
    throw new VerificationError(
      old
        ? `the kept checkpoint (size ${from}) is larger than the latest the log serves (size ${latest.size}): the log has been rolled back or forked`
        : `--from ${from} is beyond the latest checkpoint (size ${latest.size})`,
    );
  }
  const fromRoot = old?.rootHash ?? (await rootFromTiles((l, i, w) => client.tile(l, i, w), from, latest.size));
  const proof = await client.consistencyProof(from, latest.size);
  if (proof.from !== from || proof.to !== latest.size) {
    throw new VerificationError(`the server proved ${proof.from} → ${proof.to}, not ${from} → ${latest.size}`);
  }
  if (!verifyConsistency(from, latest.size, decodeProof(proof.hashes), fromRoot, latest.rootHash)) {
    throw new VerificationError(
      `NOT CONSISTENT: the tree of ${from} leaves (root ${bytesToBase64(fromRoot)}) is not a prefix of checkpoint ${latest.size}`,
    );
  }
  const result: ConsistencyResult = {
    from,
    to: latest.size,
    fromRoot: bytesToBase64(fromRoot),
    toRoot: bytesToBase64(latest.rootHash),
    fromRootSource: old ? 'checkpoint' : 'tiles',
  };
  output.out(
    `size ${result.from}, root ${result.fromRoot}` + (old ? ' (your signed checkpoint)' : ' (from the log tiles)'),
  );
  output.out(`size ${result.to}, root ${result.toRoot} (the latest checkpoint, signed by ${verifier.name})`);
  output.out(
    `verified: the log of ${result.to} entries extends the log of ${result.from} (${proof.hashes.length}-hash consistency proof)`,
  );
  return result;
}
