import { EventContext, EventType, IntakeBatch } from '../ledger/event-type';
import { LedgerEvent } from '../protocol/event';
import { PartyRole } from '../protocol/registry';
import { Alert, AlertKind, Item, newItem, shipmentKey } from './custody.model';
import {
  active,
  distinct,
  existingItems,
  heldBy,
  loose,
  notAwaitingReturnVerification,
  notExpired,
  notOnHold,
  notRecalled,
  withContents,
} from './custody.rules';
import { CustodyStore } from './custody.store';
import {
  ClearBody,
  DecommissionBody,
  DestroyBody,
  IllegitimateBody,
  PackBody,
  QuarantineBody,
  ReceiveBody,
  ShipBody,
  UnpackBody,
} from './dto/custody-bodies.dto';
import { ReturnVerifications } from './return-verifications';
import { violation } from './supply-chain.errors';

export const CUSTODIANS: readonly PartyRole[] = ['manufacturer', 'distributor', 'dispenser'];

/** The custody events' common shape: they act on items held in the custody store. */
export abstract class CustodyEventType<B extends object> implements EventType<B> {
  abstract readonly type: string;
  abstract readonly body: new () => B;
  abstract readonly actorRoles: readonly PartyRole[];

  namedParties(_body: B): string[] {
    return [];
  }

  weight(body: B): number {
    return weightOf(itemsOf(body));
  }

  prepare(batch: IntakeBatch, body: B, _event: LedgerEvent<B>): void {
    batch.store(CustodyStore).wantItems(itemsOf(body));
  }

  abstract apply(batch: IntakeBatch, context: EventContext<B>): void;
}

/**
 * Rows an event may touch, for sizing intake transactions: a container moves everything in it, which is not known
 * before loading, so each counts as a pallet (50 cases of 100). With the intake budget (12,000) that is two containers
 * a transaction: a request of ten pallet moves becomes five transactions of ~0.3 s, not one of 3 s, and each pallet
 * is in a checkpoint within the merge-delay goal (docs/BENCHMARKS.md, Ingest).
 */
const CONTAINER_WEIGHT = 5_000;
export function weightOf(codes: string[]): number {
  return codes.reduce((sum, code) => sum + (code.startsWith('(00)') ? CONTAINER_WEIGHT : 1), 0);
}

function itemsOf(body: object): string[] {
  return (body as { items?: string[] }).items ?? [];
}

/** Everything the event moves: the named items and their contents, all held by the actor and active. */
function movable(store: CustodyStore, codes: string[], actor: string): { top: Item[]; all: Item[] } {
  distinct(codes);
  const top = existingItems(store, codes);
  const all = withContents(store, top);
  heldBy(all, actor);
  active(all);
  return { top, all };
}

function detach(store: CustodyStore, items: Item[]): void {
  for (const item of items) if (item.parent) store.setParent(item, null);
}

export class PackType extends CustodyEventType<PackBody> {
  readonly type = 'pack';
  readonly body = PackBody;
  readonly actorRoles = CUSTODIANS;

  override weight(body: PackBody): number {
    return weightOf(body.children);
  }

  override prepare(batch: IntakeBatch, body: PackBody): void {
    batch.store(CustodyStore).wantItems([body.parent, ...body.children]);
  }

  apply(batch: IntakeBatch, { body, event, index }: EventContext<PackBody>): void {
    const store = batch.store(CustodyStore);
    if (body.children.includes(body.parent))
      throw violation('CONTAINMENT_CYCLE', 'a container cannot contain itself', [body.parent]);
    const { top: children, all } = movable(store, body.children, event.actor);
    notOnHold(all);
    loose(children, new Set());
    const parent = store.item(body.parent);
    if (parent) {
      heldBy([parent], event.actor);
      active([parent]);
      notOnHold([parent]);
      const above = new Set([parent.code, ...store.ancestors(parent)]);
      const cycle = children.filter((c) => above.has(c.code));
      if (cycle.length > 0) throw violation('CONTAINMENT_CYCLE', 'packing would put a container inside itself', cycle);
    }
    const container =
      parent ?? newItem({ code: body.parent, kind: 'container', custodian: event.actor, lastIndex: index });
    if (parent) store.touch(container, index);
    else store.createItem(container, index);
    for (const child of children) store.setParent(child, container.code);
    all.forEach((item) => store.touch(item, index));
  }
}

