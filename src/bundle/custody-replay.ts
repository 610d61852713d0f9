/**
 * The chain of custody of a bundle: its events replayed in log order through the server's own custody rules
 * (src/protocol/custody, the one implementation intake applies), so that an event the server would have refused is
 * reported with the code the server answers (ITEM_RECALLED, NOT_CUSTODIAN, ...). After a refusal the replay goes on
 * as the log records the event, so each break is reported once, where it happens.
 *
 * A bundle is a part of the log, so the replay knows only what its events show; it reports only what they can
 * judge (docs/PROTOCOL.md §9):
 *  - items no event of the bundle made (units of other lots in a mixed case, a case packed before it held a unit of
 *    the scope) are taken as the events find them, and a refusal that names only such items is not reported;
 *    `ITEM_UNKNOWN` is judged from the items' histories instead (a listed unit acted on but never commissioned);
 *  - lots no event of the bundle commissioned (a recall naming other lots too) are not judged (`LOT_UNKNOWN`);
 *  - company prefixes: `prefix.grant` events are not in bundles, so `PREFIX_NOT_HELD` is judged only as "the
 *    product's registrant commissions it";
 *  - verifications of returned units are not log events: `RETURN_NOT_VERIFIED` is never reported (a limit);
 *  - a time window (`windowed`): the state before the window is unknown, so only the refusals that the event and
 *    the registry alone decide (`STATELESS_CODES`) are reported.
 *
 * It also gives each unit's history, the log indexes of the events that act on it, computed by the same rules as
 * the server's read model (src/protocol/custody/history.ts): the verifier compares them with the histories the
 * bundle claims.
 */
import { isUnitCode } from '../protocol/item-code';
import { parseYymmdd } from '../gs1/expiry';
import { LedgerEvent } from '../protocol/event';
import { CustodyReplay, ITEM_EVENT_TYPES, PartyView, Refusal } from '../protocol/custody';
import { PartyRole } from '../protocol/registry';
import { record, ShapeError, string, stringArray } from './bundle-shape';

export { ITEM_EVENT_TYPES };

export const PRODUCT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'product.register',
  'prefix.grant',
  'recall',
  'recall-lift',
]);

/** Refusals decided by the event and the registry alone, whatever happened before it: judged in a time window too. */
export const STATELESS_CODES: ReadonlySet<string> = new Set([
  'ACTOR_ROLE_NOT_ALLOWED',
  'EVENT_TYPE_UNKNOWN',
  'DUPLICATE_ITEMS',
  'NOT_A_UNIT',
  'RECIPIENT_UNKNOWN',
  'RECIPIENT_IS_SHIPPER',
  'PARTY_NOT_MANUFACTURER',
  'NDC_MISMATCH',
]);

/** Refusals a bundle cannot judge (see the file's comment). */
const NOT_SHOWN: ReadonlySet<string> = new Set(['ITEM_UNKNOWN', 'LOT_UNKNOWN', 'RETURN_NOT_VERIFIED']);

/** An event the server would have refused: its code, as the server answers it, and the items it names. */
export interface CustodyIssue {
  /** The server's refusal code. */
  rule: string;
  message: string;
  /** The items concerned. */
  items: string[];
  /** The units inside the containers among `items` as the event found them (or left them, if it did not name them). */
  inside: string[];
}

export interface UnitState {
  code: string;
  gtin: string;
  lot: string;
  commissionedIndex: number;
  /** Log indexes of the events that act on it since its commissioning, increasing. */
  history: number[];
}

/** An event about products or lots rather than items (a recall, a product registration): judged by its GTIN. */
export interface ProductEvent {
  index: number;
  type: string;
  /** The GTIN it is about, or for `prefix.grant` null (see `prefix`). */
  gtin: string | null;
  prefix: string | null;
  lots: string[] | null;
}

export class BundleCustody {
  private readonly replay: CustodyReplay;
  readonly productEvents: ProductEvent[] = [];
  /** The bundle's pack events, in log order: which of them only built a chain its items later entered. */
  private readonly packs: { index: number; parent: string; children: string[] }[] = [];
  /** Returned units sold or dispensed again: whether their custodian verified them first is not in the log. */
  readonly unjudgedReturns = new Set<string>();

