import { Injectable } from '@nestjs/common';
import { EventType, IntakeBatch, IntakeStore, StoreClass, StoreFactory } from './event-type';

/** Public keys by key id, for checking signatures before the intake transaction starts. */
export interface KeyDirectory {
  publicKeys(keyIds: string[]): Promise<Map<string, Uint8Array>>;
}

/**
 * The extension point of intake: feature modules register their event types, the stores their rules use,
 * and (the parties module) the key directory.
 */
@Injectable()
export class EventTypeRegistry {
  private readonly types = new Map<string, EventType>();
  private readonly stores = new Map<StoreClass<IntakeStore>, StoreFactory>();
  private directory?: KeyDirectory;
  private readonly readModel = new Set<string>(['log_entry_party']);

  register(...types: EventType[]): void {
    for (const type of types) {
      if (this.types.has(type.type)) throw new Error(`event type ${type.type} registered twice`);
      this.types.set(type.type, type);
    }
  }

  registerStore<S extends IntakeStore>(type: StoreClass<S>, factory: StoreFactory<S>): void {
    this.stores.set(type, factory);
  }

  /** Declares tables derived from the log alone, which `rebuild` empties and refills by replaying it. */
  registerReadModel(...tables: string[]): void {
    tables.forEach((table) => this.readModel.add(table));
  }

  readModelTables(): string[] {
    return [...this.readModel];
  }

  useKeyDirectory(directory: KeyDirectory): void {
    this.directory = directory;
  }

  get keyDirectory(): KeyDirectory {
    if (!this.directory) throw new Error('no key directory registered');
    return this.directory;
  }

  get(type: string): EventType | undefined {
    return this.types.get(type);
  }

  typeNames(): string[] {
    return [...this.types.keys()].sort();
  }

  newBatch(): IntakeBatch {
    return new IntakeBatch(this.stores);
  }
}
