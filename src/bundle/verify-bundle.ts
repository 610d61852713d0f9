/**
 * The offline verifier of evidence bundles (src/protocol/bundle.ts; issue 5 item 2). With nothing but the log's
 * verifier key, which the user already trusts, it checks:
 *
 *  (a) the checkpoint: signed by the trusted key, for the log the bundle names;
 *  (b) every event's inclusion proof, registry and scope events alike, from a leaf recomputed here from `acceptedAt`,
 *      the RFC 8785 bytes of the event and its signature (src/protocol/leaf.ts) to the checkpoint's root;
 *  (c) every event's signature, by the key its signer could sign with at that log position according to the
 *      bundled key history, which is replayed with the server's own registry rules (genesis rule included) and is
 *      itself proven by (b);
 *  (d) the chain of custody of every unit listed in `items`: the events replayed through the server's own custody
 *      rules (./custody-replay.ts, src/protocol/custody), each refusal reported with the server's code; and that the histories the bundle
 *      claims are the ones its events make;
 *  (e) that the summary counts what the bundle holds.
 *
 * It never throws: every problem, malformed input included, is a failure in the report. It is incremental
 * (`BundleVerifier`), so a bundle can be checked as it is read (`verifyBundleStream`) in memory that grows with the
 * number of units and events, not with the bundle's size in bytes. Pure: the browser and the SDK run it too.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { Ed25519NoteVerifier, openCheckpoint, parseVerifierKey } from '../checkpoint';
import { Hash, leafHash } from '../merkle/hash';
import { verifyInclusion } from '../merkle/verify';
import { BUNDLE_FORMAT, ReportScope } from '../protocol/bundle';
import { parseEventTime } from '../protocol/event';
import { isUnitCode, parseItemCode, unitCode } from '../protocol/item-code';
import { encodeLeaf } from '../protocol/leaf';
import { REGISTRY_EVENT_TYPES, RegistryViolation } from '../protocol/registry';
import { bytesToBase64 } from '../bytes';
import { verifyStrict } from '../signing/ed25519';
import { signedEventBytes } from '../signing/event-signing';
import { BundleCheck, BundleFailure, BundleReport, DEFAULT_MAX_FAILURES, FailureLog } from './bundle-report';
import {
  acceptedAtMs,
  describe,
  EntryShape,
  gln,
  readEntry,
  isWithheld,
  readItem,
  readScope,
  readSummary,
  readWithheld,
  record,
  ShapeError,
  string,
  WithheldShape,
} from './bundle-shape';
import { BundleJsonSplitter, BundleSink, BundleSyntaxError } from './bundle-stream';
import { ExportStatementCheck } from './export-statement-check';
import type { TextHash } from '../protocol/export-statement';
import {
  BundleCustody,
  CustodyIssue,
  ITEM_EVENT_TYPES,
  PRODUCT_EVENT_TYPES,
  ProductEvent,
  STATELESS_CODES,
} from './custody-replay';
import { KeyHistory, Signer } from './key-history';

export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

export interface VerifyBundleOptions {
  /**
   * Strict Ed25519 verification; `verifyStrict` (pure) by default. A Node program may pass `verifyStrictNode`, which
   * gives the same verdicts about ten times faster (test/unit/signing/equivalence.spec.ts).
   */
  verifySignature?: SignatureVerifier;
  /**
   * SHA-256 for the export statement's list digests; pure by default. A Node program may pass `nodeTextHash`
   * (src/protocol/export-statement-node.ts): the same digests, faster.
   */
  textHash?: () => TextHash;
  /** How many failures the report lists (all are counted). */
  maxFailures?: number;
}

/** The members of a bundle, in the order the format streams them. */
export const BUNDLE_MEMBERS = [
  'format',
  'scope',
  'generatedAt',
  'generatedBy',
  'log',
  'checkpoint',
  'registry',
  'events',
  'items',
  'summary',
  'statement',
] as const;
type Member = (typeof BUNDLE_MEMBERS)[number];
const LISTS: ReadonlySet<string> = new Set(['registry', 'events', 'items']);
const REGISTRY_TYPES: ReadonlySet<string> = new Set(REGISTRY_EVENT_TYPES);
/** How many members the format does not define the report names (docs/PROTOCOL.md §11: they are ignored). */
const MAX_UNKNOWN_LISTED = 5;

/**
 * Verifies a bundle already parsed from JSON. A parsed value no longer shows a member name repeated in an object
 * (JSON.parse kept the last): a bundle received as text is verified with `verifyBundleText` or `verifyBundleStream`,
 * which refuse that (docs/PROTOCOL.md §9).
 */
export function verifyBundle(bundle: unknown, trustedLogKey: string, options: VerifyBundleOptions = {}): BundleReport {
  const verifier = new BundleVerifier(trustedLogKey, options);
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) {
    verifier.malformed('$', `a bundle is a JSON object, not ${describe(bundle)}`);
    return verifier.report();
  }
  const members = bundle as Record<string, unknown>;
  for (const name of BUNDLE_MEMBERS) {
    if (!(name in members)) continue;
    const value = members[name];
    if (LISTS.has(name) && Array.isArray(value)) {
      verifier.startList(name);
      value.forEach((element, position) => verifier.element(name, position, element));
    } else {
      verifier.member(name, value);
    }
  }
  for (const name of Object.keys(members)) {
    if (!(BUNDLE_MEMBERS as readonly string[]).includes(name)) verifier.member(name, members[name]);
  }
  return verifier.finish();
}

/** Verifies a bundle's JSON text. */
export function verifyBundleText(text: string, trustedLogKey: string, options: VerifyBundleOptions = {}): BundleReport {
  const verifier = new BundleVerifier(trustedLogKey, options);
  const splitter = new BundleJsonSplitter(verifier, LISTS);
  try {
    splitter.write(text);
    splitter.end();
  } catch (error) {
    if (error instanceof BundleSyntaxError) return verifier.stopped(error);
    throw error;
  }
  return verifier.finish();
}

