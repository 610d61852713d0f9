import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthError } from '../common/app-error';
import { PartyRole } from '../protocol/registry';
import { TokensService, TooManyAuthFailuresError } from '../parties/tokens.service';
import { SessionsService } from '../people/sessions.service';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { Principal } from './principal';

/**
 * Every route needs a credential unless marked `@Public()`: a bearer token (the operator's configured token, or a
 * party's API token: machines) or, without one, a person's session cookie (SessionsService: expiry, and the CSRF
 * token on every state-changing request; PROTOCOL §3.4). `@Auth(...roles)` narrows who may call (party roles). 401 for a missing or unknown token, 403 for a wrong role, 429 for a
 * client address that presented too many unknown tokens (TokensService.authenticate).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokensService,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const token = bearerToken(request.headers.authorization);
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets);
    if (isPublic) {
      // Public routes still learn who calls when a token is given (e.g. to show more to a regulator).
      if (token) request.principal = (await this.authenticate(token, request)) ?? undefined;
      // A session that has ended or lacks its CSRF token only makes the caller anonymous here.
      else request.principal = await this.sessions.authenticate(request).catch(() => undefined);
      return true;
    }
    const principal = token ? await this.authenticate(token, request) : await this.sessions.authenticate(request);
    if (!principal) {
      throw AuthError.unauthenticated(
        token
          ? 'the bearer token is unknown or revoked'
          : 'an Authorization: Bearer <token> header (machines) or a session cookie (people: sign in) is required',
      );
    }
    const roles = this.reflector.getAllAndOverride<PartyRole[]>(ROLES_KEY, targets) ?? [];
    if (roles.length > 0 && !roles.includes(principal.role)) {
      throw AuthError.forbidden(`this needs the role ${roles.join(' or ')}; the caller is a ${principal.role}`);
    }
    request.principal = principal;
    return true;
  }

  /** Failed authentications are counted per client address (`request.ip`: see Express's `trust proxy`). */
  private async authenticate(token: string, request: Request): Promise<Principal | null> {
    try {
      return await this.tokens.authenticate(token, request.ip ?? request.socket.remoteAddress ?? 'unknown');
    } catch (error) {
      if (error instanceof TooManyAuthFailuresError) {
        request.res?.setHeader('Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
