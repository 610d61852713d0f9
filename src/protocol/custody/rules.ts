/**
 * The custody rules (docs/PROTOCOL.md §7): for each supply-chain event type, who may sign it and what it does to
 * the state, or why it is refused. ONE implementation: intake applies it to the store it loads in bulk for a batch
 * (src/supply-chain), and the offline verifier replays it over a bundle's events (./replay.ts, src/bundle), so the
 * two cannot disagree about what "the chain of custody holds" means.
 *
 * Every check runs before the first write, so a refused event changes nothing at intake. A replay goes on after a
 * refusal (see `RuleInput.refuse`): where going on cannot follow the log (a container packed into itself), the
 * rule stops there.
 */
import { parseYymmdd } from '../../gs1/expiry';
import { ndcOfGtin } from '../../gs1/ndc';
import { unitCode } from '../item-code';
import { PartyRole } from '../registry';
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
} from './checks';
import { Alert, AlertKind, Item, Lot, newItem, Shipment, shipmentKey, TransactionInfo } from './model';
import { CustodyState, RuleInput } from './state';
import { violation } from './violation';

export const CUSTODIANS: readonly PartyRole[] = ['manufacturer', 'distributor', 'dispenser'];

// ---- the bodies the rules read (the server validates them with the DTOs of src/*/dto) ----

export interface ItemsFields {
  items: string[];
}
export interface PackFields {
  parent: string;
  children: string[];
}
export interface UnpackFields {
  parent: string;
  children?: string[];
}
export interface ShipFields extends ItemsFields {
  shipmentId: string;
  recipient: string;
  reason?: 'sale' | 'return';
  transaction: TransactionInfo;
}
export interface ReceiveFields extends ItemsFields {
  shipper: string;
  shipmentId: string;
}
export interface RetireFields extends ItemsFields {
  reason: string;
}
export interface QuarantineFields extends ItemsFields {
  reason: string;
}
export interface IllegitimateFields extends ItemsFields {
  report: object;
}
export interface PrefixGrantFields {
  gln: string;
  prefix: string;
}
export interface ProductRegisterFields {
  gtin: string;
  ndc?: string;
  name: string;
  strength: string;
  dosageForm: string;
  containerSize: string;
}
export interface CommissionFields {
  gtin: string;
  lot: string;
  expiry: string;
  serials: string[];
}
export interface LotFields {
  gtin: string;
  lots: string[];
  reason: string;
  classification?: string;
}

/** One event type's rule: who may sign it, and what it does. */
export interface CustodyRule<B> {
  readonly roles: readonly PartyRole[];
  apply(input: RuleInput<B>): void;
}

/** Everything the event moves: the named items and their contents, all held by the actor and active. */
function movable(input: RuleInput<unknown>, codes: string[]): { top: Item[]; all: Item[] } {
  distinct(input, codes);
  const top = existingItems(input, codes);
  const all = withContents(input, top);
  heldBy(input, all, input.actor);
  active(input, all);
  return { top, all };
}

function detach(state: CustodyState, items: Item[]): void {
  for (const item of items) if (item.parent) state.setParent(item, null);
}

const pack: CustodyRule<PackFields> = {
  roles: CUSTODIANS,
  apply(input) {
    const { state, body, actor, index } = input;
    if (body.children.includes(body.parent)) {
      input.refuse(violation('CONTAINMENT_CYCLE', 'a container cannot contain itself', [body.parent]));
      return;
    }
    const { top: children, all } = movable(input, body.children);
    notOnHold(input, all);
    loose(input, children, new Set());
    const parent = state.item(body.parent);
    if (parent) {
      heldBy(input, [parent], actor);
      active(input, [parent]);
      notOnHold(input, [parent]);
      const above = new Set([parent.code, ...state.ancestors(parent)]);
      const cycle = children.filter((c) => above.has(c.code));
      if (cycle.length > 0) {
        input.refuse(violation('CONTAINMENT_CYCLE', 'packing would put a container inside itself', cycle));
        return;
      }
    }
    const container = parent ?? newItem({ code: body.parent, kind: 'container', custodian: actor, lastIndex: index });
    if (parent) state.touch(container, index);
    else state.createItem(container, index);
    for (const child of children) state.setParent(child, container.code);
    all.forEach((item) => state.touch(item, index));
  },
};

