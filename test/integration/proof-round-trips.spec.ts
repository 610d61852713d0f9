import { QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { CheckpointService } from '../../src/ledger/checkpoint.service';
import { LogRepository } from '../../src/ledger/log.repository';
import { LogService } from '../../src/ledger/log.service';
import { TreeService } from '../../src/ledger/tree.service';
import { MerkleFrontier } from '../../src/merkle/frontier';
import { Hash } from '../../src/merkle/hash';
import { verifyConsistency, verifyInclusion } from '../../src/merkle/verify';
import { createTestDatabase } from '../support/postgres';

/** Counts the statements that reach PostgreSQL: each is one round trip. */
class CountingDatabase extends Database {
  statements = 0;

  override query<T extends QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    this.statements++;
    return super.query<T>(text, params);
  }
}

/** Three tile levels: 70,000 leaves are 273 full level-0 tiles, a partial one, 2 level-1 tiles and a level-2 hash. */
const ENTRIES = 70_000;

const b64 = (text: string): Hash => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * The proof endpoints' cost in round trips (issue 12 §3): an answer is one read of the tiles it lacks, whatever their
 * number and levels, none when they are cached; concurrent answers over the same missing tile share its read. The
 * proofs themselves are checked with the pure verifiers (RFC 9162 §2.1.3.2 and §2.1.4.2) against a root computed
 * here from the leaves.
 */
describe('proofs read their tiles in one round trip', () => {
  let dataSource: DataSource;
  let db: CountingDatabase;
  let log: LogRepository;
  let root: Hash;
  const rootAt = new Map<number, Hash>();

  beforeAll(async () => {
    const url = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(url, 8));
    await dataSource.initialize();
    db = new CountingDatabase(dataSource);
    log = new LogRepository(db);
    await db.query('ALTER TABLE log_entry DISABLE TRIGGER USER');
    // Leaf data: 0x01 || accepted_at (ms, big-endian) || event_hash || signature; leaf hash: SHA-256(0x00 || it).
    await db.query(
      `INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                              event_hash, signature, event_json)
       SELECT i, sha256('\\x0001'::bytea || int8send(1.7e12::bigint + i) || sha256(int8send(i))
                        || sha256(int8send(i)) || sha256(int8send(-i))),
              to_timestamp((1.7e12::bigint + i) / 1000.0), '0614141000005', 'e' || i, 'test.note',
              '0123456789abcdef', now(), sha256(int8send(i)), sha256(int8send(i)) || sha256(int8send(-i)), '{}'
         FROM generate_series(0, $1::bigint - 1) AS i`,
      [ENTRIES],
    );
    await db.query('ALTER TABLE log_entry ENABLE TRIGGER USER');
    const builder = new TreeService(log);
    // The roots of a few prefixes, for the consistency proofs, then the whole tree and its tile-level hashes.
    let frontier = MerkleFrontier.empty();
    const newHashes = [];
    for (const size of [1_000, 33_333, 65_536, ENTRIES]) {
      const extended = await builder.extendVerified(frontier, size, 0);
      frontier = extended.frontier;
      newHashes.push(...extended.newHashes);
      rootAt.set(size, frontier.root());
    }
    root = rootAt.get(ENTRIES)!;
    await db.query(
      'INSERT INTO tree_hash (tile_level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
      [newHashes.map((h) => h.tileLevel), newHashes.map((h) => h.index), newHashes.map((h) => Buffer.from(h.hash))],
    );
  }, 120_000);

  afterAll(() => dataSource?.destroy());

  /** The read side as the server builds it, over a new TreeService (an empty tile cache) that trusts the root. */
  const readSide = () => {
    const tree = new TreeService(log);
    tree.trustRoot(ENTRIES, root);
    const checkpoints = {
      latest: () => ({ size: ENTRIES, rootHash: root, note: 'checkpoint', createdAt: new Date() }),
    } as unknown as CheckpointService;
    return new LogService(log, tree, checkpoints);
  };

  const statementsOf = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> => {
    const before = db.statements;
    const result = await work();
    return { result, statements: db.statements - before };
  };

  it('an inclusion proof over cold tiles of three levels is one read, its leaf hash included; a second is none', async () => {
    const service = readSide();
    // Each in a level-0 tile not read yet (the last one also in the partial level-1 tile).
    for (const index of [40_000, 0, 12_345, 65_535, 69_999]) {
      const { result, statements } = await statementsOf(() => service.inclusionProof(index, ENTRIES));
      expect([index, statements]).toEqual([index, 1]);
      expect(verifyInclusion(b64(result.leafHash), index, ENTRIES, result.hashes.map(b64), root)).toBe(true);
    }
    const again = await statementsOf(() => service.inclusionProof(12_345, ENTRIES));
    expect(again.statements).toBe(0);
  });

  it('a consistency proof over cold tiles is one read', async () => {
    for (const from of [1_000, 33_333, 65_536]) {
      const { result, statements } = await statementsOf(() => readSide().consistencyProof(from, ENTRIES));
      expect([from, statements]).toEqual([from, 1]);
      expect(verifyConsistency(from, ENTRIES, result.hashes.map(b64), rootAt.get(from)!, root)).toBe(true);
    }
  });

  it('concurrent proofs over the same cold tiles share one read', async () => {
    const service = readSide();
    const indexes = Array.from({ length: 8 }, (_, i) => 51_200 + 17 * i);
    const { result, statements } = await statementsOf(() =>
      Promise.all(indexes.map((index) => service.inclusionProof(index, ENTRIES))),
    );
    expect(statements).toBe(1);
    result.forEach((proof, i) =>
      expect(verifyInclusion(b64(proof.leafHash), indexes[i], ENTRIES, proof.hashes.map(b64), root)).toBe(true),
    );
  });

  it('a proof from a stored hash changed under a trusted root is withheld', async () => {
    const service = readSide();
    await db.query('ALTER TABLE tree_hash DISABLE TRIGGER USER');
    try {
      const [{ hash }] = await db.query<{ hash: Buffer }>(
        'SELECT hash FROM tree_hash WHERE tile_level = 1 AND idx = 3',
      );
      await db.query('UPDATE tree_hash SET hash = $1 WHERE tile_level = 1 AND idx = 3', [Buffer.alloc(32, 7)]);
      try {
        // Leaf 2,000 is under level-1 hash 7: its proof holds the node over level-1 hashes 0-3, which hash 3 enters.
        await expect(service.inclusionProof(2_000, ENTRIES)).rejects.toMatchObject({ code: 'TREE_FAULT' });
      } finally {
        await db.query('UPDATE tree_hash SET hash = $1 WHERE tile_level = 1 AND idx = 3', [hash]);
      }
    } finally {
      await db.query('ALTER TABLE tree_hash ENABLE TRIGGER USER');
    }
  });
});
