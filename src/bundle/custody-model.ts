/**
 * A small, pure model of custody, replayed over a bundle's events in log order to judge the chain of custody of its
 * units. It mirrors the meaning of the server's rules (src/supply-chain/custody.event-types.ts, the commission and
 * dispense types), not their code: a unit is created by its commissioning, held by one custodian, packed in at most
 * one container, moved with its container, in transit to a named recipient between a ship and the matching
 * receive, and final once dispensed, decommissioned or destroyed.
 *
 * Where an event breaks a rule the server enforces, the model reports an issue and still applies the event as the
 * log records it, so that each break is reported once, where it happens, rather than at every later event.
 *
 * It also records, for every unit commissioned in the bundle, the log indexes of the events that act on it, as the
 * server's read model records them (a unit's "history"): the verifier compares them with the histories the bundle
 * claims. Units that an event names but the bundle never commissions (other lots in a mixed case) are followed only
 * through their containers.
 */
import { LedgerEvent } from '../protocol/event';
import { unitCode } from '../protocol/item-code';
import { PartyRole } from '../protocol/registry';
import { record, string, stringArray } from './bundle-shape';

export type CustodyRule =
  | 'ROLE_NOT_ALLOWED'
  | 'NOT_MANUFACTURER'
  | 'COMMISSIONED_TWICE'
  | 'NOT_HOLDER'
  | 'IN_TRANSIT'
  | 'ENDED'
  | 'IN_OTHER_CONTAINER'
  | 'NOT_IN_CONTAINER'
  | 'NOT_A_UNIT'
  | 'SHIPPED_TO_SELF'
  | 'SHIPMENT_REPEATED'
  | 'SHIPMENT_UNKNOWN'
  | 'NOT_RECIPIENT'
  | 'ALREADY_RECEIVED'
  | 'NOT_IN_SHIPMENT'
  | 'UNKNOWN_EVENT_TYPE';

/** Rules judged from the event alone (and the registry), whatever happened before it: they hold in a time window too. */
export const STATELESS_RULES: ReadonlySet<CustodyRule> = new Set([
  'ROLE_NOT_ALLOWED',
  'NOT_MANUFACTURER',
  'NOT_A_UNIT',
  'SHIPPED_TO_SELF',
  'UNKNOWN_EVENT_TYPE',
]);

export interface CustodyIssue {
  rule: CustodyRule;
  message: string;
  /** The items concerned (units, or containers when no unit is known). */
  items: string[];
}

type Status = 'active' | 'in_transit' | 'dispensed' | 'decommissioned' | 'destroyed';

export interface UnitState {
  code: string;
  gtin: string;
  lot: string;
  commissionedIndex: number;
  custodian: string;
  status: Status;
  /** The shipment it is in transit in. */
  shipment: string | null;
  /** Where it left the supply chain (dispense, decommission, destroy). */
  endedIndex: number | null;
  onHold: boolean;
  /** Log indexes of the events that act on it, increasing. */
  history: number[];
}

