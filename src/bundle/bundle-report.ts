/**
 * What the offline verifier answers about an evidence bundle: one report, never an exception. Each failure names the
 * check that caught it, and where it could: the log index of the event and the item concerned.
 */

/**
 * - `checkpoint`: the checkpoint is not signed by the trusted log key, or names another log;
 * - `inclusion`: an event's inclusion proof does not lead from its recomputed leaf to the checkpoint's root;
 * - `signature`: an event's signature does not verify with its signer's key;
 * - `key-history`: the signer's key is not established by the bundled registry events at that log position
 *   (unknown, not the actor's, revoked), or a registry event breaks the registry rules;
 * - `custody`: the chain of custody of an item is broken (a gap, an item in two places, a transfer received by
 *   someone else than its recipient, an event that is about none of the items, ...);
 * - `statement`: the operator's export statement is missing, not the operator's, badly signed, or does not cover
 *   exactly the bundle's scope, generatedBy, generatedAt, checkpoint and lists (docs/PROTOCOL.md §9);
 * - `structure`: the bundle is not well-formed (a missing or mistyped member, indexes out of order or repeated,
 *   counts that disagree with the summary).
 */
export type BundleCheck =
  'checkpoint' | 'inclusion' | 'signature' | 'key-history' | 'custody' | 'statement' | 'structure';

export interface BundleFailure {
  check: BundleCheck;
  /** The log index of the event concerned. */
  index?: number;
  /** The item code concerned (the first of them when a failure covers several). */
  item?: string;
  message: string;
}

export interface BundleReport {
  /** True only when every check holds. */
  ok: boolean;
  /** The checkpoint every proof leads to, once verified with the trusted key; null when it did not verify. */
  checkpoint: { origin: string; size: number; rootHash: string } | null;
  counts: {
    registryEvents: number;
    events: number;
    items: number;
    /** Event signatures verified good (registry and scope events). */
    signatures: number;
    /** Failures found (one per event and rule, however many items it concerns); `failures` lists at most `maxFailures`. */
    failures: number;
  };
  /**
   * The operator's export statement, when it holds: its log index and recomputed leaf hash, to prove against a later
   * checkpoint that it was logged (docs/PROTOCOL.md §9). Null when it is missing or fails.
   */
  statement: { exportId: string; index: number; leafHash: string } | null;
  failures: BundleFailure[];
  /** What this bundle cannot show by its nature (not failures), e.g. the chain of custody of a time-window scope. */
  limits: string[];
}

export const DEFAULT_MAX_FAILURES = 1000;
const SAMPLE_ITEMS = 3;

/**
 * Collects failures, keeping the list bounded. A failure added with a `group` key is merged with the earlier ones of
 * the same key (one line per event and rule, however many items it concerns), its message extended with a count and a
 * few of the items.
 */
export class FailureLog {
  private readonly listed: BundleFailure[] = [];
  private readonly groups = new Map<string, { failure: BundleFailure; base: string; items: string[]; count: number }>();
  private total = 0;

  constructor(private readonly max = DEFAULT_MAX_FAILURES) {}

  get count(): number {
    return this.total;
  }

  add(failure: BundleFailure, group?: string): void {
    if (group !== undefined) {
      const existing = this.groups.get(group);
      if (existing) {
        existing.count++;
        if (failure.item !== undefined && existing.items.length < SAMPLE_ITEMS) existing.items.push(failure.item);
        return;
      }
    }
    this.total++;
    if (this.listed.length >= this.max) return;
    const listed = { ...failure };
    this.listed.push(listed);
    if (group !== undefined) {
      this.groups.set(group, {
        failure: listed,
        base: failure.message,
        items: failure.item ? [failure.item] : [],
        count: 1,
      });
    }
  }

  /** The failures in the order found, grouped ones with their final counts. */
  list(): BundleFailure[] {
    for (const { failure, base, items, count } of this.groups.values()) {
      if (count > 1) {
        const sample = items.length > 1 ? ` (${items.join(', ')}${count > items.length ? ', ...' : ''})` : '';
        failure.message = `${base} [${count} items${sample}]`;
      }
    }
    return this.listed.map((failure) => ({ ...failure }));
  }
}
