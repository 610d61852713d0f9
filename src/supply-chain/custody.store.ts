import { Sql } from '../database/database';
import { IntakeStore } from '../ledger/event-type';
import { Alert, appendToHistory, CustodyState, Item, Lot, Product, Shipment } from '../protocol/custody';
import { CustodyRepository, ItemRecord, ItemWrite, LoadedItem, Membership, OwnRow } from './custody.repository';

const lotKey = (gtin: string, lot: string) => `${gtin}\u0000${lot}`;

/**
 * An item's own row as this transaction keeps it (migrations/1765000800000-InheritedCustody.ts): what it inherits
 * from, the values its row was last written with, and what is to be written.
 */
interface RowState extends ItemRecord {
  parent: string | null;
  hold: Item['hold'];
  /** Before the current event, for a top container: what a receipt or a move changes. */
  custodian: string;
  status: Item['status'];
  shipment: string | null;
  transfers: number;
  sellersLength: number;
  /** The own row to write (null: unchanged). */
  row: OwnRow | null;
  history: number[];
  merge: boolean;
  moves: number[];
  ops: string[];
  receiptAt: Date | null;
}

/** The event being applied: the items it acts on, in the order the rule touched them. */
interface CurrentEvent {
  index: number;
  acceptedAt: Date;
  touched: Set<Item>;
}

/**
 * The supply-chain state for one intake transaction: items (with the contents of containers, at any depth),
 * products, lots, company prefixes, shipments and alerts, loaded in bulk for a whole batch of events, changed in
 * memory by the rules in log order (src/protocol/custody, the rules the offline verifier replays too), and written
 * back in bulk.
 */
export class CustodyStore extends IntakeStore implements CustodyState {
  private readonly wanted = {
    items: new Set<string>(),
    absent: new Set<string>(),
    products: new Set<string>(),
    lots: new Map<string, { gtin: string; lot: string }>(),
    prefixHolders: new Set<string>(),
    prefixes: new Set<string>(),
    shipments: new Set<string>(),
    alertItems: new Set<string>(),
    alertGtins: new Set<string>(),
  };

  private readonly items = new Map<string, Item>();
  private readonly children = new Map<string, Set<string>>();
  private readonly products = new Map<string, Product>();
  private readonly lots = new Map<string, Lot>();
  private readonly prefixes = new Map<string, string>();
  private readonly shipments = new Map<string, Shipment>();
  private readonly alerts = new Map<string, Alert>();

  private readonly created = new Set<string>();
  private readonly changed = new Set<string>();
  private readonly rows = new Map<string, RowState>();
  private readonly openedMemberships: Membership[] = [];
  private readonly openedByCode = new Map<string, Membership>();
  private readonly closedMemberships = new Map<string, number>();
  private event: CurrentEvent | null = null;
  private readonly changedProducts = new Set<string>();
  private readonly changedLots = new Set<string>();
  private readonly newPrefixes: { prefix: string; gln: string; grantedIndex: number }[] = [];
  private readonly changedShipments = new Set<string>();
  private readonly changedAlerts = new Set<string>();
  private readonly alertSeqs = new Map<number, number>();
  /** Codes an event would create that are already items (only their existence is loaded). */
  private readonly taken = new Set<string>();

  constructor(private readonly repository: CustodyRepository) {
    super();
  }

  // ---- what the rules will need (called from `prepare`) ----

  /** Items the event acts on; containers come with their whole contents. */
  wantItems(codes: Iterable<string>): void {
    for (const code of codes) this.wanted.items.add(code);
  }

  /** Codes the event creates: only whether they exist is loaded. */
  wantAbsent(codes: Iterable<string>): void {
    for (const code of codes) this.wanted.absent.add(code);
  }

  wantProducts(gtins: Iterable<string>): void {
    for (const gtin of gtins) this.wanted.products.add(gtin);
  }

  wantLots(gtin: string, lots: Iterable<string>): void {
    for (const lot of lots) this.wanted.lots.set(lotKey(gtin, lot), { gtin, lot });
  }

  wantPrefixesOf(gln: string): void {
    this.wanted.prefixHolders.add(gln);
  }

  wantPrefix(prefix: string): void {
    this.wanted.prefixes.add(prefix);
  }

  wantShipment(id: string): void {
    this.wanted.shipments.add(id);
  }

  /** Open alerts about these items or GTINs (to close them). */
  wantOpenAlerts(codes: Iterable<string>, gtins: Iterable<string> = []): void {
    for (const code of codes) this.wanted.alertItems.add(code);
    for (const gtin of gtins) this.wanted.alertGtins.add(gtin);
  }

