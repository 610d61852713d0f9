import { EventContext, IntakeBatch } from '../ledger/event-type';
import { CustodyEventType } from '../supply-chain/custody.event-types';
import {
  active,
  distinct,
  existingItems,
  heldBy,
  notAwaitingReturnVerification,
  notExpired,
  notOnHold,
  notRecalled,
} from '../supply-chain/custody.rules';
import { CustodyStore } from '../supply-chain/custody.store';
import { DispenseBody } from '../supply-chain/dto/custody-bodies.dto';
import { ReturnVerifications } from '../supply-chain/return-verifications';
import { violation } from '../supply-chain/supply-chain.errors';

/** `dispense`: a dispenser hands units to patients. Final: a dispensed serial never moves again. */
export class DispenseType extends CustodyEventType<DispenseBody> {
  readonly type = 'dispense';
  readonly body = DispenseBody;
  readonly actorRoles = ['dispenser'] as const;

  override prepare(batch: IntakeBatch, body: DispenseBody): void {
    batch.store(CustodyStore).wantItems(body.items);
    batch.store(ReturnVerifications).want(batch.store(CustodyStore));
  }

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<DispenseBody>): void {
    const store = batch.store(CustodyStore);
    distinct(body.items);
    const units = existingItems(store, body.items);
    const containers = units.filter((i) => i.kind !== 'unit');
    if (containers.length > 0)
      throw violation('NOT_A_UNIT', 'only units (saleable packages) are dispensed', containers);
    heldBy(units, event.actor);
    active(units);
    notOnHold(units);
    notRecalled(store, units);
    notExpired(units, acceptedAt);
    const returns = batch.store(ReturnVerifications);
    notAwaitingReturnVerification(units, (item) => returns.verified(item, acceptedAt));
    for (const unit of units) {
      // A unit taken from an opened case leaves the case.
      if (unit.parent) store.setParent(unit, null);
      unit.status = 'dispensed';
      store.touch(unit, index);
    }
  }
}