export class UnpackType extends CustodyEventType<UnpackBody> {
  readonly type = 'unpack';
  readonly body = UnpackBody;
  readonly actorRoles = CUSTODIANS;

  override weight(body: UnpackBody): number {
    return body.children ? weightOf(body.children) : CONTAINER_WEIGHT;
  }

  override prepare(batch: IntakeBatch, body: UnpackBody): void {
    batch.store(CustodyStore).wantItems([body.parent, ...(body.children ?? [])]);
  }

  apply(batch: IntakeBatch, { body, event, index }: EventContext<UnpackBody>): void {
    const store = batch.store(CustodyStore);
    const [parent] = existingItems(store, [body.parent]);
    if (parent.kind !== 'container') throw violation('NOT_A_CONTAINER', `${parent.code} is not a container`, [parent]);
    heldBy([parent], event.actor);
    active([parent]);
    let children: Item[];
    if (body.children) {
      distinct(body.children);
      children = existingItems(store, body.children);
      const elsewhere = children.filter((c) => c.parent !== parent.code);
      if (elsewhere.length > 0) {
        throw violation('ITEM_NOT_IN_CONTAINER', `${elsewhere.length} item(s) are not in ${parent.code}`, elsewhere);
      }
    } else {
      children = store.contents(parent.code);
    }
    const affected = withContents(store, children);
    for (const child of children) store.setParent(child, null);
    store.touch(parent, index);
    affected.forEach((item) => store.touch(item, index));
  }
}

export class ShipType extends CustodyEventType<ShipBody> {
  readonly type = 'ship';
  readonly body = ShipBody;
  readonly actorRoles = CUSTODIANS;

  override namedParties(body: ShipBody): string[] {
    return [body.recipient];
  }

  override prepare(batch: IntakeBatch, body: ShipBody, event: LedgerEvent<ShipBody>): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantShipment(shipmentKey(event.actor, body.shipmentId));
    batch.store(ReturnVerifications).want(batch.store(CustodyStore));
    batch.registry.want([body.recipient], []);
  }

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<ShipBody>): void {
    const store = batch.store(CustodyStore);
    const key = shipmentKey(event.actor, body.shipmentId);
    if (store.shipment(key))
      throw violation('SHIPMENT_EXISTS', `shipment ${body.shipmentId} of ${event.actor} already exists`);
    const recipient = batch.registry.party(body.recipient);
    if (!recipient || !CUSTODIANS.includes(recipient.role)) {
      throw violation('RECIPIENT_UNKNOWN', `${body.recipient} is not a registered trading partner`);
    }
    if (body.recipient === event.actor) throw violation('RECIPIENT_IS_SHIPPER', 'a party cannot ship to itself');
    const { top, all } = movable(store, body.items, event.actor);
    loose(top, new Set());
    notOnHold(all);
    const reason = body.reason ?? 'sale';
    if (reason === 'sale') {
      notRecalled(store, all);
      notExpired(all, acceptedAt);
      const returns = batch.store(ReturnVerifications);
      notAwaitingReturnVerification(all, (item) => returns.verified(item, acceptedAt));
    } else {
      // Every unit goes back to the party that sold it, also units packed into a container for the trip
      // (containers are judged by the units in them, so a return must carry some).
      const containers = all.filter((item) => item.kind !== 'unit');
      if (containers.length === all.length) {
        throw violation(
          'NOT_UPSTREAM',
          `a return sends units back to the party that sold them; ${containers.length} container(s) holding no unit are not a return`,
          containers,
        );
      }
      const notFromThem = all.filter((item) => item.kind === 'unit' && item.sellers.at(-1) !== body.recipient);
      if (notFromThem.length > 0) {
        throw violation(
          'NOT_UPSTREAM',
          `a return goes back to the party that sold the items; ${body.recipient} did not sell ${notFromThem.length} of them`,
          notFromThem,
        );
      }
    }
    for (const item of all) {
      item.status = 'in_transit';
      item.shipment = key;
      store.touch(item, index);
    }
    store.putShipment({
      id: key,
      shipper: event.actor,
      shipmentId: body.shipmentId,
      recipient: body.recipient,
      reason,
      items: body.items,
      unitCount: all.filter((i) => i.kind === 'unit').length,
      transaction: JSON.parse(JSON.stringify(body.transaction)) as ShipBody['transaction'],
      shipIndex: index,
      shippedAt: acceptedAt,
      status: 'in_transit',
      receiveIndex: null,
      receivedAt: null,
      discrepancy: null,
    });
  }
}