  constructor(
    registry: PartyView,
    private readonly windowed: () => boolean,
  ) {
    const returns = { verified: (item: { code: string }) => (this.unjudgedReturns.add(item.code), true) };
    this.replay = new CustodyReplay(registry, { prefixesUnknown: true, returns });
  }

  /** The manufacturer whose registration of `gtin` the bundle holds. */
  manufacturerOf(gtin: string): string | undefined {
    return this.replay.state.product(gtin)?.manufacturer;
  }

  /** A unit the bundle's events commissioned. */
  unit(code: string): UnitState | undefined {
    const state = this.replay.state;
    const item = state.item(code);
    if (!item || item.kind !== 'unit' || item.lot === null || state.isAdopted(code)) return undefined;
    // Made by its commissioning: the first index of its history.
    const history = state.historyOfItem(item);
    return { code, gtin: item.gtin!, lot: item.lot, commissionedIndex: history[0], history };
  }

  /** Every unit the bundle's events commissioned. */
  *allUnits(): IterableIterator<UnitState> {
    for (const item of this.replay.state.madeItems()) {
      const unit = item.kind === 'unit' ? this.unit(item.code) : undefined;
      if (unit) yield unit;
    }
  }

  /** Every unit the events act on: those they commissioned and those they name uncommissioned. */
  *unitsActedOn(): IterableIterator<string> {
    for (const item of this.replay.state.allItems()) if (item.kind === 'unit') yield item.code;
  }

  /**
   * Log indexes of the events that act on a container, whatever it holds: in a time window, such an event may move
   * units packed in it before the window, which the bundle cannot show (docs/PROTOCOL.md §9).
   */
  containerEvents(): Set<number> {
    const state = this.replay.state;
    const indexes = new Set<number>();
    for (const item of state.allItems()) {
      if (item.kind === 'container') for (const index of state.historyOf(item.code) ?? []) indexes.add(index);
    }
    return indexes;
  }

  /**
   * The containment context among the pack events that act on none of the items (docs/PROTOCOL.md §9): a pack that
   * put a container into another before an item entered it, so that the outer one's later moves act on the item.
   * `about` holds the indexes of the events that act on the items. A pack that acts on the items puts its parent in an
   * item's chain at its index; a container in a chain at a time is held then by the parent of its latest earlier pack,
   * which is in the chain at that time too, and that pack, if it acts on none of the items, is context.
   */
  containmentContext(about: ReadonlySet<number>): Set<number> {
    const packsOf = new Map<string, { index: number; parent: string }[]>();
    for (const pack of this.packs) {
      for (const child of pack.children) {
        const list = packsOf.get(child) ?? [];
        list.push(pack);
        packsOf.set(child, list);
      }
    }
    const seen = new Set<string>();
    const work: [string, number][] = [];
    const inChain = (container: string, time: number) => {
      const key = `${container}\u0000${time}`;
      if (seen.has(key)) return;
      seen.add(key);
      work.push([container, time]);
    };
    for (const pack of this.packs) if (about.has(pack.index)) inChain(pack.parent, pack.index);
    const context = new Set<number>();
    for (let next = work.pop(); next; next = work.pop()) {
      const [container, time] = next;
      let holding: { index: number; parent: string } | undefined;
      for (const pack of packsOf.get(container) ?? []) {
        if (pack.index >= time) break;
        holding = pack;
      }
      if (!holding) continue;
      if (!about.has(holding.index)) context.add(holding.index);
      inChain(holding.parent, time);
    }
    return context;
  }

  /** The containers the given pack events name (their parents and children that are containers). */
  containersOf(packIndexes: ReadonlySet<number>): Set<string> {
    const containers = new Set<string>();
    for (const pack of this.packs) {
      if (!packIndexes.has(pack.index)) continue;
      containers.add(pack.parent);
      for (const child of pack.children) if (!isUnitCode(child)) containers.add(child);
    }
    return containers;
  }

  /** The events that acted on a unit while the bundle had not commissioned it (before it, or ever), if any. */
  actedOnUncommissioned(code: string): number[] | undefined {
    return this.replay.state.actedOnBeforeMade(code);
  }

