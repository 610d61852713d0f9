/**
 * /app/signin: people sign in with a password or a passkey, or accept an invitation (the link's `#invite=<token>`),
 * then go back to the page that sent them here (`?next=`), or to the scan page.
 */
import { ApiError, postJson } from '../common/api';
import { byId, fill } from '../common/dom';
import { addPasskey, SignedIn, signInWithPasskey } from '../common/passkeys';

function next(): string {
  const wanted = new URLSearchParams(location.search).get('next') ?? '';
  // Only a page of this site: never an open redirect.
  return /^\/app\/[a-z]/.test(wanted) && !wanted.startsWith('/app/signin') ? wanted : '/app/scan';
}

function done(signedIn: SignedIn): void {
  fill(byId('signin-status'), `Signed in as ${signedIn.person.name}`);
  location.assign(next());
}

function message(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'SIGN_IN_FAILED') return 'The email or the password is wrong, or this passkey has no account.';
    if (error.code === 'INVITATION_INVALID')
      return 'This invitation is used or expired. Ask your administrator for a new one.';
    return error.message;
  }
  const e = error as Error;
  if (e.name === 'NotAllowedError') return 'The passkey request was cancelled or timed out.';
  return e.message;
}

/** Runs `work` with the buttons of `form` disabled, showing its error in `errorBox`. */
async function busy(form: HTMLElement, errorBox: HTMLElement, work: () => Promise<void>): Promise<void> {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((b) => (b.disabled = true));
  fill(errorBox);
  try {
    await work();
  } catch (error) {
    fill(errorBox, message(error));
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

function signInPanel(): void {
  const form = byId<HTMLFormElement>('password-form');
  const error = byId('signin-error');
  const email = byId<HTMLInputElement>('signin-email');
  const password = byId<HTMLInputElement>('signin-password');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(form, error, async () => {
      const signedIn = await postJson<SignedIn>('/app/session', { email: email.value, password: password.value });
      password.value = '';
      done(signedIn);
    });
  });
  byId('passkey-signin').addEventListener('click', () => {
    void busy(form, error, async () => done(await signInWithPasskey()));
  });
  email.focus();
}

function invitePanel(token: string): void {
  byId('signin-panel').hidden = true;
  byId('invite-panel').hidden = false;
  // The token stays out of the history and of later Referer headers.
  history.replaceState(null, '', location.pathname + location.search);
  const form = byId<HTMLFormElement>('invite-form');
  const error = byId('invite-error');
  const password = byId<HTMLInputElement>('invite-password');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(form, error, async () => {
      if (password.value.length < 12) throw new Error('Choose a password of at least 12 characters.');
      done(await postJson<SignedIn>('/app/invitations/accept', { token, password: password.value }));
    });
  });
  byId('invite-with-passkey').addEventListener('click', () => {
    void busy(form, error, async () => {
      const signedIn = await postJson<SignedIn>('/app/invitations/accept', { token });
      try {
        await addPasskey(signedIn.csrfToken);
      } catch (error) {
        // The account exists and is signed in: the passkey can be added again from the people page.
        fill(byId('signin-status'), `Your account was created, but no passkey was saved: ${message(error)}`);
        location.assign('/app/people');
        return;
      }
      done(signedIn);
    });
  });
  password.focus();
}

const invite = /^#invite=([A-Za-z0-9_-]+)$/.exec(location.hash);
if (invite) invitePanel(invite[1]);
else signInPanel();
