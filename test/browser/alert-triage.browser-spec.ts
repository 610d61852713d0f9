/**
 * Issue 13 §4, "What it must show": the regulator triages verification alerts end to end on /app/regulator, as a
 * person would: filters, pages, opens an alert, acknowledges, assigns, notes and closes it (each after one
 * confirmation), and downloads the filtered list as CSV. axe-core finds no serious or critical violation; screenshots
 * at desktop and phone width.
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { Page } from 'playwright-core';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import {
  BrowserApp,
  PageGlobals,
  problemsOf,
  screenshot,
  SCREENSHOTS,
  startBrowserApp,
  VIEWPORTS,
  waitForCount,
} from './support/browser';
import { seriousViolations } from './support/axe';

/** Waits until the element's text contains `text`. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([s, t]) => ((globalThis as unknown as PageGlobals).document.querySelector(s)?.textContent ?? '').includes(t),
    [selector, text] as const,
  );
}

describe('regulator: triage of verification alerts (/app/regulator)', () => {
  let b: BrowserApp;
  let r: TestParty;
  let gtin: string;
  let page: Page;

  const signIn = async (viewport: { width: number; height: number } = VIEWPORTS.desktop) => {
    const { page: opened } = await b.newPage(viewport);
    await opened.goto('/app/regulator');
    await opened.fill('#signin-token', r.token);
    await opened.press('#signin-token', 'Enter');
    await opened.waitForSelector('#workspace:not([hidden])');
    return opened;
  };
  const items = () => page.$$eval('#triage-list .triage-item', (list) => list.map((i) => i.getAttribute('data-kind')));
  const confirm = async (action: string) => {
    await page.click(`#triage-detail button[data-action="${action}"]`);
    await page.waitForSelector('#triage-confirm:not([hidden])');
    await page.click('#triage-confirm-yes');
  };

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    const { manufacturer: m, distributor: d, pharmacy: p, regulator } = await newTradingPartners(t);
    r = regulator;
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: d.gln, items: units(gtin, ['A1']), transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'S1', items: units(gtin, ['A1']) });
    await accept(t, d, 'ship', { shipmentId: 'S2', recipient: p.gln, items: units(gtin, ['A1']), transaction });
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'S2', items: units(gtin, ['A1']) });
    await accept(t, p, 'dispense', { items: units(gtin, ['A1']) });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'sterility', classification: 'I' }, true);
    const scan = (serial: string, lot = 'LOT-A') =>
      t.http
        .get('/v1/verify')
        .query({ code: `(01)${gtin}(21)${serial}(17)291231(10)${lot}` })
        .set(...p.auth)
        .expect(200);
    // A clone of the dispensed A1 scanned three times, a recalled unit, and eleven unknown serials: 13 alerts.
    for (let i = 0; i < 3; i++) await scan('A1');
    await scan('R1', 'LOT-R');
    for (let i = 1; i <= 11; i++) await scan(`NOPE${i}`);
    page = await signIn();
  });
  afterAll(async () => {
    console.log(`screenshots: ${SCREENSHOTS}`);
    await b?.close();
  });

  it('pages through the alerts, ten at a time', async () => {
    await waitForCount(page, '#triage-list .triage-item', 10);
    expect(await page.textContent('#triage-count')).toBe('Alerts 1–10');
    await page.click('#t-next');
    await waitForText(page, '#triage-count', 'Alerts 11–13 (the last page)');
    expect((await items()).sort()).toEqual(['ALREADY_DISPENSED', 'RECALLED', 'UNKNOWN_SERIAL']);
    expect(await page.isDisabled('#t-next')).toBe(true);
    await page.click('#t-previous');
    await waitForText(page, '#triage-count', 'Alerts 1–10');
    expect(await page.isDisabled('#t-previous')).toBe(true);
  });

  it('filters to the possible clone: one alert, red, scanned three times', async () => {
    await page.selectOption('#t-kind', 'ALREADY_DISPENSED');
    await page.selectOption('#t-severity', 'high');
    await page.click('#t-apply');
    await waitForCount(page, '#triage-list .triage-item', 1);
    const clone = '#triage-list .triage-item[data-kind="ALREADY_DISPENSED"]';
    expect(await page.getAttribute(`${clone} .chip`, 'class')).toContain('chip--red');
    expect(await page.textContent(clone)).toContain('Scanned 3 times');
    expect(await page.textContent(clone)).toContain('Possible clone');
    await screenshot(page, 'triage-list');
  });

  it('opens the alert and acknowledges, assigns, notes and closes it, each after one confirmation', async () => {
    await page.click('#triage-list .triage-item button');
    await waitForText(page, '#triage-detail-title', 'Possible clone (already dispensed): serial A1');
    expect(await page.textContent('#triage-detail')).toContain('No action yet.');

    // Cancel changes nothing.
    await page.click('#triage-detail button[data-action="acknowledge"]');
    await page.click('#triage-confirm-no');
    await waitForText(page, '#triage-action-status', 'Nothing was changed.');
    expect(await page.textContent('#triage-state')).toBe('Open');

    await confirm('acknowledge');
    await waitForText(page, '#triage-state', 'Acknowledged');
    await page.fill('#triage-assignee', 'Dana Inspector');
    await confirm('assign');
    await waitForText(page, '#triage-detail', 'Assigned to Dana Inspector');
    await page.fill('#triage-note', 'Asked the pharmacy to quarantine the package.');
    await confirm('note');
    await waitForCount(page, '#triage-history li', 3);
    expect(await page.textContent('#triage-history li[data-action="note"]')).toContain(
      'Asked the pharmacy to quarantine the package.',
    );
    await screenshot(page, 'triage-detail');
    await confirm('close');
    await waitForText(page, '#triage-state', 'Closed');
    expect(await page.$$eval('#triage-history li', (l) => l.map((i) => i.getAttribute('data-action')))).toEqual([
      'acknowledge',
      'assign',
      'note',
      'close',
    ]);
    // A closed alert may be noted or reopened, nothing else.
    expect(
      await page.$$eval('#triage-detail button[data-action]', (l) => l.map((i) => i.getAttribute('data-action'))),
    ).toEqual(['reopen', 'note']);
    // The list shows the new state too.
    await waitForText(page, '#triage-list .triage-item', 'Closed');

    // The server kept each action with who did it.
    const id = await page.getAttribute('#triage-list .triage-item', 'data-id');
    const detail = await b.t.http.get(`/v1/alerts/${id}`).set(...r.auth);
    expect(detail.body.history.map((h: { action: string; by: { gln: string } }) => [h.action, h.by.gln])).toEqual([
      ['acknowledge', r.gln],
      ['assign', r.gln],
      ['note', r.gln],
      ['close', r.gln],
    ]);
  });

  it('downloads the filtered list as CSV', async () => {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.click('#t-csv')]);
    expect(download.suggestedFilename()).toMatch(/^rxledger-alerts-.*\.csv$/);
    const rows = parse(readFileSync((await download.path())!), { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => [row.kind, row.severity, row.serial, row.count, row.state, row.assignee])).toEqual([
      ['ALREADY_DISPENSED', 'high', 'A1', '3', 'closed', 'Dana Inspector'],
    ]);
    await waitForText(page, '#t-csv-status', 'Downloaded rxledger-alerts-');
  });

  it('filters by state', async () => {
    await page.selectOption('#t-kind', '');
    await page.selectOption('#t-severity', '');
    await page.selectOption('#t-state', 'open');
    await page.click('#t-apply');
    await waitForCount(page, '#triage-list .triage-item', 10);
    await page.selectOption('#t-state', 'closed');
    await page.click('#t-apply');
    await waitForCount(page, '#triage-list .triage-item', 1);
  });

  it('axe-core finds no serious or critical violation, at desktop and phone width', async () => {
    expect(await seriousViolations(page)).toEqual([]);
    const phone = await signIn(VIEWPORTS.phone);
    await waitForCount(phone, '#triage-list .triage-item', 10);
    await phone.selectOption('#t-kind', 'RECALLED');
    await phone.click('#t-apply');
    await waitForCount(phone, '#triage-list .triage-item', 1);
    await phone.click('#triage-list .triage-item[data-kind="RECALLED"] button');
    await waitForText(phone, '#triage-detail-title', 'Recalled: serial R1');
    expect(await phone.textContent('#triage-detail')).toContain('Recall class');
    expect(await seriousViolations(phone)).toEqual([]);
    await screenshot(phone, 'triage-detail');
    expect(problemsOf(phone)).toEqual([]);
  });

  it('reported no script errors', () => {
    expect(problemsOf(page)).toEqual([]);
  });
});
