import { IntakeStore } from '../ledger/event-type';
import { Item } from '../protocol/custody';
import { CustodyStore } from './custody.store';

/**
 * Whether the custodian of a returned item has verified it since it came back (DSCSA: saleable returns are
 * verified before resale). The verification module, which keeps the verification records, provides it.
 *
 * It loads the clean verifications of every item the batch's custody store loaded (so it must be first used
 * after that store: stores load in the order they were first used). Whether one counts is decided at apply time
 * from the item's state then — an item may have come back as a return earlier in the same batch, which matters
 * to `rebuild`, whose batches span many transactions of the live log.
 */
export abstract class ReturnVerifications extends IntakeStore {
  /** Declares that the rules will ask about items of this custody store. */
  abstract want(items: CustodyStore): void;
  /** True when the item's custodian verified it cleanly after it was received back and before `before`. */
  abstract verified(item: Item, before: Date): boolean;
}
