import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { AppError, ValidationError } from '../common/app-error';
import { validatePlain, validateShallow } from '../common/validation';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { leafHash } from '../merkle/hash';
import { eventTimeError, LedgerEvent } from '../protocol/event';
import { encodeLeaf } from '../protocol/leaf';
import { genesisKey, RegistryViolation } from '../protocol/registry';
import { base64ToBytes, bytesToBase64 } from '../bytes';
import { LedgerEventDto } from './dto/signed-event.dto';
import { EventType } from './event-type';
import { applyEvent, prepareBatch } from './event-applier';
import { Sealed } from './event-seal';
import { IntakePool } from './intake-pool';
import { EventTypeRegistry } from './event-type.registry';
import { LEDGER_ERRORS, LedgerError, RuleViolation } from './ledger.errors';
import { LogRepository, NewLogEntry, StoredEntryRef } from './log.repository';
import { IntakeResult, Receipt, RefusedEvent } from './receipt';
import { LogSignals } from './log-signals';

/** An event whose envelope and body passed validation: next, sealing (`seal`: canonical form, hash, signature). */
interface ValidEvent {
  event: LedgerEvent<object>;
  type: EventType;
  body: object;
  where: string;
  signature: Uint8Array;
  weight: number;
}

/** An event that passed every check that needs no database state: ready for the intake transaction. */
interface PreparedEvent extends ValidEvent {
  eventJson: string;
  eventHash: Uint8Array;
}

interface Pending {
  prepared: PreparedEvent;
  resolve: (result: IntakeResult) => void;
}

/**
 * Most work one intake transaction takes on (events, and items touched by weight). Every event in a transaction waits
 * for the whole of it before its checkpoint, so the weight budget bounds the merge delay (~60 µs a row here).
 */
const MAX_EVENTS_PER_TRANSACTION = 5_000;
const MAX_WEIGHT_PER_TRANSACTION = 12_000;