  async load(sql: Sql): Promise<void> {
    const w = this.wanted;
    for (const loaded of await this.repository.loadWithContents(sql, [...w.items])) this.remember(loaded);
    for (const code of await this.repository.existingCodes(
      sql,
      [...w.absent].filter((c) => !this.items.has(c)),
    )) {
      this.taken.add(code);
    }
    // Items touched through their parent need their lots (recall state) and products too.
    for (const item of this.items.values()) {
      if (item.gtin) {
        w.products.add(item.gtin);
        if (item.lot) w.lots.set(lotKey(item.gtin, item.lot), { gtin: item.gtin, lot: item.lot });
      }
    }
    for (const p of await this.repository.products(sql, [...w.products])) this.products.set(p.gtin, p);
    for (const l of await this.repository.lots(sql, [...w.lots.values()])) this.lots.set(lotKey(l.gtin, l.lot), l);
    for (const p of await this.repository.prefixes(sql, [...w.prefixHolders])) this.prefixes.set(p.prefix, p.gln);
    for (const p of await this.repository.prefixOwners(sql, [...w.prefixes])) this.prefixes.set(p.prefix, p.gln);
    // The shipments of items in transit too: whether one was received without them (lost in transit).
    for (const item of this.items.values()) if (item.shipment) w.shipments.add(item.shipment);
    for (const s of await this.repository.shipments(sql, [...w.shipments])) this.shipments.set(s.id, s);
    const alertItems = new Set(w.alertItems);
    for (const code of w.alertItems) for (const d of this.descendants(code)) alertItems.add(d.code);
    for (const a of await this.repository.openAlertsTouching(sql, [...alertItems], [...w.alertGtins])) {
      this.alerts.set(`${a.openedIndex}:${a.seq}`, a);
    }
    // A hold alert closes when none of its items is held any more: the items it lists beyond those named.
    const holdMembers = [...this.alerts.values()]
      .filter((a) => a.kind === 'quarantine' || a.kind === 'illegitimate')
      .flatMap((a) => a.items)
      .filter((code) => !this.items.has(code));
    if (holdMembers.length > 0) {
      for (const loaded of await this.repository.loadWithContents(sql, [...new Set(holdMembers)])) {
        if (!this.items.has(loaded.item.code)) this.remember(loaded);
      }
    }
  }

  private remember({ item, record }: LoadedItem): void {
    this.items.set(item.code, item);
    if (item.parent) this.childSet(item.parent).add(item.code);
    this.rows.set(item.code, {
      top: record.top,
      topSince: record.topSince,
      opsLength: record.opsLength,
      topOpsLength: record.topOpsLength,
      inherited: record.inherited,
      parent: item.parent,
      hold: item.hold,
      custodian: item.custodian,
      status: item.status,
      shipment: item.shipment,
      transfers: item.transfers,
      sellersLength: item.sellers.length,
      row: null,
      history: [],
      merge: false,
      moves: [],
      ops: [],
      receiptAt: null,
    });
  }

  private childSet(parent: string): Set<string> {
    let set = this.children.get(parent);
    if (!set) this.children.set(parent, (set = new Set()));
    return set;
  }

  // ---- reads ----

  item(code: string): Item | undefined {
    return this.items.get(code);
  }

  /** True if the code is already an item (created in an earlier transaction or earlier in this batch). */
  exists(code: string): boolean {
    return this.items.has(code) || this.taken.has(code);
  }

  /** Codes of the units loaded from the database for this batch. */
  loadedUnitCodes(): string[] {
    return [...this.items.values()].filter((i) => i.kind === 'unit' && !this.created.has(i.code)).map((i) => i.code);
  }

  contents(code: string): Item[] {
    return [...(this.children.get(code) ?? [])].map((c) => this.items.get(c)!);
  }

  /** Everything packed in `code`, at any depth (not the item itself). */
  descendants(code: string): Item[] {
    const out: Item[] = [];
    const stack = [...(this.children.get(code) ?? [])];
    while (stack.length > 0) {
      const next = this.items.get(stack.pop()!)!;
      out.push(next);
      stack.push(...(this.children.get(next.code) ?? []));
    }
    return out;
  }

  /** The container chain above an item, nearest first. */
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

  prefixHolder(prefix: string): string | undefined {
    return this.prefixes.get(prefix);
  }