/**
 * Verifies a bundle's JSON text as it arrives (e.g. a file read in chunks), without holding all of it. Rejects only
 * when `chunks` itself fails (an I/O error); whatever the text, the answer is a report.
 */
export async function verifyBundleStream(
  chunks: AsyncIterable<string> | Iterable<string>,
  trustedLogKey: string,
  options: VerifyBundleOptions = {},
): Promise<BundleReport> {
  const verifier = new BundleVerifier(trustedLogKey, options);
  const splitter = new BundleJsonSplitter(verifier, LISTS);
  try {
    for await (const chunk of chunks) splitter.write(chunk);
    splitter.end();
  } catch (error) {
    if (error instanceof BundleSyntaxError) return verifier.stopped(error);
    throw error;
  }
  return verifier.finish();
}

/** What the verifier keeps of a scope event until the items have been read. */
interface EventNote {
  type: string;
  actor: string;
}

/**
 * The verifier fed piece by piece, in the format's member order; `finish` gives the report. Members may be left
 * out (that is a failure), but the checkpoint must come before the lists and the events before the items.
 */
export class BundleVerifier implements BundleSink {
  private readonly failures: FailureLog;
  private readonly verifySignature: SignatureVerifier;
  private readonly trusted: Ed25519NoteVerifier | null = null;
  private readonly seen = new Set<string>();
  private stage = -1;
  private scope: ReportScope | null = null;
  /** A time-window scope's bounds, in ms since the epoch. */
  private window: { from: number; to: number } | null = null;
  private origin: string | null = null;
  private checkpoint: { origin: string; size: number; rootHash: Uint8Array } | null = null;
  private checkpointSettled = false;
  private inclusionSkipped = false;
  private readonly counts = { registryEvents: 0, events: 0, items: 0, signatures: 0 };
  private summary: { events: number; items: number; registryEvents: number } | null = null;
  private readonly keys = new KeyHistory();
  private readonly custody = new BundleCustody({ party: (gln) => this.keys.partyAsOf(gln) }, () => this.windowed);
  private readonly lastIndex = { registry: -1, events: -1 };
  /** Leaf hashes of the registry entries, by index: an index in both lists must be the same entry. */
  private readonly registryLeaves = new Map<number, string>();
  private readonly events = new Map<number, EventNote>();
  private readonly itemCodes = new Set<string>();
  private readonly itemGtins = new Set<string>();
  private readonly itemLots = new Set<string>();
  private readonly productChecked = new Set<string>();
  /** In a time window: the events that act on a container (computed once the events are read). */
  private containerEvents: Set<number> | null = null;
  /** Events that act on a listed item. */
  private readonly aboutItems = new Set<number>();
  /** Packs carried as the items' containment context (docs/PROTOCOL.md §9), known once `items` is read. */
  private context: ReadonlySet<number> = new Set();
  /** Acceptance time of every entry, by log index: they never decrease along the log. */
  private readonly acceptedAt = new Map<number, number>();
  /** What the report must say the bundle does not show (beyond a time window's limit). */
  private readonly extraLimits: string[] = [];
  /** Members the format does not define, ignored (docs/PROTOCOL.md §11): how many, and the first few paths. */
  private readonly unknownMembers = { count: 0, paths: [] as string[] };
  private readonly unknown = (path: string): void => {
    if (this.unknownMembers.count++ < MAX_UNKNOWN_LISTED) this.unknownMembers.paths.push(path);
  };
  /** Log index of each (actor, event id): an event is logged once. */
  private readonly eventIds = new Map<string, number>();
  private generatedBy: string | null = null;
  private generatedAt: string | null = null;
  /** The operator's export statement (docs/PROTOCOL.md §9), and the lists digested for it as they are read. */
  private readonly statement: ExportStatementCheck;
  private statementVerified: BundleReport['statement'] = null;
  /** Scope events whose bodies the bundle withholds (docs/PROTOCOL.md §9), by log index: their claimed type. */
  private readonly withheld = new Map<number, string>();
  private readonly withheldTypes = new Set<string>();
  /** Custody findings after a withheld event: judged once the items' histories say which units it may have moved. */
  private readonly deferred: { index: number; issue: CustodyIssue }[] = [];
  /** Units whose histories list a withheld event: the first such index. */
  private readonly firstWithheld = new Map<string, number>();
  /** Units whose commissioning, and GTINs whose registration, may be among the withheld events. */
  private readonly unseenOrigin = { units: 0, products: 0, containers: 0 };

  constructor(trustedLogKey: string, options: VerifyBundleOptions = {}) {
    this.failures = new FailureLog(options.maxFailures ?? DEFAULT_MAX_FAILURES);
    this.verifySignature = options.verifySignature ?? verifyStrict;
    this.statement = new ExportStatementCheck(options.textHash);
    try {
      this.trusted = parseVerifierKey(String(trustedLogKey).trim());
    } catch (error) {
      this.fail('checkpoint', `the trusted log key is not a usable verifier key: ${(error as Error).message}`);
    }
  }

  /**
   * A time-window scope (GTIN or party) carries only the events inside the window, and the items' histories only
   * those: the state of an item before the window is unknown, so its chain of custody cannot be judged, only that
   * every event its history lists is in the bundle.
   */
  private get windowed(): boolean {
    return this.scope?.kind === 'gtin' || this.scope?.kind === 'party';
  }

  // ---- BundleSink ----

  member(name: string, value: unknown): void {
    guarded(this, name, () => this.memberUnguarded(name, value));
  }

