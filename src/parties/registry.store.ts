import { Sql } from '../database/database';
import { RegistryStore } from '../ledger/event-type';
import { KeyRecord, PartyRecord } from '../protocol/registry';
import { RegistryRepository } from './registry.repository';

/** The registry's state for one intake transaction: loaded in bulk, changed in memory, written back. */
export class TableRegistryStore extends RegistryStore {
  private readonly wantedParties = new Set<string>();
  private readonly wantedKeys = new Set<string>();
  private readonly parties = new Map<string, PartyRecord>();
  private readonly keys = new Map<string, KeyRecord>();
  private readonly changedParties = new Set<string>();
  private readonly changedKeys = new Set<string>();
  private empty = false;

  constructor(private readonly repository: RegistryRepository) {
    super();
  }

  want(glns: Iterable<string>, keyIds: Iterable<string>): void {
    for (const gln of glns) this.wantedParties.add(gln);
    for (const keyId of keyIds) this.wantedKeys.add(keyId);
  }

  async load(sql: Sql): Promise<void> {
    // One connection runs one query at a time: load in sequence.
    const parties = await this.repository.parties(
      sql,
      [...this.wantedParties].filter((g) => !this.parties.has(g)),
    );
    const keys = await this.repository.keys(
      sql,
      [...this.wantedKeys].filter((k) => !this.keys.has(k)),
    );
    const any = parties.length > 0 || (await this.repository.hasAnyParty(sql));
    parties.forEach((p) => this.parties.set(p.gln, p));
    keys.forEach((k) => this.keys.set(k.keyId, k));
    this.empty = !any;
  }

  party(gln: string): PartyRecord | undefined {
    return this.parties.get(gln);
  }

  key(keyId: string): KeyRecord | undefined {
    return this.keys.get(keyId);
  }

  putParty(party: PartyRecord): void {
    this.parties.set(party.gln, party);
    this.changedParties.add(party.gln);
    this.empty = false;
  }

  putKey(key: KeyRecord): void {
    this.keys.set(key.keyId, key);
    this.changedKeys.add(key.keyId);
  }

  isEmpty(): boolean {
    return this.empty;
  }

  async flush(sql: Sql): Promise<void> {
    await this.repository.saveParties(
      sql,
      [...this.changedParties].map((g) => this.parties.get(g)!),
    );
    await this.repository.saveKeys(
      sql,
      [...this.changedKeys].map((k) => this.keys.get(k)!),
    );
  }
}