/**
 * Signed-event intake (docs/PROTOCOL.md §2, §5).
 *
 * Outside any transaction, each event is validated (shape, type, body, time, caller = actor), then sealed
 * (canonicalized, hashed, its signature verified: `IntakePool`, on worker threads or libuv's pool). Valid events
 * then queue for the committer, which takes whatever has queued (up to a budget) into ONE transaction: lock the
 * sequencer row, load the state every rule of the group needs in bulk, apply the events in order in memory (a
 * refused event changes nothing), write the changes and the log entries in bulk, and commit. Concurrent
 * single-event requests thus share a commit, and since every intake transaction holds the sequencer lock, indexes
 * are gapless and rules see a serial order.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private readonly queue: Pending[] = [];
  private committing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly log: LogRepository,
    private readonly types: EventTypeRegistry,
    private readonly signals: LogSignals,
    private readonly pool: IntakePool,
  ) {}

  /** Submits signed events in order; each gets a receipt or a coded refusal. Never throws for bad input. */
  async submit(principal: Principal, signedEvents: unknown[]): Promise<IntakeResult[]> {
    const results: (IntakeResult | Promise<IntakeResult>)[] = new Array(signedEvents.length);
    const validated = signedEvents.map((item, i) => this.validate(principal, item, i, signedEvents.length));
    const valid = validated.filter((v): v is ValidEvent => !isRefusal(v));
    const keys = await this.signingKeys(valid);
    let sealed: Sealed[];
    try {
      sealed = await this.pool.sealAll(
        valid.map((v) => ({
          event: v.event,
          where: v.where,
          keyId: v.event.keyId,
          signature: v.signature,
          publicKey: keys.get(v.event.keyId) ?? null,
        })),
      );
    } catch (error) {
      this.logger.error(`sealing failed: ${(error as Error).stack ?? String(error)}`);
      const { status, error: coded } = refusal(error) as RefusedEvent;
      sealed = valid.map(() => ({ ok: false, status, error: coded }));
    }
    let next = 0;
    for (let i = 0; i < validated.length; i++) {
      const v = validated[i];
      if (isRefusal(v)) {
        results[i] = v;
        continue;
      }
      const s = sealed[next++];
      results[i] = s.ok
        ? this.enqueue({ ...v, eventJson: s.eventJson, eventHash: s.eventHash })
        : { accepted: false, eventId: v.event.id, status: s.status, error: s.error };
    }
    return Promise.all(results);
  }

  private validate(principal: Principal, item: unknown, position: number, count: number): ValidEvent | IntakeResult {
    const where = count > 1 ? `events[${position}].` : '';
    const raw = item as { event?: unknown; signature?: unknown };
    const eventId =
      typeof (raw?.event as { id?: unknown })?.id === 'string' ? (raw.event as { id: string }).id : undefined;
    try {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new ValidationError([
          {
            field: where.replace(/\.$/, '') || '(body)',
            rule: 'isObject',
            message: 'a signed event is a JSON object {event, signature}',
          },
        ]);
      }
      const extra = Object.keys(item).filter((key) => key !== 'event' && key !== 'signature');
      if (extra.length > 0) {
        throw new ValidationError(
          extra.map((key) => ({
            field: `${where}${key}`,
            rule: 'whitelistValidation',
            message: `${where}${key} is not an allowed field`,
          })),
        );
      }
      const event = validateShallow(LedgerEventDto, raw.event, `${where}event`) as unknown as LedgerEvent<object>;
      const rawEvent = raw.event as LedgerEvent<object>;
      const type = this.types.get(event.type);
      if (!type) {
        throw new LedgerError('EVENT_TYPE_UNKNOWN', `unknown event type "${event.type}"`, {
          known: this.types.typeNames(),
        });
      }
      const body = validatePlain(type.body, rawEvent.body, `${where}event.body`);
      const timeError = eventTimeError(event.time);
      if (timeError) {
        throw new LedgerError('EVENT_TIME_INVALID', `event.time ${JSON.stringify(event.time)} ${timeError.message}`, {
          field: `${where}event.time`,
          rule: timeError.rule,
        });
      }
      const timeMs = Date.parse(event.time);
      if (timeMs > Date.now() + this.config.CLOCK_SKEW_MS) {
        throw new LedgerError('EVENT_TIME_IN_FUTURE', `event.time ${event.time} is in the future`);
      }
      if (principal.gln !== event.actor) {
        throw new LedgerError('ACTOR_MISMATCH', `the caller ${principal.gln} is not the event's actor ${event.actor}`);
      }
      if (typeof raw.signature !== 'string') {
        throw new ValidationError([
          {
            field: `${where}signature`,
            rule: 'isString',
            message: `${where}signature must be a string (standard base64)`,
          },
        ]);
      }
      // Canonical base64 of 64 bytes: 86 characters, the last of which leaves no stray bits, then "==".
      if (!/^[A-Za-z0-9+/]{85}[AQgw]==$/.test(raw.signature)) {
        throw new LedgerError('SIGNATURE_MALFORMED', 'signature must be the standard base64 of 64 bytes');
      }
      return {
        event: rawEvent,
        type,
        body,
        where,
        signature: base64ToBytes(raw.signature),
        weight: 1 + (type.weight?.(body) ?? 0),
      };
    } catch (error) {
      return refusal(error, eventId);
    }
  }

  private async signingKeys(prepared: ValidEvent[]): Promise<Map<string, Uint8Array>> {
    const keyIds = [...new Set(prepared.map((p) => p.event.keyId))];
    const keys = await this.types.keyDirectory.publicKeys(keyIds);
    for (const p of prepared) {
      const introduced = genesisKey(p.event);
      if (introduced && !keys.has(p.event.keyId)) keys.set(p.event.keyId, introduced);
    }
    return keys;
  }

  private enqueue(prepared: PreparedEvent): Promise<IntakeResult> {
    return new Promise((resolve) => {
      this.queue.push({ prepared, resolve });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group: Pending[] = [];
        let weight = 0;
        while (
          this.queue.length > 0 &&
          group.length < MAX_EVENTS_PER_TRANSACTION &&
          (group.length === 0 || weight + this.queue[0].prepared.weight <= MAX_WEIGHT_PER_TRANSACTION)
        ) {
          const next = this.queue.shift()!;
          weight += next.prepared.weight;
          group.push(next);
        }
        try {
          const results = await this.commitIsolating(group.map((g) => g.prepared));
          group.forEach((g, i) => g.resolve(results[i]));
        } catch (error) {
          this.logger.error(`intake transaction failed: ${(error as Error).stack ?? String(error)}`);
          group.forEach((g) => g.resolve(refusal(error, g.prepared.event.id)));
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /**
   * Commits a group. When the database refuses the data of the group (an event that passed every check but still
   * holds something it cannot store), the fault is one event's, not the group's: each half is committed on its
   * own, in order, down to the single event at fault, which alone is refused (EVENT_NOT_STORABLE). A database
   * that is away fails the whole group as before: nothing is the events' fault, and splitting would not help.
   */
  private async commitIsolating(group: PreparedEvent[]): Promise<IntakeResult[]> {
    try {
      return await this.commit(group);
    } catch (error) {
      const sqlState = refusedDataState(error);
      if (sqlState === null) throw error;
      if (group.length === 1) {
        const { event } = group[0];
        this.logger.warn(
          `event ${event.actor}/${JSON.stringify(event.id)} refused by the database (SQLSTATE ${sqlState}): ` +
            (error as Error).message,
        );
        return [
          refusal(
            new LedgerError(
              'EVENT_NOT_STORABLE',
              `the database cannot store this event (SQLSTATE ${sqlState}); nothing of it is logged`,
              { sqlState },
            ),
            event.id,
          ),
        ];
      }
      const half = Math.ceil(group.length / 2);
      const first = await this.commitIsolating(group.slice(0, half));
      return [...first, ...(await this.commitIsolating(group.slice(half)))];
    }
  }

  /** The intake transaction for a group of prepared events (see the class comment). */
  private async commit(group: PreparedEvent[]): Promise<IntakeResult[]> {
    const results: IntakeResult[] = [];
    const appended = await this.db.transaction(async (tx) => {
      const sequencer = await this.log.lockSequencer(tx);
      let next = sequencer.next;
      // Never before the last entry, whatever this process's clock says (processes' clocks differ a little).
      const acceptedAt = new Date(Math.max(Date.now(), sequencer.lastAcceptedAt?.getTime() ?? 0));
      const acceptedAtMs = acceptedAt.getTime();
      const logged = new Map<string, StoredEntryRef | Receipt>();
      for (const row of await this.log.findByEventIds(
        tx,
        group.map((p) => p.event.actor),
        group.map((p) => p.event.id),
      )) {
        logged.set(`${row.actor}/${row.event_id}`, row);
      }

      const batch = prepareBatch(this.types, group);
      await batch.load(tx);

      const entries: NewLogEntry[] = [];
      const hashes = new Map<string, { eventHash: Uint8Array; signature: Uint8Array }>();
      for (const p of group) {
        const key = `${p.event.actor}/${p.event.id}`;
        const earlier = logged.get(key);
        if (earlier) {
          results.push(this.replay(p, earlier, hashes.get(key)));
          continue;
        }
        let parties: string[];
        try {
          parties = applyEvent(batch, p, next, acceptedAt);
        } catch (error) {
          results.push(refusal(error, p.event.id));
          continue;
        }
        const leaf = leafHash(encodeLeaf({ acceptedAtMs, eventHash: p.eventHash, signature: p.signature }));
        entries.push({
          index: next,
          leafHash: leaf,
          actor: p.event.actor,
          eventId: p.event.id,
          eventType: p.event.type,
          keyId: p.event.keyId,
          eventTime: p.event.time,
          eventHash: p.eventHash,
          signature: p.signature,
          eventJson: p.eventJson,
          parties,
        });
        const receipt: Receipt = {
          index: next,
          leafHash: bytesToBase64(leaf),
          eventId: p.event.id,
          actor: p.event.actor,
          acceptedAt: acceptedAt.toISOString(),
          duplicate: false,
        };
        logged.set(key, receipt);
        hashes.set(key, { eventHash: p.eventHash, signature: p.signature });
        results.push({ accepted: true, receipt });
        next++;
      }
      await batch.flush(tx);
      await this.log.append(tx, entries, acceptedAt);
      await this.log.advanceSequencer(tx, next);
      return { entries: entries.length, next };
    });
    if (appended.entries > 0) this.signals.appended(appended.next);
    return results;
  }

  /** The same event id again: the original receipt if the bytes are the same, else EVENT_ID_CONFLICT. */
  private replay(
    p: PreparedEvent,
    earlier: StoredEntryRef | Receipt,
    inBatch?: { eventHash: Uint8Array; signature: Uint8Array },
  ): IntakeResult {
    const same =
      'event_hash' in earlier
        ? equal(earlier.event_hash, p.eventHash) && equal(earlier.signature, p.signature)
        : !!inBatch && equal(inBatch.eventHash, p.eventHash) && equal(inBatch.signature, p.signature);
    if (!same) {
      const index = 'event_hash' in earlier ? earlier.idx : earlier.index;
      return refusal(
        new LedgerError(
          'EVENT_ID_CONFLICT',
          `event id "${p.event.id}" of ${p.event.actor} is already logged (index ${index}) with different content`,
          { index },
        ),
        p.event.id,
      );
    }
    const receipt: Receipt =
      'event_hash' in earlier
        ? {
            index: earlier.idx,
            leafHash: bytesToBase64(earlier.leaf_hash),
            eventId: earlier.event_id,
            actor: earlier.actor,
            acceptedAt: earlier.accepted_at.toISOString(),
            duplicate: true,
          }
        : { ...earlier, duplicate: true };
    return { accepted: true, receipt };
  }
}

function isRefusal(value: ValidEvent | IntakeResult): value is IntakeResult {
  return 'accepted' in value;
}

/** Turns any error into a coded refusal; unexpected errors become INTERNAL without leaking details. */
function refusal(error: unknown, eventId?: string): IntakeResult {
  if (error instanceof AppError) {
    return { accepted: false, eventId, status: error.status, error: error.toBody().error };
  }
  if (error instanceof RegistryViolation) {
    const status = (LEDGER_ERRORS as Record<string, number>)[error.code] ?? HttpStatus.UNPROCESSABLE_ENTITY;
    return { accepted: false, eventId, status, error: { code: error.code, message: error.message } };
  }
  return {
    accepted: false,
    eventId,
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    error: { code: 'INTERNAL', message: 'internal error; the operator has the details in the log' },
  };
}

/**
 * The SQLSTATE of a database refusal of the data written, or null for any other failure: class 22 (data exception:
 * a value a type refuses, e.g. U+0000 in text), 23 (integrity constraint violation), 54 (program limit exceeded,
 * e.g. an index row too large).
 */
function refusedDataState(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code) ? code : null;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export { RuleViolation };