  private memberUnguarded(name: string, value: unknown): void {
    if (!this.enter(name)) return;
    try {
      switch (name as Member) {
        case 'format':
          if (value !== BUNDLE_FORMAT) {
            throw new ShapeError('format', `expected ${JSON.stringify(BUNDLE_FORMAT)}, got ${describe(value)}`);
          }
          return;
        case 'scope':
          this.scope = readScope(value, 'scope', this.unknown);
          if (this.scope.kind === 'gtin' || this.scope.kind === 'party') {
            this.window = { from: Date.parse(this.scope.from), to: Date.parse(this.scope.to) };
          }
          return;
        case 'generatedAt':
          acceptedAtMs(value, 'generatedAt'); // the one form the server writes: UTC, milliseconds
          this.generatedAt = value as string;
          return;
        case 'generatedBy':
          this.generatedBy = gln(value, 'generatedBy');
          return;
        case 'log':
          this.readLog(value);
          return;
        case 'checkpoint':
          this.openCheckpoint(value);
          return;
        case 'registry':
        case 'events':
        case 'items':
          throw new ShapeError(name, `expected an array, got ${describe(value)}`);
        case 'summary':
          this.summary = readSummary(value, 'summary', this.unknown);
          return;
        case 'statement':
          this.statement.read(value);
          return;
      }
    } catch (error) {
      this.shapeFailure(error);
    }
  }

  startList(name: string): void {
    this.enter(name);
  }

  element(name: string, position: number, value: unknown): void {
    guarded(this, `${name}[${position}]`, () => this.elementUnguarded(name, position, value));
  }

  private elementUnguarded(name: string, position: number, value: unknown): void {
    if (name === 'items') {
      this.counts.items++;
      this.item(position, value);
    } else if (name === 'registry' || name === 'events') {
      if (name === 'registry') this.counts.registryEvents++;
      else this.counts.events++;
      this.entry(name, position, value);
    }
  }

  /** @internal A failure found outside the checks (see `guarded`). */
  internalFailure(path: string, error: unknown): void {
    this.fail('structure', `${path}: could not be checked (${String(error)})`);
  }

  malformed(path: string, reason: string): void {
    this.fail('structure', `${path}: ${reason}`);
  }

  /** Reading stopped on text that is not a bundle: the report of what was checked until then. */
  stopped(error: BundleSyntaxError): BundleReport {
    this.fail('structure', `${error.message}; the rest of the bundle was not read`);
    return this.report();
  }

  finish(): BundleReport {
    for (const name of BUNDLE_MEMBERS) {
      if (!this.seen.has(name) && name !== 'statement') this.fail('structure', `${name}: missing`);
    }
    this.judgeListed();
    this.settleCheckpoint();
    this.eventsAboutNoItem();
    this.itemsListEveryUnit();
    this.judgeWithheld();
    this.acceptanceOrder();
    this.wholeLot();
    this.unjudgedReturns();
    this.judgeStatement();
    if (this.summary) {
      const compare: [keyof typeof this.counts & keyof NonNullable<typeof this.summary>, string][] = [
        ['registryEvents', 'registry events'],
        ['events', 'events'],
        ['items', 'items'],
      ];
      for (const [key, words] of compare) {
        if (this.summary[key] !== this.counts[key]) {
          this.fail(
            'structure',
            `summary.${key}: the summary counts ${this.summary[key]} ${words}, the bundle holds ${this.counts[key]}`,
          );
        }
      }
    }
    return this.report();
  }

  // ---- members ----

  /**
   * Records a member; false when it is not one of the format's (ignored, and named in the limits: docs/PROTOCOL.md
   * §11). Out-of-order members are reported.
   */
  private enter(name: string): boolean {
    const stage = (BUNDLE_MEMBERS as readonly string[]).indexOf(name);
    if (stage < 0) {
      this.unknown(name);
      return false;
    }
    if (this.seen.has(name)) {
      this.fail('structure', `${name}: appears twice`);
      return false;
    }
    this.seen.add(name);
    if (stage < this.stage) {
      this.fail(
        'structure',
        `${name}: comes after ${BUNDLE_MEMBERS[this.stage]}, but the format streams its members in the order ${BUNDLE_MEMBERS.join(', ')}`,
      );
    }
    this.stage = Math.max(this.stage, stage);
    if (LISTS.has(name)) this.settleCheckpoint();
    return true;
  }

  private readLog(value: unknown): void {
    const log = record(value, 'log');
    this.origin = string(log.origin, 'log.origin');
    const announced = string(log.verifierKey, 'log.verifierKey');
    if (!this.trusted) return;
    if (this.origin !== this.trusted.name) {
      this.fail(
        'checkpoint',
        `log.origin: the bundle is from log ${JSON.stringify(this.origin)}, the trusted key is for ${JSON.stringify(this.trusted.name)}`,
      );
    }
    let announcedKey: Ed25519NoteVerifier | null;
    try {
      announcedKey = parseVerifierKey(announced.trim());
    } catch {
      announcedKey = null;
    }
    if (
      !announcedKey ||
      bytesToBase64(announcedKey.publicKey) !== bytesToBase64(this.trusted.publicKey) ||
      announcedKey.name !== this.trusted.name
    ) {
      this.fail(
        'checkpoint',
        `log.verifierKey: the bundle announces the key ${JSON.stringify(announced).slice(0, 100)}, not the key you trust`,
      );
    }
  }

  private openCheckpoint(value: unknown): void {
    const note = string(value, 'checkpoint');
    if (!this.trusted) return;
    try {
      const { checkpoint } = openCheckpoint(note, this.trusted);
      this.checkpoint = checkpoint;
      if (this.origin !== null && this.origin !== checkpoint.origin) {
        this.fail(
          'checkpoint',
          `checkpoint: its origin ${JSON.stringify(checkpoint.origin)} is not log.origin ${JSON.stringify(this.origin)}`,
        );
      }
    } catch (error) {
      this.fail(
        'checkpoint',
        `checkpoint: does not verify with the trusted log key ${this.trusted.name}: ${(error as Error).message}`,
      );
    }
  }