interface Shipment {
  shipper: string;
  shipmentId: string;
  recipient: string;
  items: string[];
  index: number;
  receivedIndex: number | null;
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

const CUSTODIANS: readonly PartyRole[] = ['manufacturer', 'distributor', 'dispenser'];
const ROLES: Record<string, readonly PartyRole[]> = {
  commission: ['manufacturer'],
  pack: CUSTODIANS,
  unpack: CUSTODIANS,
  ship: CUSTODIANS,
  receive: CUSTODIANS,
  dispense: ['dispenser'],
  decommission: CUSTODIANS,
  destroy: CUSTODIANS,
  quarantine: [...CUSTODIANS, 'regulator'],
  illegitimate: [...CUSTODIANS, 'regulator'],
  clear: ['manufacturer', 'regulator'],
  'product.register': ['manufacturer'],
  recall: ['manufacturer'],
  'recall-lift': ['manufacturer'],
  'prefix.grant': ['operator'],
};
export const ITEM_EVENT_TYPES: ReadonlySet<string> = new Set([
  'commission',
  'pack',
  'unpack',
  'ship',
  'receive',
  'dispense',
  'decommission',
  'destroy',
  'quarantine',
  'illegitimate',
  'clear',
]);
export const PRODUCT_EVENT_TYPES: ReadonlySet<string> = new Set([
  'product.register',
  'prefix.grant',
  'recall',
  'recall-lift',
]);

const isUnitCode = (code: string) => code.startsWith('(01)');
const ENDED_WORDS: Record<string, string> = {
  dispensed: 'dispensed',
  decommissioned: 'decommissioned',
  destroyed: 'destroyed',
};

export class CustodyModel {
  private readonly units = new Map<string, UnitState>();
  /** Units named before (or without) their commissioning in the bundle: the events that acted on them meanwhile. */
  private readonly uncommissioned = new Map<string, number[]>();
  private readonly parentOf = new Map<string, string>();
  private readonly contents = new Map<string, Set<string>>();
  private readonly shipments = new Map<string, Shipment>();
  /** Product registrations in the bundle: GTIN → the manufacturer that registered it. */
  private readonly products = new Map<string, string>();
  readonly productEvents: ProductEvent[] = [];

  /** The manufacturer whose registration of `gtin` the bundle holds. */
  manufacturerOf(gtin: string): string | undefined {
    return this.products.get(gtin);
  }

  unit(code: string): UnitState | undefined {
    return this.units.get(code);
  }

  /** Every unit the bundle's events commissioned. */
  allUnits(): IterableIterator<UnitState> {
    return this.units.values();
  }

  /** The events that acted on a unit while the bundle had not commissioned it (before it, or ever), if any. */
  actedOnUncommissioned(code: string): number[] | undefined {
    return this.uncommissioned.get(code);
  }

  /**
   * Applies the event at log index `index`, signed by a party of `role` (undefined when the signer is unknown:
   * that is reported by the key-history check). Returns the rules it breaks. Throws a `ShapeError` (path under
   * `path`) when its body is not what its type carries.
   */
  apply(
    index: number,
    event: LedgerEvent<Record<string, unknown>>,
    role: PartyRole | undefined,
    path: string,
  ): CustodyIssue[] {
    const issues: CustodyIssue[] = [];
    const allowed = ROLES[event.type];
    if (allowed && role !== undefined && !allowed.includes(role)) {
      issues.push({
        rule: 'ROLE_NOT_ALLOWED',
        message: `a ${role} may not sign ${event.type} events (allowed: ${allowed.join(', ')})`,
        items: [],
      });
    }
    const body = record(event.body, `${path}.body`);
    const at = (member: string) => `${path}.body.${member}`;
    const context = { index, actor: event.actor, type: event.type, issues };
    switch (event.type) {
      case 'commission':
        this.commission(
          context,
          string(body.gtin, at('gtin')),
          string(body.lot, at('lot')),
          stringArray(body.serials, at('serials')),
        );
        break;
      case 'pack':
        this.pack(context, string(body.parent, at('parent')), stringArray(body.children, at('children')));
        break;
      case 'unpack':
        this.unpack(
          context,
          string(body.parent, at('parent')),
          body.children === undefined ? null : stringArray(body.children, at('children')),
        );
        break;
      case 'ship':
        this.ship(
          context,
          stringArray(body.items, at('items')),
          string(body.shipmentId, at('shipmentId')),
          string(body.recipient, at('recipient')),
        );
        break;
      case 'receive':
        this.receive(
          context,
          stringArray(body.items, at('items')),
          string(body.shipper, at('shipper')),
          string(body.shipmentId, at('shipmentId')),
        );
        break;
      case 'dispense':
        this.dispense(context, stringArray(body.items, at('items')));
        break;
      case 'decommission':
      case 'destroy':
        this.retire(
          context,
          stringArray(body.items, at('items')),
          event.type === 'destroy' ? 'destroyed' : 'decommissioned',
        );
        break;
      case 'quarantine':
      case 'illegitimate':
      case 'clear':
        this.hold(context, stringArray(body.items, at('items')), event.type !== 'clear');
        break;
      case 'product.register':
      case 'recall':
      case 'recall-lift': {
        const gtin = string(body.gtin, at('gtin'));
        const registering = event.type === 'product.register';
        if (registering && !this.products.has(gtin)) this.products.set(gtin, event.actor);
        const maker = this.products.get(gtin);
        if (!registering && maker !== undefined && maker !== event.actor) {
          issues.push({
            rule: 'NOT_MANUFACTURER',
            message: `${event.type}: ${event.actor} recalls or lifts a recall of GTIN ${gtin}, which ${maker} registered`,
            items: [],
          });
        }
        this.productEvents.push({
          index,
          type: event.type,
          gtin,
          prefix: null,
          lots: registering ? null : stringArray(body.lots, at('lots')),
        });
        break;
      }
      case 'prefix.grant':
        this.productEvents.push({
          index,
          type: event.type,
          gtin: null,
          prefix: string(body.prefix, at('prefix')),
          lots: null,
        });
        break;
      default:
        issues.push({
          rule: 'UNKNOWN_EVENT_TYPE',
          message: `a ${JSON.stringify(event.type).slice(0, 40)} event is not one whose effect on custody the verifier knows`,
          items: [],
        });
    }
    return issues;
  }

