/**
 * Evidence that an answer is backed by the log (docs/PROTOCOL.md §8), and its check. Pure: the browser, the CLI
 * and the SDK run this against a log key they trust, so they need not trust the server that answered.
 */
import { NoteVerifier, openCheckpoint, parseVerifierKey } from '../checkpoint';
import { leafHash } from '../merkle/hash';
import { verifyInclusion } from '../merkle/verify';
import { base64ToBytes, bytesToBase64, equalBytes } from '../bytes';
import { decodeLeaf } from './leaf';

export interface Evidence {
  /** Log index of the event the evidence is about. */
  index: number;
  /** The 105-byte leaf data (standard base64): version, acceptance time, event hash, signature. */
  leafData: string;
  /** SHA-256(0x00 || leaf data), standard base64. */
  leafHash: string;
  inclusionProof: { treeSize: number; hashes: string[] };
  /** The signed checkpoint (C2SP signed note) the proof leads to. */
  checkpoint: string;
}

export type EvidenceCheck =
  { ok: true; treeSize: number; acceptedAt: string; eventHash: string } | { ok: false; problem: string };

/** Checks the checkpoint's signature, the leaf data against the leaf hash, and the inclusion proof. */
export function checkEvidence(evidence: Evidence, logKey: string | NoteVerifier): EvidenceCheck {
  try {
    const verifier = typeof logKey === 'string' ? parseVerifierKey(logKey) : logKey;
    const { checkpoint } = openCheckpoint(evidence.checkpoint, verifier);
    if (checkpoint.size !== evidence.inclusionProof.treeSize) {
      return {
        ok: false,
        problem: `the proof is for a tree of ${evidence.inclusionProof.treeSize}, the checkpoint for ${checkpoint.size}`,
      };
    }
    const data = base64ToBytes(evidence.leafData);
    const leaf = leafHash(data);
    if (!equalBytes(leaf, base64ToBytes(evidence.leafHash))) {
      return { ok: false, problem: 'the leaf data does not hash to the leaf hash' };
    }
    const proof = evidence.inclusionProof.hashes.map(base64ToBytes);
    if (!verifyInclusion(leaf, evidence.index, checkpoint.size, proof, checkpoint.rootHash)) {
      return {
        ok: false,
        problem: `the inclusion proof of entry ${evidence.index} does not lead to checkpoint ${checkpoint.size}'s root`,
      };
    }
    const decoded = decodeLeaf(data);
    return {
      ok: true,
      treeSize: checkpoint.size,
      acceptedAt: new Date(decoded.acceptedAtMs).toISOString(),
      eventHash: bytesToBase64(decoded.eventHash),
    };
  } catch (error) {
    return { ok: false, problem: (error as Error).message };
  }
}
