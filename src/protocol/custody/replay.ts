/**
 * The custody rules replayed in memory over events in log order: the offline verifier replays a bundle's events
 * (src/bundle/custody-replay.ts), a test the whole log. Each event gets the refusals the server would answer (the
 * first is the server's code), and is then applied as the log records it, so that a break is reported once, where
 * it happens, not again at every later event that builds on it.
 */
import { parseItemCode } from '../item-code';
import { PartyRole } from '../registry';
import { appendToHistory } from './history';
import { Alert, Item, Lot, newItem, Product, Shipment } from './model';
import { CUSTODY_RULES, CustodyRule, isCustodyEventType } from './rules';
import { CustodyState, PartyView, ReturnView } from './state';
import { CustodyViolation } from './violation';

const lotKey = (gtin: string, lot: string) => `${gtin}\u0000${lot}`;
const NONE: readonly Item[] = [];

/** An item of the replay, with its history (the log indexes of the events that act on it, increasing). */
type Traced = Item & { history: number[] };
const alertKey = (alert: Alert) => `${alert.openedIndex}:${alert.seq}`;

export interface MemoryStateOptions {
  /**
   * True for a bundle, which carries no `prefix.grant` events: who holds which company prefix is then not known,
   * and the rules' prefix checks pass (who registered a product, and so may commission it, is still judged).
   */
  prefixesUnknown?: boolean;
}

/** The custody state in maps, with every item's history (the log indexes of the events that act on it). */
export class MemoryCustodyState implements CustodyState {
  private readonly items = new Map<string, Traced>();
  private readonly children = new Map<string, Set<Traced>>();
  private readonly products = new Map<string, Product>();
  private readonly lots = new Map<string, Lot>();
  private readonly prefixes = new Map<string, string>();
  private readonly shipments = new Map<string, Shipment>();
  private readonly alerts = new Map<string, Alert>();
  private readonly open = new Set<string>();
  private readonly alertSeqs = new Map<number, number>();
  /** Items the events act on that no event made (adopted after ITEM_UNKNOWN), until one makes them. */
  private readonly adopted = new Set<string>();
  /** Units made (commissioned) after events acted on them: the indexes of those earlier events. */
  private readonly before = new Map<string, number[]>();

  constructor(private readonly options: MemoryStateOptions = {}) {}

  // ---- CustodyState ----

  item(code: string): Item | undefined {
    return this.items.get(code);
  }

  exists(code: string): boolean {
    return this.items.has(code) && !this.adopted.has(code);
  }

  contents(code: string): Item[] {
    return [...(this.children.get(code) ?? [])];
  }

  descendants(code: string): Item[] {
    const direct = this.children.get(code);
    if (direct === undefined || direct.size === 0) return NONE as Item[];
    // No cycle: the rules refuse a pack that would make one, and a replay does not apply it.
    const out: Item[] = [];
    const stack = [...direct];
    while (stack.length > 0) {
      const next = stack.pop()!;
      out.push(next);
      const inside = next.kind === 'unit' ? undefined : this.children.get(next.code);
      if (inside !== undefined) for (const child of inside) stack.push(child);
    }
    return out;
  }

  ancestors(item: Item): string[] {
    const out: string[] = [];
    for (let parent = item.parent; parent; parent = this.items.get(parent)?.parent ?? null) {
      if (out.includes(parent)) break;
      out.push(parent);
    }
    return out;
  }

  product(gtin: string): Product | undefined {
    return this.products.get(gtin);
  }

  lot(gtin: string, lot: string): Lot | undefined {
    return this.lots.get(lotKey(gtin, lot));
  }

  prefixesOverlapping(prefix: string): { prefix: string; gln: string }[] {
    return [...this.prefixes]
      .filter(([granted]) => granted.startsWith(prefix) || prefix.startsWith(granted))
      .map(([granted, gln]) => ({ prefix: granted, gln }));
  }