  // ---- the event types ----

  private commission(c: Context, gtin: string, lot: string, serials: string[]): void {
    const manufacturer = this.products.get(gtin);
    if (manufacturer !== undefined && manufacturer !== c.actor) {
      c.issues.push({
        rule: 'NOT_MANUFACTURER',
        message: `commission: ${c.actor} commissions serials of GTIN ${gtin}, which ${manufacturer} registered: only its manufacturer may`,
        items: serials.slice(0, 1).map((serial) => unitCode(gtin, serial)),
      });
    }
    const twice: string[] = [];
    for (const serial of serials) {
      const code = unitCode(gtin, serial);
      const existing = this.units.get(code);
      if (existing) {
        // A second commissioning of a serial: the same package would exist twice. Keep the first one's chain.
        twice.push(code);
        touch(existing, c.index);
        continue;
      }
      this.units.set(code, {
        code,
        gtin,
        lot,
        commissionedIndex: c.index,
        custodian: c.actor,
        status: 'active',
        shipment: null,
        endedIndex: null,
        onHold: false,
        history: [c.index],
      });
    }
    if (twice.length > 0) {
      issue(
        c,
        'COMMISSIONED_TWICE',
        twice,
        (n) => `commissions ${n} that the bundle shows commissioned before (an item in two places)`,
      );
    }
  }

  private pack(c: Context, parent: string, children: string[]): void {
    const all = this.withContents(children, c.index);
    this.mustHold(c, all);
    const packed = children.filter((child) => this.parentOf.has(child));
    if (packed.length > 0) {
      issue(
        c,
        'IN_OTHER_CONTAINER',
        packed,
        (n) =>
          `packs ${n} into ${parent} while still packed in ${this.parentOf.get(packed[0])} (an item in two places)`,
      );
    }
    for (const child of children) this.setParent(child, parent);
    all.forEach((unit) => touch(unit, c.index));
  }

  private unpack(c: Context, parent: string, named: string[] | null): void {
    const inside = this.contents.get(parent) ?? new Set<string>();
    const children = named ?? [...inside];
    const elsewhere = children.filter((child) => !inside.has(child));
    if (elsewhere.length > 0)
      issue(
        c,
        'NOT_IN_CONTAINER',
        elsewhere,
        (n) => `takes ${n} out of ${parent}, which the bundle does not show in it`,
      );
    const all = this.withContents(children, c.index);
    this.mustHold(c, all);
    for (const child of children) if (this.parentOf.get(child) === parent) this.setParent(child, null);
    all.forEach((unit) => touch(unit, c.index));
  }

