import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger core: the append-only log (entries, Merkle tile hashes, signed checkpoints) and its sequencer; the
 * read model of the registry (parties, keys) and of who each entry names; API tokens.
 */
export class LedgerCore1763935200000 implements MigrationInterface {
  name = 'LedgerCore1763935200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);

    // The sequencer: one row, locked by each intake transaction, so log indexes are gapless and every
    // committed entry has a lower index than every entry committed after it.
    await q.query(`
      CREATE TABLE log_sequencer (
        id smallint PRIMARY KEY CHECK (id = 1),
        next_index bigint NOT NULL CHECK (next_index >= 0)
      )`);
    await q.query(`INSERT INTO log_sequencer (id, next_index) VALUES (1, 0)`);

    await q.query(`
      CREATE TABLE log_entry (
        idx bigint PRIMARY KEY CHECK (idx >= 0),
        leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
        accepted_at timestamptz NOT NULL,
        actor char(13) NOT NULL,
        event_id text NOT NULL,
        event_type text NOT NULL,
        key_id char(16) NOT NULL,
        event_time timestamptz NOT NULL,
        event_hash bytea NOT NULL CHECK (length(event_hash) = 32),
        signature bytea NOT NULL CHECK (length(signature) = 64),
        event_json text NOT NULL,
        CONSTRAINT log_entry_actor_event_id UNIQUE (actor, event_id)
      )`);
    await q.query(`CREATE INDEX log_entry_leaf_hash ON log_entry (leaf_hash)`);
    await q.query(`CREATE INDEX log_entry_type_time ON log_entry (event_type, event_time)`);

    // Read model: every party an entry names (the actor included), i.e. who may read it, and each party's
    // history. Derived from the events (rebuilt by `rebuild`), so not one of the append-only log tables.
    await q.query(`
      CREATE TABLE log_entry_party (
        gln char(13) NOT NULL,
        idx bigint NOT NULL,
        PRIMARY KEY (gln, idx)
      )`);

    // Hashes at tree levels 8, 16, 24, ... (tile level >= 1): entry i of tile level L is the root of the
    // complete subtree of 256^L leaves starting at leaf i * 256^L. Level 0 is log_entry.leaf_hash.
    await q.query(`
      CREATE TABLE tree_hash (
        tile_level smallint NOT NULL CHECK (tile_level >= 1),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (tile_level, idx)
      )`);

    await q.query(`
      CREATE TABLE checkpoint (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);

    for (const table of ['log_entry', 'tree_hash', 'checkpoint']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION refuse_change()`);
      await q.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()`);
    }

    // Registry read model: rebuilt from the log by `rebuild`.
    await q.query(`
      CREATE TABLE party (
        gln char(13) PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('operator', 'manufacturer', 'distributor', 'dispenser', 'regulator')),
        address jsonb NOT NULL,
        registered_idx bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE party_key (
        key_id char(16) PRIMARY KEY,
        gln char(13) NOT NULL,
        public_key bytea NOT NULL UNIQUE CHECK (length(public_key) = 32),
        added_idx bigint NOT NULL,
        added_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_idx bigint
      )`);
    await q.query(`CREATE INDEX party_key_gln ON party_key (gln)`);

    // API tokens are credentials, not log facts: stored only as SHA-256 hashes, revocable.
    await q.query(`
      CREATE TABLE api_token (
        id uuid PRIMARY KEY,
        gln char(13) NOT NULL,
        token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
        label text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_token_gln ON api_token (gln)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE api_token, party_key, party, checkpoint, tree_hash, log_entry_party, log_entry, log_sequencer`,
    );
    await q.query(`DROP FUNCTION refuse_change()`);
  }
}
