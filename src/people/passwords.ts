import { hash, verify } from '@node-rs/argon2';

/**
 * Passwords, hashed with argon2id (the library's default: m = 19 MiB, t = 2, p = 1, OWASP's first recommendation).
 * `check` on an unknown person still runs one verification (against a hash of nothing), so a wrong email costs as
 * long as a wrong password and sign-in tells no one who has an account.
 */
export const hashPassword = (password: string): Promise<string> => hash(password);

let decoy: Promise<string> | undefined;

export async function checkPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    decoy ??= hash('no such person');
    await verify(await decoy, password);
    return false;
  }
  return verify(stored, password);
}
