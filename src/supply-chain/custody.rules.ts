import { Item } from './custody.model';
import { CustodyStore } from './custody.store';
import { violation } from './supply-chain.errors';

/**
 * Checks shared by the custody events. Each throws a coded RuleViolation naming every offending item, and
 * none changes anything: a rule runs all its checks before its first write.
 */

/** The items named, all of which must exist. */
export function existingItems(store: CustodyStore, codes: string[]): Item[] {
  const unknown = codes.filter((code) => !store.item(code));
  if (unknown.length > 0)
    throw violation('ITEM_UNKNOWN', `${unknown.length} item(s) were never commissioned or packed`, unknown);
  return codes.map((code) => store.item(code)!);
}

export function distinct(codes: string[]): void {
  const seen = new Set<string>();
  const repeated = codes.filter((code) => (seen.has(code) ? true : (seen.add(code), false)));
  if (repeated.length > 0) {
    throw violation('DUPLICATE_ITEMS', 'the event names an item more than once', [...new Set(repeated)]);
  }
}

/** The items and all their contents. */
export function withContents(store: CustodyStore, items: Item[]): Item[] {
  const all = new Map<string, Item>();
  for (const item of items) {
    all.set(item.code, item);
    for (const inside of store.descendants(item.code)) all.set(inside.code, inside);
  }
  return [...all.values()];
}

export function heldBy(items: Item[], gln: string): void {
  const others = items.filter((i) => i.custodian !== gln);
  if (others.length > 0) throw violation('NOT_CUSTODIAN', `${gln} does not hold ${others.length} of the items`, others);
}

const STATUS_CODES = {
  in_transit: ['ITEM_IN_TRANSIT', 'in transit'],
  dispensed: ['ITEM_DISPENSED', 'already dispensed'],
  decommissioned: ['ITEM_DECOMMISSIONED', 'decommissioned'],
  destroyed: ['ITEM_DESTROYED', 'destroyed'],
} as const;

/** Every item is active (not in transit, dispensed, decommissioned or destroyed). */
export function active(items: Item[]): void {
  for (const status of ['dispensed', 'destroyed', 'decommissioned', 'in_transit'] as const) {
    const bad = items.filter((i) => i.status === status);
    if (bad.length > 0) {
      const [code, words] = STATUS_CODES[status];
      throw violation(code, `${bad.length} item(s) are ${words}`, bad);
    }
  }
}

/** No item is quarantined or confirmed illegitimate. */
export function notOnHold(items: Item[]): void {
  const illegitimate = items.filter((i) => i.hold === 'illegitimate');
  if (illegitimate.length > 0) {
    throw violation('ITEM_ILLEGITIMATE', `${illegitimate.length} item(s) are confirmed illegitimate`, illegitimate);
  }
  const quarantined = items.filter((i) => i.hold === 'quarantined');
  if (quarantined.length > 0) {
    throw violation('ITEM_QUARANTINED', `${quarantined.length} item(s) are quarantined as suspect`, quarantined);
  }
}

/** No unit belongs to a recalled lot. */
export function notRecalled(store: CustodyStore, items: Item[]): void {
  const recalled = items.filter((i) => i.gtin && i.lot && store.lot(i.gtin, i.lot)?.recalled);
  if (recalled.length > 0)
    throw violation('ITEM_RECALLED', `${recalled.length} item(s) belong to a recalled lot`, recalled);
}

/** No unit is past its expiry at `when` (ISO date). */
export function notExpired(items: Item[], when: Date): void {
  const today = when.toISOString().slice(0, 10);
  const expired = items.filter((i) => i.expiry !== null && i.expiry < today);
  if (expired.length > 0)
    throw violation('ITEM_EXPIRED', `${expired.length} item(s) are past their expiry date`, expired);
}

/** No item is packed in a container that the event does not also move. */
export function loose(items: Item[], alsoMoving: Set<string>): void {
  const packed = items.filter((i) => i.parent !== null && !alsoMoving.has(i.parent));
  if (packed.length > 0) {
    throw violation(
      'ITEM_IN_CONTAINER',
      `${packed.length} item(s) are packed in a container; unpack them first`,
      packed,
    );
  }
}

/** Returned items stay unsaleable until their custodian has verified them. */
export function notAwaitingReturnVerification(items: Item[], verified: (item: Item) => boolean): void {
  const pending = items.filter((i) => i.returnPending && !verified(i));
  if (pending.length > 0) {
    throw violation(
      'RETURN_NOT_VERIFIED',
      `${pending.length} returned item(s) must be verified by their custodian before they are saleable again`,
      pending,
    );
  }
}
