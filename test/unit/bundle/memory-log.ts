/**
 * RxLedger logs built in memory for the bundle verifier's and the monitor's tests: real signed events (registry and
 * supply chain), real 105-byte leaves and RFC 9162 trees (src/merkle), checkpoints signed with a note key, and
 * evidence bundles assembled the way the server's export assembles them (src/reports/formats/bundle.format.ts).
 *
 * The log applies no rules: a test can log what the server would refuse (a receive by the wrong party, an event
 * signed with a revoked key), which is exactly what the verifier must catch in a bundle.
 *
 * Each supply-chain step states which units it acts on, from a deliberately simple record of what is packed where:
 * that is the "history" the server's read model would give each unit, computed here without the verifier's model.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { Ed25519NoteSigner, ed25519Signer, formatVerifierKey, signCheckpoint } from '../../../src/checkpoint';
import { makeGtin14, makeSscc } from '../../../src/gs1/identifiers';
import { appendCheckDigit } from '../../../src/gs1/check-digit';
import { Hash, leafHash, nodeHash } from '../../../src/merkle/hash';
import { consistencyProof, inclusionProof } from '../../../src/merkle/proof';
import { NodeId } from '../../../src/merkle/node-id';
import { BUNDLE_FORMAT, BundleEntry, BundledEvent, EvidenceBundle, ReportScope } from '../../../src/protocol/bundle';
import { LedgerEvent } from '../../../src/protocol/event';
import {
  EXPORT_STATEMENT_TYPE,
  ExportStatementBody,
  indexLine,
  itemLine,
  ListDigester,
  StatementEntry,
} from '../../../src/protocol/export-statement';
import { containerCode, unitCode } from '../../../src/protocol/item-code';
import { encodeLeaf } from '../../../src/protocol/leaf';
import { PartyRole, REGISTRY_EVENT_TYPES } from '../../../src/protocol/registry';
import { base64ToBytes, bytesToBase64 } from '../../../src/bytes';
import { publicKeyOf } from '../../../src/signing/ed25519';
import { keyIdOf, signedEventBytes } from '../../../src/signing/event-signing';
import { fastSign } from '../../support/fast-sign';

export const LOG_ORIGIN = 'rxledger.test/log';
const START_MS = Date.parse('2026-11-23T10:00:00.000Z');
const ADDRESS = { street: '1 Test Way', city: 'Testville', postalCode: '12345', country: 'US' };

export interface LogEntry {
  index: number;
  acceptedAt: string;
  event: LedgerEvent<Record<string, unknown>>;
  signature: string;
  leaf: Hash;
}

export class Party {
  keys: Uint8Array[];
  constructor(
    readonly gln: string,
    readonly role: PartyRole,
    readonly name: string,
    seed: Uint8Array = randomBytes(32),
  ) {
    this.keys = [seed];
  }

  /** The key it signs with now (the last one added). */
  get seed(): Uint8Array {
    return this.keys[this.keys.length - 1];
  }

  keyIdOf(seed = this.seed): string {
    return keyIdOf(publicKeyOf(seed));
  }
}

let glnCounter = 0;
function newGln(): string {
  glnCounter++;
  return appendCheckDigit(`0614141${String(glnCounter).padStart(5, '0')}`);
}

/** A log in memory: entries, the Merkle tree over their leaves, checkpoints and proofs. */
export class MemoryLog {
  readonly entries: LogEntry[] = [];
  readonly vkey: string;
  private readonly levels: Hash[][] = [[]];
  private clockMs = START_MS;