export class ReceiveType extends CustodyEventType<ReceiveBody> {
  readonly type = 'receive';
  readonly body = ReceiveBody;
  readonly actorRoles = CUSTODIANS;

  override namedParties(body: ReceiveBody): string[] {
    return [body.shipper];
  }

  override prepare(batch: IntakeBatch, body: ReceiveBody): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantShipment(shipmentKey(body.shipper, body.shipmentId));
  }

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<ReceiveBody>): void {
    const store = batch.store(CustodyStore);
    const shipment = store.shipment(shipmentKey(body.shipper, body.shipmentId));
    if (!shipment) throw violation('SHIPMENT_UNKNOWN', `${body.shipper} has no shipment ${body.shipmentId}`);
    if (shipment.recipient !== event.actor) {
      throw violation(
        'NOT_RECIPIENT',
        `shipment ${body.shipmentId} is addressed to ${shipment.recipient}, not ${event.actor}`,
      );
    }
    if (shipment.status === 'received') {
      throw violation(
        'SHIPMENT_ALREADY_RECEIVED',
        `shipment ${body.shipmentId} was received at log index ${shipment.receiveIndex}`,
      );
    }
    distinct(body.items);
    const shipped = new Set(shipment.items);
    const listed = new Set(body.items);
    const matched = body.items.filter((code) => shipped.has(code));
    const missing = shipment.items.filter((code) => !listed.has(code));
    const arriving = withContents(store, existingItems(store, matched));
    // A receipt may also name what is inside a container it lists: that arrived, it is not extra.
    const inside = new Set(arriving.map((item) => item.code));
    const extra = body.items.filter((code) => !shipped.has(code) && !inside.has(code));
    for (const item of arriving) {
      item.custodian = event.actor;
      item.status = 'active';
      item.shipment = null;
      item.transfers += 1;
      if (shipment.reason === 'return') {
        // Back one hop up the chain: the receiver's own seller is next in line for a further return. The returner
        // is downstream and never becomes a seller (else it could be "returned to" without a sale's checks).
        item.sellers = item.sellers.slice(0, -1);
        // Units wait for the receiver's verification; a container's saleability is that of the units in it.
        item.returnPending = item.kind === 'unit';
        item.returnReceivedAt = item.kind === 'unit' ? acceptedAt : null;
      } else {
        item.sellers = [...item.sellers, shipment.shipper];
        item.returnPending = false;
        item.returnReceivedAt = null;
      }
      store.touch(item, index);
    }
    const discrepancy = missing.length > 0 || extra.length > 0 ? { missing, extra } : null;
    store.putShipment({ ...shipment, status: 'received', receiveIndex: index, receivedAt: acceptedAt, discrepancy });
    if (discrepancy) {
      openAlert(
        store,
        index,
        acceptedAt,
        'discrepancy',
        [...missing, ...extra],
        [shipment.shipper, shipment.recipient],
        {
          shipmentId: shipment.shipmentId,
          shipper: shipment.shipper,
          recipient: shipment.recipient,
          missing,
          extra,
        },
      );
    }
  }
}

