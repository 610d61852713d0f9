import { createHash, randomBytes } from 'node:crypto';

/** A random secret for a cookie, an invitation link or a ceremony id: 32 bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** How secrets are stored: SHA-256 (they are random, so a fast hash is enough; passwords use argon2id). */
export function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
