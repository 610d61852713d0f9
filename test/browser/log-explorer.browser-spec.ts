import { Page } from 'playwright-core';
import { parseCheckpoint } from '../../src/checkpoint';
import { accept, newTradingPartners, registerProduct, serials, TestManufacturer } from '../support/supply-chain';
import {
  BrowserApp,
  PageGlobals,
  problemsOf,
  screenshot,
  SCREENSHOTS,
  startBrowserApp,
  stored,
  VIEWPORTS,
  waitForText,
} from './support/browser';
import { forkedLog } from './support/forked-log';

describe('log explorer (/app/log)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let gtin: string;
  let page: Page;
  let batch = 0;

  /** Logs a few events and waits for a checkpoint that covers them; returns its size. */
  async function grow(): Promise<number> {
    batch++;
    await accept(
      b.t,
      m,
      'commission',
      { gtin, lot: `L${batch}`, expiry: '291231', serials: serials(3, `B${batch}-`) },
      true,
    );
    const note = await b.t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${b.t.operatorToken}`);
    return parseCheckpoint(note.text.slice(0, note.text.indexOf('\n\n') + 1)).size;
  }

  const shownSize = async () => Number((await page.textContent('#tree-size'))!.replace(/,/g, ''));

  beforeAll(async () => {
    b = await startBrowserApp();
    ({ manufacturer: m } = await newTradingPartners(b.t));
    gtin = await registerProduct(b.t, m);
    await grow();
    ({ page } = await b.newPage());
  });
  afterAll(async () => {
    console.log(`screenshots: ${SCREENSHOTS}`);
    await b?.close();
  });

  it('shows the latest checkpoint, verified in the browser, and the pinned verifier key', async () => {
    const size = await grow();
    await page.goto('/app/log');
    await waitForText(page, '#tree-size', String(size));
    expect(await page.textContent('#checkpoint .evidence')).toContain('Signature verified in this browser');
    const vkey = (await b.t.http.get('/v1/log/vkey')).text.trim();
    expect(await page.textContent('#vkey-text')).toBe(vkey);
    expect(await page.textContent('#checks')).toContain(`First checkpoint seen: ${size} entries`);
  });

  it('checks that each new checkpoint contains the last one it saw, and charts the growth', async () => {
    for (let i = 0; i < 3; i++) {
      const before = await shownSize();
      const size = await grow();
      await page.click('#check-now');
      await waitForText(page, '#tree-size', String(size));
      expect(await page.textContent('#checks li:first-child')).toContain(
        `${before} → ${size}: the new tree contains the old`,
      );
    }
    expect(await page.$$eval('#checks .check--ok', (items) => items.length)).toBe(4);
    // The chart also draws the server's checkpoint history (issue 13 §5), not only what this browser saw.
    const serverHistory = (await b.t.http.get('/v1/log/checkpoints').query({ limit: 1000 })).body as unknown[];
    await page.waitForFunction(() =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('#chart-caption')
        ?.textContent?.includes("from the server's history"),
    );
    expect(await page.$$eval('#chart circle', (dots) => dots.length)).toBeGreaterThanOrEqual(
      serverHistory.length + 4 - 1,
    );
    expect(await page.getAttribute('#chart svg', 'aria-label')).toMatch(/^Tree size grew from \d+ to \d+ entries/);
    expect(await page.isHidden('#alarm')).toBe(true);
    await screenshot(page, 'log');
  });

  it('raises an alarm when served a forked checkpoint signed with the real key', async () => {
    // (At a power-of-two size the proof cannot show which history the old tree had: the alarm would say "no proof".)
    while (Number.isInteger(Math.log2(await shownSize()))) {
      const size = await grow();
      await page.click('#check-now');
      await waitForText(page, '#tree-size', String(size));
    }
    const trusted = await shownSize();
    const fork = forkedLog(b.t.secrets.logSignerKey, trusted + 5);
    await page.route('**/v1/log/checkpoint', (route) =>
      route.fulfill({ contentType: 'text/plain', body: fork.checkpoint }),
    );
    await page.route('**/v1/log/proof/consistency?*', (route) => {
      const from = Number(new URL(route.request().url()).searchParams.get('from'));
      return route.fulfill({ json: fork.consistency(from) });
    });
    await page.click('#check-now');
    await page.waitForSelector('#alarm:not([hidden])');
    const alarm = await page.textContent('#alarm');
    expect(alarm).toContain('Fork detected');
    expect(alarm).toContain(
      `the log served checkpoint ${trusted + 5}; this browser had verified checkpoint ${trusted}`,
    );
    expect(await page.getAttribute('#alarm', 'data-problem')).toBe('fork');
    expect(await page.textContent('#checks li:first-child')).toContain('✕ Fork');
    expect(await page.textContent('#checkpoint')).toContain(`Not consistent with checkpoint ${trusted}`);
    // The forked tree is not trusted: the browser keeps the last consistent one.
    expect((await stored<{ size: number }>(page, 'rxledger.log.trusted')).size).toBe(trusted);
    await screenshot(page, 'log-fork');

    // The alarm stays after a reload, even once the real log is served again.
    await page.unrouteAll();
    await page.reload();
    await page.waitForSelector('#alarm:not([hidden])');
    expect(await shownSize()).toBe(trusted);
  });

  it('is readable at phone width', async () => {
    const { page: phone } = await b.newPage(VIEWPORTS.phone);
    await phone.goto('/app/log');
    await phone.waitForSelector('#tree-size');
    await grow();
    await phone.click('#check-now');
    await phone.waitForSelector('#checks li:nth-child(2)');
    await screenshot(phone, 'log');
    expect(problemsOf(phone)).toEqual([]);
  });

  it('the landing page links to the three pages', async () => {
    for (const viewport of [VIEWPORTS.desktop, VIEWPORTS.phone]) {
      const { page: home } = await b.newPage(viewport);
      await home.goto('/');
      expect(await home.$$eval('.tile', (tiles) => tiles.map((t) => t.getAttribute('href')))).toEqual([
        '/app/scan',
        '/app/regulator',
        '/app/log',
      ]);
      await screenshot(home, 'home');
    }
  });

  it('reported no script errors', () => {
    expect(problemsOf(page)).toEqual([]);
  });
});
