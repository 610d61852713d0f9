import { IntakeBatch } from '../ledger/event-type';
import { CUSTODY_RULES } from '../protocol/custody';
import { CustodyEventType } from '../supply-chain/custody.event-types';
import { CustodyStore } from '../supply-chain/custody.store';
import { DispenseBody } from '../supply-chain/dto/custody-bodies.dto';
import { ReturnVerifications } from '../supply-chain/return-verifications';

/** `dispense`: a dispenser hands units to patients. Final: a dispensed serial never moves again. */
export class DispenseType extends CustodyEventType<DispenseBody> {
  readonly type = 'dispense';
  readonly body = DispenseBody;
  readonly rule = CUSTODY_RULES.dispense;

  override prepare(batch: IntakeBatch, body: DispenseBody): void {
    batch.store(CustodyStore).wantItems(body.items);
    batch.store(ReturnVerifications).want(batch.store(CustodyStore));
  }
}
