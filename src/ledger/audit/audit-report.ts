/**
 * What `audit` finds: counts, the rebuilt tree, and every disagreement between what is stored and what the
 * stored events imply, in the order a replay of the log meets them.
 */

export type AuditFailureCode =
  /** An index below the log's size has no entry (deleted, or never written). */
  | 'INDEX_MISSING'
  /** `event_json` is not JSON, or not an event object. */
  | 'EVENT_MALFORMED'
  /** `event_json` is not the RFC 8785 form of itself: it is not the text that was signed and hashed. */
  | 'EVENT_NOT_CANONICAL'
  /** A column (actor, event_id, event_type, key_id, event_time) disagrees with `event_json`. */
  | 'COLUMN_MISMATCH'
  /** `event_hash` is not SHA-256(prefix || event_json). */
  | 'EVENT_HASH_MISMATCH'
  /** `accepted_at` holds a time the 105-byte leaf cannot carry (finer than a millisecond). */
  | 'ACCEPTED_AT_INVALID'
  /** `accepted_at` is earlier than the previous entry's (acceptance times never decrease along the log). */
  | 'ACCEPTED_AT_DECREASES'
  /** `leaf_hash` is not the RFC 9162 hash of the leaf data built from accepted_at, the event hash and signature. */
  | 'LEAF_HASH_MISMATCH'
  /** The key history in the log, up to this index, does not let this key sign this event (unknown, revoked, ...). */
  | 'SIGNER_NOT_ALLOWED'
  /** A registry event (party.register, key.add, key.revoke) that the registry rules refuse. */
  | 'REGISTRY_EVENT_INVALID'
  /** The signature is not a valid strict Ed25519 signature of the event by the signer's key. */
  | 'SIGNATURE_INVALID'
  /** A stored tile hash differs from the one the rebuilt tree has. */
  | 'TREE_HASH_MISMATCH'
  /** A tile hash the integrator must have stored (it lies inside the largest checkpoint) is absent. */
  | 'TREE_HASH_MISSING'
  /** A stored tile hash that no checkpointed tree contains. */
  | 'TREE_HASH_UNEXPECTED'
  /** The checkpoint note is malformed, not signed by the log key, or signed for another origin. */
  | 'CHECKPOINT_NOTE_INVALID'
  /** The checkpoint's `tree_size` or `root_hash` column disagrees with its signed note. */
  | 'CHECKPOINT_COLUMN_MISMATCH'
  /** The signed root is not the root of the first `size` leaves of the rebuilt tree. */
  | 'CHECKPOINT_ROOT_MISMATCH'
  /** A checkpoint for more leaves than the log holds. */
  | 'CHECKPOINT_BEYOND_LOG'
  /** The sequencer disagrees with the entries (its next index is not the number of entries). */
  | 'SEQUENCER_MISMATCH'
  /**
   * The read model's inherited custody (issue 12 §1) does not hold together: a packed item's stored top is not its
   * outermost container, its open membership interval names another container (or none), or it counts more of its
   * top's receipts than the top has had.
   */
  | 'CUSTODY_INHERITANCE_INVALID';

export interface AuditFailure {
  code: AuditFailureCode;
  /** Human-readable location: `log entry 42`, `tile hash 1/3`, `checkpoint 300`, `sequencer`, `item <code>`. */
  where: string;
  /** The log index, for failures of one entry. */
  index?: number;
  /** The tree_hash row (tile level >= 1, index), for tile hash failures. */
  tile?: { level: number; index: number };
  /** The checkpoint's tree_size, for checkpoint failures. */
  checkpointSize?: number;
  message: string;
}

export interface AuditReport {
  ok: boolean;
  /** The log's origin (the name of its verifier key). */
  origin: string;
  /** Log entries read and checked. */
  entries: number;
  /** Leaves in the rebuilt tree (the entries, unless an index is missing). */
  treeSize: number;
  /** Root of the rebuilt tree, standard base64. */
  rootHash: string;
  signaturesVerified: number;
  /** party.register, key.add and key.revoke events replayed into the key registry. */
  registryEvents: number;
  parties: number;
  keys: number;
  /** Stored tile hashes (tree levels 8, 16, ...) compared with the rebuilt tree. */
  tileHashesChecked: number;
  checkpointsChecked: number;
  latestCheckpointSize: number | null;
  /**
   * True when every stored checkpoint was checked and each one's root is the root of a prefix of the single
   * rebuilt tree: then every checkpoint is consistent with every other (RFC 9162 consistency holds pairwise).
   */
  checkpointsConsistent: boolean;
  firstFailure: AuditFailure | null;
  /** The first failures, in replay order (at most `maxFailures`). */
  failures: AuditFailure[];
  failureCount: number;
  startedAt: string;
  durationMs: number;
  entriesPerSecond: number;
}

/** A few lines for a person at a terminal. */
export function formatAuditReport(report: AuditReport): string {
  const seconds = (report.durationMs / 1000).toFixed(2);
  const lines = [
    `log ${report.origin}: ${report.entries} entries in ${seconds} s (${Math.round(report.entriesPerSecond)} entries/s)`,
    `  leaves rehashed and tree rebuilt: size ${report.treeSize}, root ${report.rootHash}`,
    `  signatures re-verified against the key history in the log: ${report.signaturesVerified}` +
      ` (${report.registryEvents} registry events replayed: ${report.parties} parties, ${report.keys} keys)`,
    `  stored tile hashes matched: ${report.tileHashesChecked}`,
    `  checkpoints verified (signature, origin, size, root): ${report.checkpointsChecked}` +
      (report.latestCheckpointSize === null ? ' (none stored)' : `, latest size ${report.latestCheckpointSize}`),
  ];
  if (report.checkpointsConsistent && report.checkpointsChecked > 1) {
    lines.push('  every checkpoint is a root of one rebuilt tree, so all checkpoints are mutually consistent');
  }
  if (report.ok) {
    lines.push('OK: the log tables agree with the events and every signed checkpoint');
  } else {
    const first = report.firstFailure!;
    lines.push(`FAILED: ${report.failureCount} disagreement(s); the first is ${first.where}: ${first.message}`);
    for (const failure of report.failures.slice(1, 20)) lines.push(`  ${failure.where}: ${failure.message}`);
    if (report.failureCount > Math.min(report.failures.length, 20)) {
      lines.push(`  ... and ${report.failureCount - Math.min(report.failures.length, 20)} more`);
    }
  }
  return lines.join('\n');
}
