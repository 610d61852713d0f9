import { Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Principal } from '../auth/principal';
import { NotFoundError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Secrets } from '../config/secrets';
import { TokenRow, TokensRepository } from './tokens.repository';

/** How long a looked-up token is trusted before it is looked up again (a revocation elsewhere takes this long). */
const CACHE_MS = 5_000;
const CACHE_SIZE = 10_000;

export interface IssuedToken extends TokenRow {
  /** The token itself: shown once, never stored. */
  token: string;
}

/** API tokens: random, shown once, stored as SHA-256 hashes, revocable; plus the operator's configured token. */
@Injectable()
export class TokensService {
  private readonly operatorHash: Buffer;
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly config: AppConfig,
    secrets: Secrets,
    private readonly tokens: TokensRepository,
  ) {
    this.operatorHash = sha256(secrets.operatorToken);
  }

  async issue(gln: string, label = ''): Promise<IssuedToken> {
    const token = `rxl_${randomBytes(32).toString('base64url')}`;
    const row = await this.tokens.insert(randomUUID(), gln, sha256(token), label);
    return { ...row, token };
  }

  list(gln: string): Promise<TokenRow[]> {
    return this.tokens.list(gln);
  }

  async revoke(gln: string, id: string): Promise<TokenRow> {
    const row = await this.tokens.revoke(gln, id);
    if (!row) throw new NotFoundError(`party ${gln} has no token ${id}`, 'TOKEN_NOT_FOUND');
    this.cache.clear();
    return row;
  }

  /** The principal a bearer token stands for, or null. */
  async authenticate(token: string): Promise<Principal | null> {
    const hash = sha256(token);
    if (timingSafeEqual(hash, this.operatorHash)) {
      return { kind: 'operator', gln: this.config.OPERATOR_GLN, role: 'operator' };
    }
    const key = hash.toString('hex');
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.principal;
    const row = await this.tokens.findActive(hash);
    const principal: Principal | null = row ? { kind: 'party', gln: row.gln, role: row.role, tokenId: row.id } : null;
    if (this.cache.size >= CACHE_SIZE) this.cache.clear();
    this.cache.set(key, { principal, until: Date.now() + CACHE_MS });
    return principal;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