  /** Granted prefixes equal to `prefix`, starting it, or starting with it (GS1 prefixes never overlap). */
  prefixesOverlapping(prefix: string): { prefix: string; gln: string }[] {
    return [...this.prefixes]
      .filter(([granted]) => granted.startsWith(prefix) || prefix.startsWith(granted))
      .map(([granted, gln]) => ({ prefix: granted, gln }));
  }

  heldPrefix(holder: string, gtin: string): string | undefined {
    for (const [prefix, gln] of this.prefixes)
      if (gln === holder && gtin.slice(1, 1 + prefix.length) === prefix) return prefix;
    return undefined;
  }

  shipment(id: string): Shipment | undefined {
    return this.shipments.get(id);
  }

  openAlerts(): Alert[] {
    return [...this.alerts.values()].filter((a) => a.status === 'open');
  }

  // ---- writes (a rule calls these only after all its checks passed) ----

  createItem(item: Item, index: number): void {
    this.remember({
      item,
      record: { top: null, topSince: null, opsLength: 0, topOpsLength: 0, inherited: [] },
    });
    this.taken.delete(item.code);
    this.created.add(item.code);
    this.eventAt(index).touched.add(item);
  }

  /** Marks an item changed by the event at `index` (its history gets that index). */
  touch(item: Item, index: number): void {
    item.lastIndex = index;
    this.eventAt(index).touched.add(item);
  }

  setParent(item: Item, parent: string | null): void {
    if (item.parent) this.children.get(item.parent)?.delete(item.code);
    item.parent = parent;
    if (parent) this.childSet(parent).add(item.code);
  }

  putProduct(product: Product): void {
    this.products.set(product.gtin, product);
    this.changedProducts.add(product.gtin);
  }

  putLot(lot: Lot): void {
    this.lots.set(lotKey(lot.gtin, lot.lot), lot);
    this.changedLots.add(lotKey(lot.gtin, lot.lot));
  }

  grantPrefix(prefix: string, gln: string, grantedIndex: number): void {
    this.prefixes.set(prefix, gln);
    this.newPrefixes.push({ prefix, gln, grantedIndex });
  }

  putShipment(shipment: Shipment): void {
    this.shipments.set(shipment.id, shipment);
    this.changedShipments.add(shipment.id);
  }

  putAlert(alert: Alert): void {
    const key = `${alert.openedIndex}:${alert.seq}`;
    this.alerts.set(key, alert);
    this.changedAlerts.add(key);
  }

  /** Alerts are numbered within the event that opens them. */
  nextAlertSeq(index: number): number {
    const seq = this.alertSeqs.get(index) ?? 0;
    this.alertSeqs.set(index, seq + 1);
    return seq;
  }

  // ---- inherited custody: which rows an event writes ----

  /** The event at `index` starts (intake and rebuild call this before each rule; see applyCustodyRule). */
  beginEvent(index: number, acceptedAt: Date): void {
    this.endEvent();
    this.event = { index, acceptedAt, touched: new Set() };
  }

  private eventAt(index: number): CurrentEvent {
    if (this.event?.index !== index) this.beginEvent(index, this.event?.acceptedAt ?? new Date(0));
    return this.event!;
  }

