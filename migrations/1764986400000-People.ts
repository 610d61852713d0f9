import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People under a party (issue 13 §1): administrators and staff who sign in with a password (argon2id) or a passkey
 * (WebAuthn), their invitations, sessions and browsers' device keys. Credentials and sessions are not log facts: like
 * API tokens they are kept here only, secrets as hashes. A device key itself is a party key in the log (`key.add`);
 * `device` says which person's browser holds it. A verification made by a person names them.
 *
 * No foreign key to `party`: that table is a read model a rebuild empties and refills from the log.
 */
export class People1764986400000 implements MigrationInterface {
  name = 'People1764986400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE person (
        id uuid PRIMARY KEY,
        gln char(13) NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('administrator', 'staff')),
        password_hash text,
        created_at timestamptz NOT NULL DEFAULT now(),
        disabled_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX person_email_key ON person (lower(email))`);
    await q.query(`CREATE INDEX person_gln_idx ON person (gln)`);
    await q.query(`
      CREATE TABLE person_invitation (
        id uuid PRIMARY KEY,
        gln char(13) NOT NULL,
        email text NOT NULL,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('administrator', 'staff')),
        token_hash bytea NOT NULL UNIQUE,
        invited_by uuid REFERENCES person (id),
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        person_id uuid REFERENCES person (id)
      )`);
    await q.query(`CREATE INDEX person_invitation_gln_idx ON person_invitation (gln)`);
    await q.query(`
      CREATE TABLE passkey (
        credential_id text PRIMARY KEY,
        person_id uuid NOT NULL REFERENCES person (id),
        public_key bytea NOT NULL,
        counter bigint NOT NULL,
        transports text[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX passkey_person_idx ON passkey (person_id)`);
    await q.query(`
      CREATE TABLE webauthn_challenge (
        id_hash bytea PRIMARY KEY,
        challenge text NOT NULL,
        purpose text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
        person_id uuid REFERENCES person (id),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE person_session (
        id_hash bytea PRIMARY KEY,
        person_id uuid NOT NULL REFERENCES person (id),
        csrf_hash bytea NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX person_session_person_idx ON person_session (person_id)`);
    await q.query(`
      CREATE TABLE device (
        id uuid PRIMARY KEY,
        gln char(13) NOT NULL,
        person_id uuid REFERENCES person (id),
        token_id uuid,
        key_id text NOT NULL UNIQUE,
        label text NOT NULL,
        added_idx bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_idx bigint
      )`);
    await q.query(`CREATE INDEX device_gln_idx ON device (gln)`);
    await q.query(`ALTER TABLE verification ADD COLUMN person_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE verification DROP COLUMN person_id`);
    await q.query(`DROP TABLE device, person_session, webauthn_challenge, passkey, person_invitation, person`);
  }
}