const unpack: CustodyRule<UnpackFields> = {
  roles: CUSTODIANS,
  apply(input) {
    const { state, body, actor, index } = input;
    const [parent] = existingItems(input, [body.parent]);
    if (!parent) return;
    if (parent.kind !== 'container') {
      input.refuse(violation('NOT_A_CONTAINER', `${parent.code} is not a container`, [parent]));
    }
    heldBy(input, [parent], actor);
    active(input, [parent]);
    let children: Item[];
    if (body.children) {
      distinct(input, body.children);
      children = existingItems(input, body.children);
      const elsewhere = children.filter((c) => c.parent !== parent.code);
      if (elsewhere.length > 0) {
        input.refuse(
          violation('ITEM_NOT_IN_CONTAINER', `${elsewhere.length} item(s) are not in ${parent.code}`, elsewhere),
        );
      }
    } else {
      children = state.contents(parent.code);
    }
    const affected = withContents(input, children);
    for (const child of children) if (child.parent === parent.code) state.setParent(child, null);
    state.touch(parent, index);
    affected.forEach((item) => state.touch(item, index));
  },
};

const ship: CustodyRule<ShipFields> = {
  roles: CUSTODIANS,
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    const key = shipmentKey(actor, body.shipmentId);
    if (state.shipment(key)) {
      input.refuse(violation('SHIPMENT_EXISTS', `shipment ${body.shipmentId} of ${actor} already exists`));
    }
    const recipient = input.registry.party(body.recipient);
    if (!recipient || !CUSTODIANS.includes(recipient.role)) {
      input.refuse(violation('RECIPIENT_UNKNOWN', `${body.recipient} is not a registered trading partner`));
    }
    if (body.recipient === actor) input.refuse(violation('RECIPIENT_IS_SHIPPER', 'a party cannot ship to itself'));
    const { top, all } = movable(input, body.items);
    loose(input, top, new Set());
    notOnHold(input, all);
    const reason = body.reason ?? 'sale';
    if (reason === 'sale') {
      notRecalled(input, all);
      notExpired(input, all, acceptedAt);
      notAwaitingReturnVerification(input, all);
    } else {
      // Every unit goes back to the party that sold it, also units packed into a container for the trip
      // (containers are judged by the units in them, so a return must carry some).
      const containers = all.filter((item) => item.kind !== 'unit');
      if (containers.length === all.length) {
        input.refuse(
          violation(
            'NOT_UPSTREAM',
            `a return sends units back to the party that sold them; ${containers.length} container(s) holding no unit are not a return`,
            containers,
          ),
        );
      }
      const notFromThem = all.filter((item) => item.kind === 'unit' && item.sellers.at(-1) !== body.recipient);
      if (notFromThem.length > 0) {
        input.refuse(
          violation(
            'NOT_UPSTREAM',
            `a return goes back to the party that sold the items; ${body.recipient} did not sell ${notFromThem.length} of them`,
            notFromThem,
          ),
        );
      }
    }
    for (const item of all) {
      item.status = 'in_transit';
      item.shipment = key;
      state.touch(item, index);
    }
    state.putShipment({
      id: key,
      shipper: actor,
      shipmentId: body.shipmentId,
      recipient: body.recipient,
      reason,
      items: body.items,
      unitCount: all.filter((i) => i.kind === 'unit').length,
      transaction: JSON.parse(JSON.stringify(body.transaction ?? null)) as TransactionInfo,
      shipIndex: index,
      shippedAt: acceptedAt,
      status: 'in_transit',
      receiveIndex: null,
      receivedAt: null,
      discrepancy: null,
    });
  },
};

