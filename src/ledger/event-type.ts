import { ClassConstructor } from 'class-transformer';
import { Sql } from '../database/database';
import { LedgerEvent } from '../protocol/event';
import { KeyRecord, PartyRecord, PartyRole, RegistryState } from '../protocol/registry';

/**
 * State that event rules read and change, loaded in bulk for a whole batch of events inside the intake
 * transaction, changed in memory as the batch's events are applied in log order, then written back in bulk.
 * A feature module supplies one store per group of tables it owns (items, products, the registry, ...).
 */
export abstract class IntakeStore {
  /** Loads everything requested by the batch's `prepare` calls. */
  abstract load(sql: Sql): Promise<void>;
  /** Writes the changes made by the accepted events. */
  abstract flush(sql: Sql): Promise<void>;
}

export type StoreFactory<S extends IntakeStore = IntakeStore> = () => S;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StoreClass<S extends IntakeStore> = abstract new (...args: any[]) => S;

/** The registry store (parties and keys) every batch needs to check signers. */
export abstract class RegistryStore extends IntakeStore implements RegistryState {
  abstract want(glns: Iterable<string>, keyIds: Iterable<string>): void;
  abstract party(gln: string): PartyRecord | undefined;
  abstract key(keyId: string): KeyRecord | undefined;
  abstract putParty(party: PartyRecord): void;
  abstract putKey(key: KeyRecord): void;
  abstract isEmpty(): boolean;
}

/** The stores of one intake transaction. */
export class IntakeBatch {
  private readonly stores = new Map<StoreClass<IntakeStore>, IntakeStore>();

  constructor(private readonly factories: ReadonlyMap<StoreClass<IntakeStore>, StoreFactory>) {}

  store<S extends IntakeStore>(type: StoreClass<S>): S {
    let store = this.stores.get(type);
    if (!store) {
      const factory = this.factories.get(type);
      if (!factory) throw new Error(`no intake store registered for ${type.name}`);
      store = factory();
      this.stores.set(type, store);
    }
    return store as S;
  }

  get registry(): RegistryStore {
    return this.store(RegistryStore);
  }

  async load(sql: Sql): Promise<void> {
    // Stores may be created while others load (a store's load may not create stores), so iterate a snapshot.
    for (const store of [...this.stores.values()]) await store.load(sql);
  }

  async flush(sql: Sql): Promise<void> {
    for (const store of this.stores.values()) await store.flush(sql);
  }
}

/** What a rule sees of the event being applied. */
export interface EventContext<B> {
  event: LedgerEvent<B>;
  /** The validated body (an instance of the type's body DTO). */
  body: B;
  /** The log index this event gets if accepted. */
  index: number;
  acceptedAt: Date;
  /** The actor's registry record (null only for the operator's genesis self-registration). */
  actor: PartyRecord | null;
  /**
   * Parties the rule finds the event concerns besides those `namedParties` gives (e.g. the manufacturer of a
   * quarantined product): they may read the event too.
   */
  alsoNamed: Set<string>;
}

/**
 * One kind of event: how its body is validated, who may sign it, what state its rule needs, and the rule
 * itself. Feature modules register their types with the `EventTypeRegistry`; intake, rebuild and audit
 * run them the same way.
 */
export interface EventType<B extends object = object> {
  readonly type: string;
  /** DTO class validating the body (class-validator); unknown fields are refused. */
  readonly body: ClassConstructor<B>;
  /** Roles allowed to sign this type (checked before `apply`). */
  readonly actorRoles: readonly PartyRole[];
  /** Parties besides the actor that this event names: they may read it. */
  namedParties(body: B): string[];
  /** A rough cost, in items touched, used to size intake transactions. */
  weight?(body: B): number;
  /** Declares what state `apply` needs; called for every event of a batch before anything is loaded. */
  prepare(batch: IntakeBatch, body: B, event: LedgerEvent<B>): void;
  /** Checks the rule against the state and applies the effects; throws a `RuleViolation` to refuse. */
  apply(batch: IntakeBatch, context: EventContext<B>): void;
}
