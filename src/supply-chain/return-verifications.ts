import { IntakeStore } from '../ledger/event-type';
import { Item } from './custody.model';

/**
 * Whether the custodian of a returned item has verified it since it came back (DSCSA: saleable returns are
 * verified before resale). The verification module, which keeps the verification records, provides it.
 */
export abstract class ReturnVerifications extends IntakeStore {
  /** Declares the items (with their contents) a rule will ask about. */
  abstract want(codes: string[]): void;
  /** True when the item's custodian verified it cleanly after it was received back and before `before`. */
  abstract verified(item: Item, before: Date): boolean;
}