/** Opens an alert (numbered within its event) visible to `parties` and to regulators. */
export function openAlert(
  store: CustodyStore,
  index: number,
  at: Date,
  kind: AlertKind,
  items: string[],
  parties: string[],
  details: Record<string, unknown>,
  gtinLot: { gtin: string | null; lot: string | null } = { gtin: null, lot: null },
): Alert {
  const alert: Alert = {
    openedIndex: index,
    seq: store.nextAlertSeq(index),
    kind,
    status: 'open',
    gtin: gtinLot.gtin,
    lot: gtinLot.lot,
    // Sorted: the order contents come out of a container depends on how they were loaded, and a rebuild loads
    // them differently from live intake.
    items: [...items].sort(),
    parties: [...new Set(parties)].sort(),
    details,
    openedAt: at,
    closedIndex: null,
    closedAt: null,
  };
  store.putAlert(alert);
  return alert;
}

/** Decommission and destroy: the custodian takes items (and their contents) out of the supply chain for good. */
abstract class RetireType<B extends DecommissionBody | DestroyBody> extends CustodyEventType<B> {
  readonly actorRoles = CUSTODIANS;
  protected abstract readonly status: 'decommissioned' | 'destroyed';

  apply(batch: IntakeBatch, { body, event, index }: EventContext<B>): void {
    const store = batch.store(CustodyStore);
    const { top, all } = this.retirable(store, body, event.actor);
    detach(store, top);
    for (const item of all) {
      item.status = this.status;
      item.shipment = null;
      store.touch(item, index);
    }
  }

  /** What the custodian holds (active), and — decommissioned as lost or stolen — what never arrived. */
  private retirable(store: CustodyStore, body: B, actor: string): { top: Item[]; all: Item[] } {
    const lostOrStolen = body.reason === 'lost' || body.reason === 'stolen';
    if (this.status === 'decommissioned' && lostOrStolen) {
      distinct(body.items);
      const top = existingItems(store, body.items);
      const all = withContents(store, top);
      heldBy(all, actor);
      // Units missing from a receipt stay in transit on a shipment that is closed: only their shipper can
      // write them off, which is the one way out of that state.
      const missing = (item: Item) =>
        item.status === 'in_transit' && store.shipment(item.shipment!)?.status === 'received';
      active(all.filter((item) => !missing(item)));
      return { top, all };
    }
    return movable(store, body.items, actor);
  }
}

export class DecommissionType extends RetireType<DecommissionBody> {
  readonly type = 'decommission';
  readonly body = DecommissionBody;
  protected readonly status = 'decommissioned' as const;
}

export class DestroyType extends RetireType<DestroyBody> {
  readonly type = 'destroy';
  readonly body = DestroyBody;
  protected readonly status = 'destroyed' as const;
}

/**
 * Who may put items on hold or lift a hold: the custodian of every item (`custodianMay`), the manufacturer of
 * every unit's product, or a regulator. A container holding units is judged by them (`items` includes them); one
 * holding none only its custodian may act on.
 */
function mayActOnHold(store: CustodyStore, items: Item[], actor: string, role: PartyRole, custodianMay: boolean): void {
  if (role === 'regulator') return;
  const holdsUnits = (container: Item) => store.descendants(container.code).some((inside) => inside.kind === 'unit');
  const allowed = (item: Item) =>
    (custodianMay && item.custodian === actor) ||
    (item.kind === 'unit'
      ? store.product(item.gtin!)?.manufacturer === actor
      : item.custodian === actor || holdsUnits(item));
  const refused = items.filter((item) => !allowed(item));
  if (refused.length > 0) {
    throw violation(
      'NOT_PERMITTED',
      custodianMay
        ? `only the custodian, the manufacturer or a regulator may do this; ${actor} may not for ${refused.length} item(s)`
        : `only the manufacturer or a regulator may do this; ${actor} may not for ${refused.length} item(s)`,
      refused,
    );
  }
}

/** The parties an alert about these items concerns: the actor, the custodians and the manufacturers. */
function concerned(store: CustodyStore, items: Item[], actor: string): string[] {
  const parties = new Set<string>([actor]);
  for (const item of items) {
    parties.add(item.custodian);
    const manufacturer = item.gtin ? store.product(item.gtin)?.manufacturer : undefined;
    if (manufacturer) parties.add(manufacturer);
  }
  return [...parties];
}

export class QuarantineType extends CustodyEventType<QuarantineBody> {
  readonly type = 'quarantine';
  readonly body = QuarantineBody;
  readonly actorRoles: readonly PartyRole[] = [...CUSTODIANS, 'regulator'];

