/**
 * Sign-in with a party's API token (issued by the network operator). The token stays in sessionStorage: it is
 * gone when the tab closes, and other sites cannot read it.
 */
import { ApiError, getJson } from './api';
import { byId, fill, h } from './dom';

export interface Session {
  token: string;
  gln: string;
  role: string;
  name: string;
}

export interface SessionOptions {
  /** sessionStorage key, one per page, so a pharmacist and a regulator can use two tabs. */
  storageKey: string;
  /** Roles this page serves, and how to name them in a refusal. */
  roles: string[];
  roleNames: string;
}

/** Resolves with a signed-in session: the stored one if still valid, or after the sign-in form succeeds. */
export async function startSession(options: SessionOptions): Promise<Session> {
  const stored = sessionStorage.getItem(options.storageKey);
  if (stored) {
    try {
      const session = await check(stored, options);
      showWho(session, options);
      return session;
    } catch {
      sessionStorage.removeItem(options.storageKey);
    }
  }
  const session = await signInForm(options);
  showWho(session, options);
  return session;
}

async function check(token: string, options: SessionOptions): Promise<Session> {
  const who = await getJson<{ gln: string; role: string; name: string }>('/app/session', { token });
  if (!options.roles.includes(who.role)) {
    throw new ApiError(
      403,
      'FORBIDDEN',
      `this token belongs to ${who.name}, a ${who.role}; this page is for ${options.roleNames}`,
    );
  }
  return { token, ...who };
}

function signInForm(options: SessionOptions): Promise<Session> {
  const section = byId('signin');
  const form = byId<HTMLFormElement>('signin-form');
  const input = byId<HTMLInputElement>('signin-token');
  const error = byId('signin-error');
  const button = form.querySelector('button')!;
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

function showWho(session: Session, options: SessionOptions): void {
  const who = byId('who');
  const signOut = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOut.addEventListener('click', () => {
    sessionStorage.removeItem(options.storageKey);
    location.reload();
  });
  fill(
    who,
    h('span', { class: 'who-name' }, session.name),
    h('span', { class: 'who-role' }, `${session.role} · GLN ${session.gln}`),
    signOut,
  );
  who.hidden = false;
}

/** Ends the session after the server refused the token (revoked while the page was open). */
export function expire(options: Pick<SessionOptions, 'storageKey'>): void {
  sessionStorage.removeItem(options.storageKey);
  location.reload();
}