  heldPrefix(holder: string, gtin: string): string | undefined {
    for (const [prefix, gln] of this.prefixes)
      if (gln === holder && gtin.slice(1, 1 + prefix.length) === prefix) return prefix;
    return this.options.prefixesUnknown ? '(not shown)' : undefined;
  }

  shipment(id: string): Shipment | undefined {
    return this.shipments.get(id);
  }

  openAlerts(): Alert[] {
    return [...this.open].map((key) => this.alerts.get(key)!);
  }

  createItem(item: Item, index: number): void {
    if (this.adopted.size > 0 && this.adopted.has(item.code)) {
      // Made after events acted on it: keep where they left it, and their indexes apart.
      const adopted = this.items.get(item.code)!;
      this.adopted.delete(item.code);
      this.before.set(item.code, adopted.history);
      if (adopted.parent) this.children.get(adopted.parent)?.delete(adopted);
      item.parent = adopted.parent;
    }
    const traced = item as Traced;
    traced.history = [index];
    this.items.set(item.code, traced);
    if (item.parent) this.childSet(item.parent).add(traced);
  }

  touch(item: Item, index: number): void {
    item.lastIndex = index;
    appendToHistory((item as Traced).history, index);
  }

  setParent(item: Item, parent: string | null): void {
    if (item.parent) this.children.get(item.parent)?.delete(item as Traced);
    item.parent = parent;
    if (parent) this.childSet(parent).add(item as Traced);
  }

  putProduct(product: Product): void {
    this.products.set(product.gtin, product);
  }

  putLot(lot: Lot): void {
    this.lots.set(lotKey(lot.gtin, lot.lot), lot);
  }

  grantPrefix(prefix: string, gln: string): void {
    this.prefixes.set(prefix, gln);
  }

  putShipment(shipment: Shipment): void {
    this.shipments.set(shipment.id, shipment);
  }

  putAlert(alert: Alert): void {
    const key = alertKey(alert);
    this.alerts.set(key, alert);
    if (alert.status === 'open') this.open.add(key);
    else this.open.delete(key);
  }

  nextAlertSeq(index: number): number {
    const seq = this.alertSeqs.get(index) ?? 0;
    this.alertSeqs.set(index, seq + 1);
    return seq;
  }

  // ---- what a replay adds ----

  /** Takes items no event made as the log records them: active, held by `custodian`. */
  adopt(codes: string[], custodian: string, index: number): void {
    for (const code of codes) {
      if (this.items.has(code)) continue;
      let ref: ReturnType<typeof parseItemCode> | null;
      try {
        ref = parseItemCode(code);
      } catch {
        ref = null;
      }
      const item = newItem({
        code,
        kind: ref?.kind === 'unit' || (!ref && !code.startsWith('(00)')) ? 'unit' : 'container',
        custodian,
        lastIndex: index,
        ...(ref?.kind === 'unit' ? { gtin: ref.gtin, serial: ref.serial } : {}),
      }) as Traced;
      item.history = [];
      this.items.set(code, item);
      this.adopted.add(code);
    }
  }

  /** True for an item the events act on but no event made (so far). */
  isAdopted(code: string): boolean {
    return this.adopted.has(code);
  }

  /** The log indexes of the events that act on the item (since it was made, if it was), increasing. */
  historyOf(code: string): number[] | undefined {
    return this.items.get(code)?.history;
  }

  /** `historyOf` for an item of this state. */
  historyOfItem(item: Item): number[] {
    return (item as Traced).history;
  }

  /** The log index of the event that made (commissioned, packed) the item. */
  madeIndex(code: string): number | undefined {
    return this.adopted.has(code) ? undefined : this.items.get(code)?.history[0];
  }

  /** The indexes of the events that acted on a unit before any made it (all of them when none did). */
  actedOnBeforeMade(code: string): number[] | undefined {
    return this.adopted.has(code) ? this.items.get(code)?.history : this.before.get(code);
  }

  /** Every item the events made or acted on. */
  allItems(): IterableIterator<Item> {
    return this.items.values();
  }

  /** Every item an event made. */
  *madeItems(): IterableIterator<Item> {
    for (const item of this.items.values()) if (!this.adopted.has(item.code)) yield item;
  }