  private ship(c: Context, items: string[], shipmentId: string, recipient: string): void {
    const key = shipmentKey(c.actor, shipmentId);
    if (this.shipments.has(key)) {
      c.issues.push({
        rule: 'SHIPMENT_REPEATED',
        message: `shipment ${shipmentId} of ${c.actor} was already shipped at log index ${this.shipments.get(key)!.index}`,
        items: items.slice(0, 1),
      });
    }
    if (recipient === c.actor) issue(c, 'SHIPPED_TO_SELF', items, (n) => `ships ${n} to the shipper itself`);
    const packed = items.filter((item) => this.parentOf.has(item));
    if (packed.length > 0) {
      issue(
        c,
        'IN_OTHER_CONTAINER',
        packed,
        (n) => `ships ${n} on their own while still packed in ${this.parentOf.get(packed[0])} (an item in two places)`,
      );
    }
    const all = this.withContents(items, c.index);
    this.mustHold(c, all);
    for (const unit of all) {
      unit.status = 'in_transit';
      unit.shipment = key;
      touch(unit, c.index);
    }
    this.shipments.set(key, { shipper: c.actor, shipmentId, recipient, items, index: c.index, receivedIndex: null });
  }

  private receive(c: Context, items: string[], shipper: string, shipmentId: string): void {
    const key = shipmentKey(shipper, shipmentId);
    const shipment = this.shipments.get(key);
    let arriving: UnitState[];
    if (!shipment) {
      arriving = this.withContents(items, c.index);
      if (arriving.length > 0) {
        issue(
          c,
          'SHIPMENT_UNKNOWN',
          codesOf(arriving),
          (n) =>
            `receives ${n} in shipment ${shipmentId} of ${shipper}, whose ship event is not in the bundle (a gap in the chain)`,
        );
      }
    } else {
      const shipped = new Set(shipment.items);
      arriving = this.withContents(
        items.filter((item) => shipped.has(item)),
        c.index,
      );
      const codes = () => codesOf(arriving);
      if (shipment.recipient !== c.actor) {
        issue(
          c,
          'NOT_RECIPIENT',
          codes(),
          (n) =>
            `${c.actor} receives ${n} of shipment ${shipmentId}, which ${shipper} addressed to ${shipment.recipient} (log index ${shipment.index})`,
        );
      }
      if (shipment.receivedIndex !== null) {
        issue(
          c,
          'ALREADY_RECEIVED',
          codes(),
          (n) =>
            `receives ${n} of shipment ${shipmentId} of ${shipper}, already received at log index ${shipment.receivedIndex}`,
        );
      }
      const astray = arriving.filter((unit) => unit.status !== 'in_transit' || unit.shipment !== key);
      if (astray.length > 0) {
        issue(
          c,
          'NOT_IN_SHIPMENT',
          codesOf(astray),
          (n) =>
            `receives ${n} in shipment ${shipmentId} of ${shipper} that are not in transit in it (${describeState(astray[0])})`,
        );
      }
      shipment.receivedIndex ??= c.index;
    }
    for (const unit of arriving) {
      unit.custodian = c.actor;
      if (unit.status === 'in_transit') unit.status = 'active';
      unit.shipment = null;
      touch(unit, c.index);
    }
  }

  private dispense(c: Context, items: string[]): void {
    const containers = items.filter((code) => !isUnitCode(code));
    if (containers.length > 0) issue(c, 'NOT_A_UNIT', containers, (n) => `dispenses ${n} that are not units`);
    const units = this.withContents(items.filter(isUnitCode), c.index);
    this.mustHold(c, units);
    for (const code of items) if (isUnitCode(code)) this.setParent(code, null);
    for (const unit of units) end(unit, 'dispensed', c.index);
  }

  private retire(c: Context, items: string[], status: 'decommissioned' | 'destroyed'): void {
    const all = this.withContents(items, c.index);
    this.mustHold(c, all);
    for (const code of items) this.setParent(code, null);
    for (const unit of all) end(unit, status, c.index);
  }

  private hold(c: Context, items: string[], put: boolean): void {
    for (const unit of this.withContents(items, c.index)) {
      // Clearing a container clears (and touches) only what in it is on hold, as the server does.
      if (!put && !unit.onHold) continue;
      unit.onHold = put;
      touch(unit, c.index);
    }
  }

  // ---- shared rules ----

