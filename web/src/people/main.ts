/**
 * /app/people: a signed-in person registers this browser's signing key and adds passkeys; an administrator also sees
 * the party's people (with how many verifications each made), invites people and revokes devices (PROTOCOL §3.4).
 */
import { ApiError, getJson, postJson } from '../common/api';
import { deviceKey, forgetDeviceKey, registerDeviceKey } from '../common/device-key';
import { byId, fill, h } from '../common/dom';
import { formatDateTime } from '../common/format';
import { addPasskey } from '../common/passkeys';
import { csrfHeaders, deleteWithSession, personSession, Session, signInUrl, signOut } from '../common/session';

interface Person {
  id: string;
  name: string;
  email: string;
  role: string;
  hasPassword: boolean;
  passkeys: number;
  verifications: number;
  lastVerificationAt: string | null;
}

interface Invitation {
  id: string;
  email: string;
  name: string;
  role: string;
  expiresAt: string;
}

interface Device {
  id: string;
  personId: string | null;
  personName: string | null;
  keyId: string;
  label: string;
  addedIndex: number;
  revokedAt: string | null;
  revokedIndex: number | null;
}

async function main(): Promise<void> {
  const session = await personSession();
  if (!session) {
    byId<HTMLAnchorElement>('signin-link').href = signInUrl();
    byId('signed-out').hidden = false;
    return;
  }
  showWho(session);
  byId('workspace').hidden = false;
  const isAdministrator = session.person!.role === 'administrator';
  await Promise.all([showDeviceState(), refreshDevices(session), isAdministrator ? refreshPeople() : undefined]);
  byId('people-panel').hidden = !isAdministrator;

  const meResult = byId('me-result');
  const meError = byId('me-error');
  byId('register-device').addEventListener('click', () =>
    act(meError, async () => {
      const label = `${session.person!.name}'s browser`;
      const info = await registerDeviceKey(label);
      fill(meResult, `This browser now signs as device ${info.keyId}.`);
      await Promise.all([showDeviceState(), refreshDevices(session)]);
    }),
  );
  byId('add-passkey').addEventListener('click', () =>
    act(meError, async () => {
      await addPasskey();
      fill(meResult, 'Passkey added: you can sign in with it from now on.');
      if (isAdministrator) await refreshPeople();
    }),
  );
  if (isAdministrator) inviteForm();
}

function showWho(session: Session): void {
  const signOutButton = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  signOutButton.addEventListener('click', () => void signOut());
  fill(
    byId('who'),
    h('span', { class: 'who-name' }, session.person!.name),
    h('span', { class: 'who-role' }, `${session.person!.role} · ${session.name}`),
    signOutButton,
  );
  byId('who').hidden = false;
}

async function act(errorBox: HTMLElement, work: () => Promise<void>): Promise<void> {
  fill(errorBox);
  try {
    await work();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      location.assign(signInUrl());
      return;
    }
    fill(errorBox, (error as Error).message);
  }
}

async function showDeviceState(): Promise<void> {
  const key = await deviceKey().catch(() => null);
  fill(
    byId('device-state'),
    key ? `This browser signs with device key ${key.keyId} (${key.label}).` : 'This browser has no signing key yet.',
  );
  // One key per browser: another is registered only after this one is revoked (and forgotten).
  byId<HTMLButtonElement>('register-device').disabled = key !== null;
}

async function refreshPeople(): Promise<void> {
  const { people, invitations } = await getJson<{ people: Person[]; invitations: Invitation[] }>('/app/directory');
  fill(
    byId('people-table').querySelector('tbody')!,
    ...people.map((p) =>
      h(
        'tr',
        { 'data-person': p.id },
        h('td', null, p.name),
        h('td', null, p.email),
        h('td', null, p.role),
        h(
          'td',
          null,
          [p.hasPassword ? 'password' : '', p.passkeys ? `${p.passkeys} passkey${p.passkeys > 1 ? 's' : ''}` : '']
            .filter(Boolean)
            .join(', ') || '—',
        ),
        h(
          'td',
          { class: 'person-verifications' },
          p.lastVerificationAt
            ? `${p.verifications}, last ${formatDateTime(p.lastVerificationAt)}`
            : String(p.verifications),
        ),
      ),
    ),
  );
  fill(
    byId('invitations'),
    ...(invitations.length === 0
      ? [h('li', { class: 'muted' }, 'None.')]
      : invitations.map((i) =>
          h('li', null, `${i.name} <${i.email}>, ${i.role}, until ${formatDateTime(i.expiresAt)}`),
        )),
  );
}

function inviteForm(): void {
  const form = byId<HTMLFormElement>('invite-form');
  const result = byId('invite-result');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(byId('invite-error'), async () => {
      const invitation = await postJson<{ link: string; email: string }>(
        '/app/invitations',
        {
          name: byId<HTMLInputElement>('invite-name').value,
          email: byId<HTMLInputElement>('invite-email').value,
          role: byId<HTMLSelectElement>('invite-role').value,
        },
        { headers: csrfHeaders() },
      );
      const link = new URL(invitation.link, location.origin).href;
      fill(
        result,
        `Send this link to ${invitation.email} (it works once, for 7 days; it is not shown again): `,
        h('code', { id: 'invite-link' }, link),
      );
      form.reset();
      await refreshPeople();
    });
  });
}

async function refreshDevices(session: Session): Promise<void> {
  const devices = await getJson<Device[]>('/app/devices');
  let mine = await deviceKey().catch(() => null);
  const own = mine && devices.find((d) => d.keyId === mine!.keyId);
  if (mine && (!own || own.revokedAt !== null || mine.gln !== session.gln)) {
    // Revoked (perhaps from another browser), or another party's: useless here, so forgotten.
    await forgetDeviceKey();
    mine = null;
    await showDeviceState();
  }
  const mayRevoke = (d: Device) =>
    d.revokedAt === null && (session.person!.role === 'administrator' || d.personId === session.person!.id);
  fill(
    byId('devices-table').querySelector('tbody')!,
    ...devices.map((d) => {
      const revoke = h('button', { type: 'button', class: 'secondary', 'aria-label': `Revoke ${d.label}` }, 'Revoke');
      revoke.addEventListener('click', () =>
        act(byId('devices-error'), async () => {
          if (!confirm(`Revoke ${d.label}? Events it signs from now on will be refused.`)) return;
          await deleteWithSession(`/app/devices/${d.id}`);
          if (mine?.keyId === d.keyId) await forgetDeviceKey();
          await Promise.all([showDeviceState(), refreshDevices(session)]);
        }),
      );
      return h(
        'tr',
        { 'data-device': d.id },
        h('td', null, d.label, mine?.keyId === d.keyId ? ' (this browser)' : ''),
        h('td', null, d.personName ?? 'API token'),
        h('td', null, h('code', null, d.keyId)),
        h('td', null, String(d.addedIndex)),
        h('td', { class: 'device-status' }, d.revokedAt ? `revoked (log entry ${d.revokedIndex})` : 'active'),
        h('td', null, mayRevoke(d) ? revoke : ''),
      );
    }),
  );
}

void main();