  /** `signer`: the log's note key (a fork of another log signs with that log's key). */
  constructor(readonly signer: Ed25519NoteSigner = ed25519Signer(LOG_ORIGIN, randomBytes(32))) {
    this.vkey = formatVerifierKey(signer.name, signer.publicKey);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The current time of the log's clock (each append moves it one second on). */
  get now(): string {
    return new Date(this.clockMs).toISOString();
  }

  /** Signs `body` as `party` with its current key (or `seed`) and appends it. */
  append(
    party: Party,
    type: string,
    body: Record<string, unknown>,
    options: { seed?: Uint8Array; time?: string; id?: string } = {},
  ): LogEntry {
    this.clockMs += 1000;
    const seed = options.seed ?? party.seed;
    const event: LedgerEvent<Record<string, unknown>> = {
      id: options.id ?? `${type}-${this.entries.length}-${randomBytes(4).toString('hex')}`,
      type,
      actor: party.gln,
      keyId: keyIdOf(publicKeyOf(seed)),
      time: options.time ?? new Date(this.clockMs - 400).toISOString(),
      body,
    };
    return this.appendSigned(event, fastSign(event, seed));
  }

  /** Appends an already signed event (e.g. one copied from another log). */
  appendSigned(event: LedgerEvent<Record<string, unknown>>, signature: string, acceptedAtMs = this.clockMs): LogEntry {
    const acceptedAt = new Date(acceptedAtMs).toISOString();
    const leaf = leafHash(
      encodeLeaf({
        acceptedAtMs,
        eventHash: sha256(signedEventBytes(event)),
        signature: base64ToBytes(signature),
      }),
    );
    const entry = { index: this.entries.length, acceptedAt, event, signature, leaf };
    this.entries.push(entry);
    this.addLeaf(leaf);
    return entry;
  }

  /** Appends a raw leaf hash (for logs that only need a shape: forks, monitors). */
  appendLeafHash(leaf: Hash): void {
    this.entries.push({ index: this.entries.length, acceptedAt: this.now, event: null!, signature: '', leaf });
    this.addLeaf(leaf);
  }

  private addLeaf(leaf: Hash): void {
    this.levels[0].push(leaf);
    for (let level = 0; this.levels[level].length % 2 === 0; level++) {
      const row = this.levels[level];
      (this.levels[level + 1] ??= []).push(nodeHash(row[row.length - 2], row[row.length - 1]));
    }
  }

  private readonly getNode = (id: NodeId): Hash => this.levels[id.level][id.index];

  root(size = this.size): Hash {
    if (size === 0) return sha256(new Uint8Array(0));
    // The root of the first `size` leaves folds the complete subtrees that cover them, from the right.
    const ids: NodeId[] = [];
    let begin = 0;
    for (let level = 52; level >= 0; level--) {
      const width = 2 ** level;
      if (begin + width <= size) {
        ids.push({ level, index: begin / width });
        begin += width;
      }
    }
    let root = this.getNode(ids[ids.length - 1]);
    for (let i = ids.length - 2; i >= 0; i--) root = nodeHash(this.getNode(ids[i]), root);
    return root;
  }

  checkpoint(size = this.size): string {
    return signCheckpoint({ origin: this.signer.name, size, rootHash: this.root(size), extensions: [] }, this.signer);
  }

  inclusionProof(index: number, size = this.size): string[] {
    return inclusionProof(index, size, this.getNode).map(bytesToBase64);
  }

  consistencyProof(from: number, to = this.size): string[] {
    return consistencyProof(from, to, this.getNode).map(bytesToBase64);
  }

  bundled(entry: LogEntry, size = this.size): BundledEvent {
    return {
      index: entry.index,
      acceptedAt: entry.acceptedAt,
      event: entry.event,
      signature: entry.signature,
      inclusionProof: this.inclusionProof(entry.index, size),
    };
  }

  // ---- the registry ----

  /** The operator's self-registration: the log's first entry. */
  genesis(): Party {
    const operator = new Party(newGln(), 'operator', 'RxLedger Network');
    this.append(operator, 'party.register', registration(operator));
    this.operator = operator;
    return operator;
  }

  operator!: Party;

  register(role: PartyRole, name: string): Party {
    const party = new Party(newGln(), role, name);
    this.append(this.operator, 'party.register', registration(party));
    return party;
  }

  /** A new key for `party` (it signs with it from now on); returns the old one. */
  rotateKey(party: Party, revokeOld = true): Uint8Array {
    const old = party.seed;
    const seed = randomBytes(32);
    this.append(this.operator, 'key.add', { gln: party.gln, publicKey: bytesToBase64(publicKeyOf(seed)) });
    party.keys.push(seed);
    if (revokeOld) this.revoke(party, old, this.now);
    return old;
  }

  revoke(party: Party, seed: Uint8Array, revokedAt: string): LogEntry {
    return this.append(this.operator, 'key.revoke', { gln: party.gln, keyId: party.keyIdOf(seed), revokedAt });
  }
}

function registration(party: Party) {
  return {
    gln: party.gln,
    name: party.name,
    role: party.role,
    address: ADDRESS,
    publicKeys: [bytesToBase64(publicKeyOf(party.seed))],
  };
}

let prefixCounter = 0;

/**
 * Drives a supply chain over a MemoryLog and remembers, per unit, the log indexes of the events that act on it (the
 * histories), from its own record of what is packed where.
 */
export class SupplyChain {
  readonly log = new MemoryLog();
  readonly operator: Party;
  readonly prefix: string;
  readonly gtin: string;
  /** Unit and container code → log indexes of the events acting on it. */
  readonly histories = new Map<string, number[]>();
  readonly lots = new Map<string, string[]>();
  private readonly contents = new Map<string, Set<string>>();
  private readonly shipments = new Map<string, string[]>();
  private ssccCounter = 0;

