/**
 * The evidence bundle (docs/PROTOCOL.md §9): a regulator's export that anyone can check offline with the log's
 * verifier key and nothing else. Every event comes with its signature and an inclusion proof against ONE signed
 * checkpoint; the registry events that establish every signer's keys (and the operator's, who signs them) come
 * the same way, so the key history is itself proven in the log.
 *
 * Streamed as JSON in this key order: format, scope, generatedAt, generatedBy, log, checkpoint, registry, events,
 * items, summary, statement — so a reader can verify the checkpoint before the (possibly very long) lists arrive, and
 * the operator's export statement (./export-statement.ts), logged once the lists are out, binds them all.
 */
import { LedgerEvent } from './event';
import type { StatementEntry } from './export-statement';

export const BUNDLE_FORMAT = 'rxledger-evidence-bundle/v1';

export type ReportScope =
  | { kind: 'serial'; gtin: string; serial: string }
  | { kind: 'lot'; gtin: string; lot: string }
  | { kind: 'gtin'; gtin: string; from: string; to: string }
  | { kind: 'party'; gln: string; from: string; to: string }
  | { kind: 'alerts' };

/** One logged event, as the bundle carries it. */
export interface BundledEvent {
  /** Log index. */
  index: number;
  /** When the log accepted it (RFC 3339, millisecond precision): part of the leaf. */
  acceptedAt: string;
  event: LedgerEvent<Record<string, unknown>>;
  /** Ed25519 signature, standard base64. */
  signature: string;
  /** RFC 9162 inclusion proof of this entry against the bundle's checkpoint (standard base64 hashes). */
  inclusionProof: string[];
}

/**
 * A scope event whose body is withheld from the party the bundle was made for, because it does not name that party
 * (docs/PROTOCOL.md §1, §9): its type, and the parts of its leaf (acceptance time, event hash, signature), enough to
 * prove its place in the log, not its content.
 */
export interface WithheldEvent {
  index: number;
  acceptedAt: string;
  withheld: true;
  /** As the server states it: the leaf does not bind it. */
  type: string;
  /** SHA-256 of the event's signed bytes (standard base64). */
  eventHash: string;
  signature: string;
  inclusionProof: string[];
}

/** An element of a bundle's `events`. */
export type BundleEntry = BundledEvent | WithheldEvent;

/** A bundle; `EvidenceBundle` alone is one that withholds nothing (a regulator's), `EvidenceBundle<BundleEntry>` any. */
export interface EvidenceBundle<E extends BundleEntry = BundledEvent> {
  format: typeof BUNDLE_FORMAT;
  scope: ReportScope;
  generatedAt: string;
  /** GLN of the party that asked for the export. */
  generatedBy: string;
  log: {
    origin: string;
    /** The log's verifier key as the server announces it; a verifier must use a key it already trusts. */
    verifierKey: string;
  };
  /** The signed checkpoint (C2SP signed note) every proof in the bundle leads to. */
  checkpoint: string;
  /**
   * Registry events (party.register, key.add, key.revoke) of every signer of an event carried in full, of the party
   * the bundle was made for (its role says whether it may withhold anything) and of the operator, in log order.
   */
  registry: BundledEvent[];
  /** The events in scope, in log order; for a party (not a regulator), those that do not name it withheld. */
  events: E[];
  /** The units in scope with the log indexes of their events (their histories), as the server's read model has them. */
  items: { code: string; history: number[] }[];
  summary: { events: number; items: number; registryEvents: number };
  /** The operator's signed export statement (docs/PROTOCOL.md §9), logged after the checkpoint. */
  statement: StatementEntry;
}
