import { RuleViolation } from '../ledger/ledger.errors';
import { Item } from './custody.model';

/** Most offending items named in one refusal (with the total count beside them). */
const MAX_NAMED_ITEMS = 100;

/**
 * Refusal codes of the supply-chain rules (HTTP 422 unless noted by the caller). Each names the offending items
 * in `details.items` (the first 100) with `details.count`.
 */
export type SupplyChainCode =
  | 'PREFIX_ALREADY_GRANTED'
  | 'PREFIX_NOT_HELD'
  | 'PARTY_NOT_MANUFACTURER'
  | 'PRODUCT_ALREADY_REGISTERED'
  | 'PRODUCT_UNKNOWN'
  | 'NDC_MISMATCH'
  | 'SERIAL_ALREADY_COMMISSIONED'
  | 'DUPLICATE_ITEMS'
  | 'EXPIRY_MISMATCH'
  | 'ITEM_UNKNOWN'
  | 'NOT_CUSTODIAN'
  | 'ITEM_IN_TRANSIT'
  | 'ITEM_DISPENSED'
  | 'ITEM_DECOMMISSIONED'
  | 'ITEM_DESTROYED'
  | 'ITEM_RECALLED'
  | 'ITEM_QUARANTINED'
  | 'ITEM_ILLEGITIMATE'
  | 'ITEM_EXPIRED'
  | 'ITEM_IN_CONTAINER'
  | 'ITEM_NOT_IN_CONTAINER'
  | 'CONTAINMENT_CYCLE'
  | 'NOT_A_CONTAINER'
  | 'NOT_A_UNIT'
  | 'RETURN_NOT_VERIFIED'
  | 'RECIPIENT_UNKNOWN'
  | 'RECIPIENT_IS_SHIPPER'
  | 'NOT_UPSTREAM'
  | 'SHIPMENT_EXISTS'
  | 'SHIPMENT_UNKNOWN'
  | 'NOT_RECIPIENT'
  | 'SHIPMENT_ALREADY_RECEIVED'
  | 'NOT_MANUFACTURER'
  | 'LOT_UNKNOWN'
  | 'LOT_ALREADY_RECALLED'
  | 'LOT_NOT_RECALLED'
  | 'NOT_PERMITTED'
  | 'NOT_ON_HOLD';

export function violation(code: SupplyChainCode, message: string, items?: (Item | string)[]): RuleViolation {
  if (!items || items.length === 0) return new RuleViolation(code, message);
  const codes = items.map((i) => (typeof i === 'string' ? i : i.code));
  return new RuleViolation(code, message, { items: codes.slice(0, MAX_NAMED_ITEMS), count: codes.length });
}