  /** Every unit must be held by the actor and still in the supply chain (not in transit, not final). */
  private mustHold(c: Context, units: UnitState[]): void {
    const ended = units.filter((unit) => unit.endedIndex !== null);
    if (ended.length > 0) {
      const first = ended[0];
      issue(
        c,
        'ENDED',
        codesOf(ended),
        (n) =>
          `acts on ${n} that left the supply chain before (${ENDED_WORDS[first.status] ?? first.status} at log index ${first.endedIndex})`,
      );
    }
    const moving = units.filter((unit) => unit.endedIndex === null && unit.status === 'in_transit');
    if (moving.length > 0) {
      const shipment = this.shipments.get(moving[0].shipment ?? '');
      issue(
        c,
        'IN_TRANSIT',
        codesOf(moving),
        (n) =>
          `acts on ${n} in transit` +
          (shipment ? ` (shipment ${shipment.shipmentId} of ${shipment.shipper} to ${shipment.recipient})` : '') +
          ' (an item in two places)',
      );
    }
    const elsewhere = units.filter(
      (unit) => unit.endedIndex === null && unit.status !== 'in_transit' && unit.custodian !== c.actor,
    );
    if (elsewhere.length > 0) {
      issue(
        c,
        'NOT_HOLDER',
        codesOf(elsewhere),
        (n) => `${c.actor} acts on ${n} held by ${elsewhere[0].custodian} (an item in two places)`,
      );
    }
  }

  /** The units among `codes` and everything packed in them, as tracked units; notes units never commissioned. */
  private withContents(codes: string[], index: number): UnitState[] {
    const seen = new Set<string>();
    const units: UnitState[] = [];
    const visit = (code: string) => {
      if (seen.has(code)) return;
      seen.add(code);
      if (isUnitCode(code)) {
        const unit = this.units.get(code);
        if (unit) units.push(unit);
        else touchUncommissioned(this.uncommissioned, code, index);
      }
      const inside = this.contents.get(code);
      if (inside) for (const child of inside) visit(child);
    };
    codes.forEach(visit);
    return units;
  }

  private setParent(code: string, parent: string | null): void {
    const old = this.parentOf.get(code);
    if (old !== undefined) this.contents.get(old)?.delete(code);
    if (parent === null) {
      this.parentOf.delete(code);
      return;
    }
    this.parentOf.set(code, parent);
    let inside = this.contents.get(parent);
    if (!inside) this.contents.set(parent, (inside = new Set()));
    inside.add(code);
  }
}

interface Context {
  index: number;
  actor: string;
  type: string;
  issues: CustodyIssue[];
}

function shipmentKey(shipper: string, shipmentId: string): string {
  return `${shipper}\u0000${shipmentId}`;
}

function touchUncommissioned(uncommissioned: Map<string, number[]>, code: string, index: number): void {
  const history = uncommissioned.get(code);
  if (!history) uncommissioned.set(code, [index]);
  else if (history[history.length - 1] !== index) history.push(index);
}

function touch(unit: UnitState, index: number): void {
  if (unit.history[unit.history.length - 1] !== index) unit.history.push(index);
}

function end(unit: UnitState, status: Status, index: number): void {
  if (unit.endedIndex === null) {
    unit.status = status;
    unit.endedIndex = index;
    unit.shipment = null;
  }
  touch(unit, index);
}

function describeState(unit: UnitState): string {
  if (unit.endedIndex !== null) return `${unit.status} at log index ${unit.endedIndex}`;
  if (unit.status === 'in_transit') return 'in transit in another shipment';
  return `held by ${unit.custodian}`;
}

function codesOf(units: UnitState[]): string[] {
  return units.map((unit) => unit.code);
}

function issue(c: Context, rule: CustodyRule, items: string[], message: (items: string) => string): void {
  c.issues.push({ rule, items, message: `${c.type}: ${message(itemsPhrase(items))}` });
}

function itemsPhrase(items: string[]): string {
  if (items.length === 1) return items[0];
  const sample = items.slice(0, 3).join(', ');
  return `${items.length} items [${sample}${items.length > 3 ? ', ...' : ''}]`;
}
