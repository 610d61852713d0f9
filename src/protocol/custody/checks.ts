import { Item } from './model';
import { RuleInput } from './state';
import { violation } from './violation';

/**
 * Checks shared by the custody rules. Each refuses with a coded violation naming every offending item, and none
 * changes anything (but `existingItems` in a replay, which adopts the unknown items as the log records them).
 */
type Judge = Pick<RuleInput<unknown>, 'state' | 'refuse' | 'adopt' | 'actor' | 'index'>;

/** The items named, all of which must exist. */
export function existingItems(input: Judge, codes: string[]): Item[] {
  const { state } = input;
  const found = new Array<Item>(codes.length);
  let missing = false;
  for (let i = 0; i < codes.length; i++) {
    const item = state.item(codes[i]);
    if (item === undefined) missing = true;
    else found[i] = item;
  }
  if (!missing) return found;
  const unknown = codes.filter((code) => !state.item(code));
  input.refuse(violation('ITEM_UNKNOWN', `${unknown.length} item(s) were never commissioned or packed`, unknown));
  input.adopt?.(unknown, input.actor, input.index);
  return codes.map((code) => state.item(code)).filter((item): item is Item => item !== undefined);
}

export function distinct(input: Judge, codes: string[]): void {
  const seen = new Set<string>();
  const repeated = codes.filter((code) => (seen.has(code) ? true : (seen.add(code), false)));
  if (repeated.length > 0) {
    input.refuse(violation('DUPLICATE_ITEMS', 'the event names an item more than once', [...new Set(repeated)]));
  }
}

/** The items and all their contents. */
export function withContents(input: Judge, items: Item[]): Item[] {
  const all = new Map<string, Item>();
  let contents = false;
  for (const item of items) {
    all.set(item.code, item);
    for (const inside of input.state.descendants(item.code)) {
      all.set(inside.code, inside);
      contents = true;
    }
  }
  // Nothing inside and nothing named twice: the items themselves.
  return !contents && all.size === items.length ? items : [...all.values()];
}

/** True if `bad` holds for some item (the checks list the offenders only then: most events have none). */
function some(items: Item[], bad: (item: Item) => boolean): boolean {
  for (let i = 0; i < items.length; i++) if (bad(items[i])) return true;
  return false;
}

export function heldBy(input: Judge, items: Item[], gln: string): void {
  if (!some(items, (i) => i.custodian !== gln)) return;
  const others = items.filter((i) => i.custodian !== gln);
  input.refuse(violation('NOT_CUSTODIAN', `${gln} does not hold ${others.length} of the items`, others));
}

const STATUS_CODES = {
  in_transit: ['ITEM_IN_TRANSIT', 'in transit'],
  dispensed: ['ITEM_DISPENSED', 'already dispensed'],
  decommissioned: ['ITEM_DECOMMISSIONED', 'decommissioned'],
  destroyed: ['ITEM_DESTROYED', 'destroyed'],
} as const;

/** Every item is active (not in transit, dispensed, decommissioned or destroyed). */
export function active(input: Judge, items: Item[]): void {
  if (!some(items, (i) => i.status !== 'active')) return;
  for (const status of ['dispensed', 'destroyed', 'decommissioned', 'in_transit'] as const) {
    const bad = items.filter((i) => i.status === status);
    if (bad.length > 0) {
      const [code, words] = STATUS_CODES[status];
      input.refuse(violation(code, `${bad.length} item(s) are ${words}`, bad));
    }
  }
}

/** No item is quarantined or confirmed illegitimate. */
export function notOnHold(input: Judge, items: Item[]): void {
  if (!some(items, (i) => i.hold !== null)) return;
  const illegitimate = items.filter((i) => i.hold === 'illegitimate');
  if (illegitimate.length > 0) {
    input.refuse(
      violation('ITEM_ILLEGITIMATE', `${illegitimate.length} item(s) are confirmed illegitimate`, illegitimate),
    );
  }
  const quarantined = items.filter((i) => i.hold === 'quarantined');
  if (quarantined.length > 0) {
    input.refuse(
      violation('ITEM_QUARANTINED', `${quarantined.length} item(s) are quarantined as suspect`, quarantined),
    );
  }
}

/** No unit belongs to a recalled lot. */
export function notRecalled(input: Judge, items: Item[]): void {
  if (!some(items, (i) => i.lot !== null)) return;
  const recalled = items.filter((i) => i.gtin && i.lot && input.state.lot(i.gtin, i.lot)?.recalled);
  if (recalled.length > 0) {
    input.refuse(violation('ITEM_RECALLED', `${recalled.length} item(s) belong to a recalled lot`, recalled));
  }
}

/** No unit is past its expiry at `when` (its UTC date). */
export function notExpired(input: Judge, items: Item[], when: Date): void {
  const today = when.toISOString().slice(0, 10);
  const expired = items.filter((i) => i.expiry !== null && i.expiry < today);
  if (expired.length > 0) {
    input.refuse(violation('ITEM_EXPIRED', `${expired.length} item(s) are past their expiry date`, expired));
  }
}

/** No item is packed in a container that the event does not also move. */
export function loose(input: Judge, items: Item[], alsoMoving: Set<string>): void {
  if (!some(items, (i) => i.parent !== null)) return;
  const packed = items.filter((i) => i.parent !== null && !alsoMoving.has(i.parent));
  if (packed.length > 0) {
    input.refuse(
      violation('ITEM_IN_CONTAINER', `${packed.length} item(s) are packed in a container; unpack them first`, packed),
    );
  }
}

/** Returned items stay unsaleable until their custodian has verified them. */
export function notAwaitingReturnVerification(input: RuleInput<unknown>, items: Item[]): void {
  const pending = items.filter((i) => i.returnPending && !input.returns.verified(i, input.acceptedAt));
  if (pending.length > 0) {
    input.refuse(
      violation(
        'RETURN_NOT_VERIFIED',
        `${pending.length} returned item(s) must be verified by their custodian before they are saleable again`,
        pending,
      ),
    );
  }
}