  /** Once the lists start, the checkpoint is what it is: without one, no inclusion can be checked (said once). */
  private settleCheckpoint(): void {
    if (this.checkpointSettled) return;
    this.checkpointSettled = true;
    if (!this.checkpoint && this.trusted && this.seen.has('checkpoint')) {
      this.inclusionSkipped = true;
    }
  }

  // ---- registry and scope events ----

  private entry(list: 'registry' | 'events', position: number, value: unknown): void {
    const path = `${list}[${position}]`;
    if (isWithheld(value)) {
      if (list === 'registry') this.fail('structure', `${path}: registry events are never withheld`);
      else this.withheldEntry(path, value);
      return;
    }
    let entry: EntryShape;
    try {
      entry = readEntry(value, path, this.unknown);
    } catch (error) {
      this.shapeFailure(error);
      return;
    }
    const { index, event, acceptedAtMs, signature } = entry;
    this.place(list, path, index, acceptedAtMs);
    const id = `${event.actor}\u0000${event.id}`;
    const first = this.eventIds.get(id);
    if (first === undefined) this.eventIds.set(id, index);
    else if (first !== index) {
      this.fail(
        'structure',
        `${path}: event ${JSON.stringify(event.id)} of ${event.actor} is logged at index ${first} already; the log takes an event once, so this is a replay`,
        { index },
      );
    }

    let message: Uint8Array;
    try {
      message = signedEventBytes(event);
    } catch (error) {
      this.fail('structure', `${path}.event: has no RFC 8785 form (${(error as Error).message})`, { index });
      return;
    }
    const leaf = leafHash(encodeLeaf({ acceptedAtMs, eventHash: sha256(message), signature }));
    this.checkInclusion(list, path, index, leaf, entry.proof);

    if (list === 'registry') {
      this.registryEntry(path, entry, message, leaf);
    } else {
      this.scopeEntry(path, entry, message, leaf);
    }
  }

  /** Each list is in log order without repeats; acceptance times are compared across both at the end. */
  private place(list: 'registry' | 'events', path: string, index: number, acceptedAtMs: number): void {
    if (index <= this.lastIndex[list]) {
      this.fail(
        'structure',
        `${path}.index: ${list} must be in log order without repeats, but index ${index} follows ${this.lastIndex[list]}`,
        { index },
      );
    }
    this.lastIndex[list] = Math.max(this.lastIndex[list], index);
    this.acceptedAt.set(index, acceptedAtMs);
    this.statement.entry(list, index);
  }

  /**
   * A withheld scope event: its leaf, rebuilt from what the log publishes of it (acceptance time, event hash,
   * signature), must be in the checkpoint's tree at its index. Nothing else about it can be checked.
   */
  private withheldEntry(path: string, value: unknown): void {
    let entry: WithheldShape;
    try {
      entry = readWithheld(value, path, this.unknown);
    } catch (error) {
      this.shapeFailure(error);
      return;
    }
    const { index, acceptedAtMs, eventHash, signature } = entry;
    this.place('events', path, index, acceptedAtMs);
    const leaf = leafHash(encodeLeaf({ acceptedAtMs, eventHash, signature }));
    this.checkInclusion('events', path, index, leaf, entry.proof);
    if (this.events.has(index)) return;
    this.withheld.set(index, entry.type);
    this.withheldTypes.add(entry.type);
  }

  private checkInclusion(list: string, path: string, index: number, leaf: Hash, proof: Hash[]): void {
    if (!this.checkpoint) {
      if (this.inclusionSkipped) {
        this.inclusionSkipped = false;
        this.fail(
          'inclusion',
          'no inclusion proof could be checked: the bundle has no checkpoint signed by the trusted key',
        );
      }
      return;
    }
    const { size, rootHash } = this.checkpoint;
    if (!verifyInclusion(leaf, index, size, proof, rootHash)) {
      this.fail(
        'inclusion',
        `${path}: the inclusion proof does not lead from the leaf (recomputed from acceptedAt, the event and its signature) at log index ${index} to the root of checkpoint ${size}` +
          (index >= size ? ` (index ${index} is beyond the checkpoint)` : '') +
          (list === 'registry' ? ' (a registry event)' : ''),
        { index },
      );
    }
  }

  private registryEntry(path: string, entry: EntryShape, message: Uint8Array, leaf: Hash): void {
    const { index, event, acceptedAtMs } = entry;
    this.registryLeaves.set(index, bytesToBase64(leaf));
    if (!REGISTRY_TYPES.has(event.type)) {
      this.fail(
        'structure',
        `${path}.event.type: ${JSON.stringify(event.type).slice(0, 40)} is not a registry event type`,
        { index },
      );
      return;
    }
    const signer = this.signer(path, entry, () => this.keys.registrySigner(index, event, acceptedAtMs));
    if (!signer) return; // refused at intake: it changed nothing
    this.checkSignature(path, entry, message, signer);
    try {
      this.keys.apply(index, event, acceptedAtMs);
    } catch (error) {
      const reason = error instanceof RegistryViolation ? `${error.code}: ${error.message}` : (error as Error).message;
      this.fail('key-history', `${path}: the registry rules refuse this ${event.type}: ${reason}`, { index });
    }
  }

