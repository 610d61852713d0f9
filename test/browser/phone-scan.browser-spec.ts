/**
 * Issue 13 §6, phones: on a touch device at phone width the camera comes first, the scan box is not held in focus
 * (its on-screen keyboard would hide the verdict), and a scan's verdict is in view.
 */
import { BrowserContext, Page } from 'playwright-core';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { BrowserApp, problemsOf, screenshot, scannerTypes, startBrowserApp, VIEWPORTS } from './support/browser';

const GS = '\u001d';

describe('scan page on a phone (touch, phone width)', () => {
  let b: BrowserApp;
  let context: BrowserContext;
  let page: Page;
  let gtin: string;

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    const { manufacturer: m, pharmacy: p } = await newTradingPartners(t);
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1', 'A5'] });
    const toPharmacy = units(gtin, ['A1', 'A5']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items: toPharmacy, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items: toPharmacy });
    await accept(t, p, 'dispense', { items: units(gtin, ['A5']) }, true);
    context = await b.browser.newContext({
      viewport: VIEWPORTS.phone,
      baseURL: b.baseUrl,
      hasTouch: true,
      isMobile: true,
    });
    page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    (page as Page & { problems?: string[] }).problems = problems;
    await page.goto('/app/scan');
    await page.fill('#signin-token', p.token);
    await page.tap('#signin-form button');
    await page.waitForSelector('#workspace:not([hidden])');
  });
  afterAll(async () => {
    await context?.close();
    await b?.close();
  });

  const code = (serial: string) => `]d201${gtin}21${serial}${GS}10LOT-A${GS}17291231`;

  it('puts the camera first and does not hold the scan box in focus', async () => {
    expect(await page.evaluate(() => matchMedia('(pointer: coarse)').matches)).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id ?? null)).not.toBe('scan');
    const camera = (await page.locator('#camera').boundingBox())!;
    const box = (await page.locator('#scan').boundingBox())!;
    expect(camera.y + camera.height).toBeLessThanOrEqual(box.y);
    expect(camera.height).toBeGreaterThanOrEqual(44);
    await screenshot(page, 'scan-phone-touch');
  });

  it('a scan typed after tapping the box shows its verdict in view', async () => {
    await page.tap('#scan');
    await scannerTypes(page, code('A5'));
    await page.waitForSelector('#card.card--red');
    await page.locator('#card').scrollIntoViewIfNeeded();
    expect(await page.locator('#card h2').isVisible()).toBe(true);
    const card = (await page.locator('#card').boundingBox())!;
    expect(card.y).toBeLessThan(VIEWPORTS.phone.height);
    await screenshot(page, 'scan-phone-touch-verdict');
  });

  it('reported no script errors', () => {
    expect(problemsOf(page)).toEqual([]);
  });
});
