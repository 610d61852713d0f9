import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { VerificationRecorder } from '../../src/verification/verification-recorder';
import { VerificationRecord, VerificationRepository } from '../../src/verification/verification.repository';
import { createTestDatabase } from '../support/postgres';

const record = (requester: string): VerificationRecord => ({
  id: randomUUID(),
  at: new Date(),
  requester,
  channel: 'rich',
  code: '(01)00361234567890(21)SN0001',
  gtin: '00361234567890',
  request: { code: 'scan' },
  verified: false,
  reasons: ['UNKNOWN_SERIAL'],
  suspicious: true,
  answer: { verdict: 'not_genuine' },
});

/**
 * The recording of verifications (issue 12 §3): a group of records is one statement, one round trip, whose commit
 * does not wait for the WAL flush, and that setting ends with the statement's own transaction, so the pooled
 * connection serves the next user (an intake commit) with the database's synchronous_commit again.
 */
describe('verification records', () => {
  let dataSource: DataSource;
  let db: Database;
  let repository: VerificationRepository;
  let statements = 0;
  const query = Client.prototype.query;

  beforeAll(async () => {
    const url = await createTestDatabase();
    // One connection: every statement below runs on the one the records were written on.
    dataSource = new DataSource(dataSourceOptions(url, 1));
    await dataSource.initialize();
    db = new Database(dataSource);
    repository = new VerificationRepository(db);
    // Counts what each connection sends (each call is one round trip); the database is real.
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });

  afterAll(async () => {
    Client.prototype.query = query;
    await dataSource?.destroy();
  });

  it('a group of records is written in one statement', async () => {
    const group = [record('0614141000005'), record('0614141000012'), record('0614141000029')];
    const before = statements;
    await repository.append(group);
    expect(statements - before).toBe(1);
    const rows = await db.query<{ id: string }>('SELECT id FROM verification WHERE id = ANY($1::uuid[])', [
      group.map((r) => r.id),
    ]);
    expect(rows.map((r) => r.id).sort()).toEqual(group.map((r) => r.id).sort());
  });

  it('the connection keeps the database synchronous_commit after a group was written', async () => {
    const [{ setting: before }] = await db.query<{ setting: string }>(
      "SELECT current_setting('synchronous_commit') AS setting",
    );
    await repository.append([record('0614141000005')]);
    const [{ setting }] = await db.query<{ setting: string }>(
      "SELECT current_setting('synchronous_commit') AS setting",
    );
    expect(setting).toBe(before);
    expect(setting).toBe('on');
  });

  it('records queued while a group is in flight go in the next group; flushed() waits for them all', async () => {
    const recorder = new VerificationRecorder(repository);
    const before = statements;
    const records = Array.from({ length: 20 }, () => record('0614141000036'));
    const written = records.map((r) => recorder.record(r));
    await recorder.flushed();
    // The first group holds the first record (the insert starts at once), the second the 19 that queued behind it.
    expect(statements - before).toBe(2);
    const [{ n }] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM verification WHERE requester = '0614141000036'",
    );
    expect(n).toBe(20);
    await Promise.all(written);
  });
});
