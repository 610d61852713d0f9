/**
 * Passkeys in the pages (PROTOCOL §3.4), through @simplewebauthn/browser: the server's options in,
 * `navigator.credentials` called, the credential's JSON posted back for the server to verify.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { postJson } from './api';
import { csrfHeaders } from './session';

export interface SignedIn {
  person: { id: string; name: string; email: string; role: 'administrator' | 'staff' };
  party: { gln: string; name: string; role: string };
  csrfToken: string;
  expiresAt: string;
}

/** Signs in with any passkey of this site the browser holds (no email asked). */
export async function signInWithPasskey(): Promise<SignedIn> {
  const { ceremony, options } = await postJson<{
    ceremony: string;
    options: Parameters<typeof startAuthentication>[0]['optionsJSON'];
  }>('/app/session/passkey/options', {});
  const response = await startAuthentication({ optionsJSON: options });
  return postJson<SignedIn>('/app/session/passkey', { ceremony, response });
}

/** Registers a new passkey for the signed-in person. `csrfToken`: right after sign-in, before the cookie is read. */
export async function addPasskey(csrfToken?: string): Promise<void> {
  const headers = csrfToken ? { 'X-CSRF-Token': csrfToken } : csrfHeaders();
  const { ceremony, options } = await postJson<{
    ceremony: string;
    options: Parameters<typeof startRegistration>[0]['optionsJSON'];
  }>('/app/passkeys/options', {}, { headers });
  const response = await startRegistration({ optionsJSON: options });
  await postJson('/app/passkeys', { ceremony, response }, { headers });
}
