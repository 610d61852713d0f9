/**
 * Who uses the page. People sign in on /app/signin (password or passkey) into a session held by an HttpOnly cookie
 * (PROTOCOL §3.4); every page then finds it through GET /app/session. Machines and tests may still paste a party's
 * API token into the page's own sign-in form: it stays in sessionStorage (gone when the tab closes) and wins over the
 * cookie in that tab.
 */
import { ApiError, getJson } from './api';
import { byId, fill, h } from './dom';

export interface Session {
  /** A pasted API token, or null for a person's cookie session. */
  token: string | null;
  gln: string;
  role: string;
  name: string;
  /** The signed-in person (cookie session only). */
  person?: { id: string; name: string; role: 'administrator' | 'staff' };
}

export interface SessionOptions {
  /** sessionStorage key, one per page, so a pharmacist and a regulator can use two tabs. */
  storageKey: string;
  /** Roles this page serves, and how to name them in a refusal. */
  roles: string[];
  roleNames: string;
}

/** The CSRF token cookie of the session (readable by scripts; the session cookie itself is not). */
export const CSRF_COOKIE = 'rxledger_csrf';

/** The header a state-changing request made with the session cookie must carry (PROTOCOL §3.4); {} without one. */
export function csrfHeaders(): Record<string, string> {
  if (typeof document === 'undefined') return {};
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === CSRF_COOKIE) return { 'X-CSRF-Token': decodeURIComponent(value.join('=')) };
  }
  return {};
}

/** Whether this browser holds a session cookie (judged by its CSRF cookie, which scripts can read). */
export const hasSessionCookie = () => 'X-CSRF-Token' in csrfHeaders();

/** Where the sign-in page sends the person back to afterwards: this page. */
export function signInUrl(): string {
  return `/app/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
}

let current: Session | undefined;

/**
 * Resolves with a signed-in session: the tab's stored token if still valid, else the person's cookie session, else
 * after the token form succeeds (the form also links to the people's sign-in page).
 */
export async function startSession(options: SessionOptions): Promise<Session> {
  const stored = sessionStorage.getItem(options.storageKey);
  if (stored) {
    try {
      return shown(await check(stored, options), options);
    } catch {
      sessionStorage.removeItem(options.storageKey);
    }
  }
  // The session cookie is HttpOnly; its CSRF cookie, set and cleared with it, says whether there is one to try.
  if (hasSessionCookie()) {
    try {
      return shown(await check(null, options), options);
    } catch {
      // An ended session, or a person of a party this page does not serve: the form says more.
    }
  }
  return shown(await signInForm(options), options);
}

/** The signed-in person's session, or null (pages only for people: /app/people). */
export async function personSession(): Promise<Session | null> {
  if (!hasSessionCookie()) return null;
  try {
    const who = await getJson<Omit<Session, 'token'>>('/app/session');
    return who.person ? (current = { token: null, ...who }) : null;
  } catch {
    return null;
  }
}

function shown(session: Session, options: SessionOptions): Session {
  current = session;
  showWho(session, options);
  return session;
}

async function check(token: string | null, options: SessionOptions): Promise<Session> {
  const who = await getJson<Omit<Session, 'token'>>('/app/session', { token });
  if (!options.roles.includes(who.role)) {
    const whose = token ? 'this token belongs to' : 'you are signed in for';
    throw new ApiError(403, 'FORBIDDEN', `${whose} ${who.name}, a ${who.role}; this page is for ${options.roleNames}`);
  }
  return { token, ...who };
}

function signInForm(options: SessionOptions): Promise<Session> {
  const section = byId('signin');
  const form = byId<HTMLFormElement>('signin-form');
  const input = byId<HTMLInputElement>('signin-token');
  const error = byId('signin-error');
  const button = form.querySelector('button')!;
  if (!section.querySelector('.signin-people')) {
    section.insertBefore(
      h(
        'p',
        { class: 'signin-people' },
        'Staff of a pharmacy or another trading partner: ',
        h('a', { href: signInUrl() }, 'sign in with your account'),
        '. Systems and tests: paste an API token below.',
      ),
      form,
    );
  }
  section.hidden = false;
  input.focus();
  return new Promise((resolve) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      button.disabled = true;
      fill(error);
      try {
        const session = await check(token, options);
        sessionStorage.setItem(options.storageKey, token);
        input.value = '';
        section.hidden = true;
        resolve(session);
      } catch (e) {
        const message =
          e instanceof ApiError && e.status === 401
            ? 'This token is unknown or revoked. Ask your network operator for a new one.'
            : (e as Error).message;
        fill(error, message);
        input.select();
      } finally {
        button.disabled = false;
      }
    });
  });
}

/** A DELETE made with the session cookie (and its CSRF token); the coded error if refused. */
export async function deleteWithSession(path: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(path, { method: 'DELETE', headers: { Accept: 'application/json', ...csrfHeaders() } });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the server could not be reached: check the network connection');
  }
  if (response.ok) return;
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  throw new ApiError(response.status, body.error?.code ?? `HTTP_${response.status}`, body.error?.message ?? '');
}

/** Signs the person out (the server revokes the session) and goes to the sign-in page. */
export async function signOut(): Promise<void> {
  // An ended session is signed out already: the sign-in page either way.
  await deleteWithSession('/app/session').catch(() => undefined);
  location.assign('/app/signin');
}

function showWho(session: Session, options: SessionOptions): void {
  const who = byId('who');
  const signOutButton = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOutButton.addEventListener('click', () => {
    if (session.person) {
      void signOut();
      return;
    }
    sessionStorage.removeItem(options.storageKey);
    location.reload();
  });
  fill(
    who,
    ...(session.person
      ? [h('span', { class: 'who-name' }, session.person.name), h('a', { href: '/app/people' }, 'My devices')]
      : []),
    h('span', { class: session.person ? 'who-role' : 'who-name' }, session.name),
    h('span', { class: 'who-role' }, `${session.role} · GLN ${session.gln}`),
    signOutButton,
  );
  who.hidden = false;
}

/** Ends the session after the server refused it (revoked or expired while the page was open). */
export function expire(options: Pick<SessionOptions, 'storageKey'>): void {
  sessionStorage.removeItem(options.storageKey);
  if (current && !current.token) {
    location.assign(signInUrl());
    return;
  }
  location.reload();
}