const receive: CustodyRule<ReceiveFields> = {
  roles: CUSTODIANS,
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    const key = shipmentKey(body.shipper, body.shipmentId);
    let shipment = state.shipment(key);
    if (!shipment) {
      input.refuse(violation('SHIPMENT_UNKNOWN', `${body.shipper} has no shipment ${body.shipmentId}`));
      // A replay goes on as the log records it: the items named arrive, as a sale to the actor.
      shipment = unloggedShipment(key, body, actor, index, acceptedAt);
    }
    if (shipment.recipient !== actor) {
      input.refuse(
        violation('NOT_RECIPIENT', `shipment ${body.shipmentId} is addressed to ${shipment.recipient}, not ${actor}`),
      );
    }
    if (shipment.status === 'received') {
      input.refuse(
        violation(
          'SHIPMENT_ALREADY_RECEIVED',
          `shipment ${body.shipmentId} was received at log index ${shipment.receiveIndex}`,
        ),
      );
    }
    distinct(input, body.items);
    const shipped = new Set(shipment.items);
    const listed = new Set(body.items);
    const matched = body.items.filter((code) => shipped.has(code));
    const missing = shipment.items.filter((code) => !listed.has(code));
    const arriving = withContents(input, existingItems(input, matched));
    // A receipt may also name what is inside a container it lists: that arrived, it is not extra.
    const inside = new Set(arriving.map((item) => item.code));
    const extra = body.items.filter((code) => !shipped.has(code) && !inside.has(code));
    for (const item of arriving) {
      item.custodian = actor;
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
      state.touch(item, index);
    }
    const discrepancy = missing.length > 0 || extra.length > 0 ? { missing, extra } : null;
    state.putShipment({ ...shipment, status: 'received', receiveIndex: index, receivedAt: acceptedAt, discrepancy });
    if (discrepancy) {
      openAlert(
        state,
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
  },
};

/** The shipment a receive names when the log holds no ship event for it (only a replay of a forged log gets here). */
function unloggedShipment(key: string, body: ReceiveFields, actor: string, index: number, at: Date): Shipment {
  return {
    id: key,
    shipper: body.shipper,
    shipmentId: body.shipmentId,
    recipient: actor,
    reason: 'sale',
    items: body.items,
    unitCount: 0,
    transaction: { date: '', shipmentDate: '' },
    shipIndex: index,
    shippedAt: at,
    status: 'in_transit',
    receiveIndex: null,
    receivedAt: null,
    discrepancy: null,
  };
}

/** Opens an alert (numbered within its event) visible to `parties` and to regulators. */
export function openAlert(
  state: CustodyState,
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
    seq: state.nextAlertSeq(index),
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
  state.putAlert(alert);
  return alert;
}

const dispense: CustodyRule<ItemsFields> = {
  roles: ['dispenser'],
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    distinct(input, body.items);
    const units = existingItems(input, body.items);
    const containers = units.filter((i) => i.kind !== 'unit');
    if (containers.length > 0) {
      input.refuse(violation('NOT_A_UNIT', 'only units (saleable packages) are dispensed', containers));
    }
    heldBy(input, units, actor);
    active(input, units);
    notOnHold(input, units);
    notRecalled(input, units);
    notExpired(input, units, acceptedAt);
    notAwaitingReturnVerification(input, units);
    for (const unit of units) {
      // A unit taken from an opened case leaves the case.
      if (unit.parent) state.setParent(unit, null);
      unit.status = 'dispensed';
      state.touch(unit, index);
    }
  },
};

/** Decommission and destroy: the custodian takes items (and their contents) out of the supply chain for good. */
function retire(status: 'decommissioned' | 'destroyed'): CustodyRule<RetireFields> {
  return {
    roles: CUSTODIANS,
    apply(input) {
      const { state, index } = input;
      const { top, all } = retirable(input, status);
      detach(state, top);
      for (const item of all) {
        item.status = status;
        item.shipment = null;
        state.touch(item, index);
      }
    },
  };
}

/** What the custodian holds (active), and — decommissioned as lost or stolen — what never arrived. */
function retirable(
  input: RuleInput<RetireFields>,
  status: 'decommissioned' | 'destroyed',
): { top: Item[]; all: Item[] } {
  const { state, body, actor } = input;
  const lostOrStolen = body.reason === 'lost' || body.reason === 'stolen';
  if (status === 'decommissioned' && lostOrStolen) {
    distinct(input, body.items);
    const top = existingItems(input, body.items);
    const all = withContents(input, top);
    heldBy(input, all, actor);
    // Units missing from a receipt stay in transit on a shipment that is closed: only their shipper can
    // write them off, which is the one way out of that state.
    const missing = (item: Item) =>
      item.status === 'in_transit' && item.shipment !== null && state.shipment(item.shipment)?.status === 'received';
    active(
      input,
      all.filter((item) => !missing(item)),
    );
    return { top, all };
  }
  return movable(input, body.items);
}

