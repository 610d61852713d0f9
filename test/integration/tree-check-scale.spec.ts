import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { migrate } from '../../src/database/migrate';
import { LogRepository } from '../../src/ledger/log.repository';
import { TreeService } from '../../src/ledger/tree.service';
import { MerkleFrontier } from '../../src/merkle/frontier';
import { createTestDatabase } from '../support/postgres';

/**
 * Cost of the integrator's start-up tree check (recompute every leaf from its entry's leaf data, compare it with
 * leaf_hash and every tile-level hash with tree_hash) on a log of TREE_CHECK_SCALE_ENTRIES entries (opt-in), e.g.
 *
 *   TREE_CHECK_SCALE_ENTRIES=1000000 npx jest test/integration/tree-check-scale
 *
 * The entries are written with SQL (leaf data and leaf hashes computed by PostgreSQL); prints entries/s and heap.
 */
const ENTRIES = Number(process.env.TREE_CHECK_SCALE_ENTRIES ?? 0);
const INSERT_CHUNK = 100_000;

(ENTRIES > 0 ? describe : describe.skip)(`tree check of ${ENTRIES} entries`, () => {
  let dataSource: DataSource;

  afterAll(() => dataSource?.destroy());

  it(
    'recomputes the whole tree from the entries',
    async () => {
      const url = await createTestDatabase();
      await migrate(url);
      dataSource = new DataSource(dataSourceOptions(url, 4));
      await dataSource.initialize();
      const db = new Database(dataSource);
      const tree = new TreeService(new LogRepository(db));
      const built = Date.now();
      await db.query('ALTER TABLE log_entry DISABLE TRIGGER USER');
      for (let from = 0; from < ENTRIES; from += INSERT_CHUNK) {
        // Leaf data: 0x01 || accepted_at (ms, big-endian) || event_hash || signature; leaf hash: SHA-256(0x00 || it).
        await db.query(
          `INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                                  event_hash, signature, event_json)
           SELECT i, sha256('\\x0001'::bytea || int8send(1.7e12::bigint + i) || sha256(int8send(i))
                            || sha256(int8send(i)) || sha256(int8send(-i))),
                  to_timestamp((1.7e12::bigint + i) / 1000.0), '0614141000005', 'e' || i, 'test.note',
                  '0123456789abcdef', now(), sha256(int8send(i)), sha256(int8send(i)) || sha256(int8send(-i)), '{}'
             FROM generate_series($1::bigint, $2::bigint) AS i`,
          [from, Math.min(ENTRIES, from + INSERT_CHUNK) - 1],
        );
      }
      await db.query('ALTER TABLE log_entry ENABLE TRIGGER USER');
      // The tile-level hashes, as the integrator would have stored them.
      const { newHashes } = await tree.extendVerified(MerkleFrontier.empty(), ENTRIES, 0);
      for (let i = 0; i < newHashes.length; i += 10_000) {
        const chunk = newHashes.slice(i, i + 10_000);
        await db.query(
          'INSERT INTO tree_hash (tile_level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
          [chunk.map((h) => h.tileLevel), chunk.map((h) => h.index), chunk.map((h) => Buffer.from(h.hash))],
        );
      }
      const buildSeconds = (Date.now() - built) / 1000;

      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const started = process.hrtime.bigint();
      const { frontier } = await tree.extendVerified(MerkleFrontier.empty(), ENTRIES, ENTRIES);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const heapAfter = process.memoryUsage().heapUsed;
      expect(frontier.size).toBe(ENTRIES);
      console.log(
        `tree check: ${ENTRIES} entries and ${newHashes.length} tile-level hashes in ${seconds.toFixed(2)} s ` +
          `(${Math.round(ENTRIES / seconds)} entries/s); heap ${Math.round(heapBefore / 2 ** 20)} -> ` +
          `${Math.round(heapAfter / 2 ** 20)} MiB; building the log took ${buildSeconds.toFixed(1)} s`,
      );
    },
    60 * 60 * 1000,
  );
});
