/**
 * The monitor's check (issue 5 item 3): may a newly served checkpoint replace the one we trusted? Only if it is signed
 * by the log's key and the log it describes extends the trusted one (an RFC 9162 consistency proof). Anything else is
 * an alarm, named:
 *
 * - `bad-signature`: the new checkpoint is not signed by the log's key (or is not a checkpoint of this log);
 * - `rollback`: it is signed, but for a smaller tree than the one already trusted;
 * - `fork`: it is signed and provably describes another history: the same size with another root, or a larger tree
 *   whose consistency proof is sound for the new root but shows that its first entries are not the trusted tree;
 * - `bad-proof`: the consistency proof is malformed, or does not connect the two checkpoints (the log may have forked
 *   or served a wrong proof; either way the new checkpoint is not trusted).
 *
 * Pure: the CLI's `monitor`, the SDK and the browser run the same check.
 */
import { Checkpoint, NoteVerifier, openCheckpoint, parseVerifierKey } from '../checkpoint';
import { Hash, isHash, nodeHash } from '../merkle/hash';
import { planConsistency } from '../merkle/proof';
import { verifyConsistency } from '../merkle/verify';
import { base64ToBytes, bytesToBase64, equalBytes } from '../bytes';

/** The checkpoint trusted so far: its signed note (re-verified here), or just its size and root (standard base64). */
export type TrustedCheckpoint = { note: string } | { size: number; rootHash: string | Uint8Array };

export type CheckpointProblem = 'fork' | 'rollback' | 'bad-signature' | 'bad-proof';

export interface TreeHead {
  size: number;
  /** Standard base64. */
  rootHash: string;
}

export type NewCheckpointCheck =
  | {
      ok: true;
      size: number;
      rootHash: string;
      /** False when the new checkpoint is the trusted tree again (same size and root). */
      grew: boolean;
      checkpoint: Checkpoint;
    }
  | {
      ok: false;
      problem: CheckpointProblem;
      message: string;
      trusted: TreeHead;
      /** The new checkpoint's claim (null when it could not be read at all). */
      candidate: TreeHead | null;
    };

/**
 * Checks `candidateNote` against the trusted checkpoint with `consistencyProof` (standard base64 hashes, from the
 * trusted size to the candidate's; ignored when the sizes are equal). Throws only when the trusted checkpoint or the
 * log key themselves are unusable, which is the caller's state, not the server's answer.
 */
export function checkNewCheckpoint(
  trusted: TrustedCheckpoint,
  candidateNote: string,
  consistencyProof: readonly string[],
  logKey: string | NoteVerifier,
): NewCheckpointCheck {
  const verifier = typeof logKey === 'string' ? parseVerifierKey(logKey.trim()) : logKey;
  const old = trustedHead(trusted, verifier);
  const oldHead = { size: old.size, rootHash: bytesToBase64(old.rootHash) };

  let candidate: Checkpoint;
  try {
    candidate = openCheckpoint(candidateNote, verifier).checkpoint;
  } catch (error) {
    return {
      ok: false,
      problem: 'bad-signature',
      message: `the new checkpoint does not verify with the log key ${verifier.name}: ${(error as Error).message}`,
      trusted: oldHead,
      candidate: null,
    };
  }
  const newHead = { size: candidate.size, rootHash: bytesToBase64(candidate.rootHash) };
  const alarm = (problem: CheckpointProblem, message: string): NewCheckpointCheck => ({
    ok: false,
    problem,
    message,
    trusted: oldHead,
    candidate: newHead,
  });

  if (candidate.size < old.size) {
    return alarm(
      'rollback',
      `the log signed a checkpoint of ${candidate.size} entries after one of ${old.size}: a log only grows, so its history has been rolled back or rewritten`,
    );
  }
  if (candidate.size === old.size) {
    if (equalBytes(candidate.rootHash, old.rootHash)) {
      return { ok: true, size: candidate.size, rootHash: newHead.rootHash, grew: false, checkpoint: candidate };
    }
    return alarm(
      'fork',
      `the log signed two different roots for the same size ${old.size}: two histories (a fork, or a rewritten log)`,
    );
  }

  const proof: Hash[] = [];
  for (const [i, text] of consistencyProof.entries()) {
    let hash: Uint8Array | null;
    try {
      hash = base64ToBytes(text);
    } catch {
      hash = null;
    }
    if (!hash || !isHash(hash))
      return alarm('bad-proof', `consistency proof hash ${i} is not 32 bytes of standard base64`);
    proof.push(hash);
  }
  const expected = proofLength(old.size, candidate.size);
  if (proof.length !== expected) {
    return alarm(
      'bad-proof',
      `a consistency proof from ${old.size} to ${candidate.size} entries has ${expected} hashes, this one has ${proof.length}`,
    );
  }
  if (verifyConsistency(old.size, candidate.size, proof, old.rootHash, candidate.rootHash)) {
    return { ok: true, size: candidate.size, rootHash: newHead.rootHash, grew: true, checkpoint: candidate };
  }
  const roots = rootsFromConsistencyProof(old.size, candidate.size, proof);
  if (roots && equalBytes(roots.newRoot, candidate.rootHash) && !equalBytes(roots.oldRoot, old.rootHash)) {
    return alarm(
      'fork',
      `the new checkpoint's tree does not start with the trusted one: by the proof, which is sound for the new root, its first ${old.size} entries have root ${bytesToBase64(roots.oldRoot)}, not the trusted ${oldHead.rootHash} (a fork, or a rewritten log)`,
    );
  }
  return alarm(
    'bad-proof',
    `the consistency proof does not show that the tree of ${candidate.size} entries extends the trusted tree of ${old.size}: the log may have forked, or served a wrong proof`,
  );
}

function trustedHead(trusted: TrustedCheckpoint, verifier: NoteVerifier): { size: number; rootHash: Uint8Array } {
  if ('note' in trusted) {
    try {
      return openCheckpoint(trusted.note, verifier).checkpoint;
    } catch (error) {
      throw new Error(`the trusted checkpoint does not verify with the log key: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const rootHash = typeof trusted.rootHash === 'string' ? base64ToBytes(trusted.rootHash) : trusted.rootHash;
  if (!Number.isSafeInteger(trusted.size) || trusted.size < 0 || !isHash(rootHash)) {
    throw new RangeError('the trusted checkpoint needs a size (an integer >= 0) and a 32-byte root hash');
  }
  return { size: trusted.size, rootHash };
}

const ZERO: Hash = new Uint8Array(32);

/** How many hashes the RFC 9162 consistency proof between these sizes has. */
function proofLength(size1: number, size2: number): number {
  const plan = planConsistency(size1, size2);
  return plan.build(plan.nodes.map(() => ZERO)).length;
}

/**
 * RFC 9162 §2.1.4.2 steps 2 to 6, returning the two roots the proof implies instead of comparing them, to tell a
 * proven fork from a proof that proves nothing. Accepting a checkpoint never depends on this (that is
 * `verifyConsistency`); it only names the alarm. Requires 0 < size1 < size2.
 */
function rootsFromConsistencyProof(
  size1: number,
  size2: number,
  proof: Hash[],
): { oldRoot: Hash; newRoot: Hash } | null {
  // When size1 is a power of two the proof starts from the old root itself, which is the claim in question.
  if (size1 <= 0 || isPowerOfTwo(size1) || proof.length === 0) return null;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = proof[0];
  let sr = proof[0];
  for (let i = 1; i < proof.length; i++) {
    const c = proof[i];
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? { oldRoot: fr, newRoot: sr } : null;
}

function isPowerOfTwo(value: number): boolean {
  let rest = value;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
}