/**
 * Who may put items on hold or lift a hold: the custodian of every item (`custodianMay`), the manufacturer of
 * every unit's product, or a regulator. A container holding units is judged by them (`items` includes them); one
 * holding none only its custodian may act on.
 */
function mayActOnHold(input: RuleInput<unknown>, items: Item[], custodianMay: boolean): void {
  const { state, actor, role } = input;
  if (role === 'regulator') return;
  const holdsUnits = (container: Item) => state.descendants(container.code).some((inside) => inside.kind === 'unit');
  const allowed = (item: Item) =>
    (custodianMay && item.custodian === actor) ||
    (item.kind === 'unit'
      ? item.gtin !== null && state.product(item.gtin)?.manufacturer === actor
      : item.custodian === actor || holdsUnits(item));
  const refused = items.filter((item) => !allowed(item));
  if (refused.length > 0) {
    input.refuse(
      violation(
        'NOT_PERMITTED',
        custodianMay
          ? `only the custodian, the manufacturer or a regulator may do this; ${actor} may not for ${refused.length} item(s)`
          : `only the manufacturer or a regulator may do this; ${actor} may not for ${refused.length} item(s)`,
        refused,
      ),
    );
  }
}

/** The parties an alert about these items concerns: the actor, the custodians and the manufacturers. */
function concerned(state: CustodyState, items: Item[], actor: string): string[] {
  const parties = new Set<string>([actor]);
  for (const item of items) {
    parties.add(item.custodian);
    const manufacturer = item.gtin ? state.product(item.gtin)?.manufacturer : undefined;
    if (manufacturer) parties.add(manufacturer);
  }
  return [...parties];
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

/** Quarantine (suspect) and illegitimate (confirmed): items go on hold and an alert opens. */
function hold(kind: 'quarantine' | 'illegitimate'): CustodyRule<QuarantineFields | IllegitimateFields> {
  return {
    roles: [...CUSTODIANS, 'regulator'],
    apply(input) {
      const { state, body, actor, index, acceptedAt } = input;
      distinct(input, body.items);
      const all = withContents(input, existingItems(input, body.items));
      mayActOnHold(input, all, true);
      if (kind === 'quarantine') notOnHold(input, all);
      const status = kind === 'quarantine' ? 'quarantined' : 'illegitimate';
      for (const item of all) {
        item.hold = status;
        state.touch(item, index);
      }
      const parties = concerned(state, all, actor);
      parties.forEach((p) => input.alsoNamed.add(p));
      const details =
        kind === 'quarantine'
          ? { reason: (body as QuarantineFields).reason, by: actor }
          : {
              report: JSON.parse(JSON.stringify((body as IllegitimateFields).report ?? null)) as Record<
                string,
                unknown
              >,
              by: actor,
            };
      openAlert(
        state,
        index,
        acceptedAt,
        kind,
        all.map((i) => i.code),
        parties,
        details,
        lotOf(all),
      );
    },
  };
}

const clear: CustodyRule<QuarantineFields> = {
  roles: ['manufacturer', 'regulator'],
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    distinct(input, body.items);
    const named = existingItems(input, body.items);
    const notHeld = named.filter((item) => item.hold === null);
    if (notHeld.length > 0) {
      input.refuse(violation('NOT_ON_HOLD', `${notHeld.length} item(s) are not on hold`, notHeld));
    }
    // Clearing a container clears whatever inside it is still held.
    const all = withContents(input, named).filter((item) => item.hold !== null);
    mayActOnHold(input, all, false);
    const cleared = new Set(all.map((i) => i.code));
    for (const item of all) {
      item.hold = null;
      state.touch(item, index);
    }
    concerned(state, all, actor).forEach((p) => input.alsoNamed.add(p));
    // A hold alert closes once nothing it put on hold is held any more (clearing part of it leaves it open).
    for (const alert of state.openAlerts()) {
      if ((alert.kind === 'quarantine' || alert.kind === 'illegitimate') && alert.openedIndex < index) {
        const stillHeld = alert.items.some((code) => state.item(code)?.hold !== null);
        if (alert.items.some((code) => cleared.has(code)) && !stillHeld) {
          state.putAlert({ ...alert, status: 'closed', closedIndex: index, closedAt: acceptedAt });
        }
      }
    }
  },
};

