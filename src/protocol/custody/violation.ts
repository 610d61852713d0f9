import { Item } from './model';

/** Most offending items named in one refusal (with the total count beside them). */
const MAX_NAMED_ITEMS = 100;

/**
 * Refusal codes of the custody rules (the server answers them with HTTP 422; docs/PROTOCOL.md §7 and §10). Each
 * names the offending items in `details.items` (the first 100) with `details.count`.
 */
export type CustodyCode =
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

export interface CustodyViolationDetails {
  items: string[];
  count: number;
}

/** A custody rule refuses an event. Pure: the server turns it into its 422 answer, the verifier into a finding. */
export class CustodyViolation extends Error {
  constructor(
    readonly code: CustodyCode,
    message: string,
    readonly details?: CustodyViolationDetails,
  ) {
    super(message);
    this.name = 'CustodyViolation';
  }
}

export function violation(code: CustodyCode, message: string, items?: (Item | string)[]): CustodyViolation {
  if (!items || items.length === 0) return new CustodyViolation(code, message);
  const codes = items.map((i) => (typeof i === 'string' ? i : i.code));
  return new CustodyViolation(code, message, { items: codes.slice(0, MAX_NAMED_ITEMS), count: codes.length });
}
