import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { AuditFailureCode, AuditReport } from '../../src/ledger/audit/audit-report';
import { AuditProgress, eventTimeMicros, runAudit } from '../../src/ledger/audit/audit';
import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { appendWithSql } from '../support/raw-log';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

const NOTES = 600;
const BATCH = 100;

/**
 * Tamper evidence (issue 2, item 5): a real log is built over HTTP, then single rows of the log tables are edited
 * directly in PostgreSQL (with the append-only trigger disabled, as an attacker with database access would) and
 * the audit must name exactly that entry, tile hash or checkpoint. Each edit is undone before the next.
 */
describe('audit', () => {
  let t: TestApp;
  let logKey: string;
  let db: Database;
  let admin: Client;
  let revoked: TestParty;
  let entries: number;
  let checkpointSizes: number[];
  let closed = false;

  const audit = (options: Partial<Parameters<typeof runAudit>[1]> = {}) =>
    runAudit(db, { logVerifierKey: logKey, ...options });

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    const signer = parseSignerKey(t.secrets.logSignerKey);
    logKey = formatVerifierKey(signer.name, signer.publicKey);

    const parties = [
      await newParty(t, 'manufacturer'),
      await newParty(t, 'distributor'),
      await newParty(t, 'dispenser'),
    ];
    // Key rotation: the distributor gets a second key, which then signs some of its notes.
    const rotated = generateSecretKey();
    const added = await t.http
      .post(`/v1/parties/${parties[1].gln}/keys`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ publicKey: bytesToBase64(publicKeyOf(rotated)) });
    expect(added.status).toBe(201);
    revoked = await newParty(t, 'dispenser', 'Revoked');

    for (let sent = 0; sent < NOTES; sent += BATCH) {
      const p = parties[(sent / BATCH) % parties.length];
      if (p === parties[1] && sent > NOTES / 2) p.secretKey = rotated;
      const events = Array.from({ length: BATCH }, (_, i) =>
        p.event('test.note', { text: `note ${sent + i}`, cc: [parties[(i % 2) + 1].gln] }),
      );
      const response = await t.http
        .post('/v1/events/batch?wait=true')
        .set(...p.auth)
        .send({ events });
      expect(response.status).toBe(201);
      expect(response.body.refused).toBe(0);
    }
    const revokedEvent = await t.http
      .post('/v1/events?wait=true')
      .set(...revoked.auth)
      .send(revoked.event('test.note', { text: 'signed before the revocation' }));
    expect(revokedEvent.status).toBe(201);
    const revocation = await t.http
      .post(`/v1/parties/${revoked.gln}/keys/${revoked.keyId}/revoke`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({});
    expect(revocation.status).toBe(200);
    const published = await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
    expect(published.status).toBe(200);

    const dataSource = new DataSource(dataSourceOptions(t.databaseUrl, 4));
    await dataSource.initialize();
    db = new Database(dataSource);
    admin = new Client({ connectionString: t.databaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await db?.dataSource.destroy();
    if (!closed) await t?.close();
  });

  it('finds a clean log clean, while the server keeps appending', async () => {
    const p = await newParty(t, 'manufacturer');
    const posting = (async () => {
      for (let i = 0; i < 5; i++) {
        const events = Array.from({ length: 20 }, (_, j) => p.event('test.note', { text: `late ${i}/${j}` }));
        const response = await t.http
          .post('/v1/events/batch')
          .set(...p.auth)
          .send({ events });
        expect(response.body.refused).toBe(0);
      }
    })();
    const progress: AuditProgress[] = [];
    const report = await audit({ chunkSize: 97, onProgress: (update) => progress.push(update) });
    await posting;
    expectClean(report);
    expect(report.entries).toBeGreaterThan(NOTES);
    expect(report.signaturesVerified).toBe(report.entries);
    expect(report.registryEvents).toBeGreaterThanOrEqual(7); // genesis, 4 parties, key.add, key.revoke
    expect(report.keys).toBeGreaterThanOrEqual(6);
    expect(report.tileHashesChecked).toBeGreaterThanOrEqual(2);
    expect(report.checkpointsChecked).toBeGreaterThanOrEqual(NOTES / BATCH);
    expect(report.checkpointsConsistent).toBe(true);
    expect(progress.length).toBeGreaterThan(NOTES / 97);
    expect(progress[progress.length - 1].checked).toBe(report.entries);

    // From here on nothing writes: stop the server (and its integrator) and take stock of the log.
    const published = await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
    expect(published.status).toBe(200);
    await t.close();
    closed = true;
    const final = await audit();
    expectClean(final);
    entries = final.entries;
    checkpointSizes = (await admin.query('SELECT tree_size FROM checkpoint ORDER BY tree_size')).rows.map((r) =>
      Number(r.tree_size),
    );
    expect(checkpointSizes[checkpointSizes.length - 1]).toBe(entries);
  });

  /** One edit of one column of one row: the SQL expression computing the new value, and what audit must say. */
  interface Tamper {
    name: string;
    table: 'log_entry' | 'tree_hash' | 'checkpoint';
    column: string;
    /** SQL expression of the edited value, in terms of the column. */
    edit: string;
    /** The row: `idx` of log_entry, `[level, idx]` of tree_hash, `tree_size` of checkpoint. */
    row: () => number | [number, number];
    expected: { code: AuditFailureCode; index?: number; tile?: [number, number]; checkpointSize?: number };
    /** True when nothing but the edited row is affected (the leaf recomputed from the event is unchanged). */
    only?: boolean;
  }

  const ENTRY = 345;
  const flipByte = (column: string, at = 7) => `set_byte(${column}, ${at}, get_byte(${column}, ${at}) # 1)`;
  /** A checkpoint in the middle of the log, whose size minus one is no checkpoint's size. */
  const midCheckpoint = () => checkpointSizes.find((size) => size > 300 && !checkpointSizes.includes(size - 1))!;

  const cases: Tamper[] = [
    {
      name: 'log_entry.event_json: one character of the body',
      table: 'log_entry',
      column: 'event_json',
      edit: `replace(event_json, '"text":"note', '"text":"Note')`,
      row: () => ENTRY,
      expected: { code: 'EVENT_HASH_MISMATCH', index: ENTRY },
    },
    {
      name: 'log_entry.event_json: same content, not canonical',
      table: 'log_entry',
      column: 'event_json',
      edit: `replace(event_json, '{"cc"', '{ "cc"')`,
      row: () => ENTRY,
      expected: { code: 'EVENT_NOT_CANONICAL', index: ENTRY },
    },
    {
      name: 'log_entry.event_hash',
      table: 'log_entry',
      column: 'event_hash',
      edit: flipByte('event_hash'),
      row: () => ENTRY,
      expected: { code: 'EVENT_HASH_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.signature',
      table: 'log_entry',
      column: 'signature',
      edit: flipByte('signature', 3),
      row: () => ENTRY,
      expected: { code: 'LEAF_HASH_MISMATCH', index: ENTRY },
    },
    {
      name: 'log_entry.leaf_hash',
      table: 'log_entry',
      column: 'leaf_hash',
      edit: flipByte('leaf_hash'),
      row: () => ENTRY,
      expected: { code: 'LEAF_HASH_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.accepted_at (one millisecond)',
      table: 'log_entry',
      column: 'accepted_at',
      edit: `accepted_at + interval '1 millisecond'`,
      row: () => ENTRY,
      expected: { code: 'LEAF_HASH_MISMATCH', index: ENTRY },
    },
    {
      name: 'log_entry.accepted_at (one microsecond)',
      table: 'log_entry',
      column: 'accepted_at',
      edit: `accepted_at + interval '1 microsecond'`,
      row: () => ENTRY,
      expected: { code: 'ACCEPTED_AT_INVALID', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.actor',
      table: 'log_entry',
      column: 'actor',
      edit: `'0000000000000'`,
      row: () => ENTRY,
      expected: { code: 'COLUMN_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.key_id',
      table: 'log_entry',
      column: 'key_id',
      edit: `'00000000000000ff'`,
      row: () => ENTRY,
      expected: { code: 'COLUMN_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.event_id',
      table: 'log_entry',
      column: 'event_id',
      edit: `event_id || 'x'`,
      row: () => ENTRY,
      expected: { code: 'COLUMN_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.event_time (one microsecond)',
      table: 'log_entry',
      column: 'event_time',
      edit: `event_time + interval '1 microsecond'`,
      row: () => ENTRY,
      expected: { code: 'COLUMN_MISMATCH', index: ENTRY },
      only: true,
    },
    {
      name: 'log_entry.event_json of the first entry (the genesis)',
      table: 'log_entry',
      column: 'event_json',
      edit: `replace(event_json, '"name":"', '"name":"X')`,
      row: () => 0,
      expected: { code: 'EVENT_HASH_MISMATCH', index: 0 },
    },
    {
      name: 'tree_hash.hash',
      table: 'tree_hash',
      column: 'hash',
      edit: flipByte('hash', 31),
      row: () => [1, 1],
      expected: { code: 'TREE_HASH_MISMATCH', tile: [1, 1] },
      only: true,
    },
    {
      name: 'checkpoint.note (one character of the signature)',
      table: 'checkpoint',
      column: 'note',
      edit: `overlay(note placing CASE WHEN substr(note, length(note) - 4, 1) = 'A' THEN 'B' ELSE 'A' END
                     from length(note) - 4 for 1)`,
      row: midCheckpoint,
      expected: { code: 'CHECKPOINT_NOTE_INVALID', checkpointSize: -1 },
      only: true,
    },
    {
      name: 'checkpoint.note (one character of the root line)',
      table: 'checkpoint',
      column: 'note',
      edit: `overlay(note placing CASE WHEN substr(note, strpos(note, E'\\n') + length(tree_size::text) + 2, 1) = 'A'
                                THEN 'B' ELSE 'A' END
                     from strpos(note, E'\\n') + length(tree_size::text) + 2 for 1)`,
      row: midCheckpoint,
      expected: { code: 'CHECKPOINT_NOTE_INVALID', checkpointSize: -1 },
      only: true,
    },
    {
      name: 'checkpoint.root_hash',
      table: 'checkpoint',
      column: 'root_hash',
      edit: flipByte('root_hash', 0),
      row: midCheckpoint,
      expected: { code: 'CHECKPOINT_COLUMN_MISMATCH', checkpointSize: -1 },
      only: true,
    },
  ];

  it.each(cases)('detects an edit of $name', async (tamper) => {
    const row = tamper.row();
    const where = whereRow(tamper.table, row);
    const [original] = (
      await admin.query(`SELECT ${tamper.column}::text AS value FROM ${tamper.table} WHERE ${where.sql}`, where.params)
    ).rows;
    expect(original).toBeDefined();
    await withTriggerDisabled(tamper.table, () =>
      admin.query(`UPDATE ${tamper.table} SET ${tamper.column} = ${tamper.edit} WHERE ${where.sql}`, where.params),
    );
    const [edited] = (
      await admin.query(`SELECT ${tamper.column}::text AS value FROM ${tamper.table} WHERE ${where.sql}`, where.params)
    ).rows;
    expect(edited.value).not.toBe(original.value);
    try {
      const report = await audit();
      const expected = { ...tamper.expected };
      if (expected.checkpointSize === -1) expected.checkpointSize = row as number;
      expectFirstFailure(report, expected);
      if (tamper.only) expect(report.failureCount).toBe(1);
    } finally {
      await withTriggerDisabled(tamper.table, () =>
        admin.query(`UPDATE ${tamper.table} SET ${tamper.column} = $${where.params.length + 1} WHERE ${where.sql}`, [
          ...where.params,
          original.value,
        ]),
      );
    }
    expectClean(await audit());
  });

  it('detects a checkpoint whose tree_size column was changed', async () => {
    const size = midCheckpoint();
    const moved = size - 1;
    expect(checkpointSizes).not.toContain(moved);
    await withTriggerDisabled('checkpoint', () =>
      admin.query('UPDATE checkpoint SET tree_size = $1 WHERE tree_size = $2', [moved, size]),
    );
    try {
      const report = await audit();
      expectFirstFailure(report, { code: 'CHECKPOINT_COLUMN_MISMATCH', checkpointSize: moved });
      expect(report.failureCount).toBe(1);
    } finally {
      await withTriggerDisabled('checkpoint', () =>
        admin.query('UPDATE checkpoint SET tree_size = $1 WHERE tree_size = $2', [size, moved]),
      );
    }
    expectClean(await audit());
  });

  it('detects a checkpoint for more leaves than the log holds', async () => {
    const latest = checkpointSizes[checkpointSizes.length - 1];
    await withTriggerDisabled('checkpoint', () =>
      admin.query('UPDATE checkpoint SET tree_size = $1 WHERE tree_size = $2', [latest + 1000, latest]),
    );
    try {
      const report = await audit();
      expectFirstFailure(report, { code: 'CHECKPOINT_COLUMN_MISMATCH', checkpointSize: latest + 1000 });
    } finally {
      await withTriggerDisabled('checkpoint', () =>
        admin.query('UPDATE checkpoint SET tree_size = $1 WHERE tree_size = $2', [latest, latest + 1000]),
      );
    }
  });

  it('detects a deleted entry in the middle and at the end of the log', async () => {
    for (const index of [ENTRY, entries - 1]) {
      await admin.query('CREATE TEMP TABLE saved_entry AS SELECT * FROM log_entry WHERE idx = $1', [index]);
      await withTriggerDisabled('log_entry', () => admin.query('DELETE FROM log_entry WHERE idx = $1', [index]));
      try {
        const report = await audit();
        expectFirstFailure(report, { code: 'INDEX_MISSING', index });
        if (index === entries - 1) {
          expect(report.failures.map((f) => f.code)).toContain('CHECKPOINT_BEYOND_LOG');
        }
      } finally {
        await admin.query('INSERT INTO log_entry SELECT * FROM saved_entry');
        await admin.query('DROP TABLE saved_entry');
      }
    }
    expectClean(await audit());
  });

  it('detects a tile hash row the tree does not have', async () => {
    await admin.query(`INSERT INTO tree_hash (tile_level, idx, hash) VALUES (3, 0, $1)`, [Buffer.alloc(32, 7)]);
    try {
      const report = await audit();
      expectFirstFailure(report, { code: 'TREE_HASH_UNEXPECTED', tile: [3, 0] });
      expect(report.failureCount).toBe(1);
    } finally {
      await withTriggerDisabled('tree_hash', () => admin.query('DELETE FROM tree_hash WHERE tile_level = 3'));
    }
  });

  it('catches an event signed by a revoked key and sneaked in with SQL', async () => {
    // A perfectly valid signature by the revoked key, appended with every column and hash computed correctly.
    const index = await appendWithSql(
      admin,
      revoked.event('test.note', { text: 'signed after the revocation' }),
      new Date(),
    );
    expect(index).toBe(entries);
    const report = await audit();
    expectFirstFailure(report, { code: 'SIGNER_NOT_ALLOWED', index });
    expect(report.firstFailure!.message).toContain('KEY_REVOKED');
    expect(report.failureCount).toBe(1);
    // The same key's earlier note, signed before the revocation, stays valid.
    expect(report.signaturesVerified).toBe(entries);
  });

  it('compares event times as PostgreSQL stores them (microseconds, rounded like timestamptz input)', async () => {
    const times = [
      '2026-11-23T10:00:00Z',
      '2026-11-23T10:00:00.1Z',
      '2026-11-23T10:00:00.123456Z',
      '2026-11-23T10:00:00.1234565Z',
      '2026-11-23T10:00:00.1234575Z',
      '2026-11-23T10:00:00.123456789Z',
      '2026-11-23T23:59:59.9999999Z',
      '2026-11-23T10:00:00.0000005+05:30',
      '1999-12-31T23:59:59.999999501-08:00',
    ];
    for (const time of times) {
      const { rows } = await admin.query('SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint AS us', [
        time,
      ]);
      expect([time, eventTimeMicros(time)]).toEqual([time, Number(rows[0].us)]);
    }
    expect(eventTimeMicros('2026-02-30T10:00:00Z')).toBeNull();
  });

  function whereRow(table: Tamper['table'], row: number | [number, number]): { sql: string; params: number[] } {
    if (table === 'tree_hash') {
      const [level, idx] = row as [number, number];
      return { sql: 'tile_level = $1 AND idx = $2', params: [level, idx] };
    }
    return { sql: table === 'checkpoint' ? 'tree_size = $1' : 'idx = $1', params: [row as number] };
  }

  async function withTriggerDisabled<T>(table: string, work: () => Promise<T>): Promise<T> {
    await admin.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
    try {
      return await work();
    } finally {
      await admin.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    }
  }
});

function expectClean(report: AuditReport): void {
  expect(report.failures).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.treeSize).toBe(report.entries);
}

function expectFirstFailure(
  report: AuditReport,
  expected: { code: AuditFailureCode; index?: number; tile?: [number, number]; checkpointSize?: number },
): void {
  expect(report.ok).toBe(false);
  const first = report.firstFailure!;
  expect({ code: first.code, index: first.index, tile: first.tile, checkpointSize: first.checkpointSize }).toEqual({
    code: expected.code,
    index: expected.index,
    tile: expected.tile ? { level: expected.tile[0], index: expected.tile[1] } : undefined,
    checkpointSize: expected.checkpointSize,
  });
  // Nothing before the edited row is blamed, and no other entry is.
  for (const failure of report.failures) {
    if (failure.index !== undefined && expected.index !== undefined) expect(failure.index).toBe(expected.index);
  }
}