  apply(batch: IntakeBatch, { body, event, index, acceptedAt, actor, alsoNamed }: EventContext<QuarantineBody>): void {
    const store = batch.store(CustodyStore);
    distinct(body.items);
    const all = withContents(store, existingItems(store, body.items));
    mayActOnHold(store, all, event.actor, actor!.role, true);
    notOnHold(all);
    for (const item of all) {
      item.hold = 'quarantined';
      store.touch(item, index);
    }
    const parties = concerned(store, all, event.actor);
    parties.forEach((p) => alsoNamed.add(p));
    openAlert(
      store,
      index,
      acceptedAt,
      'quarantine',
      all.map((i) => i.code),
      parties,
      { reason: body.reason, by: event.actor },
      lotOf(all),
    );
  }
}

export class IllegitimateType extends CustodyEventType<IllegitimateBody> {
  readonly type = 'illegitimate';
  readonly body = IllegitimateBody;
  readonly actorRoles: readonly PartyRole[] = [...CUSTODIANS, 'regulator'];

  apply(
    batch: IntakeBatch,
    { body, event, index, acceptedAt, actor, alsoNamed }: EventContext<IllegitimateBody>,
  ): void {
    const store = batch.store(CustodyStore);
    distinct(body.items);
    const all = withContents(store, existingItems(store, body.items));
    mayActOnHold(store, all, event.actor, actor!.role, true);
    for (const item of all) {
      item.hold = 'illegitimate';
      store.touch(item, index);
    }
    const parties = concerned(store, all, event.actor);
    parties.forEach((p) => alsoNamed.add(p));
    openAlert(
      store,
      index,
      acceptedAt,
      'illegitimate',
      all.map((i) => i.code),
      parties,
      { report: JSON.parse(JSON.stringify(body.report)) as Record<string, unknown>, by: event.actor },
      lotOf(all),
    );
  }
}

export class ClearType extends CustodyEventType<ClearBody> {
  readonly type = 'clear';
  readonly body = ClearBody;
  readonly actorRoles: readonly PartyRole[] = ['manufacturer', 'regulator'];

  override prepare(batch: IntakeBatch, body: ClearBody): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantOpenAlerts(body.items);
  }

  apply(batch: IntakeBatch, { body, event, index, acceptedAt, actor, alsoNamed }: EventContext<ClearBody>): void {
    const store = batch.store(CustodyStore);
    distinct(body.items);
    const named = existingItems(store, body.items);
    const notHeld = named.filter((item) => item.hold === null);
    if (notHeld.length > 0) throw violation('NOT_ON_HOLD', `${notHeld.length} item(s) are not on hold`, notHeld);
    // Clearing a container clears whatever inside it is still held.
    const all = withContents(store, named).filter((item) => item.hold !== null);
    mayActOnHold(store, all, event.actor, actor!.role, false);
    const cleared = new Set(all.map((i) => i.code));
    for (const item of all) {
      item.hold = null;
      store.touch(item, index);
    }
    concerned(store, all, event.actor).forEach((p) => alsoNamed.add(p));
    // A hold alert closes once nothing it put on hold is held any more (clearing part of it leaves it open).
    for (const alert of store.openAlerts()) {
      if ((alert.kind === 'quarantine' || alert.kind === 'illegitimate') && alert.openedIndex < index) {
        const stillHeld = alert.items.some((code) => store.item(code)?.hold !== null);
        if (alert.items.some((code) => cleared.has(code)) && !stillHeld) {
          store.putAlert({ ...alert, status: 'closed', closedIndex: index, closedAt: acceptedAt });
        }
      }
    }
  }
}

/** The GTIN and lot an alert is about, when all its units share them. */
function lotOf(items: Item[]): { gtin: string | null; lot: string | null } {
  const units = items.filter((i) => i.kind === 'unit');
  const gtins = new Set(units.map((u) => u.gtin));
  const lots = new Set(units.map((u) => u.lot));
  return {
    gtin: gtins.size === 1 ? units[0].gtin : null,
    lot: gtins.size === 1 && lots.size === 1 ? units[0].lot : null,
  };
}
