import { Sql } from '../database/database';
import { Item } from '../protocol/custody';
import { CustodyStore } from '../supply-chain/custody.store';
import { ReturnVerifications } from '../supply-chain/return-verifications';
import { VerificationRepository } from './verification.repository';

/** Clean verifications of returned items, read from the append-only verification records. */
export class RecordedReturnVerifications extends ReturnVerifications {
  private items?: CustodyStore;
  private readonly records = new Map<string, { requester: string; at: Date }[]>();

  constructor(private readonly repository: VerificationRepository) {
    super();
  }

  want(items: CustodyStore): void {
    this.items = items;
  }

  async load(sql: Sql): Promise<void> {
    const units = this.items?.loadedUnitCodes() ?? [];
    for (const row of await this.repository.cleanVerifications(sql, units)) {
      const list = this.records.get(row.code) ?? [];
      list.push({ requester: row.requester, at: row.at });
      this.records.set(row.code, list);
    }
  }

  verified(item: Item, before: Date): boolean {
    const since = item.returnReceivedAt;
    return (this.records.get(item.code) ?? []).some(
      (r) => r.requester === item.custodian && (!since || r.at > since) && r.at < before,
    );
  }

  async flush(): Promise<void> {
    // Read-only: verifications are recorded by the verification service, not by intake.
  }
}
