/**
 * What the alert endpoints answer (docs/PROTOCOL.md §8.6). Types only, so the regulator page shares this one
 * definition with the server.
 */
import type { AlertKind, AlertSeverity, AlertState } from './alert-rules';

/** One alert in the list (GET /v1/alerts) and in the CSV export, field for field. */
export interface AlertView {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  gtin: string;
  serial: string;
  code: string;
  /** The unit's lot in the log; null when the log does not know the unit. */
  lot: string | null;
  /** The lot the package printed (as scanned, latest scan), which may be false. */
  printedLot: string | null;
  /** The recall's class when the alert is about a recalled lot (null: none given, or no recall). */
  recallClass: string | null;
  manufacturer: string | null;
  /** The parties whose scans the alert groups (those the caller may see). */
  parties: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  state: AlertState;
  /** Regulators only (null for other parties): to whom it is assigned, and when it was last acted on. */
  assignee: string | null;
  lastActionAt: string | null;
}

export interface AlertHistoryEntry {
  action: string;
  at: string;
  /** The party, its role and, when a person signed in acted, who (issue 13 §1). */
  by: { gln: string; name: string | null; role: string; person: { id: string; name: string | null } | null };
  assignee?: string;
  note?: string;
}
