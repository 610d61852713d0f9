/**
 * Issue 13 §2 "Act on the verdict", as a pharmacist does it in Chromium: scan, act from the card with one
 * confirmation (an accessible dialog), see the action in the log; verify-and-dispense at the counter (a red card
 * never dispenses); receiving a shipment against its advance notice (one missing, one extra item), then custody of
 * what arrived is the pharmacy's. axe-core with the dialog open; screenshots at desktop and phone width; the
 * slowest journey's timing printed beside its goal.
 */
import { readFileSync } from 'node:fs';
import { Page } from 'playwright-core';
import {
  accept,
  item,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { newAdministrator } from '../support/people';
import { TestParty } from '../support/test-app';
import {
  BrowserApp,
  focusedId,
  PageGlobals,
  problemsOf,
  scannerTypes,
  screenshot,
  startBrowserApp,
  VIEWPORTS,
} from './support/browser';

const GS = '\u001d';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/** Scans of one green package timed for the scan-to-card median. */
const TIMED = 15;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } }).axe.run();
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor((sorted.length - 1) / 2)] * 10) / 10;
};

describe('pharmacist: act on the verdict (/app/scan)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let p: TestParty;
  let gtin: string;
  let page: Page;
  let caseCode: string;
  /** This browser's device key id, once registered. */
  let deviceKeyId = '';
  let signedIn = 0;

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    ({ manufacturer: m, pharmacy: p } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    const green = ['G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'G7', 'G8'];
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: [...green, 'D1', 'C1', 'C2'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['U1', 'U2', 'E1'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1', 'R2'] });
    const stock = units(gtin, [...green, 'D1', 'R1', 'R2']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items: stock, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items: stock });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'contamination', classification: 'II' });
    await accept(t, p, 'dispense', { items: units(gtin, ['D1']) }, true);
    // The shipment received in the page: a case of two units and two loose units (U2 will not arrive).
    caseCode = m.newContainerCode();
    await accept(t, m, 'pack', { parent: caseCode, children: units(gtin, ['C1', 'C2']) });
    await accept(t, m, 'ship', {
      shipmentId: 'ASN-7',
      recipient: p.gln,
      items: [caseCode, ...units(gtin, ['U1', 'U2'])],
      transaction,
    });
    ({ page } = await b.newPage());
    await page.goto('/app/scan');
    await page.fill('#signin-token', p.token);
    await page.press('#signin-token', 'Enter');
    await page.waitForSelector('#workspace:not([hidden])');
    // Problems from here on are the actions' (the sign-in's own probes are the sign-in tests' business).
    signedIn = problemsOf(page).length;
  });
  afterAll(async () => {
    await b?.close();
  });

  const code = (serial: string, lot = 'LOT-A', exp = '291231') => `]d201${gtin}21${serial}${GS}10${lot}${GS}17${exp}`;

  const latestScan = async () =>
    Number(
      await page.evaluate(
        () =>
          (globalThis as unknown as PageGlobals).document
            .querySelector('#history .history-item')
            ?.getAttribute('data-id') ?? 0,
      ),
    );

  /** Types a package's code like a wedge scanner and waits for its card. */
  async function scan(serial: string, lot?: string, exp?: string) {
    const before = await latestScan();
    await scannerTypes(page, code(serial, lot, exp));
    await page.waitForSelector(`#card[data-scan="${before + 1}"]:not(.is-stale)`);
    return page.$eval('#card', (card) => ({
      tone: card.className.replace(/.*card--(\w+).*/, '$1'),
      actions: [...card.querySelectorAll('.card-actions [data-action]')].map((a) => a.getAttribute('data-action')),
    }));
  }

  const dialogOpen = () => page.$eval('#action-dialog', (d) => (d as unknown as { open: boolean }).open);

  /** The recorded result on the card: its log index and the link to the explorer. */
  async function result(selector = '#card .action-result') {
    await page.waitForSelector(`${selector}[data-index]`);
    return page.$eval(selector, (r) => ({
      index: Number(r.getAttribute('data-index')),
      href: r.querySelector('a')?.getAttribute('href'),
      text: r.textContent,
    }));
  }

  async function logged(index: number) {
    const entry = await b.t.http.get(`/v1/log/entries/${index}`).set(...p.auth);
    expect(entry.status).toBe(200);
    return entry.body.event as { type: string; actor: string; keyId: string; body: Record<string, unknown> };
  }

  it('registers this browser as a signing device; until then the actions are disabled', async () => {
    const card = await scan('G1');
    expect(card).toEqual({ tone: 'green', actions: ['dispense', 'quarantine', 'report', 'return'] });
    expect(await page.$$eval('#card [data-action]', (all) => all.every((a) => a.hasAttribute('disabled')))).toBe(true);
    await page.click('#device-register');
    await page.waitForSelector('#device-status[data-key-id]');
    deviceKeyId = (await page.getAttribute('#device-status', 'data-key-id'))!;
    // One of the pharmacy's keys now (POST /app/devices: an operator-logged key.add), listed as its device.
    const party = await b.t.http.get(`/v1/parties/${p.gln}`).set(...p.auth);
    expect(party.body.keys.map((k: { keyId: string }) => k.keyId)).toContain(deviceKeyId);
    const devices = await b.t.http.get('/app/devices').set(...p.auth);
    expect(devices.body.map((d: { keyId: string }) => d.keyId)).toContain(deviceKeyId);
    expect(await page.$$eval('#card [data-action]', (all) => all.some((a) => a.hasAttribute('disabled')))).toBe(false);
  });

  it('dispense from a green card: one confirmation (Escape cancels, focus returns), then the entry is in the log', async () => {
    await page.focus('#card [data-action="dispense"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#action-dialog[open]');
    expect(await focusedId(page)).toBe('action-confirm');
    expect(await page.textContent('#action-title')).toBe('Dispense this package?');
    // axe-core with the dialog open: no serious or critical violation.
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'scan-action-dialog');
    await page.keyboard.press('Escape');
    expect(await dialogOpen()).toBe(false);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.className)).toBe(
      'action-dispense',
    );
    // Nothing was recorded by the cancelled dialog.
    expect(await page.$('#card .action-result')).toBeNull();

    await page.keyboard.press('Enter');
    await page.waitForSelector('#action-dialog[open]');
    await page.keyboard.press('Enter');
    const done = await result();
    expect(done.href).toBe(`/app/log#entry=${done.index}`);
    expect(done.text).toContain(`Dispensed: recorded in the log as entry ${done.index}`);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.className)).toBe(
      'action-result',
    );
    const event = await logged(done.index);
    expect(event).toMatchObject({
      type: 'dispense',
      actor: p.gln,
      keyId: deviceKeyId,
      body: { items: units(gtin, ['G1']) },
    });
    await screenshot(page, 'scan-action-dispensed');
    // The link opens the log explorer on that entry, proved in the browser against the pinned key.
    await page.click(`#card .action-result a[href="/app/log#entry=${done.index}"]`);
    await page.waitForSelector('#lookup-result .entry-proof');
    expect(await page.getAttribute('#lookup-result .entry-proof', 'data-state')).toBe('ok');
    expect(await page.textContent('#lookup-result')).toContain(`Proved in this browser: entry ${done.index}`);
    await screenshot(page, 'scan-action-in-log');
    await page.goBack();
    await page.waitForSelector('#workspace:not([hidden])');
    await page.focus('#scan');
    // The same package scanned again: already dispensed, red, nothing to dispense.
    expect(await scan('G1')).toMatchObject({ tone: 'red' });
    expect((await scan('G1')).actions).not.toContain('dispense');
  });

  it('quarantine with a reason; the next scan shows the hold', async () => {
    expect((await scan('G2')).actions).toContain('quarantine');
    await page.click('#card [data-action="quarantine"]');
    await page.waitForSelector('#action-dialog[open]');
    expect(await focusedId(page)).toBe('f-reason');
    await page.fill('#f-reason', 'torn seal on the carton');
    await page.click('#action-confirm');
    const done = await result();
    expect(await logged(done.index)).toMatchObject({ type: 'quarantine', body: { reason: 'torn seal on the carton' } });
    const again = await scan('G2');
    expect(again.tone).not.toBe('green');
    expect(await page.getAttribute('#card .next-step', 'data-reason')).toBe('QUARANTINED');
  });

  it('report a suspect product with the FDA Form 3911 fields: the required ones are checked before anything is sent', async () => {
    const card = await scan('R1', 'LOT-R');
    expect(card.tone).toBe('red');
    expect(card.actions).not.toContain('dispense');
    await page.click('#card [data-action="report"]');
    await page.waitForSelector('#action-dialog[open]');
    expect(await page.textContent('#action-fields')).toContain('Product (from the scan)');
    await page.click('#action-confirm');
    expect(await page.textContent('#action-error')).toBe('Choose the classification of the notification.');
    expect(await focusedId(page)).toBe('f-classification');
    await page.selectOption('#f-classification', 'counterfeit');
    await page.click('#action-confirm');
    expect(await focusedId(page)).toBe('f-description');
    await page.fill('#f-description', 'Carton print differs from the genuine; recalled lot still in the box.');
    await page.fill('#f-contactName', 'A. Pharmacist');
    await page.fill('#f-contactPhone', 'call me');
    await page.click('#action-confirm');
    expect(await focusedId(page)).toBe('f-contactPhone');
    await page.fill('#f-contactPhone', '+1 555 0100');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'scan-action-3911');
    await page.click('#action-confirm');
    const done = await result();
    expect(await logged(done.index)).toMatchObject({
      type: 'illegitimate',
      body: {
        items: units(gtin, ['R1']),
        report: {
          reportType: 'initial',
          classification: 'counterfeit',
          description: 'Carton print differs from the genuine; recalled lot still in the box.',
          contact: { name: 'A. Pharmacist', phone: '+1 555 0100' },
        },
      },
    });
  });

  it('start a return of a recalled package to the seller', async () => {
    const card = await scan('R2', 'LOT-R');
    expect(card.tone).toBe('red');
    await page.click('#card [data-action="return"]');
    await page.waitForSelector('#action-dialog[open]');
    await page.selectOption('#f-recipient', m.gln);
    await page.click('#action-confirm');
    const done = await result();
    expect(await logged(done.index)).toMatchObject({ type: 'ship', body: { reason: 'return', recipient: m.gln } });
  });

  it('a serial the log does not know: no action to take, and the card says why', async () => {
    const card = await scan('NOPE1');
    expect(card).toEqual({ tone: 'red', actions: [] });
    expect(await page.textContent('#card .action-note')).toBe(
      'Nothing can be recorded against a serial the log does not know: keep the package apart from saleable stock. This scan is recorded as a suspicious verification that regulators see.',
    );
  });

  it('verify-and-dispense at the counter: a green scan dispenses after its confirmation, a red one never does', async () => {
    await page.check('#counter-mode');
    const started = Date.now();
    await scan('G3');
    await page.waitForSelector('#action-dialog[open]');
    await page.keyboard.press('Enter');
    const first = await result();
    const counterMs = Date.now() - started;
    expect(await logged(first.index)).toMatchObject({ type: 'dispense', body: { items: units(gtin, ['G3']) } });
    expect(await focusedId(page)).toBe('scan');

    // Red (already dispensed; recalled): no dialog, nothing dispensed.
    for (const [serial, lot] of [
      ['D1', 'LOT-A'],
      ['R1', 'LOT-R'],
    ]) {
      const card = await scan(serial, lot);
      expect(card.tone).toBe('red');
      expect(card.actions).not.toContain('dispense');
      expect(await dialogOpen()).toBe(false);
    }

    // Auto-confirm (off by default): the next green scan is dispensed without the dialog, and it is the next entry
    // in the log after the first dispense: the red scans recorded nothing.
    expect(await page.isChecked('#auto-confirm')).toBe(false);
    await page.check('#auto-confirm');
    await page.focus('#scan');
    await scan('G4');
    const second = await result();
    expect(await dialogOpen()).toBe(false);
    expect(second.index).toBe(first.index + 1);
    expect(await logged(second.index)).toMatchObject({ type: 'dispense', body: { items: units(gtin, ['G4']) } });
    await page.uncheck('#counter-mode');
    console.log(`verify-and-dispense, scan to dispensed (confirmed with Enter), seen from the test: ${counterMs} ms`);
  });

  it("at the counter, scanning the next package while a confirmation is open cancels it: a scanner's Enter never confirms", async () => {
    await page.check('#counter-mode');
    expect(await page.isChecked('#auto-confirm')).toBe(false);
    await page.focus('#scan');
    await scan('G7');
    await page.waitForSelector('#action-dialog[open]');
    expect(await focusedId(page)).toBe('action-confirm');
    // The next package is scanned without confirming: the keys land on the dialog's Confirm button, its Enter too.
    expect((await scan('G8')).tone).toBe('green');
    await page.waitForSelector('#action-dialog[open]');
    expect(await page.textContent('#action-text')).toContain('serial G8');
    await page.keyboard.press('Enter');
    const done = await result();
    expect(await logged(done.index)).toMatchObject({ type: 'dispense', body: { items: units(gtin, ['G8']) } });
    const g7 = await b.t.http
      .get('/v1/verify')
      .query({ gtin, serial: 'G7' })
      .set(...p.auth);
    expect(g7.body).toMatchObject({ verdict: 'genuine', item: { status: 'active' } });
    await page.uncheck('#counter-mode');
  });

  it('receiving mode: expected vs scanned with the case counted with its contents; one missing, one extra; the receipt', async () => {
    await page.check('#mode-receive');
    await page.waitForSelector('#receiving:not([hidden])');
    await page.waitForSelector('#receiving-shipment option[value$=":ASN-7"]', { state: 'attached' });
    await page.selectOption('#receiving-shipment', `${m.gln}:ASN-7`);
    await page.waitForSelector('#receiving-items');
    await page.focus('#scan');
    const counts = () => page.textContent('#receiving-counts');
    expect(await counts()).toContain('0 of 4 units scanned');

    await scannerTypes(page, `00${caseCode.slice(4)}`);
    await page.waitForFunction(() =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('#receiving-counts')
        ?.textContent?.includes('2 of 4'),
    );
    await scannerTypes(page, code('U1'));
    await page.waitForFunction(() =>
      (globalThis as unknown as PageGlobals).document
        .querySelector('#receiving-counts')
        ?.textContent?.includes('3 of 4'),
    );
    // E1 is not in the advance notice: flagged extra, never counted as received.
    await scannerTypes(page, code('E1'));
    await page.waitForSelector('#receiving-extra');
    expect(await counts()).toBe('3 of 4 units scanned · 1 shipped item missing · 1 extra');
    const states = await page.$$eval('#receiving-items tr[data-code]', (rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-code'), r.getAttribute('data-state')])),
    );
    const [c1, c2, u1, u2, e1] = units(gtin, ['C1', 'C2', 'U1', 'U2', 'E1']);
    expect(states).toEqual({
      [caseCode]: 'arrived',
      [c1]: 'arrived',
      [c2]: 'arrived',
      [u1]: 'arrived',
      [u2]: 'missing',
    });
    expect(await page.$$eval('#receiving-extra li', (li) => li.map((l) => l.getAttribute('data-code')))).toEqual([e1]);
    await screenshot(page, 'scan-receiving');

    await page.click('#receiving-post');
    await page.waitForSelector('#action-dialog[open]');
    expect(await page.textContent('#action-text')).toBe(
      '2 shipped items (3 units) will be received into your custody. 1 missing item stays in transit and is reported as a discrepancy. 1 extra item is reported, not received.',
    );
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Enter');
    const done = await result('#receiving-result');
    expect(done.href).toBe(`/app/log#entry=${done.index}`);
    expect(await logged(done.index)).toMatchObject({
      type: 'receive',
      body: { shipper: m.gln, shipmentId: 'ASN-7', items: [caseCode, u1, e1] },
    });
    // Custody: what arrived is the pharmacy's; the missing unit is still in transit; the extra one is not received.
    for (const arrived of [caseCode, c1, c2, u1]) {
      expect(await item(b.t, arrived)).toMatchObject({ custodian: p.gln, status: 'active' });
    }
    expect(await item(b.t, u2)).toMatchObject({ status: 'in_transit' });
    expect(await item(b.t, e1)).toMatchObject({ custodian: m.gln });
    const shipment = await b.t.http.get('/v1/dispensers/me/shipments/incoming?status=received').set(...p.auth);
    expect(shipment.body.find((s: { shipmentId: string }) => s.shipmentId === 'ASN-7')).toMatchObject({
      discrepancy: { missing: [u2], extra: [e1] },
    });
    await page.check('#mode-verify');
  });

  it("a person signed in (cookie session) acts too: the CSRF token goes with each post, the device is the person's", async () => {
    const person = await newAdministrator(b.t, p);
    const { context, page: personal } = await b.newPage();
    await context.addCookies([
      { name: 'rxledger_session', value: person.sessionId, url: b.baseUrl, httpOnly: true, sameSite: 'Strict' },
      { name: 'rxledger_csrf', value: person.csrfToken, url: b.baseUrl, sameSite: 'Strict' },
    ]);
    await personal.goto('/app/scan');
    await personal.waitForSelector('#workspace:not([hidden])');
    const counter = page;
    page = personal;
    try {
      await page.click('#device-register');
      await page.waitForSelector('#device-status[data-key-id]');
      const keyId = (await page.getAttribute('#device-status', 'data-key-id'))!;
      expect((await scan('G6')).actions).toContain('dispense');
      await page.click('#card [data-action="dispense"]');
      await page.waitForSelector('#action-dialog[open]');
      await page.keyboard.press('Enter');
      const done = await result();
      expect(await logged(done.index)).toMatchObject({ type: 'dispense', keyId, body: { items: units(gtin, ['G6']) } });
      const devices = await person.get('/app/devices');
      expect(devices.body.find((d: { keyId: string }) => d.keyId === keyId)).toMatchObject({
        personName: person.person.name,
      });
    } finally {
      page = counter;
    }
  });

  it('at phone width: the card with its actions and the dialog', async () => {
    await page.setViewportSize(VIEWPORTS.phone);
    await scan('G5');
    await screenshot(page, 'scan-action-card');
    await page.click('#card [data-action="quarantine"]');
    await page.waitForSelector('#action-dialog[open]');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'scan-action-dialog');
    await page.keyboard.press('Escape');
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.setViewportSize(VIEWPORTS.phone);
    await page.check('#mode-receive');
    await page.waitForSelector('#receiving:not([hidden])');
    await screenshot(page, 'scan-receiving');
    await page.check('#mode-verify');
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  it('timing: scan to card median (goal < 100 ms), printed, not asserted beyond sanity', async () => {
    await page.evaluate(() => performance.clearMeasures());
    await page.focus('#scan');
    for (let i = 0; i < TIMED; i++) await scan('G5');
    const measured = (name: string) =>
      page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration), name);
    const times = await measured('scan-to-card');
    // Its parts (web/src/scan/main.ts): the request, the evidence check here, the rendering to the painted frame.
    const parts = `request ${median(await measured('scan-request'))} ms, evidence check ${median(await measured('scan-evidence-check'))} ms, render ${median(await measured('scan-render'))} ms`;
    expect(times.length).toBe(TIMED);
    const p50 = median(times);
    // Same-run baseline (the machine is shared): a trivial GET from the page, timed the same way.
    const trivial = await page.evaluate(async (n) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        await (await fetch('/v1/health/live', { cache: 'no-store' })).text();
        out.push(performance.now() - start);
      }
      return out;
    }, TIMED);
    const base = median(trivial);
    console.log(
      `scan to card (card with its actions), median of ${TIMED}: ${p50} ms (${parts}) · goal < 100 ms · ${p50 < 100 ? 'met' : 'NOT met'}; ` +
        `same-run baseline GET /v1/health/live from the page: median ${base} ms (ratio ${Math.round((p50 / base) * 10) / 10}); ` +
        'shared 2-core machine; npx jest test/browser/scan-actions.browser-spec.ts',
    );
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThan(10_000);
    expect(problemsOf(page).slice(signedIn)).toEqual([]);
  });
});
