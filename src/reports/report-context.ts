import { sha256 } from '@noble/hashes/sha2.js';
import { ReportScope } from '../protocol/bundle';
import { SnapshotCheckpoint, Viewer } from './reports.repository';

/** Everything a format writer knows about the export besides what it streams from the snapshot. */
export interface ReportContext {
  exportId: string;
  scope: ReportScope;
  viewer: Viewer;
  viewerName: string | null;
  generatedAt: Date;
  log: { origin: string; verifierKey: string };
  checkpoint: SnapshotCheckpoint & { fingerprint: string };
  /** Units and events in scope (inside the checkpoint), newer events left out, and events withheld from the viewer. */
  counts: { items: number; events: number; excluded: number; withheld: number };
  /** Every unit's history is in the report up to the checkpoint (unit scopes); false for time windows. */
  completeHistories: boolean;
}

/**
 * A short name for a signed checkpoint that people can compare by eye: the first 16 hex characters of SHA-256 of the
 * whole signed note, as served at /v1/log/checkpoint and carried in the bundle's `checkpoint` field.
 */
export function checkpointFingerprint(note: string): string {
  const digest = sha256(new TextEncoder().encode(note));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}