  constructor() {
    this.operator = this.log.genesis();
    prefixCounter++;
    this.prefix = `0361${String(prefixCounter % 1000).padStart(3, '0')}`;
    this.gtin = makeGtin14('0', this.prefix, '00001');
  }

  register(role: PartyRole, name: string): Party {
    return this.log.register(role, name);
  }

  newManufacturer(): Party {
    const manufacturer = this.register('manufacturer', 'Acme Pharma');
    this.log.append(this.operator, 'prefix.grant', { gln: manufacturer.gln, prefix: this.prefix });
    this.log.append(manufacturer, 'product.register', {
      gtin: this.gtin,
      name: 'Amoxicillin',
      strength: '500 mg',
      dosageForm: 'capsule',
      containerSize: '100 capsules',
    });
    return manufacturer;
  }

  newContainer(): string {
    this.ssccCounter++;
    return containerCode(makeSscc('0', this.prefix, String(this.ssccCounter).padStart(16 - this.prefix.length, '0')));
  }

  commission(manufacturer: Party, lot: string, count: number, perEvent = count): string[] {
    const codes: string[] = [];
    for (let from = 0; from < count; from += perEvent) {
      const serials = Array.from({ length: Math.min(perEvent, count - from) }, (_, i) => `${lot}-${from + i + 1}`);
      const entry = this.log.append(manufacturer, 'commission', { gtin: this.gtin, lot, expiry: '281231', serials });
      const made = serials.map((serial) => unitCode(this.gtin, serial));
      made.forEach((code) => this.histories.set(code, [entry.index]));
      codes.push(...made);
    }
    this.lots.set(lot, [...(this.lots.get(lot) ?? []), ...codes]);
    return codes;
  }

  pack(party: Party, parent: string, children: string[], options: { seed?: Uint8Array } = {}): LogEntry {
    const entry = this.log.append(party, 'pack', { parent, children }, options);
    const inside = this.contents.get(parent) ?? new Set<string>();
    children.forEach((child) => inside.add(child));
    this.contents.set(parent, inside);
    this.touch([parent, ...children], entry.index);
    return entry;
  }

  unpack(party: Party, parent: string, options: { seed?: Uint8Array } = {}): LogEntry {
    const entry = this.log.append(party, 'unpack', { parent }, options);
    this.touch([parent], entry.index);
    this.contents.delete(parent);
    return entry;
  }

  ship(
    party: Party,
    items: string[],
    recipient: Party,
    shipmentId: string,
    options: { seed?: Uint8Array } = {},
  ): LogEntry {
    const entry = this.log.append(
      party,
      'ship',
      {
        items,
        shipmentId,
        recipient: recipient.gln,
        transaction: { date: '2026-11-23', shipmentDate: '2026-11-23', purchaseOrder: 'PO-1', invoice: 'INV-1' },
      },
      options,
    );
    this.shipments.set(`${party.gln}:${shipmentId}`, items);
    this.touch(items, entry.index);
    return entry;
  }

  /** Receives a shipment: everything shipped, or only `items` of it (a discrepancy: the rest stays in transit). */
  receive(
    party: Party,
    shipper: Party,
    shipmentId: string,
    options: { seed?: Uint8Array; items?: string[] } = {},
  ): LogEntry {
    const shipped = this.shipments.get(`${shipper.gln}:${shipmentId}`) ?? [];
    const items = options.items ?? shipped;
    const entry = this.log.append(party, 'receive', { items, shipper: shipper.gln, shipmentId }, options);
    this.touch(
      items.filter((item) => shipped.includes(item)),
      entry.index,
    );
    return entry;
  }