  private scopeEntry(path: string, entry: EntryShape, message: Uint8Array, leaf: Hash): void {
    const { index, event, acceptedAtMs } = entry;
    if (this.events.has(index) || this.withheld.has(index)) return; // repeated index: already reported
    this.events.set(index, { type: event.type, actor: event.actor });
    const signer = this.signer(path, entry, () => this.keys.signerAt(index, event, acceptedAtMs));
    if (signer) this.checkSignature(path, entry, message, signer);
    if (REGISTRY_TYPES.has(event.type)) {
      // A registry event the report also lists as an event: it must be the registry list's own entry.
      if (this.registryLeaves.get(index) !== bytesToBase64(leaf)) {
        this.fail(
          'key-history',
          `${path}: a ${event.type} that the bundle's registry list does not hold, so its key history skips it`,
          { index },
        );
      }
      return;
    }
    this.checkInWindow(index, event.type, event.time);
    let issues;
    try {
      issues = this.custody.apply(index, event, signer?.party?.role, acceptedAtMs, `${path}.event`);
    } catch (error) {
      this.shapeFailure(error, index);
      return;
    }
    for (const issue of issues) {
      if (STATELESS_CODES.has(issue.rule)) this.custodyIssue(index, issue);
      else if (!this.windowed) this.deferred.push({ index, issue }); // judged once `items` is read: judgeListed
    }
  }

  private custodyIssue(index: number, issue: CustodyIssue): void {
    this.fail('custody', `log index ${index}: ${issue.message}`, { index, item: issue.items[0] });
  }

  /**
   * A time-window scope carries the events whose event time (the signed `time`, not the acceptance) lies in
   * [from, to): `to` itself is outside (docs/PROTOCOL.md §9). Compared to the millisecond, as the server compares:
   * the bounds are whole milliseconds, and an event time's finer digits cannot carry it across one.
   */
  private checkInWindow(index: number, type: string, time: string): void {
    if (!this.window) return;
    const at = parseEventTime(time);
    if (at < this.window.from || at >= this.window.to) {
      const { from, to } = this.scope as { from: string; to: string };
      this.fail(
        'custody',
        `log index ${index}: this ${type} has event time ${time}, outside the scope's window [${from}, ${to})`,
        {
          index,
        },
      );
    }
  }

  private signer(path: string, entry: EntryShape, find: () => Signer): Signer | null {
    try {
      return find();
    } catch (error) {
      if (!(error instanceof RegistryViolation)) throw error;
      const { event, index } = entry;
      this.fail(
        'key-history',
        `${path}: signed by ${event.actor} with key ${event.keyId}, which the bundled key history does not allow at log index ${index}: ${error.code}: ${error.message}`,
        { index },
      );
      return null;
    }
  }

  private checkSignature(path: string, entry: EntryShape, message: Uint8Array, signer: Signer): void {
    if (this.verifySignature(signer.publicKey, message, entry.signature)) {
      this.counts.signatures++;
    } else {
      this.fail(
        'signature',
        `${path}.signature: does not verify with key ${entry.event.keyId} of ${entry.event.actor}`,
        { index: entry.index },
      );
    }
  }

  // ---- items ----

  private item(position: number, value: unknown): void {
    const path = `items[${position}]`;
    let code: string;
    let history: number[];
    try {
      ({ code, history } = readItem(value, path, this.unknown));
    } catch (error) {
      this.shapeFailure(error);
      return;
    }
    if (this.itemCodes.has(code)) {
      this.fail('structure', `${path}.code: ${code} is listed twice`, { item: code });
      return;
    }
    this.itemCodes.add(code);
    this.statement.item(code, history);
    let gtin: string;
    try {
      const ref = parseItemCode(code);
      if (ref.kind !== 'unit') throw new Error('the items of a bundle are units, not containers');
      gtin = ref.gtin;
    } catch (error) {
      this.fail('structure', `${path}.code: ${(error as Error).message}`, { item: code });
      return;
    }
    this.itemGtins.add(gtin);
    const withheld = history.find((index) => this.withheld.has(index));
    if (withheld !== undefined) this.firstWithheld.set(code, withheld);
    const unit = this.custody.unit(code);
    if (unit) this.itemLots.add(`${unit.gtin}\u0000${unit.lot}`);
    this.checkInScope(code, gtin, unit?.lot);
    if (!this.windowed && !this.productChecked.has(gtin)) {
      this.productChecked.add(gtin);
      if (this.custody.manufacturerOf(gtin) === undefined && this.withheldTypes.has('product.register')) {
        this.unseenOrigin.products++;
      } else if (this.custody.manufacturerOf(gtin) === undefined) {
        this.fail(
          'custody',
          `${code}: the bundle does not hold the registration of its product (GTIN ${gtin}), so it does not show who may commission it`,
          { item: code },
        );
      }
    }
    if (this.windowed) {
      for (const index of history) {
        if (this.events.has(index)) this.aboutItems.add(index);
        else if (this.withheld.has(index)) continue;
        else
          this.groupedCustody(
            code,
            index,
            'missing',
            `log index ${index}: the event is in the items' histories but not in the bundle`,
          );
      }
      // Equality, not inclusion (docs/PROTOCOL.md §9): every event of the bundle that acts on the unit is in its
      // history, and the history lists no other, but for an event moving a container: it may hold the unit, packed
      // before the window.
      const listed = new Set(history);
      const firstWithheld = this.firstWithheld.get(code) ?? Infinity;
      const made = new Set(this.madeHistory(code));
      this.containerEvents ??= this.custody.containerEvents();
      for (const index of history) {
        if (made.has(index) || !this.events.has(index) || this.containerEvents.has(index) || index > firstWithheld) {
          continue;
        }
        this.groupedCustody(
          code,
          index,
          'not-about',
          `log index ${index}: the items' histories list this ${this.events.get(index)!.type} event, but it does not act on them`,
        );
      }
      for (const index of this.madeHistory(code)) {
        if (listed.has(index) || index > firstWithheld) continue;
        this.groupedCustody(
          code,
          index,
          'unlisted',
          `log index ${index}: this ${this.events.get(index)?.type ?? ''} event acts on the items, but their histories do not list it`,
        );
      }
      return;
    }

    // Events acting on it while the bundle had not commissioned it (all of them when it never does).
    const early = this.custody.actedOnUncommissioned(code) ?? [];
    if (!unit && (this.firstWithheld.get(code) ?? Infinity) < (early[0] ?? Infinity)) {
      // Its first event is withheld: that may be its commissioning, which the bundle then cannot show.
      this.unseenOrigin.units++;
    } else if (!unit && early.length === 0) {
      this.groupedCustody(
        code,
        -1,
        'absent',
        'no event in the bundle commissions these items or acts on them (a gap: their chain of custody is missing)',
      );
    } else if (!unit) {
      this.groupedCustody(
        code,
        early[0],
        'uncommissioned',
        `log index ${early[0]}: the items' first event in the bundle, not their commissioning, which is not in the bundle (a gap)`,
      );
    } else if (early.length > 0 && early[0] < unit.commissionedIndex) {
      this.custodyFailure(
        code,
        `acted on at log index ${early[0]}, before its commissioning at log index ${unit.commissionedIndex}`,
        early[0],
      );
    }
    const made = this.madeHistory(code);
    made.forEach((index) => this.aboutItems.add(index));
    this.compareHistories(code, history, made);
  }

