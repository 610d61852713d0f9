import type { Request } from 'express';
import { createHash, randomBytes } from 'node:crypto';

/** A random secret for a cookie, an invitation link or a ceremony id: 32 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** How secrets are stored: SHA-256 (they are random, so a fast hash is enough; passwords use argon2id). */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Whether the browser reached us over HTTPS: directly (`request.secure`) or through a TLS-terminating proxy that says
 * so (`X-Forwarded-Proto: https`). Trusting the header can only make cookies stricter (Secure) and a passkey's
 * expected origin `https:`, which a browser on plain HTTP could not have signed anyway.
 */
export function isHttps(request: Request): boolean {
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    .trim()
    .toLowerCase();
  return request.secure || forwarded === 'https';
}
