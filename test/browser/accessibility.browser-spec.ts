/**
 * axe-core on every page (issue 13, "What it must show"): no serious or critical violation at desktop and phone
 * width, signed out and, where a page has a sign-in, signed in (the workspace). Screenshots of both widths go to
 * test-artifacts/screenshots. Pages are taken from web/pages, so a page added later is checked too.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newTradingPartners } from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import { seriousViolations } from './support/axe';
import { BrowserApp, screenshot, startBrowserApp, VIEWPORTS } from './support/browser';

const ROOT = join(__dirname, '../..');
const PAGES = readdirSync(join(ROOT, 'web/pages'))
  .filter((f) => f.endsWith('.html'))
  .map((f) => (f === 'index.html' ? '/' : `/app/${f.slice(0, -'.html'.length)}`));

describe('accessibility: axe-core on every page', () => {
  let b: BrowserApp;
  let token: Record<string, string>;

  beforeAll(async () => {
    b = await startBrowserApp();
    const { pharmacy, regulator }: { pharmacy: TestParty; regulator: TestParty } = await newTradingPartners(b.t);
    token = { '/app/scan': pharmacy.token, '/app/regulator': regulator.token, '/app/log': pharmacy.token };
  });
  afterAll(async () => {
    await b?.close();
  });

  it('finds the pages', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['/', '/app/scan', '/app/regulator', '/app/log']));
  });

  it('the check itself fails on a critical violation (an image without a text alternative)', async () => {
    const { page, context } = await b.newPage();
    try {
      await page.goto('/');
      await page.evaluate(() => document.querySelector('main')!.append(document.createElement('img')));
      expect((await seriousViolations(page)).join('\n')).toContain('critical image-alt');
    } finally {
      await context.close();
    }
  });

  for (const path of PAGES) {
    for (const width of ['desktop', 'phone'] as const) {
      it(`${path} at ${width} width has no serious or critical violation`, async () => {
        const { page, context } = await b.newPage(VIEWPORTS[width]);
        try {
          await page.goto(path);
          await page.waitForLoadState('networkidle');
          expect(await seriousViolations(page)).toEqual([]);
          const name = path === '/' ? 'index' : path.slice('/app/'.length);
          if (token[path] && (await page.locator('#signin-token').isVisible())) {
            await page.fill('#signin-token', token[path]);
            await page.press('#signin-token', 'Enter');
            await page.waitForSelector('#workspace:not([hidden])');
            await page.waitForLoadState('networkidle');
            expect(await seriousViolations(page)).toEqual([]);
          }
          await screenshot(page, `axe-${name}`);
        } finally {
          await context.close();
        }
      });
    }
  }
});