  /** The log indexes of the bundle's events that act on a unit, as the custody replay records them (its history). */
  private madeHistory(code: string): number[] {
    const unit = this.custody.unit(code);
    const early = this.custody.actedOnUncommissioned(code) ?? [];
    return unit ? mergeIndexes(early, unit.history) : early;
  }

  /**
   * `items` lists every unit the bundle's events act on (docs/PROTOCOL.md §9): of a time window's events, those of
   * the scope's GTIN (a `gtin` scope) or all of them (a `party` scope); the unit scopes compare whole histories
   * instead. A unit reached only through a container packed before the window is not known to the bundle.
   */
  private itemsListEveryUnit(): void {
    const scope = this.scope;
    if (!this.windowed || !scope || !this.seen.has('items')) return;
    for (const code of this.custody.unitsActedOn()) {
      if (this.itemCodes.has(code)) continue;
      if (scope.kind === 'gtin' && !code.startsWith(`(01)${scope.gtin}(21)`)) continue;
      const [index] = this.madeHistory(code);
      if (index === undefined || (this.withheld.size > 0 && [...this.withheld.keys()][0] < index)) continue;
      this.groupedCustody(
        code,
        index,
        'not-listed',
        `log index ${index}: this ${this.events.get(index)?.type ?? ''} event acts on the items, but \`items\` does not list them`,
      );
    }
  }

  private checkInScope(code: string, gtin: string, lot: string | undefined): void {
    const scope = this.scope;
    if (!scope) return;
    let outside: string | null = null;
    if (scope.kind === 'serial' && code !== unitCode(scope.gtin, scope.serial))
      outside = `is not the serial the bundle is about`;
    if ((scope.kind === 'lot' || scope.kind === 'gtin') && gtin !== scope.gtin)
      outside = `is not of GTIN ${scope.gtin}`;
    if (scope.kind === 'lot' && gtin === scope.gtin && lot !== undefined && lot !== scope.lot) {
      outside = `was commissioned in lot ${lot}, not lot ${scope.lot}`;
    }
    if (outside) this.fail('custody', `${code} ${outside}: it is outside the bundle's scope`, { item: code });
  }

  /** The history the bundle claims for an item against the one its events make (both increasing: a merge). */
  private compareHistories(code: string, claimed: number[], made: number[]): void {
    let i = 0;
    let k = 0;
    while (i < claimed.length || k < made.length) {
      const listed = i < claimed.length ? claimed[i] : Infinity;
      const acting = k < made.length ? made[k] : Infinity;
      if (listed === acting) {
        i++;
        k++;
      } else if (listed < acting) {
        i++;
        if (this.withheld.has(listed)) continue; // its body is withheld: whether it acts on them is not known
        if (this.events.has(listed) && (this.firstWithheld.get(code) ?? Infinity) < listed) {
          // A withheld event before it may have packed the items into what it moves (e.g. a case packed by the
          // manufacturer, then shipped by a distributor): whether it acts on them cannot be judged.
          this.aboutItems.add(listed);
          this.unseenOrigin.containers++;
          continue;
        }
        if (!this.events.has(listed)) {
          this.groupedCustody(
            code,
            listed,
            'missing',
            `log index ${listed}: the event is in the items' histories but not in the bundle (a gap)`,
          );
        } else {
          this.groupedCustody(
            code,
            listed,
            'not-about',
            `log index ${listed}: the items' histories list this ${this.events.get(listed)!.type} event, but it does not act on them`,
          );
        }
      } else {
        k++;
        this.groupedCustody(
          code,
          acting,
          'unlisted',
          `log index ${acting}: this ${this.events.get(acting)?.type ?? ''} event acts on the items, but their histories do not list it`,
        );
      }
    }
  }

  private custodyFailure(item: string, message: string, index?: number): void {
    this.fail('custody', `${item}: ${message}`, { item, ...(index === undefined ? {} : { index }) });
  }

  /** A custody failure at `index` (-1: none) shared by many items: listed once, with a count and a few of them. */
  private groupedCustody(item: string, index: number, rule: string, message: string): void {
    const failure: BundleFailure = { check: 'custody', item, message };
    if (index >= 0) failure.index = index;
    this.failures.add(failure, `${rule}:${index}`);
  }