  /**
   * Applies the event at log index `index`, accepted at `acceptedAtMs`, signed by a party of `role` (undefined when
   * the signer is unknown: the key-history check reports that). Returns the refusal the server would have answered,
   * if the bundle can judge it. Throws a `ShapeError` (path under `path`) when its body is not what its type carries.
   */
  apply(
    index: number,
    event: LedgerEvent<Record<string, unknown>>,
    role: PartyRole | undefined,
    acceptedAtMs: number,
    path: string,
  ): CustodyIssue[] {
    const acceptedAt = new Date(acceptedAtMs);
    const body = readBody(event.type, event.body, acceptedAt, `${path}.body`);
    if (PRODUCT_EVENT_TYPES.has(event.type)) {
      this.productEvents.push({
        index,
        type: event.type,
        gtin: event.type === 'prefix.grant' ? null : (body.gtin as string),
        prefix: event.type === 'prefix.grant' ? (body.prefix as string) : null,
        lots: Array.isArray(body.lots) ? (body.lots as string[]) : null,
      });
    }
    if (event.type === 'pack') {
      this.packs.push({ index, parent: body.parent as string, children: body.children as string[] });
    }
    // The units inside the containers the event names, as it finds them (an unpack empties them).
    const named = [body.items, body.children, [body.parent]].flat().filter((c): c is string => typeof c === 'string');
    const before = new Map(
      named
        .filter((code) => !isUnitCode(code))
        .map((code) => [code, this.replay.state.descendants(code).filter((i) => i.kind === 'unit')] as const),
    );
    const refusals = this.replay.apply(index, { type: event.type, actor: event.actor, body }, role, acceptedAt);
    const judged = refusals.find((refusal) => this.judgeable(refusal));
    if (!judged) return [];
    const inside = judged.items
      .filter((code) => !isUnitCode(code))
      .flatMap((code) => before.get(code) ?? this.replay.state.descendants(code).filter((i) => i.kind === 'unit'))
      .map((item) => item.code);
    return [
      { rule: judged.code, items: judged.items, inside, message: `${event.type}: ${judged.code}: ${judged.message}` },
    ];
  }

  private judgeable(refusal: Refusal): boolean {
    if (this.windowed()) return STATELESS_CODES.has(refusal.code);
    if (NOT_SHOWN.has(refusal.code)) return false;
    const state = this.replay.state;
    return refusal.items.length === 0 || refusal.items.some((code) => !state.isAdopted(code));
  }
}

/** The members each type's rule reads, checked for their JSON type (the server validated them in full). */
function readBody(type: string, value: unknown, acceptedAt: Date, path: string): Record<string, unknown> {
  const body = record(value, path);
  const at = (member: string) => `${path}.${member}`;
  const strings = (...members: string[]) => members.forEach((member) => string(body[member], at(member)));
  const optional = (member: string, read: (value: unknown, path: string) => unknown) => {
    if (body[member] !== undefined) read(body[member], at(member));
  };
  switch (type) {
    case 'commission': {
      strings('gtin', 'lot', 'expiry');
      stringArray(body.serials, at('serials'));
      try {
        parseYymmdd(body.expiry as string, { currentYear: acceptedAt.getUTCFullYear() });
      } catch (error) {
        throw new ShapeError(at('expiry'), (error as Error).message);
      }
      break;
    }
    case 'pack':
      strings('parent');
      stringArray(body.children, at('children'));
      break;
    case 'unpack':
      strings('parent');
      optional('children', stringArray);
      break;
    case 'ship':
      strings('shipmentId', 'recipient');
      stringArray(body.items, at('items'));
      optional('reason', string);
      if (body.reason !== undefined && body.reason !== 'sale' && body.reason !== 'return') {
        throw new ShapeError(at('reason'), 'expected "sale" or "return"');
      }
      break;
    case 'receive':
      strings('shipper', 'shipmentId');
      stringArray(body.items, at('items'));
      break;
    case 'dispense':
    case 'decommission':
    case 'destroy':
    case 'quarantine':
    case 'illegitimate':
    case 'clear':
      stringArray(body.items, at('items'));
      optional('reason', string);
      break;
    case 'product.register':
      strings('gtin');
      optional('ndc', string);
      break;
    case 'prefix.grant':
      strings('gln', 'prefix');
      break;
    case 'recall':
    case 'recall-lift':
      strings('gtin');
      stringArray(body.lots, at('lots'));
      break;
  }
  return body;
}
