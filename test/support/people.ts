/**
 * People in tests (issue 13 §1): the operator bootstraps a party's administrator, invitations are accepted, and a
 * person's session (its cookie and CSRF token) is used as the pages use it.
 */
import type { Response } from 'supertest';
import { TestApp, TestParty } from './test-app';

export const PASSWORD = 'correct horse battery staple';

/** The cookies a response set, by name (an empty value: cleared). */
export function cookiesOf(response: Response): Record<string, { value: string; attributes: string }> {
  const header = response.headers['set-cookie'] as unknown as string[] | undefined;
  const cookies: Record<string, { value: string; attributes: string }> = {};
  for (const line of header ?? []) {
    const [pair, ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    cookies[pair.slice(0, at)] = { value: decodeURIComponent(pair.slice(at + 1)), attributes: attributes.join(';') };
  }
  return cookies;
}

/** A signed-in person: what a browser would send with the session cookie. */
export class PersonSession {
  constructor(
    readonly t: TestApp,
    readonly sessionId: string,
    readonly csrfToken: string,
    readonly person: { id: string; name: string; email: string; role: string },
  ) {}

  static fromResponse(t: TestApp, response: Response): PersonSession {
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`);
    }
    const cookies = cookiesOf(response);
    return new PersonSession(t, cookies.rxledger_session.value, response.body.csrfToken, response.body.person);
  }

  get cookie(): [string, string] {
    return ['Cookie', `rxledger_session=${this.sessionId}; rxledger_csrf=${this.csrfToken}`];
  }

  get(path: string) {
    return this.t.http.get(path).set(...this.cookie);
  }

  /** A state-changing request with the session's CSRF token, as the pages send it (`csrf: false`: without). */
  post(path: string, body: object = {}, { csrf = true } = {}) {
    const request = this.t.http.post(path).set(...this.cookie);
    return (csrf ? request.set('X-CSRF-Token', this.csrfToken) : request).send(body);
  }

  delete(path: string, { csrf = true } = {}) {
    const request = this.t.http.delete(path).set(...this.cookie);
    return csrf ? request.set('X-CSRF-Token', this.csrfToken) : request;
  }
}

let people = 0;
export const newEmail = (what = 'person') => `${what}.${process.pid}.${++people}@example.test`;

/** The operator invites the party's first administrator; answers the invitation (its `token` shown once). */
export async function inviteAdministrator(t: TestApp, party: TestParty, email = newEmail('admin'), name = 'Ada Admin') {
  const response = await t.http
    .post(`/v1/parties/${party.gln}/invitations`)
    .set('Authorization', `Bearer ${t.operatorToken}`)
    .send({ email, name });
  if (response.status !== 201) throw new Error(`invitation: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; email: string; role: string; token: string; link: string; expiresAt: string };
}

/** Accepts an invitation with a password and answers the new person's session. */
export async function acceptWithPassword(t: TestApp, token: string, password = PASSWORD): Promise<PersonSession> {
  return PersonSession.fromResponse(t, await t.http.post('/app/invitations/accept').send({ token, password }));
}

/** A party's administrator, bootstrapped by the operator and signed in. */
export async function newAdministrator(t: TestApp, party: TestParty): Promise<PersonSession> {
  return acceptWithPassword(t, (await inviteAdministrator(t, party)).token);
}

/** A staff member invited by `admin`, signed in. */
export async function newStaff(t: TestApp, admin: PersonSession, name = 'Sam Staff'): Promise<PersonSession> {
  const invited = await admin.post('/app/invitations', { email: newEmail('staff'), name, role: 'staff' });
  if (invited.status !== 201) throw new Error(`invitation: ${invited.status} ${JSON.stringify(invited.body)}`);
  return acceptWithPassword(t, invited.body.token);
}

export async function signIn(t: TestApp, email: string, password = PASSWORD) {
  return t.http.post('/app/session').send({ email, password });
}
