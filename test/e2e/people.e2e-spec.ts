/**
 * Issue 13 §1, people instead of pasted tokens, over HTTP: the operator bootstraps a party's administrator, who
 * invites staff; invitations are single-use and expire; password sign-in answers alike for a wrong password and an
 * unknown email; sessions expire (idle and absolute, the clock driven through PeopleClock, no sleeps) and end at
 * sign-out; every state change made with the cookie needs the session's CSRF token; a browser's device key is a
 * party key added and revoked in the log, naming device and person, and a revoked device's events are refused; one
 * party's people never see or act for another party. PROTOCOL.md §3.4.
 */
import { bytesToBase64 } from '../../src/bytes';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS } from '../../src/people/sessions.service';
import { INVITATION_MS, SIGN_IN_FAILURES_ALLOWED } from '../../src/people/people.service';
import { PeopleClock } from '../../src/people/people-clock';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf } from '../../src/signing/event-signing';
import {
  acceptWithPassword,
  cookiesOf,
  inviteAdministrator,
  newAdministrator,
  newEmail,
  newStaff,
  PASSWORD,
  PersonSession,
  signIn,
} from '../support/people';
import {
  accept,
  connectDb,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

describe('people: invitations, sessions, CSRF, device keys, isolation', () => {
  let t: TestApp;
  let clock: PeopleClock;
  let pharmacy: TestParty;
  let other: TestParty;
  let m: TestManufacturer;
  let gtin: string;

  beforeAll(async () => {
    t = await createTestApp();
    clock = t.app.get(PeopleClock);
    ({ pharmacy, manufacturer: m } = await newTradingPartners(t));
    other = await newParty(t, 'dispenser', 'Other Pharmacy');
    gtin = await registerProduct(t, m);
    const serials = ['P1', 'P2', 'P3', 'O1'];
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '291231', serials });
    await accept(t, m, 'ship', {
      shipmentId: 'S-P',
      recipient: pharmacy.gln,
      items: units(gtin, ['P1', 'P2', 'P3']),
      transaction,
    });
    await accept(t, pharmacy, 'receive', { shipper: m.gln, shipmentId: 'S-P', items: units(gtin, ['P1', 'P2', 'P3']) });
  });
  afterAll(() => t.close());

  describe('bootstrap and invitations', () => {
    it("the operator invites a party's first administrator; a party's token may not", async () => {
      const invitation = await inviteAdministrator(t, pharmacy);
      expect(invitation).toMatchObject({ role: 'administrator', link: `/app/signin#invite=${invitation.token}` });
      const refused = await t.http
        .post(`/v1/parties/${pharmacy.gln}/invitations`)
        .set(...pharmacy.auth)
        .send({ email: newEmail(), name: 'X' });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'FORBIDDEN']);
    });

    it('accepting signs the person in with an HttpOnly, SameSite=Strict cookie; the invitation is single-use', async () => {
      const invitation = await inviteAdministrator(t, pharmacy);
      const accepted = await t.http
        .post('/app/invitations/accept')
        .send({ token: invitation.token, password: PASSWORD });
      expect(accepted.status).toBe(201);
      const cookies = cookiesOf(accepted);
      expect(cookies.rxledger_session.attributes).toMatch(/HttpOnly/i);
      expect(cookies.rxledger_session.attributes).toMatch(/SameSite=Strict/i);
      expect(cookies.rxledger_csrf.attributes).not.toMatch(/HttpOnly/i);
      // Plain HTTP here: not Secure (a browser would drop a Secure cookie); through a TLS proxy, Secure.
      expect(cookies.rxledger_session.attributes).not.toMatch(/Secure/i);
      const behindTls = await t.http
        .post('/app/session')
        .set('X-Forwarded-Proto', 'https')
        .send({ email: invitation.email, password: PASSWORD });
      expect(cookiesOf(behindTls).rxledger_session.attributes).toMatch(/Secure/i);
      expect(cookiesOf(behindTls).rxledger_csrf.attributes).toMatch(/Secure/i);
      const admin = PersonSession.fromResponse(t, accepted);
      const session = await admin.get('/app/session');
      expect(session.body).toMatchObject({ gln: pharmacy.gln, role: 'dispenser', person: { role: 'administrator' } });
      const again = await t.http.post('/app/invitations/accept').send({ token: invitation.token, password: PASSWORD });
      expect([again.status, again.body.error.code]).toEqual([410, 'INVITATION_INVALID']);
    });

    it('an administrator invites staff; staff may not invite or list people (ROLE_REQUIRED)', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const staff = await newStaff(t, admin);
      expect(staff.person.role).toBe('staff');
      const invite = await staff.post('/app/invitations', { email: newEmail(), name: 'Y' });
      expect([invite.status, invite.body.error.code]).toEqual([403, 'ROLE_REQUIRED']);
      const directory = await staff.get('/app/directory');
      expect([directory.status, directory.body.error.code]).toEqual([403, 'ROLE_REQUIRED']);
      const listed = await admin.get('/app/directory');
      expect(listed.body.people.map((p: { id: string }) => p.id)).toEqual(
        expect.arrayContaining([admin.person.id, staff.person.id]),
      );
      // An API token is a machine, not an administrator.
      const machine = await t.http.get('/app/directory').set(...pharmacy.auth);
      expect([machine.status, machine.body.error.code]).toEqual([403, 'ROLE_REQUIRED']);
    });

    it('an invitation expires after a week', async () => {
      const invitation = await inviteAdministrator(t, pharmacy);
      clock.advance(INVITATION_MS + 1000);
      const late = await t.http.post('/app/invitations/accept').send({ token: invitation.token, password: PASSWORD });
      expect([late.status, late.body.error.code]).toEqual([410, 'INVITATION_INVALID']);
    });
  });

  describe('password sign-in', () => {
    it('signs in with the right password; a wrong password and an unknown email answer alike', async () => {
      const invitation = await inviteAdministrator(t, pharmacy);
      await acceptWithPassword(t, invitation.token);
      const good = await signIn(t, invitation.email);
      expect(good.status).toBe(200);
      expect(good.body).toMatchObject({ person: { email: invitation.email }, party: { gln: pharmacy.gln } });
      expect(cookiesOf(good).rxledger_session.value).toHaveLength(43);
      const wrong = await signIn(t, invitation.email, 'not the password at all');
      const unknown = await signIn(t, newEmail('nobody'), 'not the password at all');
      expect([wrong.status, wrong.body]).toEqual([401, unknown.body]);
      expect(wrong.body.error.code).toBe('SIGN_IN_FAILED');
      expect(cookiesOf(wrong)).toEqual({});
    });

    it('after 10 wrong passwords for an email, even the right one is refused for a while (429, Retry-After)', async () => {
      const invitation = await inviteAdministrator(t, pharmacy);
      await acceptWithPassword(t, invitation.token);
      for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED; i++) {
        expect((await signIn(t, invitation.email.toUpperCase(), `wrong ${i}`)).status).toBe(401);
      }
      const blocked = await signIn(t, invitation.email);
      expect([blocked.status, blocked.body.error.code]).toEqual([429, 'TOO_MANY_AUTH_FAILURES']);
      expect(blocked.body.error.message).toMatch(/failed sign-ins/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('the password is stored as an argon2id hash', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const db = await connectDb(t);
      try {
        const { rows } = await db.query('SELECT password_hash FROM person WHERE id = $1', [admin.person.id]);
        expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
      } finally {
        await db.end();
      }
    });
  });

  describe('sessions', () => {
    it('an idle session expires: 401 SESSION_EXPIRED', async () => {
      const admin = await newAdministrator(t, pharmacy);
      clock.advance(SESSION_IDLE_MS - 60_000);
      expect((await admin.get('/app/session')).status).toBe(200);
      clock.advance(SESSION_IDLE_MS - 60_000);
      expect((await admin.get('/app/session')).status).toBe(200);
      clock.advance(SESSION_IDLE_MS + 1);
      const expired = await admin.get('/app/session');
      expect([expired.status, expired.body.error]).toEqual([
        401,
        expect.objectContaining({ code: 'SESSION_EXPIRED', details: { reason: 'idle' } }),
      ]);
    });

    it('a session in use still ends at its absolute expiry', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const step = SESSION_IDLE_MS / 2;
      for (let spent = 0; spent + step < SESSION_ABSOLUTE_MS; spent += step) {
        clock.advance(step);
        expect((await admin.get('/app/session')).status).toBe(200);
      }
      clock.advance(step);
      const expired = await admin.get('/app/session');
      expect([expired.status, expired.body.error.details]).toEqual([401, { reason: 'absolute' }]);
    });

    it('sessions that ended over a day ago are deleted at a later sign-in', async () => {
      const ended = await newAdministrator(t, pharmacy);
      const count = async () => {
        const db = await connectDb(t);
        try {
          const { rows } = await db.query('SELECT count(*)::int AS n FROM person_session WHERE person_id = $1', [
            ended.person.id,
          ]);
          return rows[0].n as number;
        } finally {
          await db.end();
        }
      };
      expect(await count()).toBe(1);
      clock.advance(SESSION_ABSOLUTE_MS + 25 * 3600_000);
      await newAdministrator(t, pharmacy);
      expect(await count()).toBe(0);
    });

    it('sign-out revokes the session on the server and clears the cookies', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const forged = await admin.delete('/app/session', { csrf: false });
      expect([forged.status, forged.body.error.code]).toEqual([403, 'CSRF_TOKEN_INVALID']);
      const out = await admin.delete('/app/session');
      expect(out.status).toBe(204);
      expect(cookiesOf(out).rxledger_session.value).toBe('');
      const after = await admin.get('/app/session');
      expect([after.status, after.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('every state change made with the cookie needs its own session’s CSRF token', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const another = await newAdministrator(t, pharmacy);
      const body = { email: newEmail(), name: 'Z' };
      const without = await admin.post('/app/invitations', body, { csrf: false });
      expect([without.status, without.body.error.code]).toEqual([403, 'CSRF_TOKEN_INVALID']);
      const foreign = await t.http
        .post('/app/invitations')
        .set(...admin.cookie)
        .set('X-CSRF-Token', another.csrfToken)
        .send(body);
      expect([foreign.status, foreign.body.error.code]).toEqual([403, 'CSRF_TOKEN_INVALID']);
      const events = await admin.post('/v1/events', pharmacy.event('quarantine', { items: [], reason: 'x' }), {
        csrf: false,
      });
      expect([events.status, events.body.error.code]).toEqual([403, 'CSRF_TOKEN_INVALID']);
      expect((await admin.post('/app/invitations', body)).status).toBe(201);
      // Reads need no token; machines (bearer tokens) need none either.
      expect((await admin.get('/app/devices')).status).toBe(200);
    });
  });

  describe('device keys', () => {
    it('a device key is added (key.add naming device and person) and revoked in the log; then its events are refused', async () => {
      const admin = await newAdministrator(t, pharmacy);
      const staff = await newStaff(t, admin, 'Dee Device');
      const secretKey = generateSecretKey();
      const publicKey = bytesToBase64(publicKeyOf(secretKey));
      const added = await staff.post('/app/devices', { publicKey, label: 'front counter' });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({
        gln: pharmacy.gln,
        keyId: keyIdOf(publicKeyOf(secretKey)),
        label: 'front counter',
        personId: staff.person.id,
        personName: 'Dee Device',
        revokedAt: null,
      });
      const addEntry = await staff.get(`/v1/log/entries/${added.body.addedIndex}`);
      expect(addEntry.body.event).toMatchObject({
        type: 'key.add',
        actor: t.config.OPERATOR_GLN,
        body: {
          gln: pharmacy.gln,
          publicKey,
          device: { id: added.body.id, label: 'front counter', person: staff.person.id },
        },
      });

      const device = new TestParty(pharmacy.gln, 'dispenser', secretKey, '');
      const before = await staff.post(
        '/v1/events',
        device.event('quarantine', { items: units(gtin, ['P1']), reason: 'torn seal' }),
      );
      expect(before.status).toBe(201);

      // Staff may not revoke another person's device; the administrator may.
      const adminKey = generateSecretKey();
      const adminDevice = await admin.post('/app/devices', {
        publicKey: bytesToBase64(publicKeyOf(adminKey)),
        label: 'office',
      });
      const notTheirs = await staff.delete(`/app/devices/${adminDevice.body.id}`);
      expect([notTheirs.status, notTheirs.body.error.code]).toEqual([403, 'ROLE_REQUIRED']);

      const revoked = await admin.delete(`/app/devices/${added.body.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedIndex).toBeGreaterThan(added.body.addedIndex);
      const revokeEntry = await staff.get(`/v1/log/entries/${revoked.body.revokedIndex}`);
      expect(revokeEntry.body.event).toMatchObject({
        type: 'key.revoke',
        body: { gln: pharmacy.gln, keyId: added.body.keyId },
      });
      const after = await staff.post(
        '/v1/events',
        device.event('quarantine', { items: units(gtin, ['P2']), reason: 'torn seal' }),
      );
      expect([after.status, after.body.error.code]).toEqual([422, 'KEY_REVOKED']);

      const listed = await admin.get('/app/devices');
      expect(listed.body.find((d: { id: string }) => d.id === added.body.id)).toMatchObject({
        revokedIndex: revoked.body.revokedIndex,
        personName: 'Dee Device',
      });
    });
  });

  describe('verifications record the person', () => {
    it("a person's verification names them (and counts in the directory); a token's names nobody", async () => {
      const admin = await newAdministrator(t, pharmacy);
      const staff = await newStaff(t, admin, 'Vera Verifier');
      const code = units(gtin, ['P3'])[0];
      const byPerson = await staff.get(`/v1/verify?code=${encodeURIComponent(code)}`);
      expect(byPerson.status).toBe(200);
      const byToken = await t.http.get(`/v1/verify?code=${encodeURIComponent(code)}`).set(...pharmacy.auth);
      expect(byToken.status).toBe(200);
      const db = await connectDb(t);
      try {
        const personOf = async (id: string) => {
          // Records are written in the recorder's next group, right after the answer: poll, no sleep.
          for (;;) {
            const { rows } = await db.query('SELECT person_id FROM verification WHERE id = $1', [id]);
            if (rows.length > 0) return rows[0].person_id as string | null;
            await new Promise((resolve) => setImmediate(resolve));
          }
        };
        expect(await personOf(byPerson.body.verificationId)).toBe(staff.person.id);
        expect(await personOf(byToken.body.verificationId)).toBeNull();
      } finally {
        await db.end();
      }
      const directory = await admin.get('/app/directory');
      expect(directory.body.people.find((p: { id: string }) => p.id === staff.person.id)).toMatchObject({
        verifications: 1,
      });
    });
  });

  describe("isolation: one party's people never see or act for another", () => {
    it('refuses devices, people, events and tokens of another party', async () => {
      const mine = await newAdministrator(t, pharmacy);
      const theirs = await newAdministrator(t, other);
      const theirKey = generateSecretKey();
      const theirDevice = await theirs.post('/app/devices', {
        publicKey: bytesToBase64(publicKeyOf(theirKey)),
        label: 'theirs',
      });
      expect(theirDevice.status).toBe(201);

      const revoke = await mine.delete(`/app/devices/${theirDevice.body.id}`);
      expect([revoke.status, revoke.body.error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
      const devices = await mine.get('/app/devices');
      expect(devices.body.every((d: { gln: string }) => d.gln === pharmacy.gln)).toBe(true);
      expect(devices.body.some((d: { id: string }) => d.id === theirDevice.body.id)).toBe(false);
      const directory = await mine.get('/app/directory');
      expect(directory.body.people.some((p: { id: string }) => p.id === theirs.person.id)).toBe(false);

      const forOther = new TestParty(other.gln, 'dispenser', theirKey, '');
      const event = await mine.post(
        '/v1/events',
        forOther.event('quarantine', { items: units(gtin, ['O1']), reason: 'x' }),
      );
      expect([event.status, event.body.error.code]).toEqual([403, 'ACTOR_MISMATCH']);
      const tokens = await mine.get(`/v1/parties/${other.gln}/tokens`);
      expect(tokens.status).toBe(403);
      const bootstrap = await mine.post(`/v1/parties/${other.gln}/invitations`, { email: newEmail(), name: 'X' });
      expect(bootstrap.status).toBe(403);
    });
  });
});