  private childSet(parent: string): Set<Traced> {
    let set = this.children.get(parent);
    if (!set) this.children.set(parent, (set = new Set()));
    return set;
  }
}

/** Why the log should not hold an event: a custody rule's violation or the signer's role. */
export interface Refusal {
  code: string;
  message: string;
  /** The offending items (the first 100). */
  items: string[];
}

export interface ReplayedEvent {
  type: string;
  actor: string;
  body: unknown;
}

/** Verified returns: a replay that knows the verification records gives them; a bundle cannot show them. */
const ALL_VERIFIED: ReturnView = { verified: () => true };

/** The custody rules over a `MemoryCustodyState`, going on after refusals (see the file's comment). */
export class CustodyReplay {
  readonly state: MemoryCustodyState;
  private readonly returns: ReturnView;

  constructor(
    private readonly registry: PartyView,
    options: MemoryStateOptions & { returns?: ReturnView } = {},
  ) {
    this.state = new MemoryCustodyState(options);
    this.returns = options.returns ?? ALL_VERIFIED;
  }

  /**
   * Applies the event at log index `index`, signed by a party of `role` (undefined when not known), accepted at
   * `acceptedAt`. Returns the refusals, the server's first; an unknown type is refused as the server refuses it.
   */
  apply(index: number, event: ReplayedEvent, role: PartyRole | undefined, acceptedAt: Date): Refusal[] {
    const refusals: Refusal[] = [];
    const rule = this.rule(event.type, role, refusals);
    if (!rule) return refusals;
    const state = this.state;
    rule.apply({
      ...this.input(index, event, role, acceptedAt),
      refuse: (v: CustodyViolation) => refusals.push(refusal(v)),
      adopt: (codes, custodian, at) => state.adopt(codes, custodian, at),
    });
    return refusals;
  }

  /**
   * Judges the event as intake does: if the rules accept it, applies it and returns null; otherwise returns the
   * first refusal (the server's answer) and changes nothing.
   */
  check(index: number, event: ReplayedEvent, role: PartyRole | undefined, acceptedAt: Date): Refusal | null {
    const refusals: Refusal[] = [];
    const rule = this.rule(event.type, role, refusals);
    if (!rule) return refusals[0];
    if (refusals.length > 0) return refusals[0];
    try {
      rule.apply({
        ...this.input(index, event, role, acceptedAt),
        refuse: (v: CustodyViolation) => {
          throw v;
        },
      });
    } catch (error) {
      if (error instanceof CustodyViolation) return refusal(error);
      throw error;
    }
    return null;
  }

  /** The type's rule, or null for a type the rules do not know; a signer whose role may not sign it is refused. */
  private rule(type: string, role: PartyRole | undefined, refusals: Refusal[]): CustodyRule<unknown> | null {
    if (!isCustodyEventType(type)) {
      refusals.push({
        code: 'EVENT_TYPE_UNKNOWN',
        message: `a ${JSON.stringify(type).slice(0, 40)} event is not one whose effect on custody the rules know`,
        items: [],
      });
      return null;
    }
    const rule = CUSTODY_RULES[type] as CustodyRule<unknown>;
    if (role !== undefined && !rule.roles.includes(role)) {
      refusals.push({
        code: 'ACTOR_ROLE_NOT_ALLOWED',
        message: `a ${role} may not sign ${type} events (allowed: ${rule.roles.join(', ')})`,
        items: [],
      });
    }
    return rule;
  }

  private input(index: number, event: ReplayedEvent, role: PartyRole | undefined, acceptedAt: Date) {
    return {
      state: this.state,
      registry: this.registry,
      returns: this.returns,
      type: event.type,
      actor: event.actor,
      role,
      body: event.body,
      index,
      acceptedAt,
      alsoNamed: new Set<string>(),
    };
  }
}

function refusal(violation: CustodyViolation): Refusal {
  return { code: violation.code, message: violation.message, items: violation.details?.items ?? [] };
}
