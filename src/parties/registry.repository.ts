import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database';
import { KeyRecord, PartyRecord, PartyRole, PostalAddress } from '../protocol/registry';

interface PartyRow {
  gln: string;
  name: string;
  role: PartyRole;
  address: PostalAddress;
  registered_idx: number;
}

interface KeyRow {
  key_id: string;
  gln: string;
  public_key: Buffer;
  added_idx: number;
  added_at: Date;
  revoked_at: Date | null;
  revoked_idx: number | null;
}

const toParty = (r: PartyRow): PartyRecord => ({
  gln: r.gln,
  name: r.name,
  role: r.role,
  address: r.address,
  registeredIndex: r.registered_idx,
});

const toKey = (r: KeyRow): KeyRecord => ({
  keyId: r.key_id,
  gln: r.gln,
  publicKey: new Uint8Array(r.public_key),
  addedIndex: r.added_idx,
  addedAtMs: r.added_at.getTime(),
  revokedAtMs: r.revoked_at?.getTime() ?? null,
  revokedIndex: r.revoked_idx,
});

const bytes = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

/** SQL on the registry read model (parties and their keys), which intake writes and `rebuild` recreates. */
@Injectable()
export class RegistryRepository {
  constructor(private readonly db: Database) {}

  async parties(sql: Sql, glns: string[]): Promise<PartyRecord[]> {
    if (glns.length === 0) return [];
    return (await sql.query<PartyRow>('SELECT * FROM party WHERE gln = ANY($1)', [glns])).map(toParty);
  }

  async keys(sql: Sql, keyIds: string[]): Promise<KeyRecord[]> {
    if (keyIds.length === 0) return [];
    return (await sql.query<KeyRow>('SELECT * FROM party_key WHERE key_id = ANY($1)', [keyIds])).map(toKey);
  }

  async hasAnyParty(sql: Sql = this.db): Promise<boolean> {
    return (await sql.query('SELECT 1 FROM party LIMIT 1')).length > 0;
  }

  async saveParties(sql: Sql, parties: PartyRecord[]): Promise<void> {
    if (parties.length === 0) return;
    await sql.query(
      `INSERT INTO party (gln, name, role, address, registered_idx)
       SELECT gln, name, role, address, registered_idx
         FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::bigint[])
              AS t(gln, name, role, address, registered_idx)
       ON CONFLICT (gln) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role, address = EXCLUDED.address`,
      [
        parties.map((p) => p.gln),
        parties.map((p) => p.name),
        parties.map((p) => p.role),
        parties.map((p) => JSON.stringify(p.address)),
        parties.map((p) => p.registeredIndex),
      ],
    );
  }

  async saveKeys(sql: Sql, keys: KeyRecord[]): Promise<void> {
    if (keys.length === 0) return;
    await sql.query(
      `INSERT INTO party_key (key_id, gln, public_key, added_idx, added_at, revoked_at, revoked_idx)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::timestamptz[],
                            $6::timestamptz[], $7::bigint[])
       ON CONFLICT (key_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, revoked_idx = EXCLUDED.revoked_idx`,
      [
        keys.map((k) => k.keyId),
        keys.map((k) => k.gln),
        keys.map((k) => bytes(k.publicKey)),
        keys.map((k) => k.addedIndex),
        keys.map((k) => new Date(k.addedAtMs)),
        keys.map((k) => (k.revokedAtMs === null ? null : new Date(k.revokedAtMs))),
        keys.map((k) => k.revokedIndex),
      ],
    );
  }

  async publicKeys(keyIds: string[]): Promise<Map<string, Uint8Array>> {
    const keys = await this.keys(this.db, keyIds);
    return new Map(keys.map((k) => [k.keyId, k.publicKey]));
  }

  async party(gln: string): Promise<PartyRecord | undefined> {
    return (await this.parties(this.db, [gln]))[0];
  }

  async key(keyId: string): Promise<KeyRecord | undefined> {
    return (await this.keys(this.db, [keyId]))[0];
  }

  async keysOf(gln: string): Promise<KeyRecord[]> {
    return (
      await this.db.query<KeyRow>('SELECT * FROM party_key WHERE gln = $1 ORDER BY added_idx, key_id', [gln])
    ).map(toKey);
  }

  async list(role?: PartyRole): Promise<PartyRecord[]> {
    const rows = role
      ? await this.db.query<PartyRow>('SELECT * FROM party WHERE role = $1 ORDER BY gln', [role])
      : await this.db.query<PartyRow>('SELECT * FROM party ORDER BY gln');
    return rows.map(toParty);
  }
}