  /** Every scope event must be about the items: act on one, or concern their products (a recall of their lot). */
  private eventsAboutNoItem(): void {
    // A party's window holds every event naming the party, whether or not it moves a unit.
    if (!this.seen.has('items') || this.scope?.kind === 'party') return;
    const product = new Map(this.custody.productEvents.map((e) => [e.index, e]));
    for (const [index, note] of this.events) {
      if (this.aboutItems.has(index) || this.context.has(index) || REGISTRY_TYPES.has(note.type)) continue;
      const e = product.get(index);
      if (e && this.concernsItems(e)) continue;
      if (!ITEM_EVENT_TYPES.has(note.type) && !PRODUCT_EVENT_TYPES.has(note.type)) continue; // reported when applied
      this.fail(
        'custody',
        `log index ${index}: this ${note.type} by ${note.actor} is about none of the bundle's items (not part of their chain of custody)`,
        { index },
      );
    }
  }

  /**
   * A refusal that names none of the listed units is judged only if it names containers holding one of them, none
   * reached only through the containment context (docs/PROTOCOL.md §9): the bundle carries the listed units'
   * histories, not those of other units packed with them, nor of a container while no listed unit is inside, so an
   * event that changed their state (a hold released, a unit taken out, a container shipped on) may be missing from it.
   * The others are judged now, or, if events are withheld, by judgeWithheld.
   */
  private judgeListed(): void {
    this.context = this.custody.containmentContext(this.aboutItems);
    const reachedByContext = this.custody.containersOf(this.context);
    const listed = (code: string) => this.itemCodes.has(code);
    const judged = this.deferred.filter(
      ({ issue }) =>
        issue.items.some(listed) ||
        (!issue.items.some((code) => isUnitCode(code) || reachedByContext.has(code)) &&
          (issue.items.length === 0 || issue.inside.some(listed))),
    );
    const unjudged = this.deferred.length - judged.length;
    if (unjudged > 0) {
      this.extraLimits.push(
        `${unjudged} custody findings name none of the bundle's units, only other units or containers while none of ` +
          'its units was inside: the bundle does not carry those histories, so they were not judged',
      );
    }
    this.deferred.length = 0;
    if (this.withheld.size > 0) this.deferred.push(...judged);
    else for (const { index, issue } of judged) this.custodyIssue(index, issue);
  }

  /**
   * Withheld events (docs/PROTOCOL.md §9). A bundle made for a regulator withholds nothing: a regulator may read every
   * event. A party's bundle may withhold events that do not name it; then a unit's chain of custody is judged only up
   * to the first withheld event its history lists (that event may have moved it), and the report says so. A finding
   * about a later event counts only for units whose histories list no withheld event before it.
   */
  private judgeWithheld(): void {
    if (this.withheld.size === 0) return;
    const indexes = [...this.withheld.keys()];
    const listed = `log index ${indexes.slice(0, 5).join(', ')}${indexes.length > 5 ? ', …' : ''}`;
    const party = this.generatedBy === null ? undefined : this.keys.party(this.generatedBy);
    if (!party) {
      this.fail(
        'structure',
        `the bundle withholds ${indexes.length} events (${listed}) but its registry does not register generatedBy ${this.generatedBy ?? '(missing)'}, so whether it may withhold them cannot be judged`,
      );
    } else if (party.role === 'regulator' || party.role === 'operator') {
      this.fail(
        'structure',
        `the bundle was made for ${party.gln}, a ${party.role}, who may read every event, yet it withholds ${indexes.length} (${listed})`,
      );
    }
    let unjudged = 0;
    for (const { index, issue } of this.deferred) {
      const units = issue.items.filter((code) => this.itemCodes.has(code));
      const excused =
        units.length === 0 ? indexes[0] < index : units.some((code) => (this.firstWithheld.get(code) ?? index) < index);
      if (excused) unjudged++;
      else this.custodyIssue(index, issue);
    }
    this.extraLimits.push(
      `${indexes.length} events are withheld from ${this.generatedBy} (${listed}): they do not name it, so the bundle ` +
        'carries only their type, acceptance time, event hash and signature. Their place in the log is proven by ' +
        'their inclusion proofs; their content, type and signature are not checked, nor whether they name ' +
        `${this.generatedBy}. The chain of custody of the ${this.firstWithheld.size} units whose histories list one is ` +
        `judged only up to it` +
        (unjudged > 0 ? `; ${unjudged} findings about later events were not judged` : '') +
        (this.unseenOrigin.units > 0
          ? `; ${this.unseenOrigin.units} units are not commissioned in the bundle, their first event being withheld`
          : '') +
        (this.unseenOrigin.containers > 0
          ? `; ${this.unseenOrigin.containers} times a history lists an event after a withheld one that, as far as ` +
            'the bundle shows, does not act on the unit (it may move a container the withheld event packed it in)'
          : '') +
        (this.unseenOrigin.products > 0
          ? `; the registration of ${this.unseenOrigin.products} products is withheld, so who may commission them is not judged`
          : ''),
    );
  }

  /**
   * Acceptance times never decrease along the log (docs/PROTOCOL.md §4). Key revocations are judged by them, so an
   * entry stamped before one it follows could pass for signed before a revocation it was logged after.
   */
  private acceptanceOrder(): void {
    let previous: [number, number] | null = null;
    for (const index of [...this.acceptedAt.keys()].sort((a, b) => a - b)) {
      const at = this.acceptedAt.get(index)!;
      if (previous && at < previous[1]) {
        this.fail(
          'structure',
          `log index ${index}: accepted at ${new Date(at).toISOString()}, before log index ${previous[0]} (${new Date(previous[1]).toISOString()}); acceptance times never decrease along the log`,
          { index },
        );
      }
      if (!previous || at >= previous[1]) previous = [index, at];
    }
  }

