import { readFileSync } from 'node:fs';
import { Page } from 'playwright-core';
import {
  accept,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import {
  BrowserApp,
  problemsOf,
  screenshot,
  SCREENSHOTS,
  startBrowserApp,
  VIEWPORTS,
  waitForCount,
} from './support/browser';

describe('regulator: reports and alerts (/app/regulator)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let d: TestParty;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let page: Page;

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    const lotA = ['A1', 'A2', 'A3', 'A4', 'A5'];
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: lotA });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: d.gln, items: units(gtin, lotA), transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'S1', items: units(gtin, lotA) });
    await accept(t, d, 'ship', {
      shipmentId: 'S2',
      recipient: p.gln,
      items: units(gtin, ['A1', 'A2', 'A3', 'A4']),
      transaction,
    });
    // One unit short: a discrepancy.
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'S2', items: units(gtin, ['A1', 'A2', 'A3']) });
    await accept(t, p, 'dispense', { items: units(gtin, ['A1']) });
    await accept(t, p, 'quarantine', { items: units(gtin, ['A2']), reason: 'torn seal' });
    await accept(t, r, 'illegitimate', {
      items: units(gtin, ['A3']),
      report: {
        reportType: 'initial',
        classification: 'counterfeit',
        description: 'fake blister',
        contact: { name: 'FDA' },
      },
    });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'contamination' }, true);
    // An unknown serial scanned at the pharmacy, three times: one verification alert with a count (issue 13 §4).
    for (let i = 0; i < 3; i++) {
      await t.http
        .get('/v1/verify')
        .query({ code: `(01)${gtin}(21)ZZ9(17)291231(10)LOT-A` })
        .set(...p.auth);
    }
    await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);

    ({ page } = await b.newPage());
    await page.goto('/app/regulator');
    await page.fill('#signin-token', r.token);
    await page.press('#signin-token', 'Enter');
    await page.waitForSelector('#workspace:not([hidden])');
  });
  afterAll(async () => {
    console.log(`screenshots: ${SCREENSHOTS}`);
    await b?.close();
  });

  const kinds = () => page.$$eval('#alerts .alert-item', (items) => items.map((i) => i.getAttribute('data-kind')));

  it('lists the alerts of every party, with filters', async () => {
    await waitForCount(page, '#alerts .alert-item', 4, { atLeast: true });
    expect((await kinds()).sort()).toEqual(['discrepancy', 'illegitimate', 'quarantine', 'recall']);
    expect(await page.textContent('#alerts [data-kind="quarantine"]')).toContain('torn seal');
    expect(await page.textContent('#alerts [data-kind="discrepancy"]')).toContain('1 missing, 0 extra');
    // The three scans of an unknown serial are one verification alert, in the triage list (alert-triage.browser-spec.ts).
    await waitForCount(page, '#triage-list .triage-item', 1);
    expect(await page.textContent('#triage-list [data-kind="UNKNOWN_SERIAL"]')).toContain('Scanned 3 times');

    await page.selectOption('#a-kind', 'quarantine');
    await waitForCount(page, '#alerts .alert-item', 1);
    expect(await kinds()).toEqual(['quarantine']);
    await page.selectOption('#a-kind', '');
    await waitForCount(page, '#alerts .alert-item', 4);

    await page.fill('#a-search', 'counterfeit');
    expect(await kinds()).toEqual(['illegitimate']);
    await page.fill('#a-search', '');
  });

  it('shows a lot report with its custody timeline, the whole bundle verified in the browser', async () => {
    await page.check('input[name="kind"][value="lot"]');
    await page.fill('#f-gtin', gtin);
    await page.fill('#f-lot', 'LOT-A');
    await page.click('#show-report');
    await page.waitForSelector('#report-title');
    expect(await page.textContent('#report-title')).toBe(`Lot LOT-A of GTIN ${gtin}`);
    // The whole bundle (signatures, proofs, key history, custody) is verified in the browser with the pinned key.
    await page.waitForSelector('#bundle-check:not([data-state="checking"])');
    expect(await page.getAttribute('#bundle-check', 'data-state')).toBe('ok');
    expect(await page.textContent('#bundle-check')).toMatch(
      /^✓ Verified in this browser with the pinned log key: checkpoint \d+, \d+ signatures/,
    );
    expect(await page.textContent('#report .custody-path')).toBe(
      'Custody: Acme Pharma → Big Wholesale → Corner Pharmacy',
    );
    const timeline = await page.$$eval('#report .timeline-item', (items) =>
      items.map((i) => i.getAttribute('data-type')),
    );
    expect(timeline).toEqual([
      'product.register',
      'commission',
      'ship',
      'receive',
      'ship',
      'receive',
      'dispense',
      'quarantine',
      'illegitimate',
    ]);
    expect(await page.textContent('#report .timeline-item[data-type="ship"]')).toContain(
      'Acme Pharma shipped 5 units to Big Wholesale',
    );
    await screenshot(page, 'regulator-lot');
  });

  it('downloads the lot report in each format', async () => {
    const fetch = async (format: string) => {
      const [download] = await Promise.all([
        page.waitForEvent('download', { timeout: 15_000 }).catch(async (e) => {
          throw new Error(`${e.message}; status: ${await page.textContent('#download-status')}`);
        }),
        page.click(`#report button[data-format="${format}"]`),
      ]);
      return { name: download.suggestedFilename(), body: readFileSync((await download.path())!) };
    };
    const csv = await fetch('csv');
    expect(csv.name).toMatch(/\.csv$/);
    for (const serial of ['A1', 'A2', 'A3', 'A4', 'A5']) expect(csv.body.toString()).toContain(serial);
    const bundle = await fetch('bundle');
    expect(JSON.parse(bundle.body.toString())).toMatchObject({
      format: 'rxledger-evidence-bundle/v1',
      scope: { kind: 'lot', gtin, lot: 'LOT-A' },
    });
    const epcis = await fetch('epcis');
    expect(JSON.parse(epcis.body.toString())).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0' });
    const pdf = await fetch('pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    expect(await page.textContent('#download-status')).toMatch(/^Downloaded .*\.pdf/);
  });

  it('a report tampered with on the way fails its check in the browser', async () => {
    await page.route('**/v1/reports/lot?*format=bundle*', async (route) => {
      const response = await route.fetch();
      const bundle = await response.json();
      const ship = bundle.events.find((e: { event: { type: string } }) => e.event.type === 'ship');
      ship.event.body.recipient = r.gln; // shipped to someone else, says the edited report
      await route.fulfill({ response, json: bundle });
    });
    try {
      await page.click('#show-report');
      await page.waitForSelector('#bundle-check[data-state="failed"]');
      expect(await page.textContent('#bundle-check')).toContain('This report does not verify');
      expect(
        await page.$$eval('#bundle-check li', (items) => items.map((i) => i.getAttribute('data-check'))),
      ).toContain('signature');
      await screenshot(page, 'regulator-tampered');
    } finally {
      await page.unroute('**/v1/reports/lot?*format=bundle*');
    }
  });

  it('opens a report from an alert', async () => {
    await page.click('#alerts [data-kind="recall"] button');
    await page.waitForSelector('#report-title:text("Lot LOT-R")');
    expect(
      await page.$$eval('#report .timeline-item', (items) => items.map((i) => i.getAttribute('data-type'))),
    ).toEqual(['product.register', 'commission', 'recall']);
  });

  it('is usable at phone width', async () => {
    const { page: phone } = await b.newPage(VIEWPORTS.phone);
    await phone.goto('/app/regulator');
    await phone.fill('#signin-token', r.token);
    await phone.click('#signin-form button');
    await phone.waitForSelector('#workspace:not([hidden])');
    await phone.check('input[name="kind"][value="serial"]');
    await phone.fill('#f-code', `]d201${gtin}21A2\u001d17291231\u001d10LOT-A`);
    expect(await phone.inputValue('#f-serial')).toBe('A2');
    await phone.click('#show-report');
    await phone.waitForSelector('#report-title');
    await waitForCount(phone, '#alerts .alert-item', 4, { atLeast: true });
    await screenshot(phone, 'regulator-serial');
    expect(problemsOf(phone)).toEqual([]);
  });

  it('reported no script errors', () => {
    expect(problemsOf(page)).toEqual([]);
  });
});
