/**
 * Issue 13 §1 in Chromium, as people would do it: an administrator invited by the operator creates an account with a
 * passkey (Chromium's virtual authenticator through the DevTools protocol's WebAuthn domain), signs out and back in
 * with it; invites a colleague from the people page, who creates an account with a password, signs in with it, scans
 * a package, and whose verification the administrator then sees counted; the colleague registers the browser's
 * signing key and the log's key.add names them. Screenshots at desktop and phone width; axe-core on the new pages
 * runs in accessibility.browser-spec.ts (it finds every page of web/pages).
 *
 * WebAuthn needs a secure context and a domain as RP ID (never an IP address): the pages are opened on localhost.
 */
import { BrowserContext, Page } from 'playwright-core';
import { inviteAdministrator, PASSWORD } from '../support/people';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import {
  BrowserApp,
  PageGlobals,
  problemsOf,
  scannerTypes,
  screenshot,
  startBrowserApp,
  VIEWPORTS,
} from './support/browser';
import { seriousViolations } from './support/axe';

const GS = '\u001d';

describe('people in the browser: passkeys, passwords, invitations, devices', () => {
  let b: BrowserApp;
  let pharmacy: TestParty;
  let gtin: string;
  let origin: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    b = await startBrowserApp();
    origin = b.baseUrl.replace('127.0.0.1', 'localhost');
    const partners = await newTradingPartners(b.t);
    pharmacy = partners.pharmacy;
    const m = partners.manufacturer;
    gtin = await registerProduct(b.t, m);
    await accept(b.t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1', 'A2'] });
    const items = units(gtin, ['A1', 'A2']);
    await accept(b.t, m, 'ship', { shipmentId: 'S1', recipient: pharmacy.gln, items, transaction });
    await accept(b.t, pharmacy, 'receive', { shipper: m.gln, shipmentId: 'S1', items });
  });
  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await b?.close();
  });

  async function open(viewport: { width: number; height: number } = VIEWPORTS.desktop): Promise<Page> {
    const context = await b.browser.newContext({ viewport, baseURL: origin });
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    (page as Page & { problems?: string[] }).problems = problems;
    return page;
  }

  /** Chromium's virtual authenticator: a platform authenticator holding discoverable credentials, always approving. */
  async function virtualAuthenticator(page: Page) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return {
      credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    };
  }

  const sessionOf = (page: Page) =>
    page.evaluate(async () => {
      const response = await fetch('/app/session');
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    });

  it('passkey: an invited administrator creates an account with a passkey, signs out, signs in with it', async () => {
    const invitation = await inviteAdministrator(b.t, pharmacy, `passkey.${process.pid}@example.test`, 'Pia Passkey');
    const page = await open();
    const authenticator = await virtualAuthenticator(page);

    await page.goto(`/app/signin#invite=${invitation.token}`);
    await page.waitForSelector('#invite-panel:not([hidden])');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'people-invitation');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'people-invitation');
    await page.setViewportSize(VIEWPORTS.desktop);
    // The token leaves the address bar at once (history, Referer).
    expect(page.url()).not.toContain(invitation.token);
    await page.click('#invite-with-passkey');
    await page.waitForURL('**/app/scan');
    await page.waitForSelector('#workspace:not([hidden])');
    expect(await page.textContent('#who')).toContain('Pia Passkey');
    expect(await authenticator.credentials()).toHaveLength(1);

    await page.click('#who button');
    await page.waitForURL('**/app/signin');
    expect((await sessionOf(page)).status).toBe(401);
    await screenshot(page, 'people-signin');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'people-signin');
    await page.setViewportSize(VIEWPORTS.desktop);

    await page.click('#passkey-signin');
    await page.waitForURL('**/app/scan');
    await page.waitForSelector('#workspace:not([hidden])');
    const session = await sessionOf(page);
    expect(session.body).toMatchObject({ gln: pharmacy.gln, person: { name: 'Pia Passkey', role: 'administrator' } });
    expect(problemsOf(page)).toEqual([]);
  });

  it('password: the administrator invites a colleague, who signs in with a password, scans, and is recorded', async () => {
    const adminInvitation = await inviteAdministrator(b.t, pharmacy, `admin.${process.pid}@example.test`, 'Ada Admin');
    await b.t.http.post('/app/invitations/accept').send({ token: adminInvitation.token, password: PASSWORD });

    // The administrator signs in with the password and is sent on to the page that asked.
    const admin = await open();
    await admin.goto('/app/people');
    await admin.waitForSelector('#signed-out:not([hidden])');
    await admin.click('#signin-link');
    await admin.waitForURL('**/app/signin?next=*');
    await admin.fill('#signin-email', adminInvitation.email);
    await admin.fill('#signin-password', 'a wrong password');
    await admin.click('#password-signin');
    await admin.waitForFunction(
      () => ((globalThis as unknown as PageGlobals).document.querySelector('#signin-error')?.textContent ?? '') !== '',
    );
    expect(await admin.textContent('#signin-error')).toContain('wrong');
    await admin.fill('#signin-password', PASSWORD);
    await admin.click('#password-signin');
    await admin.waitForURL('**/app/people');
    await admin.waitForSelector('#people-panel:not([hidden])');

    // Invites a colleague from the page; the link is shown once.
    await admin.fill('#invite-name', 'Sam Staff');
    await admin.fill('#invite-email', `sam.${process.pid}@example.test`);
    await admin.click('#invite-form button[type=submit]');
    const link = (await (await admin.waitForSelector('#invite-link')).textContent())!;
    expect(link).toMatch(/\/app\/signin#invite=/);

    // The colleague, on a phone, accepts with a password, then signs in again with it.
    const staff = await open(VIEWPORTS.phone);
    await staff.goto(link.replace(/^https?:\/\/[^/]+/, ''));
    await staff.waitForSelector('#invite-panel:not([hidden])');
    await staff.fill('#invite-password', PASSWORD);
    await staff.click('#invite-with-password');
    await staff.waitForURL('**/app/scan');
    await staff.click('#who button');
    await staff.waitForURL('**/app/signin');
    await staff.fill('#signin-email', `sam.${process.pid}@example.test`);
    await staff.fill('#signin-password', PASSWORD);
    await staff.click('#password-signin');
    await staff.waitForURL('**/app/scan');
    await staff.waitForSelector('#workspace:not([hidden])');
    expect(await staff.textContent('#who')).toContain('Sam Staff');

    // Scans a package: the verdict, and the verification recorded with the person.
    await staff.focus('#scan');
    await scannerTypes(staff, `]d201${gtin}21A1${GS}10LOT-A${GS}17291231`);
    await staff.waitForSelector('#card.card--green:not(.is-stale)');
    await screenshot(staff, 'people-staff-scan');
    await staff.setViewportSize(VIEWPORTS.desktop);
    await screenshot(staff, 'people-staff-scan');
    await staff.setViewportSize(VIEWPORTS.phone);
    // The record is written right after the answer: reload until the directory counts it.
    let rows: (string | null | undefined)[][] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      await admin.reload();
      await admin.waitForSelector('#people-table tbody tr');
      rows = await admin.$$eval('#people-table tbody tr', (trs) =>
        trs.map((r) => [r.children[0].textContent, r.querySelector('.person-verifications')?.textContent]),
      );
      if (rows.some(([name, count]) => name === 'Sam Staff' && /^1, last /.test(count ?? ''))) break;
    }
    expect(rows).toContainEqual(['Sam Staff', expect.stringMatching(/^1, last /)]);

    // The colleague registers this browser's signing key; the log's key.add names device and person.
    await staff.goto('/app/people');
    await staff.waitForSelector('#workspace:not([hidden])');
    expect(await staff.isHidden('#people-panel')).toBe(true);
    await staff.click('#register-device');
    await staff.waitForSelector('#devices-table tbody tr');
    const row = await staff.$eval('#devices-table tbody tr', (r) => ({
      id: r.getAttribute('data-device'),
      text: r.textContent,
    }));
    expect(row.text).toContain('Sam Staff');
    expect(row.text).toContain('(this browser)');
    expect(await staff.isDisabled('#register-device')).toBe(true);
    const devices = await b.t.http.get('/app/devices').set(...pharmacy.auth);
    const device = devices.body.find((d: { id: string }) => d.id === row.id);
    const entry = await b.t.http.get(`/v1/log/entries/${device.addedIndex}`).set(...pharmacy.auth);
    expect(entry.body.event).toMatchObject({
      type: 'key.add',
      body: { gln: pharmacy.gln, device: { id: row.id, person: device.personId } },
    });
    expect(await seriousViolations(staff)).toEqual([]);
    await screenshot(staff, 'people-devices');

    // The administrator revokes it from the people page: the log has the revocation.
    await admin.reload();
    admin.once('dialog', (dialog) => void dialog.accept());
    await admin.click(`#devices-table tr[data-device="${row.id}"] button`);
    await admin.waitForFunction(
      (id) =>
        (globalThis as unknown as PageGlobals).document
          .querySelector(`#devices-table tr[data-device="${id}"] .device-status`)
          ?.textContent?.startsWith('revoked') ?? false,
      row.id,
    );
    expect(await seriousViolations(admin)).toEqual([]);
    await screenshot(admin, 'people-admin');
    await admin.setViewportSize(VIEWPORTS.phone);
    expect(await seriousViolations(admin)).toEqual([]);
    await screenshot(admin, 'people-admin');
    const log = await b.t.http.get('/app/devices').set(...pharmacy.auth);
    const revoked = log.body.find((d: { id: string }) => d.id === row.id);
    const revocation = await b.t.http.get(`/v1/log/entries/${revoked.revokedIndex}`).set(...pharmacy.auth);
    expect(revocation.body.event).toMatchObject({ type: 'key.revoke', body: { keyId: device.keyId } });

    // The colleague's browser forgets its revoked key and may register a new one.
    await staff.reload();
    await staff.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document.querySelector('#device-state')?.textContent ===
        'This browser has no signing key yet.',
    );
    expect(await staff.isEnabled('#register-device')).toBe(true);
    expect(problemsOf(admin)).toEqual([]);
    expect(problemsOf(staff)).toEqual([]);
  });
});
