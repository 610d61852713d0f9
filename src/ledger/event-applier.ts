import { LedgerEvent } from '../protocol/event';
import { checkSigner } from '../protocol/registry';
import { EventType, IntakeBatch } from './event-type';
import { EventTypeRegistry } from './event-type.registry';
import { LedgerError } from './ledger.errors';

/** An event ready to be applied: its type and validated body. */
export interface ApplicableEvent {
  event: LedgerEvent<object>;
  type: EventType;
  body: object;
}

/**
 * The one way events change state, shared by intake and `rebuild`: a batch is prepared for a group of events
 * (each declares the state it needs), loaded in bulk, then each event is applied in log order.
 */
export function prepareBatch(types: EventTypeRegistry, group: ApplicableEvent[]): IntakeBatch {
  const batch = types.newBatch();
  batch.registry.want(
    group.map((e) => e.event.actor),
    group.map((e) => e.event.keyId),
  );
  for (const e of group) e.type.prepare(batch, e.body, e.event);
  return batch;
}

/**
 * Checks the signer (registered, key valid, role allowed) and applies the event's rule at log index `index`.
 * Returns every party the event names (the actor first). Throws the refusal; a refused event changes nothing.
 */
export function applyEvent(batch: IntakeBatch, e: ApplicableEvent, index: number, acceptedAt: Date): string[] {
  const actor = checkSigner(batch.registry, e.event, acceptedAt.getTime());
  if (actor && !e.type.actorRoles.includes(actor.role)) {
    throw new LedgerError(
      'ACTOR_ROLE_NOT_ALLOWED',
      `a ${actor.role} may not sign ${e.event.type} events (allowed: ${e.type.actorRoles.join(', ')})`,
    );
  }
  const alsoNamed = new Set<string>();
  e.type.apply(batch, { event: e.event, body: e.body, index, acceptedAt, actor, alsoNamed });
  return [...new Set([e.event.actor, ...e.type.namedParties(e.body), ...alsoNamed])];
}
