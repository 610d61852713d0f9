import { EventContext, EventType, IntakeBatch } from '../ledger/event-type';
import { RuleViolation } from '../ledger/ledger.errors';
import { LedgerEvent } from '../protocol/event';
import { PartyRole } from '../protocol/registry';
import { CUSTODY_RULES, CustodyRule, CustodyViolation, shipmentKey } from '../protocol/custody';
import { CustodyStore } from './custody.store';
import {
  ClearBody,
  DecommissionBody,
  DestroyBody,
  IllegitimateBody,
  PackBody,
  QuarantineBody,
  ReceiveBody,
  ShipBody,
  UnpackBody,
} from './dto/custody-bodies.dto';
import { ReturnVerifications } from './return-verifications';

/** Intake's answer to a refusal of the custody rules: 422 with the rule's code and the offending items. */
function refuse(violation: CustodyViolation): never {
  throw new RuleViolation(violation.code, violation.message, violation.details);
}

/**
 * Applies a custody rule (src/protocol/custody, the one the offline verifier replays) to the batch's custody
 * store. Returned items are judged against the verification records, loaded by the types that `prepare` them.
 */
export function applyCustodyRule<B>(rule: CustodyRule<B>, batch: IntakeBatch, context: EventContext<B>): void {
  const { event, body, index, acceptedAt, actor, alsoNamed } = context;
  const state = batch.store(CustodyStore);
  // The store decides per event which rows the event writes (a pallet's move writes the pallet's row only).
  state.beginEvent(index, acceptedAt);
  rule.apply({
    state,
    registry: batch.registry,
    returns: { verified: (item, before) => batch.store(ReturnVerifications).verified(item, before) },
    type: event.type,
    actor: event.actor,
    role: actor?.role,
    body,
    index,
    acceptedAt,
    alsoNamed,
    refuse,
  });
  state.endEvent();
}

/** A supply-chain event type at intake: its body DTO and what it loads; its rule is the shared one. */
export abstract class RuleEventType<B extends object> implements EventType<B> {
  abstract readonly type: string;
  abstract readonly body: new () => B;
  abstract readonly rule: CustodyRule<B>;

  get actorRoles(): readonly PartyRole[] {
    return this.rule.roles;
  }

  namedParties(_body: B): string[] {
    return [];
  }

  abstract prepare(batch: IntakeBatch, body: B, event: LedgerEvent<B>): void;

  apply(batch: IntakeBatch, context: EventContext<B>): void {
    applyCustodyRule(this.rule, batch, context);
  }
}

/** The custody events' common shape: they act on items held in the custody store. */
export abstract class CustodyEventType<B extends object> extends RuleEventType<B> {
  weight(body: B): number {
    return weightOf(itemsOf(body));
  }

  prepare(batch: IntakeBatch, body: B, _event: LedgerEvent<B>): void {
    batch.store(CustodyStore).wantItems(itemsOf(body));
  }
}

/**
 * Rows an event may touch, for sizing intake transactions: a container moves everything in it, which is not known
 * before loading, so each counts as a pallet (50 cases of 100). With the intake budget (12,000) that is two containers
 * a transaction: a request of ten pallet moves becomes five transactions of ~0.3 s, not one of 3 s, and each pallet
 * is in a checkpoint within the merge-delay goal (docs/BENCHMARKS.md, Ingest).
 */
const CONTAINER_WEIGHT = 5_000;
export function weightOf(codes: string[]): number {
  return codes.reduce((sum, code) => sum + (code.startsWith('(00)') ? CONTAINER_WEIGHT : 1), 0);
}

function itemsOf(body: object): string[] {
  return (body as { items?: string[] }).items ?? [];
}

export class PackType extends CustodyEventType<PackBody> {
  readonly type = 'pack';
  readonly body = PackBody;
  readonly rule = CUSTODY_RULES.pack;

  override weight(body: PackBody): number {
    return weightOf(body.children);
  }

  override prepare(batch: IntakeBatch, body: PackBody): void {
    batch.store(CustodyStore).wantItems([body.parent, ...body.children]);
  }
}

export class UnpackType extends CustodyEventType<UnpackBody> {
  readonly type = 'unpack';
  readonly body = UnpackBody;
  readonly rule = CUSTODY_RULES.unpack;

  override weight(body: UnpackBody): number {
    return body.children ? weightOf(body.children) : CONTAINER_WEIGHT;
  }

  override prepare(batch: IntakeBatch, body: UnpackBody): void {
    batch.store(CustodyStore).wantItems([body.parent, ...(body.children ?? [])]);
  }
}

export class ShipType extends CustodyEventType<ShipBody> {
  readonly type = 'ship';
  readonly body = ShipBody;
  readonly rule = CUSTODY_RULES.ship;

  override namedParties(body: ShipBody): string[] {
    return [body.recipient];
  }

  override prepare(batch: IntakeBatch, body: ShipBody, event: LedgerEvent<ShipBody>): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantShipment(shipmentKey(event.actor, body.shipmentId));
    batch.store(ReturnVerifications).want(batch.store(CustodyStore));
    batch.registry.want([body.recipient], []);
  }
}

export class ReceiveType extends CustodyEventType<ReceiveBody> {
  readonly type = 'receive';
  readonly body = ReceiveBody;
  readonly rule = CUSTODY_RULES.receive;

  override namedParties(body: ReceiveBody): string[] {
    return [body.shipper];
  }

  override prepare(batch: IntakeBatch, body: ReceiveBody): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantShipment(shipmentKey(body.shipper, body.shipmentId));
  }
}

export class DecommissionType extends CustodyEventType<DecommissionBody> {
  readonly type = 'decommission';
  readonly body = DecommissionBody;
  readonly rule = CUSTODY_RULES.decommission;
}

export class DestroyType extends CustodyEventType<DestroyBody> {
  readonly type = 'destroy';
  readonly body = DestroyBody;
  readonly rule = CUSTODY_RULES.destroy;
}

export class QuarantineType extends CustodyEventType<QuarantineBody> {
  readonly type = 'quarantine';
  readonly body = QuarantineBody;
  readonly rule = CUSTODY_RULES.quarantine;
}

export class IllegitimateType extends CustodyEventType<IllegitimateBody> {
  readonly type = 'illegitimate';
  readonly body = IllegitimateBody;
  readonly rule = CUSTODY_RULES.illegitimate;
}

export class ClearType extends CustodyEventType<ClearBody> {
  readonly type = 'clear';
  readonly body = ClearBody;
  readonly rule = CUSTODY_RULES.clear;

  override prepare(batch: IntakeBatch, body: ClearBody): void {
    const store = batch.store(CustodyStore);
    store.wantItems(body.items);
    store.wantOpenAlerts(body.items);
  }
}