const prefixGrant: CustodyRule<PrefixGrantFields> = {
  roles: ['operator'],
  apply(input) {
    const { state, body, index } = input;
    if (input.registry.party(body.gln)?.role !== 'manufacturer') {
      input.refuse(violation('PARTY_NOT_MANUFACTURER', `${body.gln} is not a registered manufacturer`));
    }
    const [clash] = state.prefixesOverlapping(body.prefix);
    if (clash) {
      input.refuse(
        violation(
          'PREFIX_ALREADY_GRANTED',
          clash.prefix === body.prefix
            ? `company prefix ${body.prefix} already belongs to ${clash.gln}`
            : `company prefix ${body.prefix} overlaps ${clash.prefix}, which belongs to ${clash.gln}`,
        ),
      );
      return;
    }
    state.grantPrefix(body.prefix, body.gln, index);
  },
};

const productRegister: CustodyRule<ProductRegisterFields> = {
  roles: ['manufacturer'],
  apply(input) {
    const { state, body, actor, index } = input;
    const existing = state.product(body.gtin);
    if (existing) {
      input.refuse(
        violation(
          'PRODUCT_ALREADY_REGISTERED',
          `GTIN ${body.gtin} is already registered (log index ${existing.registeredIndex})`,
        ),
      );
      return;
    }
    if (!state.heldPrefix(actor, body.gtin)) {
      input.refuse(violation('PREFIX_NOT_HELD', `${actor} holds no GS1 company prefix of GTIN ${body.gtin}`));
    }
    const derived = ndcOfGtin(body.gtin) ?? null;
    if (body.ndc && derived && body.ndc !== derived) {
      input.refuse(violation('NDC_MISMATCH', `GTIN ${body.gtin} carries NDC ${derived}, not ${body.ndc}`));
    }
    state.putProduct({
      gtin: body.gtin,
      ndc: body.ndc ?? derived,
      name: body.name,
      strength: body.strength,
      dosageForm: body.dosageForm,
      containerSize: body.containerSize,
      manufacturer: actor,
      registeredIndex: index,
    });
  },
};

const commission: CustodyRule<CommissionFields> = {
  roles: ['manufacturer'],
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    const product = state.product(body.gtin);
    if (!product) input.refuse(violation('PRODUCT_UNKNOWN', `GTIN ${body.gtin} is not a registered product`));
    else if (product.manufacturer !== actor || !state.heldPrefix(actor, body.gtin)) {
      input.refuse(
        violation('PREFIX_NOT_HELD', `only the holder of GTIN ${body.gtin}'s company prefix may commission it`),
      );
    }
    const codes = body.serials.map((serial) => unitCode(body.gtin, serial));
    const seen = new Set<string>();
    const repeated = codes.filter((code) => (seen.has(code) ? true : (seen.add(code), false)));
    if (repeated.length > 0) {
      input.refuse(violation('DUPLICATE_ITEMS', 'the event lists a serial more than once', [...new Set(repeated)]));
    }
    const taken = codes.filter((code) => state.exists(code));
    if (taken.length > 0) {
      input.refuse(
        violation(
          'SERIAL_ALREADY_COMMISSIONED',
          `${taken.length} serial(s) were commissioned before; a serial is commissioned once, ever`,
          taken,
        ),
      );
    }
    const lot = state.lot(body.gtin, body.lot);
    if (lot && lot.expiryCode !== body.expiry) {
      input.refuse(
        violation(
          'EXPIRY_MISMATCH',
          `lot ${body.lot} was commissioned with expiry ${lot.expiryCode}, not ${body.expiry}`,
        ),
      );
    }
    // The century of a two-digit year is resolved against the time of acceptance, so a rebuild decades later
    // computes the same date.
    const expiry = parseYymmdd(body.expiry, { currentYear: acceptedAt.getUTCFullYear() }).date;
    if (!lot) {
      state.putLot({
        gtin: body.gtin,
        lot: body.lot,
        expiryCode: body.expiry,
        commissionedIndex: index,
        recalled: false,
        recallIndex: null,
        recall: null,
      });
    }
    // A replay going on after a refusal keeps the first commissioning of a serial (the same package cannot be made
    // twice); intake never gets here with a repeated or taken serial.
    const made = repeated.length > 0 || taken.length > 0 ? new Set<string>() : null;
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (made !== null) {
        if (made.has(code)) continue;
        made.add(code);
        const existing = state.exists(code) ? state.item(code) : undefined;
        if (existing) {
          state.touch(existing, index);
          continue;
        }
      }
      state.createItem(
        newItem({
          code,
          kind: 'unit',
          gtin: body.gtin,
          serial: body.serials[i],
          lot: body.lot,
          expiryCode: body.expiry,
          expiry,
          custodian: actor,
          lastIndex: index,
        }),
        index,
      );
    }
  },
};

