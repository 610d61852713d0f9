import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { PartyRole } from '../protocol/registry';

export interface TokenRow {
  id: string;
  gln: string;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** SQL on API tokens (stored only as SHA-256 hashes). */
@Injectable()
export class TokensRepository {
  constructor(private readonly db: Database) {}

  async insert(id: string, gln: string, tokenHash: Buffer, label: string): Promise<TokenRow> {
    const [row] = await this.db.query<TokenRow>(
      `INSERT INTO api_token (id, gln, token_hash, label) VALUES ($1, $2, $3, $4)
       RETURNING id, gln, label, created_at, revoked_at`,
      [id, gln, tokenHash, label],
    );
    return row;
  }

  /** The live token with this hash and its party's role. */
  async findActive(tokenHash: Buffer): Promise<{ id: string; gln: string; role: PartyRole } | undefined> {
    const [row] = await this.db.query<{ id: string; gln: string; role: PartyRole }>(
      `SELECT t.id, t.gln, p.role FROM api_token t JOIN party p ON p.gln = t.gln
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL`,
      [tokenHash],
    );
    return row;
  }

  async list(gln: string): Promise<TokenRow[]> {
    return this.db.query<TokenRow>(
      'SELECT id, gln, label, created_at, revoked_at FROM api_token WHERE gln = $1 ORDER BY created_at',
      [gln],
    );
  }

  async revoke(gln: string, id: string): Promise<TokenRow | undefined> {
    const [row] = await this.db.query<TokenRow>(
      `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE gln = $1 AND id = $2
       RETURNING id, gln, label, created_at, revoked_at`,
      [gln, id],
    );
    return row;
  }
}