  /**
   * Whether a lot's bundle lists every unit its own commissioning events put in the lot. A party's export of a lot
   * lists only the units it held, so a partial lot is not a failure, but the report says so, with the count: a
   * regulator, whose exports list the whole lot, reads it as units left out.
   */
  /** Verifications of returned units are not log events (docs/PROTOCOL.md §9, chain of custody): said, not judged. */
  private unjudgedReturns(): void {
    const count = this.custody.unjudgedReturns.size;
    if (count === 0 || this.windowed) return;
    this.extraLimits.push(
      `${count} units came back as returns and were sold or dispensed again: whether their custodian verified them ` +
        'first (RETURN_NOT_VERIFIED) is not in the log, so the bundle cannot show it',
    );
  }

  private wholeLot(): void {
    const scope = this.scope;
    if (scope?.kind !== 'lot' || !this.seen.has('items')) return;
    let commissioned = 0;
    let unlisted = 0;
    for (const unit of this.custody.allUnits()) {
      if (unit.gtin !== scope.gtin || unit.lot !== scope.lot) continue;
      commissioned++;
      if (!this.itemCodes.has(unit.code)) unlisted++;
    }
    const role = this.generatedBy === null ? undefined : this.keys.party(this.generatedBy)?.role;
    if (unlisted > 0 && (role === 'regulator' || role === 'operator')) {
      // A regulator's or the operator's export of a lot lists the whole lot (docs/PROTOCOL.md §9).
      this.fail(
        'custody',
        `lot ${scope.lot}: the bundle's commissioning events put ${commissioned} units in the lot, ${unlisted} of them ` +
          `are not in \`items\`, yet the bundle was made for ${this.generatedBy}, ${role === 'operator' ? 'the operator' : 'a regulator'}, whose export lists the whole lot`,
      );
    } else if (unlisted > 0) {
      this.extraLimits.push(
        `a partial view of lot ${scope.lot}: the bundle's commissioning events put ${commissioned} units in the lot, ` +
          `${unlisted} of them are not listed (a party's own export lists only the units it held; a regulator's ` +
          "lists them all, so in a regulator's export these units were left out)",
      );
    }
  }

  /**
   * The export statement (docs/PROTOCOL.md §9) binds the scope, generatedBy, generatedAt, checkpoint and lists to the
   * operator's signature. It is logged after the checkpoint, so its inclusion is not in the bundle: the report says
   * where it is, to be proven against a later checkpoint (`rxledger verify-bundle --statement-proof`).
   */
  private judgeStatement(): void {
    const verified = this.statement.judge({
      scope: this.scope,
      generatedBy: this.generatedBy,
      generatedAt: this.generatedAt,
      checkpoint: this.checkpoint,
      keys: this.keys,
      verifySignature: this.verifySignature,
      fail: (message, index) => this.fail('statement', message, index === undefined ? {} : { index }),
    });
    this.statementVerified = verified;
  }

  /** A product registration of the items' GTIN, a prefix grant of it, a recall (or its lifting) of their lots. */
  private concernsItems(e: ProductEvent): boolean {
    if (e.prefix !== null) return [...this.itemGtins].some((gtin) => gtin.slice(1).startsWith(e.prefix!));
    if (e.gtin === null || !this.itemGtins.has(e.gtin)) return false;
    return e.lots === null || this.windowed || e.lots.some((lot) => this.itemLots.has(`${e.gtin}\u0000${lot}`));
  }

  // ---- failures and the report ----

  private fail(check: BundleCheck, message: string, where: { index?: number; item?: string } = {}): void {
    const failure: BundleFailure = { check, message };
    if (where.index !== undefined) failure.index = where.index;
    if (where.item !== undefined) failure.item = where.item;
    this.failures.add(failure);
  }

  private shapeFailure(error: unknown, index?: number): void {
    if (error instanceof ShapeError) {
      this.fail('structure', error.message, index === undefined ? {} : { index });
    } else {
      this.fail('structure', `unexpected error: ${String(error)}`, index === undefined ? {} : { index });
    }
  }

  /** The report as it stands, without the end-of-bundle checks of `finish`. */
  report(): BundleReport {
    const failures = this.failures.list();
    return {
      ok: failures.length === 0 && this.failures.count === 0,
      checkpoint: this.checkpoint
        ? {
            origin: this.checkpoint.origin,
            size: this.checkpoint.size,
            rootHash: bytesToBase64(this.checkpoint.rootHash),
          }
        : null,
      counts: { ...this.counts, failures: this.failures.count },
      statement: this.statementVerified,
      failures,
      limits: [
        ...(this.scope && this.windowed ? [windowLimit(this.scope)] : []),
        ...this.extraLimits,
        ...(this.unknownMembers.count > 0 ? [unknownLimit(this.unknownMembers)] : []),
      ],
    };
  }
}

function unknownLimit({ count, paths }: { count: number; paths: string[] }): string {
  return (
    `${count} members the format does not define were ignored (${paths.join(', ')}${count > paths.length ? ', …' : ''}): ` +
    'a later version of the format may add members (docs/PROTOCOL.md §11); nothing in them was checked or is vouched for'
  );
}

function windowLimit(scope: ReportScope): string {
  const what =
    scope.kind === 'gtin' ? `GTIN ${scope.gtin}` : scope.kind === 'party' ? `party ${scope.gln}` : scope.kind;
  const window = scope.kind === 'gtin' || scope.kind === 'party' ? ` from ${scope.from} to ${scope.to}` : '';
  return (
    `the scope is a time window (${what}${window}): it carries only the events inside it, so the items' chains of ` +
    'custody are not judged, only that every event their histories list is in the bundle'
  );
}

/** The union of two increasing lists of log indexes, increasing. */
function mergeIndexes(a: number[], b: number[]): number[] {
  if (a.length === 0) return b;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** A defect in the verifier must not pass for a verified bundle, nor abort the rest of the checks. */
function guarded(verifier: BundleVerifier, path: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    verifier.internalFailure(path, error);
  }
}
