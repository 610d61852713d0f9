/**
 * What the explorer does with each checkpoint it is served: `checkNewCheckpoint` (src/bundle/monitor.ts, the check
 * the CLI's monitor and the SDK run too) against the last checkpoint this browser trusted, with the consistency
 * proof fetched from the log. A fork, a rollback, a proof that proves nothing or a bad signature is an alarm.
 */
import { checkNewCheckpoint, CheckpointProblem } from '../../../src/bundle/monitor';
import { openCheckpoint, NoteVerifier } from '../../../src/checkpoint';
import { bytesToBase64 } from '../../../src/bytes';

/** A checkpoint this browser has opened (signature checked). */
export interface Seen {
  size: number;
  /** Root hash, standard base64. */
  root: string;
  note: string;
  /** When this browser first saw it. */
  at: string;
}

export type Step =
  | { kind: 'first'; offered: Seen }
  | { kind: 'same'; offered: Seen }
  | { kind: 'grown'; trusted: Seen; offered: Seen; proof: string[] }
  | {
      kind: 'alarm';
      problem: CheckpointProblem;
      message: string;
      trusted: Seen;
      /** What was served: its size and root when it could be read at all. */
      offered: { size: number | null; root: string | null; note: string; at: string };
      proof: string[];
    };

/** Opens a served checkpoint note with the pinned key; throws (NoteError) if the signature does not verify. */
export function openServed(note: string, verifier: NoteVerifier, at = new Date().toISOString()): Seen {
  const { checkpoint } = openCheckpoint(note, verifier);
  return { size: checkpoint.size, root: bytesToBase64(checkpoint.rootHash), note, at };
}

/** A consistency proof between two sizes, as GET /v1/log/proof/consistency gives it (base64 hashes). */
export type ProofSource = (from: number, to: number) => Promise<{ from: number; to: number; hashes: string[] }>;

/**
 * Compares a served checkpoint note with the trusted one. Without a trusted checkpoint, a note whose signature does
 * not verify throws (there is nothing to compare with yet).
 */
export async function compare(
  trusted: Seen | null,
  note: string,
  verifier: NoteVerifier,
  proofOf: ProofSource,
): Promise<Step> {
  const at = new Date().toISOString();
  if (!trusted) return { kind: 'first', offered: openServed(note, verifier, at) };
  let size: number | null = null;
  try {
    size = openServed(note, verifier, at).size;
  } catch {
    // checkNewCheckpoint names the problem below.
  }
  const proof = size !== null && size > trusted.size ? (await proofOf(trusted.size, size)).hashes : [];
  const check = checkNewCheckpoint({ note: trusted.note }, note, proof, verifier);
  if (check.ok) {
    const offered = { size: check.size, root: check.rootHash, note, at };
    return check.grew ? { kind: 'grown', trusted, offered, proof } : { kind: 'same', offered };
  }
  return {
    kind: 'alarm',
    problem: check.problem,
    message: check.message,
    trusted,
    offered: { size: check.candidate?.size ?? null, root: check.candidate?.rootHash ?? null, note, at },
    proof,
  };
}
