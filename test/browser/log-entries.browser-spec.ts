/**
 * The public log explorer's entries (issue 13 §5): anyone looks an entry up by index or leaf hash and sees its
 * inclusion proof checked in the browser against the pinned key; a party also finds entries by its own serials and
 * reads its own events; anyone pages through the newest entries (hashes only). A tampered proof, tile or event is
 * caught by the page, not believed.
 */
import { Page } from 'playwright-core';
import { newAdministrator } from '../support/people';
import { accept, newTradingPartners, registerProduct, serials, TestManufacturer } from '../support/supply-chain';
import { BrowserApp, PageGlobals, problemsOf, screenshot, startBrowserApp, VIEWPORTS } from './support/browser';

/** Waits until the element's text contains `text`. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([s, t]) => (globalThis as unknown as PageGlobals).document.querySelector(s)?.textContent?.includes(t) ?? false,
    [selector, text] as const,
    { timeout: 10_000 },
  );
}

describe('log explorer entries (/app/log)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let commissioned: { index: number; leafHash: string };
  let gtin: string;
  let size: number;

  beforeAll(async () => {
    b = await startBrowserApp();
    ({ manufacturer: m } = await newTradingPartners(b.t));
    gtin = await registerProduct(b.t, m);
    commissioned = await accept(
      b.t,
      m,
      'commission',
      { gtin, lot: 'LX1', expiry: '291231', serials: serials(2, 'EXP-') },
      true,
    );
    // Enough entries for two pages of the newest-entries list.
    for (let i = 0; i < 24; i++) {
      await accept(b.t, m, 'commission', { gtin, lot: `LP${i}`, expiry: '291231', serials: serials(2, `P${i}-`) });
    }
    const note = await b.t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${b.t.operatorToken}`);
    size = Number(note.text.split('\n')[1]);
  });
  afterAll(async () => {
    await b?.close();
  });

  async function open(hash: string, token?: string): Promise<Page> {
    const { page } = await b.newPage();
    if (token) {
      await page.goto('/app/log');
      await page.evaluate((t) => sessionStorage.setItem('rxledger.token.scan', t), token);
    }
    await page.goto(`/app/log${hash}`);
    return page;
  }

  const proofState = (page: Page) => page.getAttribute('#lookup-result .entry-proof', 'data-state');

  it('proves an entry by index in the browser; the public sees hashes only', async () => {
    const page = await open(`#entry=${commissioned.index}`);
    await page.waitForSelector('#lookup-result .entry-proof');
    expect(await proofState(page)).toBe('ok');
    const text = (await page.textContent('#lookup-result'))!;
    expect(text).toContain(`Proved in this browser: entry ${commissioned.index} is in checkpoint ${size}`);
    expect(text).toContain(Buffer.from(commissioned.leafHash, 'base64').toString('hex'));
    expect(text).toContain('Only hashes are public');
    expect(text).not.toContain('EXP-');
    await screenshot(page, 'log-entry-public');
    expect(problemsOf(page)).toEqual([]);
  });

  it('proves an entry by its leaf hash, typed as hex or base64', async () => {
    const hex = Buffer.from(commissioned.leafHash, 'base64').toString('hex');
    for (const typed of [hex.toUpperCase(), commissioned.leafHash]) {
      const page = await open('');
      await page.fill('#lookup-input', typed);
      await page.press('#lookup-input', 'Enter');
      await waitForText(page, '#lookup-result', `entry ${commissioned.index} is in checkpoint`);
      expect(await proofState(page)).toBe('ok');
      expect(page.url()).toContain(`#leaf=${hex}`);
    }
  });

  it('shows a party its own event, checked against the leaf', async () => {
    const page = await open(`#entry=${commissioned.index}`, m.token);
    await waitForText(page, '#lookup-result', 'hashes to the leaf');
    const text = (await page.textContent('#lookup-result'))!;
    expect(text).toContain('commission');
    expect(text).toContain(m.gln);
    expect(await page.$$eval('#lookup-result .evidence--failed', (e) => e.length)).toBe(0);
    expect(problemsOf(page)).toEqual([]);
  });

  it("shows a signed-in person (the session cookie) their party's event; the public is asked to sign in for a serial", async () => {
    const admin = await newAdministrator(b.t, m);
    const { page, context } = await b.newPage();
    await context.addCookies(
      Object.entries({ rxledger_session: admin.sessionId, rxledger_csrf: admin.csrfToken }).map(([name, value]) => ({
        name,
        value,
        url: b.baseUrl,
      })),
    );
    await page.goto(`/app/log#entry=${commissioned.index}`);
    await waitForText(page, '#lookup-result', 'hashes to the leaf');
    expect(problemsOf(page)).toEqual([]);

    const anonymous = await open('');
    await anonymous.fill('#lookup-input', `(01)${gtin}(21)EXP-000001`);
    await anonymous.press('#lookup-input', 'Enter');
    await waitForText(anonymous, '#lookup-error', 'Looking up by serial needs a sign-in');
    expect(await anonymous.getAttribute('#lookup-error a', 'href')).toBe('/app/signin?next=%2Fapp%2Flog');
    expect(problemsOf(anonymous)).toEqual([]);
  });

  it("finds a party's entries by one of its serials", async () => {
    const page = await open('', m.token);
    await page.fill('#lookup-input', `(01)${gtin}(21)EXP-000001`);
    await page.press('#lookup-input', 'Enter');
    await page.waitForSelector('#lookup-result .serial-entries li');
    const links = await page.$$eval('#lookup-result .serial-entries a', (a) => a.map((l) => l.getAttribute('href')));
    expect(links).toContain(`#entry=${commissioned.index}`);
    expect(page.url()).not.toContain('EXP-');
    await page.click(`#lookup-result a[href="#entry=${commissioned.index}"]`);
    await waitForText(page, '#lookup-result', 'hashes to the leaf');
  });

  it('refuses an input that is none of the three, naming what it takes', async () => {
    const page = await open('');
    await page.fill('#lookup-input', 'not a thing');
    await page.press('#lookup-input', 'Enter');
    await waitForText(page, '#lookup-error', 'Enter a log index');
    await page.fill('#lookup-input', String(size + 1000));
    await page.press('#lookup-input', 'Enter');
    await waitForText(page, '#lookup-error', `not in a tree of ${size}`);
  });

  it('catches a tampered proof, a tampered tile and a tampered event', async () => {
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] ^= 1;
      return bytes.toString('base64');
    };

    const proofPage = await open('');
    await proofPage.route('**/v1/log/proof/inclusion?*', async (route) => {
      const answer = (await (await route.fetch()).json()) as { hashes: string[] };
      answer.hashes[0] = flip(answer.hashes[0]);
      await route.fulfill({ json: answer });
    });
    await proofPage.goto(`/app/log#entry=${commissioned.index}`);
    await proofPage.waitForSelector('#lookup-result .entry-proof');
    expect(await proofState(proofPage)).toBe('failed');
    expect(await proofPage.textContent('#lookup-result')).toContain(
      `Not proved: the inclusion proof of entry ${commissioned.index} does not lead to checkpoint ${size}'s root`,
    );
    await screenshot(proofPage, 'log-entry-tampered');

    const tilePage = await open('');
    await tilePage.route('**/v1/log/tile/entries/**', async (route) => {
      const body = Buffer.from(await (await route.fetch()).body());
      body[body.length - 1] ^= 1; // the last entry's signature
      await route.fulfill({ body, contentType: 'application/octet-stream' });
    });
    await tilePage.goto(`/app/log#entry=${size - 1}`);
    await tilePage.waitForSelector('#lookup-result .entry-proof');
    expect(await proofState(tilePage)).toBe('failed');
    expect(await tilePage.textContent('#lookup-result')).toContain('the leaf data does not hash to the leaf hash');

    const eventPage = await open('', m.token);
    await eventPage.route('**/v1/log/entries/*', async (route) => {
      const answer = (await (await route.fetch()).json()) as { event: { body: { lot: string } } };
      answer.event.body.lot = 'FORGED';
      await route.fulfill({ json: answer });
    });
    await eventPage.goto(`/app/log#entry=${commissioned.index}`);
    await waitForText(eventPage, '#lookup-result', 'the event below is not the one logged');
  });

  it('pages through the newest entries, hashes only', async () => {
    const page = await open('');
    await waitForText(page, '#entries-caption', `of ${size}`);
    const first = await page.$$eval('#entries tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(first[0]).toBe(String(size - 1));
    expect(first).toHaveLength(20);
    expect(await page.isDisabled('#entries-newer')).toBe(true);
    await page.click('#entries-older');
    await waitForText(page, '#entries-caption', `Entries ${Math.max(0, size - 40)} to ${size - 21}`);
    expect(await page.$$eval('#entries tr td:first-child', (cells) => cells[0].textContent)).toBe(String(size - 21));
    await page.click('#entries-newer');
    await waitForText(page, '#entries-caption', `to ${size - 1} of`);
    await page.click(`#entries a[href="#entry=${size - 2}"]`);
    await waitForText(page, '#lookup-result', `entry ${size - 2} is in checkpoint`);
    await screenshot(page, 'log-entries');
    const { page: phone } = await b.newPage(VIEWPORTS.phone);
    await phone.goto(`/app/log#entry=${commissioned.index}`);
    await phone.waitForSelector('#lookup-result .entry-proof');
    await screenshot(phone, 'log-entries');
    expect(problemsOf(page)).toEqual([]);
  });
});