  /** Quarantine (or `illegitimate`) and `clear`; a clear touches only what is on hold. */
  hold(party: Party, type: 'quarantine' | 'clear', items: string[], onHold: Set<string>): LogEntry {
    const entry = this.log.append(party, type, { items, reason: 'seal broken' });
    const all = this.expand(items);
    const touched = type === 'clear' ? all.filter((code) => onHold.has(code)) : all;
    touched.forEach((code) => (type === 'clear' ? onHold.delete(code) : onHold.add(code)));
    for (const code of touched) this.histories.get(code)!.push(entry.index);
    return entry;
  }

  private expand(codes: string[]): string[] {
    const out = new Set<string>();
    const visit = (code: string) => {
      if (out.has(code)) return;
      out.add(code);
      this.contents.get(code)?.forEach(visit);
    };
    codes.forEach(visit);
    return [...out];
  }

  dispense(party: Party, units: string[]): LogEntry {
    const entry = this.log.append(party, 'dispense', { items: units });
    for (const [, inside] of this.contents) units.forEach((unit) => inside.delete(unit));
    this.touch(units, entry.index);
    return entry;
  }

  retire(party: Party, type: 'decommission' | 'destroy', items: string[]): LogEntry {
    const entry = this.log.append(party, type, { items, reason: 'damaged' });
    for (const [, inside] of this.contents) items.forEach((item) => inside.delete(item));
    this.touch(items, entry.index);
    return entry;
  }

  /** Marks `codes` and everything packed in them as acted on by the event at `index`. */
  private touch(codes: string[], index: number): void {
    for (const code of this.expand(codes)) {
      const history = this.histories.get(code) ?? [];
      if (history[history.length - 1] !== index) history.push(index);
      this.histories.set(code, history);
    }
  }

  /**
   * The bundle of `units` (e.g. a lot) as the server exports it: the events of their histories and the product's
   * registration, the registry events about every party those events name and about the operator, the units with
   * their histories, all proven against one checkpoint (by default, of the whole log).
   */
  bundle(scope: ReportScope, units: string[], size = this.log.size): EvidenceBundle {
    const log = this.log;
    const indexes = new Set<number>();
    for (const unit of units) this.histories.get(unit)!.forEach((index) => index < size && indexes.add(index));
    for (const entry of log.entries.slice(0, size)) {
      // The product's registration and its recalls (and their lifting), as the server's lot reports carry them.
      const productEvent = ['product.register', 'recall', 'recall-lift'].includes(entry.event.type);
      if (productEvent && entry.event.body.gtin === this.gtin) indexes.add(entry.index);
    }
    const events = [...indexes].sort((a, b) => a - b).map((index) => log.entries[index]);
    const named = new Set<string>([log.operator.gln]);
    for (const { event } of events) {
      named.add(event.actor);
      for (const member of ['recipient', 'shipper'] as const) {
        if (typeof event.body[member] === 'string') named.add(event.body[member] as string);
      }
    }
    const registryTypes: readonly string[] = REGISTRY_EVENT_TYPES;
    const registry = log.entries
      .slice(0, size)
      .filter((entry) => registryTypes.includes(entry.event.type) && named.has(entry.event.body.gln as string));
    const items = [...units]
      .sort()
      .map((code) => ({ code, history: this.histories.get(code)!.filter((index) => index < size) }));
    const bundle: EvidenceBundle = {
      format: BUNDLE_FORMAT,
      scope,
      generatedAt: log.now,
      generatedBy: log.operator.gln,
      log: { origin: LOG_ORIGIN, verifierKey: log.vkey },
      checkpoint: log.checkpoint(size),
      registry: registry.map((entry) => log.bundled(entry, size)),
      events: events.map((entry) => log.bundled(entry, size)),
      items,
      summary: { events: events.length, items: items.length, registryEvents: registry.length },
      statement: null!,
    };
    return this.restate(bundle, size);
  }

