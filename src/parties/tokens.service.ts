import { HttpStatus, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Principal } from '../auth/principal';
import { AppError, NotFoundError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Secrets } from '../config/secrets';
import { TokenRow, TokensRepository } from './tokens.repository';

/** How long a looked-up token is trusted before it is looked up again (a revocation elsewhere takes this long). */
const CACHE_MS = 5_000;
/** Valid tokens remembered, least recently used dropped first. Unknown tokens are never cached. */
const CACHE_SIZE = 10_000;
/** Unknown tokens one client address may present per window before it is refused 429 for AUTH_BLOCK_S. */
export const AUTH_FAILURES_ALLOWED = 20;
const AUTH_WINDOW_S = 60;
const AUTH_BLOCK_S = 60;

export interface IssuedToken extends TokenRow {
  /** The token itself: shown once, never stored. */
  token: string;
}

/** API tokens: random, shown once, stored as SHA-256 hashes, revocable; plus the operator's configured token. */
@Injectable()
export class TokensService {
  private readonly operatorHash: Buffer;
  private readonly cache = new Map<string, { principal: Principal; until: number }>();
  /** Failed authentications per client address (rate-limiter-flexible's documented brute-force pattern). */
  private readonly failures = new RateLimiterMemory({
    points: AUTH_FAILURES_ALLOWED,
    duration: AUTH_WINDOW_S,
    blockDuration: AUTH_BLOCK_S,
  });

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

  /**
   * The principal a bearer token stands for, or null. `client` is the caller's address: after
   * AUTH_FAILURES_ALLOWED unknown tokens from it within a minute, it is refused (429) for a minute without a
   * database lookup, except for a token already known to be valid.
   */
  async authenticate(token: string, client: string): Promise<Principal | null> {
    const hash = sha256(token);
    if (timingSafeEqual(hash, this.operatorHash)) {
      return { kind: 'operator', gln: this.config.OPERATOR_GLN, role: 'operator' };
    }
    const key = hash.toString('hex');
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) {
      // Most recently used last: the least recently used token is the first dropped.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.principal;
    }
    const blocked = await this.failures.get(client);
    if (blocked && blocked.consumedPoints > AUTH_FAILURES_ALLOWED) throw tooManyFailures(blocked.msBeforeNext);
    const row = await this.tokens.findActive(hash);
    if (!row) {
      const counted = await this.failures.consume(client).catch((refused: RateLimiterRes) => refused);
      if (counted.consumedPoints > AUTH_FAILURES_ALLOWED) throw tooManyFailures(counted.msBeforeNext);
      return null;
    }
    const principal: Principal = { kind: 'party', gln: row.gln, role: row.role, tokenId: row.id };
    this.cache.delete(key);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { principal, until: Date.now() + CACHE_MS });
    return principal;
  }
}

/** 429 with the seconds to wait (the guard sends them as Retry-After). */
export class TooManyAuthFailuresError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      'TOO_MANY_AUTH_FAILURES',
      `too many unknown bearer tokens from this address; retry in ${retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
      { retryAfterSeconds },
    );
  }
}

function tooManyFailures(msBeforeNext: number): TooManyAuthFailuresError {
  return new TooManyAuthFailuresError(Math.max(1, Math.ceil(msBeforeNext / 1000)));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
