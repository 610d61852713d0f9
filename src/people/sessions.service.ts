import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { Principal } from '../auth/principal';
import { AuthError } from '../common/app-error';
import { PeopleClock } from './people-clock';
import { PeopleError } from './people.errors';
import { PeopleRepository } from './people.repository';
import { isHttps, newSecret, secretHash } from './secrets';

/** The session cookie: an opaque random id, HttpOnly; the server keeps only its hash. */
export const SESSION_COOKIE = 'rxledger_session';
/** The session's CSRF token, readable by the pages' scripts, which send it back as the X-CSRF-Token header. */
export const CSRF_COOKIE = 'rxledger_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** A session ends this long after its last request… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and at the latest this long after sign-in. */
export const SESSION_ABSOLUTE_MS = 12 * 3600_000;
/** `last_seen_at` is written at most this often per session (idle expiry is judged to within it). */
const TOUCH_EVERY_MS = 60_000;

/** Ended sessions are deleted this long after they ended. */
const SWEEP_AFTER_MS = 24 * 3600_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface StartedSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * People's sessions (docs/PROTOCOL.md §3.4): a cookie holding a random id (stored hashed), an idle and an absolute
 * expiry, revoked at sign-out; every state-changing request made with it must carry the session's CSRF token in a
 * header (a synchronizer token: a page of another origin can make the browser send the cookie, not read the token).
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly people: PeopleRepository,
    private readonly clock: PeopleClock,
  ) {}

  async start(personId: string): Promise<StartedSession> {
    const sessionId = newSecret();
    const csrfToken = newSecret();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_MS);
    await this.people.insertSession({
      idHash: secretHash(sessionId),
      personId,
      csrfHash: secretHash(csrfToken),
      now,
      expiresAt,
    });
    // Each sign-in forgets the sessions that ended over a day ago (a day: "expired" answers stay meaningful a while).
    await this.people.sweepSessions(new Date(now.getTime() - SWEEP_AFTER_MS));
    return { sessionId, csrfToken, expiresAt };
  }

  /** Sets both cookies on the answer: Secure when the request came over HTTPS (`isHttps`). */
  setCookies(request: Request, response: Response, session: StartedSession): void {
    const common = { sameSite: 'strict' as const, secure: isHttps(request), path: '/', expires: session.expiresAt };
    response.cookie(SESSION_COOKIE, session.sessionId, { ...common, httpOnly: true });
    response.cookie(CSRF_COOKIE, session.csrfToken, { ...common, httpOnly: false });
  }

  clearCookies(request: Request, response: Response): void {
    const common = { sameSite: 'strict' as const, secure: isHttps(request), path: '/' };
    response.clearCookie(SESSION_COOKIE, { ...common, httpOnly: true });
    response.clearCookie(CSRF_COOKIE, common);
  }

  /**
   * The principal of the request's session cookie, or undefined when it carries none. Refuses a session that ended
   * (401 UNAUTHENTICATED), expired (401 SESSION_EXPIRED) or, for a state-changing method, a missing or wrong CSRF
   * token (403 CSRF_TOKEN_INVALID).
   */
  async authenticate(request: Request): Promise<Principal | undefined> {
    const sessionId = sessionCookie(request);
    if (!sessionId) return undefined;
    const idHash = secretHash(sessionId);
    const row = await this.people.session(idHash);
    if (!row || row.revokedAt !== null || row.partyRole === null) {
      throw AuthError.unauthenticated('this session has ended (signed out, or unknown): sign in again');
    }
    const now = this.clock.now();
    if (now >= row.expiresAt) {
      throw new PeopleError('SESSION_EXPIRED', 'this session reached its maximum length: sign in again', {
        reason: 'absolute',
      });
    }
    if (now.getTime() - row.lastSeenAt.getTime() >= SESSION_IDLE_MS) {
      throw new PeopleError('SESSION_EXPIRED', 'this session was idle too long: sign in again', { reason: 'idle' });
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !timingSafeEqual(secretHash(sent), row.csrfHash)) {
        throw new PeopleError(
          'CSRF_TOKEN_INVALID',
          `a ${request.method} made with the session cookie needs the session's CSRF token in the X-CSRF-Token header`,
        );
      }
    }
    if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await this.people.touchSession(idHash, now);
    return {
      kind: 'party',
      gln: row.gln,
      role: row.partyRole,
      person: { id: row.personId, name: row.name, role: row.personRole },
    };
  }

  /** Ends the request's session (sign-out); nothing to do without one. */
  async end(request: Request): Promise<void> {
    const sessionId = sessionCookie(request);
    if (sessionId) await this.people.revokeSession(secretHash(sessionId), this.clock.now());
  }
}

/** The session id from the Cookie header (no cookie parser needed for one name). */
export function sessionCookie(request: Request): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim() || undefined;
  }
  return undefined;
}