  /**
   * Gives `bundle` the operator's export statement of what it now holds (docs/PROTOCOL.md §9), as the server signs
   * it: for tests whose forger is the operator itself, who can sign a statement for whatever it exports. The statement
   * is not appended to this log (the offline verifier cannot see whether it was logged), so later bundles of the same
   * log are unchanged; it takes the next index.
   */
  restate<B extends EvidenceBundle<BundleEntry>>(bundle: B, size = this.log.size): B {
    const log = this.log;
    const digest = (lines: string[]) => {
      const digester = new ListDigester();
      lines.forEach((line) => digester.add(line));
      return digester.result();
    };
    const body: ExportStatementBody = {
      exportId: '00000000-0000-4000-8000-' + String(size).padStart(12, '0'),
      format: BUNDLE_FORMAT,
      scope: bundle.scope,
      requester: bundle.generatedBy,
      generatedAt: bundle.generatedAt,
      checkpoint: { size, rootHash: bytesToBase64(log.root(size)) },
      registry: digest(bundle.registry.map((entry) => indexLine(entry.index))),
      events: digest(bundle.events.map((entry) => indexLine(entry.index))),
      items: digest(bundle.items.map((item) => itemLine(item.code, item.history))),
    };
    const event = {
      id: `export-${body.exportId}`,
      type: EXPORT_STATEMENT_TYPE,
      actor: log.operator.gln,
      keyId: log.operator.keyIdOf(),
      time: log.now,
      body,
    } as unknown as StatementEntry['event'];
    const statement: StatementEntry = {
      index: Math.max(size, log.size),
      acceptedAt: log.now,
      event,
      signature: fastSign(event as unknown as LedgerEvent<Record<string, unknown>>, log.operator.seed),
    };
    return { ...bundle, statement };
  }

  lotScope(lot: string): ReportScope {
    return { kind: 'lot', gtin: this.gtin, lot };
  }
}

/**
 * The journey every test starts from: an operator registers a manufacturer, two distributors and a pharmacy; the
 * manufacturer commissions two lots, packs them in cases and the cases on a mixed pallet, ships the pallet to the
 * distributor, which receives it (after which its key is rotated and the old one revoked), unpacks it and sends a
 * case of each lot to the pharmacy, which receives them, opens the cases, dispenses some units and decommissions one.
 */
export function journey(unitsPerLot = 6) {
  const chain = new SupplyChain();
  const manufacturer = chain.newManufacturer();
  const distributor = chain.register('distributor', 'Big Wholesale');
  const pharmacy = chain.register('dispenser', 'Corner Pharmacy');
  const otherDistributor = chain.register('distributor', 'Grey Market Traders');
  const lotA = chain.commission(manufacturer, 'LOT-A', unitsPerLot);
  const lotB = chain.commission(manufacturer, 'LOT-B', unitsPerLot);
  const half = Math.ceil(unitsPerLot / 2);
  const caseA1 = chain.newContainer();
  const caseA2 = chain.newContainer();
  const caseB1 = chain.newContainer();
  const pallet = chain.newContainer();
  chain.pack(manufacturer, caseA1, lotA.slice(0, half));
  chain.pack(manufacturer, caseA2, lotA.slice(half));
  chain.pack(manufacturer, caseB1, lotB);
  chain.pack(manufacturer, pallet, [caseA1, caseA2, caseB1]);
  const palletShip = chain.ship(manufacturer, [pallet], distributor, 'ASN-1');
  const palletReceive = chain.receive(distributor, manufacturer, 'ASN-1');
  const distributorOldKey = chain.log.rotateKey(distributor);
  chain.unpack(distributor, pallet);
  const caseShip = chain.ship(distributor, [caseA1], pharmacy, 'ASN-2');
  const caseReceive = chain.receive(pharmacy, distributor, 'ASN-2');
  chain.ship(distributor, [caseB1], pharmacy, 'ASN-3');
  chain.receive(pharmacy, distributor, 'ASN-3');
  chain.unpack(pharmacy, caseA1);
  const dispense = chain.dispense(pharmacy, lotA.slice(0, 2));
  chain.retire(pharmacy, 'decommission', [lotA[2]]);
  chain.unpack(pharmacy, caseB1);
  chain.dispense(pharmacy, [lotB[0]]);
  return {
    chain,
    log: chain.log,
    manufacturer,
    distributor,
    pharmacy,
    otherDistributor,
    distributorOldKey,
    lotA,
    lotB,
    containers: { caseA1, caseA2, caseB1, pallet },
    entries: { palletShip, palletReceive, caseShip, caseReceive, dispense },
    bundleOfLot: (lot: 'LOT-A' | 'LOT-B', size?: number) =>
      chain.bundle(chain.lotScope(lot), lot === 'LOT-A' ? lotA : lotB, size),
  };
}

export type Journey = ReturnType<typeof journey>;

/** A deep copy to tamper with. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