/** The lots a recall (or its lifting) names: of a registered product of the actor's, each commissioned. */
function recalledLots(input: RuleInput<LotFields>): Lot[] | null {
  const { state, body, actor } = input;
  const product = state.product(body.gtin);
  if (!product) {
    input.refuse(violation('PRODUCT_UNKNOWN', `GTIN ${body.gtin} is not a registered product`));
    return null;
  }
  if (product.manufacturer !== actor) {
    input.refuse(
      violation('NOT_MANUFACTURER', `only ${product.manufacturer}, the manufacturer of ${body.gtin}, may do this`),
    );
  }
  const unknown = body.lots.filter((lot) => !state.lot(body.gtin, lot));
  if (unknown.length > 0) {
    input.refuse(violation('LOT_UNKNOWN', `no units of lot(s) ${unknown.join(', ')} were commissioned`));
  }
  if (new Set(body.lots).size !== body.lots.length) input.refuse(violation('DUPLICATE_ITEMS', 'a lot is listed twice'));
  const lots = new Map<string, Lot>();
  for (const name of body.lots) {
    const lot = state.lot(body.gtin, name);
    if (lot) lots.set(name, lot);
  }
  return [...lots.values()];
}

const recall: CustodyRule<LotFields> = {
  roles: ['manufacturer'],
  apply(input) {
    const { state, body, actor, index, acceptedAt } = input;
    const lots = recalledLots(input);
    if (!lots) return;
    const already = lots.filter((l) => l.recalled);
    if (already.length > 0) {
      input.refuse(
        violation('LOT_ALREADY_RECALLED', `lot(s) ${already.map((l) => l.lot).join(', ')} are already recalled`),
      );
    }
    for (const lot of lots) {
      const recall = { reason: body.reason, ...(body.classification ? { classification: body.classification } : {}) };
      state.putLot({ ...lot, recalled: true, recallIndex: index, recall });
      openAlert(state, index, acceptedAt, 'recall', [], [actor], recall, { gtin: body.gtin, lot: lot.lot });
    }
  },
};

const recallLift: CustodyRule<LotFields> = {
  roles: ['manufacturer'],
  apply(input) {
    const { state, body, index, acceptedAt } = input;
    const lots = recalledLots(input);
    if (!lots) return;
    const notRecalled = lots.filter((l) => !l.recalled);
    if (notRecalled.length > 0) {
      input.refuse(
        violation('LOT_NOT_RECALLED', `lot(s) ${notRecalled.map((l) => l.lot).join(', ')} are not recalled`),
      );
    }
    const lifted = new Set(body.lots);
    for (const lot of lots)
      state.putLot({ ...lot, recalled: false, recallIndex: index, recall: { lifted: body.reason } });
    for (const alert of state.openAlerts()) {
      if (
        alert.kind === 'recall' &&
        alert.gtin === body.gtin &&
        alert.lot &&
        lifted.has(alert.lot) &&
        alert.openedIndex < index
      ) {
        state.putAlert({ ...alert, status: 'closed', closedIndex: index, closedAt: acceptedAt });
      }
    }
  },
};

/** The rule of every supply-chain event type (registry events follow ../registry.ts). */
export const CUSTODY_RULES = {
  'prefix.grant': prefixGrant,
  'product.register': productRegister,
  commission,
  recall,
  'recall-lift': recallLift,
  pack,
  unpack,
  ship,
  receive,
  dispense,
  decommission: retire('decommissioned'),
  destroy: retire('destroyed'),
  quarantine: hold('quarantine'),
  illegitimate: hold('illegitimate'),
  clear,
} as const satisfies Record<string, CustodyRule<never>>;

export type CustodyEventType = keyof typeof CUSTODY_RULES;

export function isCustodyEventType(type: string): type is CustodyEventType {
  return Object.prototype.hasOwnProperty.call(CUSTODY_RULES, type);
}

/** Event types that act on items (the others concern products, lots and prefixes). */
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