  /**
   * The event applied: decides, for every item it acted on, whether the item inherits the event from its top
   * container (the event acted on the top and on everything inside it, and changed nothing of the item's own:
   * only the top's row records it, in its `moves`) or whether its own row takes it.
   */
  endEvent(): void {
    const event = this.event;
    this.event = null;
    if (!event || event.touched.size === 0) return;
    const { index, acceptedAt, touched } = event;
    const inherits = new Set<Item>();
    for (const top of touched) {
      if (top.kind !== 'container' || top.parent !== null) continue;
      const inside = this.descendants(top.code);
      if (inside.length === 0) continue;
      const state = this.rows.get(top.code)!;
      const receipt = top.transfers !== state.transfers;
      if (receipt) {
        state.ops.push(top.sellers.length > state.sellersLength ? top.sellers[top.sellers.length - 1] : '');
        state.opsLength++;
        state.receiptAt = acceptedAt;
      }
      if (inside.every((item) => touched.has(item))) {
        let moved = false;
        for (const item of inside) {
          const own = this.rows.get(item.code)!;
          if (
            own.top === top.code &&
            own.topSince !== null &&
            own.topSince < index &&
            item.hold === own.hold &&
            item.parent === own.parent &&
            item.custodian === top.custodian &&
            item.status === top.status &&
            item.shipment === top.shipment
          ) {
            inherits.add(item);
            own.inherited.push(index);
            moved = true;
          }
        }
        if (moved) {
          state.moves.push(index);
          this.changed.add(top.code);
        }
      } else if (
        receipt ||
        top.custodian !== state.custodian ||
        top.status !== state.status ||
        top.shipment !== state.shipment
      ) {
        // Not a move of everything inside, yet what the contents read through the top changed: their rows take it.
        for (const item of inside) if (!touched.has(item)) this.writeRow(item);
      }
    }
    for (const item of touched) {
      if (inherits.has(item)) continue;
      const state = this.rows.get(item.code)!;
      if (item.parent !== state.parent) this.moveMembership(item.code, state.parent, item.parent, index);
      const { top } = this.topOf(item);
      if (top !== state.top) {
        // A new top: the moves inherited from the former one become the item's own history.
        if (state.inherited.length > 0) {
          state.history.push(...state.inherited);
          state.merge = true;
          state.inherited = [];
        }
        state.top = top;
        state.topSince = top === null ? null : index;
      }
      appendToHistory(state.history, index);
      this.writeRow(item);
    }
    for (const item of touched) {
      const state = this.rows.get(item.code)!;
      state.custodian = item.custodian;
      state.status = item.status;
      state.shipment = item.shipment;
      state.transfers = item.transfers;
      state.sellersLength = item.sellers.length;
    }
  }

  /** The item's own row is to be written with its state now (a packed item's: a copy, later moves are inherited). */
  private writeRow(item: Item): void {
    const state = this.rows.get(item.code)!;
    const { top, opsLength } = this.topOf(item);
    state.row = {
      item: top === null ? item : { ...item, sellers: [...item.sellers] },
      top: state.top,
      topSince: state.topSince,
      opsBase: top === null ? 0 : opsLength,
    };
    state.hold = item.hold;
    state.parent = item.parent;
    if (!this.created.has(item.code)) this.changed.add(item.code);
  }

  /** The item's outermost container (null: not packed) and how many receipts that container has had. */
  private topOf(item: Item): { top: string | null; opsLength: number } {
    let current = item;
    for (let depth = 0; current.parent !== null && depth <= this.items.size; depth++) {
      const parent = this.items.get(current.parent);
      if (!parent) {
        // Above here nothing is loaded, so nothing changed: the stored top of the highest loaded item.
        const state = this.rows.get(current.code)!;
        return { top: state.top ?? current.parent, opsLength: state.topOpsLength };
      }
      current = parent;
    }
    return current === item
      ? { top: null, opsLength: 0 }
      : { top: current.code, opsLength: this.rows.get(current.code)!.opsLength };
  }

  private moveMembership(code: string, from: string | null, to: string | null, index: number): void {
    if (from !== null) {
      const opened = this.openedByCode.get(code);
      if (opened && opened.toIndex === null) opened.toIndex = index;
      else this.closedMemberships.set(code, index);
    }
    if (to !== null) {
      const membership: Membership = { code, container: to, fromIndex: index, toIndex: null };
      this.openedMemberships.push(membership);
      this.openedByCode.set(code, membership);
    }
  }

  async flush(sql: Sql): Promise<void> {
    this.endEvent();
    const write = (code: string): ItemWrite => {
      const state = this.rows.get(code)!;
      return {
        code,
        row: state.row,
        history: state.history,
        merge: state.merge,
        moves: state.moves,
        ops: state.ops,
        receiptAt: state.receiptAt,
      };
    };
    await this.repository.savePrefixes(sql, this.newPrefixes);
    await this.repository.saveProducts(
      sql,
      [...this.changedProducts].map((g) => this.products.get(g)!),
    );
    await this.repository.saveLots(
      sql,
      [...this.changedLots].map((k) => this.lots.get(k)!),
    );
    await this.repository.insertItems(sql, [...this.created].map(write));
    await this.repository.updateItems(sql, [...this.changed].filter((c) => !this.created.has(c)).map(write));
    await this.repository.saveMemberships(
      sql,
      this.openedMemberships,
      [...this.closedMemberships].map(([code, toIndex]) => ({ code, toIndex })),
    );
    await this.repository.saveShipments(
      sql,
      [...this.changedShipments].map((s) => this.shipments.get(s)!),
    );
    await this.repository.saveAlerts(
      sql,
      [...this.changedAlerts].map((a) => this.alerts.get(a)!),
    );
  }
}
