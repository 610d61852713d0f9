import { toBuffer } from 'bwip-js/node';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
  focusedId,
  launchChromium,
  PageGlobals,
  problemsOf,
  screenshot,
  SCREENSHOTS,
  scannerTypes,
  startBrowserApp,
  stored,
  VIEWPORTS,
} from './support/browser';
import { y4mOf } from './support/fake-camera';

const GS = '\u001d';
const SCANS = 30;
const ARTIFACTS = resolve(SCREENSHOTS, '..');

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1))] * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), max: at(1), min: at(0) };
}

describe('pharmacist: scan and verify (/app/scan)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let p: TestParty;
  let gtin: string;
  let page: Page;

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    ({ manufacturer: m, pharmacy: p } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1', 'A2', 'A5'] });
    await accept(t, m, 'commission', { gtin, lot: 'OLD', expiry: '240100', serials: ['O1'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    const toPharmacy = units(gtin, ['A1', 'A2', 'A5', 'R1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items: toPharmacy, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items: toPharmacy });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'contamination', classification: 'II' });
    await accept(t, p, 'dispense', { items: units(gtin, ['A5']) }, true);
    ({ page } = await b.newPage());
    await page.goto('/app/scan');
    await page.fill('#signin-token', p.token);
    await page.press('#signin-token', 'Enter');
    await page.waitForSelector('#workspace:not([hidden])');
  });
  afterAll(async () => {
    console.log(`screenshots: ${SCREENSHOTS}`);
    await b?.close();
  });

  /**
   * What a wedge scanner types for a package. Expiry (fixed length) last: no prefix of the code is a whole code, so
   * a pause inside a burst (a loaded machine delaying keystrokes) can never submit half a scan without its Enter.
   */
  const code = (serial: string, lot: string, exp: string) => `]d201${gtin}21${serial}${GS}10${lot}${GS}17${exp}`;

  /** The id of the newest scan in the session's list (the next one gets this + 1). */
  const latestScan = async () =>
    Number(
      await page.evaluate(
        () =>
          (globalThis as unknown as PageGlobals).document
            .querySelector('#history .history-item')
            ?.getAttribute('data-id') ?? 0,
      ),
    );

  /** Types like a keyboard-wedge scanner into whatever has focus, ends with Enter, and waits for the new card. */
  async function scan(text: string, { enter = true } = {}) {
    const before = await latestScan();
    await scannerTypes(page, text, { enter });
    await page.waitForSelector(`#card[data-scan="${before + 1}"]:not(.is-stale)`);
    return page.$eval('#card', (card) => ({
      tone: card.className.replace(/.*card--(\w+).*/, '$1'),
      title: card.querySelector('#card-title')?.textContent,
      reasons: [...card.querySelectorAll('.reason')].map((item) => item.getAttribute('data-code')),
      evidence: card.querySelector('.evidence')?.textContent,
      evidenceState: card.querySelector('.evidence')?.getAttribute('data-state'),
      facts: Object.fromEntries(
        [...card.querySelectorAll('.fact')].map((f) => [
          f.querySelector('dt')!.textContent,
          f.querySelector('dd')!.textContent,
        ]),
      ),
    }));
  }

  it('signs in with the pharmacy token and pins the log key', async () => {
    expect(await page.textContent('#who')).toContain('Corner Pharmacy');
    const vkey = (await b.t.http.get('/v1/log/vkey')).text.trim();
    expect((await stored<{ vkey: string }>(page, 'rxledger.logKey')).vkey).toBe(vkey);
    expect(await focusedId(page)).toBe('scan');
  });

  it('a genuine package held by the pharmacy: green, with the evidence checked in the browser', async () => {
    const card = await scan(code('A1', 'LOT-A', '291231'));
    expect(card).toMatchObject({ tone: 'green', title: 'Genuine: OK to dispense', reasons: [], evidenceState: 'ok' });
    expect(card.evidence).toMatch(/Evidence checked in this browser against checkpoint \d+/);
    expect(card.facts).toMatchObject({
      Product: 'Amoxicillin 500 mg capsule',
      Lot: 'LOT-A',
      Expiry: 'Dec 31, 2029',
      Serial: 'A1',
    });
    expect(await page.textContent('#announce')).toContain('Genuine: OK to dispense');
    // Ready for the next package at once: the box is empty and still has the focus.
    expect(await page.inputValue('#scan')).toBe('');
    expect(await focusedId(page)).toBe('scan');
    await screenshot(page, 'scan-genuine');
  });

  it('an expired package: red, "Expired"', async () => {
    const card = await scan(code('O1', 'OLD', '240100'));
    expect(card.tone).toBe('red');
    expect(card.title).toBe('Do not dispense');
    expect(card.reasons).toContain('EXPIRED');
    expect(await page.textContent('#card .reason[data-code="EXPIRED"]')).toBe('Expired: expired on 2024-01-31.');
    // Its own headline and next step (issue 13 §2), not one shared red card.
    expect(await page.textContent('#card .next-step[data-reason="EXPIRED"] .next-step-title')).toBe('Expired');
    expect(await page.textContent('#card .next-step-text')).toMatch(/return or destruction/);
  });

  it('a recalled package: red, "Recalled"', async () => {
    const card = await scan(code('R1', 'LOT-R', '291231'));
    expect(card).toMatchObject({ tone: 'red', reasons: ['RECALLED'], evidenceState: 'ok' });
    expect(await page.textContent('#card .next-step[data-reason="RECALLED"] .next-step-title')).toBe('Recalled lot');
    expect(await page.textContent('#card .next-step-text')).toMatch(/Quarantine it under the recall/);
    expect(await page.textContent('#card .next-step-detail')).toMatch(/^Class II recall by .+: contamination\.$/);
    // The recall entry is the proof (PROTOCOL §8.4), worded as proof, not as the green card's tick.
    expect(await page.getAttribute('#card .evidence', 'data-proves')).toBe('RECALLED');
    await screenshot(page, 'scan-recalled');
  });

  it('an already dispensed package (a clone): red, "Already dispensed"', async () => {
    const card = await scan(code('A5', 'LOT-A', '291231'));
    expect(card).toMatchObject({ tone: 'red', reasons: ['ALREADY_DISPENSED'] });
    expect(await page.textContent('#card .next-step .next-step-title')).toMatch(/^Suspected clone/);
    expect(await page.textContent('#card .next-step-detail')).toMatch(
      /^This serial was dispensed on \d{4}-\d{2}-\d{2}\.$/,
    );
    await screenshot(page, 'scan-already-dispensed');
  });

  it('GS typed in its other forms, and a scanner that sends no Enter', async () => {
    expect((await scan(`]d201${gtin}21A1<GS>10LOT-A<GS>17291231`)).tone).toBe('green');
    expect((await scan(`01${gtin}21A110LOT-A17291231`)).tone).toBe('green');
    expect((await scan(code('A2', 'LOT-A', '291231'))).tone).toBe('green');
    // This browser has seen the scanner end codes with Enter: a pause never ends a scan here. A scanner with no
    // Enter suffix is met in a browser that has not (scan-in-use.browser-spec.ts has the pauses mid-code).
    const { page: other } = await b.newPage();
    await other.goto('/app/scan');
    await other.fill('#signin-token', p.token);
    await other.press('#signin-token', 'Enter');
    await other.waitForSelector('#workspace:not([hidden])');
    await scannerTypes(other, code('A2', 'LOT-A', '291231'), { enter: false });
    await other.waitForSelector('#card[data-scan="1"]:not(.is-stale)');
    expect(await other.getAttribute('#card', 'class')).toContain('card--green');
    await other.close();
  });

  it('the scan box takes the scan even when focus was on a button', async () => {
    await page.focus('#camera');
    expect((await scan(code('A1', 'LOT-A', '291231'))).tone).toBe('green');
  });

  it("an unreadable scan says what is wrong, and the session's scans are listed", async () => {
    const wrongCheckDigit = (Number(gtin[13]) + 1) % 10;
    const card = await scan(`]d201${gtin.slice(0, 13)}${wrongCheckDigit}21A1`);
    expect(card.tone).toBe('grey');
    expect(card.title).toBe('Could not read this code');
    expect(await page.textContent('#card .card-sub')).toMatch(/check digit/i);
    const listed = await page.$$eval('#history .history-item', (items) =>
      items.map((i) => i.getAttribute('data-tone')),
    );
    expect(listed.slice(0, 5)).toEqual(['grey', 'green', 'green', 'green', 'green']);
    expect(listed).toHaveLength(9);
  });

  it('is usable with the keyboard alone: Tab reaches the tools and past scans, Enter reopens one', async () => {
    await page.focus('#scan');
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const active = (globalThis as unknown as PageGlobals).document.activeElement;
          return active?.id || active?.className || '';
        }),
      );
    }
    // The mode (one stop for its radio group) and the counter setting come before the scans (issue 13 §2); the
    // card's actions are disabled without a device key, so Tab passes them.
    expect(order).toEqual(['camera', 'photo', 'mode-verify', 'counter-mode', 'history-item']);
    // Back to an older scan: the expired package (the 8th most recent).
    for (let i = 0; i < 7; i++) await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toContain('serial O1');
    await page.keyboard.press('Enter');
    expect(await page.textContent('#card-title')).toBe('Do not dispense');
    expect(await page.textContent('#card .card-sub')).toContain('Expired');
    // A scanner starting to type while focus is on that past scan still fills the scan box.
    expect((await scan(code('A1', 'LOT-A', '291231'))).tone).toBe('green');
  });

  /** A GS1 DataMatrix of a LOT-A package, as printed on it. */
  const dataMatrix = (serial: string) =>
    toBuffer({
      bcid: 'gs1datamatrix',
      text: `(01)${gtin}(21)${serial}(17)291231(10)LOT-A`,
      scale: 6,
      paddingwidth: 4,
      paddingheight: 4,
      backgroundcolor: 'FFFFFF',
    });

  it('a photo of the DataMatrix is decoded in the browser and verified', async () => {
    const png = await dataMatrix('A1');
    const before = await latestScan();
    await page.setInputFiles('#photo-file', { name: 'package.png', mimeType: 'image/png', buffer: png });
    await page.waitForSelector(`#card[data-scan="${before + 1}"]:not(.is-stale)`);
    expect(await page.getAttribute('#card', 'class')).toContain('card--green');
    expect(await page.textContent('#card .fact--wide dd')).toBe('Amoxicillin 500 mg capsule');
    expect(await page.getAttribute('#card .evidence', 'data-state')).toBe('ok');
  });

  it('the camera reads the DataMatrix (ZXing: this Chromium has no BarcodeDetector) and verifies it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rxledger-camera-'));
    const video = join(folder, 'package.y4m');
    writeFileSync(video, y4mOf(await dataMatrix('A2')));
    const camera = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ]);
    try {
      const context = await camera.newContext({ baseURL: b.baseUrl, viewport: VIEWPORTS.desktop });
      await context.grantPermissions(['camera']);
      const cam = await context.newPage();
      await cam.goto('/app/scan');
      await cam.fill('#signin-token', p.token);
      await cam.press('#signin-token', 'Enter');
      await cam.waitForSelector('#workspace:not([hidden])');
      expect(await cam.evaluate(() => 'BarcodeDetector' in globalThis)).toBe(false);
      await cam.click('#camera');
      await cam.waitForSelector('#camera-dialog[open]');
      await cam.waitForSelector('#card[data-scan="1"].card--green', { timeout: 20_000 });
      expect(await cam.isVisible('#camera-dialog')).toBe(false);
      expect(await cam.textContent('#card .fact:nth-child(5) dd')).toBe('A2');
      // The camera is off again, and focus is back in the scan box.
      expect(
        await cam.$eval('#camera-video', (video) => (video as unknown as { srcObject: unknown }).srcObject),
      ).toBeNull();
      expect(await focusedId(cam)).toBe('scan');
    } finally {
      await camera.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('evidence tampered with on the way turns the evidence line into a failure', async () => {
    await page.route('**/v1/verify?*', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      const hash = Buffer.from(body.evidence.inclusionProof.hashes[0], 'base64');
      hash[7] ^= 0x01;
      body.evidence.inclusionProof.hashes[0] = hash.toString('base64');
      await route.fulfill({ response, json: body });
    });
    try {
      const card = await scan(code('A1', 'LOT-A', '291231'));
      expect(card.evidenceState).toBe('failed');
      expect(card.evidence).toMatch(
        /Evidence check failed in this browser: the inclusion proof of entry \d+ does not lead to checkpoint \d+/i,
      );
      // The server still says genuine; a card whose evidence fails is never green.
      expect(card.tone).toBe('amber');
      await screenshot(page, 'scan-tampered');
    } finally {
      await page.unroute('**/v1/verify?*');
    }
  });

  it('scan-to-card time (keystroke of Enter to card on screen) over 30 scans', async () => {
    await page.evaluate(() => performance.clearMeasures());
    const outside: number[] = [];
    const trivial: number[] = [];
    for (let i = 0; i < SCANS; i++) {
      const before = await latestScan();
      // One key at a time, each handled before the next is sent, as a scanner's keystrokes arrive a few ms apart
      // (scannerTypes delivers a whole burst at once: the page then works through ~80 queued key events after the
      // Enter's timestamp, which no scanner does). Expiry last, so that no prefix of the code is a whole code.
      await page.keyboard.type(`]d201${gtin}21${i % 2 ? 'A1' : 'A2'}${GS}10LOT-A${GS}17291231`);
      const started = performance.now();
      await page.keyboard.press('Enter');
      await page.waitForSelector(`#card[data-scan="${before + 1}"].card--green`);
      outside.push(performance.now() - started);
      // Baseline in the same run: the page's round trip to the cheapest endpoint of the same server.
      trivial.push(
        await page.evaluate(async () => {
          const start = performance.now();
          await fetch('/v1/health/live');
          return performance.now() - start;
        }),
      );
    }
    // The page's own measure: from the Enter keydown event's timestamp to the frame that paints the card.
    await page.waitForFunction((n) => performance.getEntriesByName('scan-to-card').length >= n, SCANS);
    const measures = (name: string) =>
      page.evaluate((n) => performance.getEntriesByName(n).map((e) => e.duration), name);
    const inPage = await measures('scan-to-card');
    const result = {
      scans: SCANS,
      inPage: summary(inPage),
      inputDelay: summary(await measures('scan-input-delay')),
      request: summary(await measures('scan-request')),
      evidenceCheck: summary(await measures('scan-evidence-check')),
      render: summary(await measures('scan-render')),
      trivialRoundTrip: summary(trivial),
      /** From sending the Enter to seeing the card, from the test process (adds CDP round trips). */
      seenFromTest: summary(outside),
      at: new Date().toISOString(),
    };
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(`${ARTIFACTS}/scan-to-card.json`, JSON.stringify(result, null, 2) + '\n');
    console.log(
      `scan-to-card over ${SCANS} scans: p50 ${result.inPage.p50} ms, p95 ${result.inPage.p95} ms in the page ` +
        `(of which the input delay p50 ${result.inputDelay.p50} ms, the request p50 ${result.request.p50} ms, the evidence check p50 ${result.evidenceCheck.p50} ms, ` +
        `rendering to the painted frame p50 ${result.render.p50} ms; same-run baseline: GET /v1/health/live from the page ` +
        `p50 ${result.trivialRoundTrip.p50} ms; ` +
        `Enter to card seen from the test through CDP: p50 ${result.seenFromTest.p50} ms, p95 ${result.seenFromTest.p95} ms); ${ARTIFACTS}/scan-to-card.json`,
    );
    expect(inPage).toHaveLength(SCANS);
    // The goal is 100 ms; this machine is shared and noisy, so the test fails only far beyond it.
    expect(result.inPage.p50).toBeLessThan(500);
  });

  it('is usable at phone width', async () => {
    const { page: phone } = await b.newPage(VIEWPORTS.phone);
    await phone.goto('/app/scan');
    await phone.screenshot({ path: `${SCREENSHOTS}/scan-signin-phone.png` });
    await phone.fill('#signin-token', p.token);
    await phone.click('#signin-form button');
    await phone.waitForSelector('#workspace:not([hidden])');
    await scannerTypes(phone, code('R1', 'LOT-R', '291231'));
    await phone.waitForSelector('#card.card--red');
    await screenshot(phone, 'scan-recalled');
    expect(problemsOf(phone)).toEqual([]);
  });

  it('reported no script errors', () => {
    expect(problemsOf(page).filter((p) => !p.includes('400') && !p.includes('Bad Request'))).toEqual([]);
  });
});
