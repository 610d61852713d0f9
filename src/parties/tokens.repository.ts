import { Injectable } from '@nestjs/common';
import { Database } from '../database/database';
import { PartyRole } from '../protocol/registry';

export interface TokenRow {
  id: string;
  gln: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const TOKEN_COLUMNS = 'id, gln, label, created_at AS "createdAt", revoked_at AS "revokedAt"';

/** SQL on API tokens (stored only as SHA-256 hashes). */
@Injectable()
export class TokensRepository {
  constructor(private readonly db: Database) {}

  async insert(id: string, gln: string, tokenHash: Buffer, label: string): Promise<TokenRow> {
    const [row] = await this.db.query<TokenRow>(
      `INSERT INTO api_token (id, gln, token_hash, label) VALUES ($1, $2, $3, $4)
       RETURNING ${TOKEN_COLUMNS}`,
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
    return this.db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM api_token WHERE gln = $1 ORDER BY created_at`, [gln]);
  }

  async revoke(gln: string, id: string): Promise<TokenRow | undefined> {
    const [row] = await this.db.query<TokenRow>(
      `UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE gln = $1 AND id = $2
       RETURNING ${TOKEN_COLUMNS}`,
      [gln, id],
    );
    return row;
  }
}
