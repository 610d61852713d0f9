import { IntakeBatch } from '../ledger/event-type';
import { LedgerEvent } from '../protocol/event';
import { unitCode } from '../protocol/item-code';
import { CUSTODY_RULES } from '../protocol/custody';
import { CustodyStore } from '../supply-chain/custody.store';
import { RuleEventType } from '../supply-chain/custody.event-types';
import {
  CommissionBody,
  PrefixGrantBody,
  ProductRegisterBody,
  RecallBody,
  RecallLiftBody,
} from './dto/manufacturer-bodies.dto';

/** The manufacturers' events at intake: what each loads; the rules are the shared ones (src/protocol/custody). */
export class PrefixGrantType extends RuleEventType<PrefixGrantBody> {
  readonly type = 'prefix.grant';
  readonly body = PrefixGrantBody;
  readonly rule = CUSTODY_RULES['prefix.grant'];

  override namedParties(body: PrefixGrantBody): string[] {
    return [body.gln];
  }

  prepare(batch: IntakeBatch, body: PrefixGrantBody): void {
    batch.registry.want([body.gln], []);
    batch.store(CustodyStore).wantPrefix(body.prefix);
  }
}

export class ProductRegisterType extends RuleEventType<ProductRegisterBody> {
  readonly type = 'product.register';
  readonly body = ProductRegisterBody;
  readonly rule = CUSTODY_RULES['product.register'];

  prepare(batch: IntakeBatch, body: ProductRegisterBody, event: LedgerEvent<ProductRegisterBody>): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantPrefixesOf(event.actor);
  }
}

export class CommissionType extends RuleEventType<CommissionBody> {
  readonly type = 'commission';
  readonly body = CommissionBody;
  readonly rule = CUSTODY_RULES.commission;

  weight(body: CommissionBody): number {
    return body.serials.length;
  }

  prepare(batch: IntakeBatch, body: CommissionBody, event: LedgerEvent<CommissionBody>): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantPrefixesOf(event.actor);
    store.wantLots(body.gtin, [body.lot]);
    store.wantAbsent(body.serials.map((serial) => unitCode(body.gtin, serial)));
  }
}

abstract class LotEventType<B extends RecallBody | RecallLiftBody> extends RuleEventType<B> {
  prepare(batch: IntakeBatch, body: B): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantLots(body.gtin, body.lots);
    store.wantOpenAlerts([], [body.gtin]);
  }
}

export class RecallType extends LotEventType<RecallBody> {
  readonly type = 'recall';
  readonly body = RecallBody;
  readonly rule = CUSTODY_RULES.recall;
}

export class RecallLiftType extends LotEventType<RecallLiftBody> {
  readonly type = 'recall-lift';
  readonly body = RecallLiftBody;
  readonly rule = CUSTODY_RULES['recall-lift'];
}
