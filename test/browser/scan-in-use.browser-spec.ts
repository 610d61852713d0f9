/**
 * Issue 13 §3, "bugs found in use", as a pharmacist and a regulator meet them: a scanner that pauses mid-code, an
 * unknown-serial alert the regulator cannot act on, an unknown serial's printed lot and expiry shown as facts, an
 * unhyphenated NDC, a parser's message for a pharmacist; and (§2, §4) a red card's evidence that proves its reason
 * and an already-dispensed scan that is red in the regulator's list.
 */
import { Page } from 'playwright-core';
import { makeGtin14 } from '../../src/gs1/identifiers';
import {
  accept,
  newTradingPartners,
  productDetails,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import { BrowserApp, problemsOf, scannerTypes, screenshot, startBrowserApp, waitForCount } from './support/browser';

const GS = '\u001d';
/** A pause a Bluetooth scanner makes mid-code while it flushes its buffer (the scanner's, not a wait for the page). */
const BLUETOOTH_PAUSE_MS = 250;

describe('scan page and alerts in daily use (issue 13 §3)', () => {
  let b: BrowserApp;
  let m: TestManufacturer;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let recallIndex: number;
  let dispenseIndex: number;
  let labelerGtin: string;

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    ({ manufacturer: m, pharmacy: p, regulator: r } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', {
      gtin,
      lot: 'LOT-A',
      expiry: '291231',
      serials: ['P100200300', 'P100200301', 'P100200302', 'D1'],
    });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    const items = units(gtin, ['P100200300', 'P100200301', 'P100200302', 'D1', 'R1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items });
    recallIndex = (await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'contamination' })).index;
    // A labeler's NDC product: GS1 US issues an NDC labeler the company prefix 03 + its labeler code (here 4 digits).
    const labelerPrefix = `03${String((Number(m.prefix.slice(2, 4)) + 50) % 100).padStart(2, '0')}12`;
    const granted = await t.http
      .post(`/v1/manufacturers/${m.gln}/prefixes`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ prefix: labelerPrefix });
    expect(granted.status).toBe(201);
    labelerGtin = makeGtin14('0', labelerPrefix, '000123');
    await accept(t, m, 'product.register', { gtin: labelerGtin, ...productDetails });
    dispenseIndex = (await accept(t, p, 'dispense', { items: units(gtin, ['D1']) }, true)).index;
  });
  afterAll(async () => {
    await b?.close();
  });

  /** Serial last: the front of the code up to any point inside the serial reads as a whole product identifier. */
  const code = (serial: string, lot = 'LOT-A', exp = '291231') => `]d201${gtin}17${exp}10${lot}${GS}21${serial}`;

  const alertIds = async () =>
    (
      (
        await b.t.http
          .get('/v1/verify/alerts')
          .query({ limit: 1000 })
          .set(...r.auth)
      ).body as { id: string }[]
    ).map((a) => a.id);

  async function signedInScanPage(): Promise<Page> {
    const { page } = await b.newPage();
    await page.goto('/app/scan');
    await page.fill('#signin-token', p.token);
    await page.press('#signin-token', 'Enter');
    await page.waitForSelector('#workspace:not([hidden])');
    return page;
  }

  const historyLength = (page: Page) => page.$$eval('#history .history-item', (items) => items.length);
  const card = (page: Page) =>
    page.$eval('#card', (c) => ({
      scan: c.getAttribute('data-scan'),
      tone: c.className.replace(/.*card--(\w+).*/, '$1'),
      reasons: [...c.querySelectorAll('.reason')].map((i) => i.getAttribute('data-code')),
      facts: Object.fromEntries(
        [...c.querySelectorAll('.fact')].map((f) => [
          f.querySelector('dt')!.textContent,
          f.querySelector('dd')!.textContent,
        ]),
      ),
    }));

  /** Types the code as a scanner that stops for `pauseMs` after `splitAt` characters, then ends (or not) with Enter. */
  async function pausingScanner(page: Page, text: string, splitAt: number, pauseMs: number, enter: boolean) {
    await scannerTypes(page, text.slice(0, splitAt), { enter: false });
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    await scannerTypes(page, text.slice(splitAt), { enter });
  }

  describe('a scanner that pauses mid-code', () => {
    let page: Page;
    beforeAll(async () => {
      page = await signedInScanPage();
    });

    it('ending codes with Enter, on its first scan in this browser: one package, one scan, no alert', async () => {
      const before = await alertIds();
      const text = code('P100200300');
      await pausingScanner(page, text, text.length - 4, BLUETOOTH_PAUSE_MS, true);
      await page.waitForSelector('#card[data-scan="1"]:not(.is-stale)');
      expect(await card(page)).toMatchObject({ scan: '1', tone: 'green', facts: { Serial: 'P100200300' } });
      expect(await historyLength(page)).toBe(1);
      expect(await alertIds()).toEqual(before);
    });

    it('once it has seen Enter end a code, no pause ends a scan, however long', async () => {
      const text = code('P100200301');
      // Longer than the pause after which a scanner without an Enter suffix is taken to have finished.
      await pausingScanner(page, text, text.length - 3, 900, true);
      await page.waitForSelector('#card[data-scan="2"]:not(.is-stale)');
      expect(await card(page)).toMatchObject({ tone: 'green', facts: { Serial: 'P100200301' } });
      expect(await historyLength(page)).toBe(2);
      expect(problemsOf(page)).toEqual([]);
    });
  });

  it('a scanner with no Enter suffix: a mid-code pause does not split the code; the whole code is then taken', async () => {
    const page = await signedInScanPage();
    const before = await alertIds();
    const text = code('P100200302');
    await pausingScanner(page, text, text.length - 4, BLUETOOTH_PAUSE_MS, false);
    await page.waitForSelector('#card[data-scan="1"]:not(.is-stale)');
    expect(await card(page)).toMatchObject({ tone: 'green', facts: { Serial: 'P100200302' } });
    expect(await historyLength(page)).toBe(1);
    expect(await alertIds()).toEqual(before);
  });

  describe('the card', () => {
    let page: Page;
    beforeAll(async () => {
      page = await signedInScanPage();
    });

    const scan = async (text: string) => {
      const n = (await historyLength(page)) + 1;
      await scannerTypes(page, text);
      await page.waitForSelector(`#card[data-scan="${n}"]:not(.is-stale)`);
      return card(page);
    };

    it('an unknown serial: lot and expiry are what the package says, not facts; the NDC has its hyphens', async () => {
      const shown = await scan(code('FAKE1', 'LOT-Z', '281130'));
      expect(shown).toMatchObject({ tone: 'red', reasons: ['UNKNOWN_SERIAL'] });
      expect(shown.facts.Lot).toBe('LOT-Z as printed on the package; not in the log');
      expect(shown.facts.Expiry).toBe('Nov 30, 2028 as printed on the package; not in the log');
      expect(await page.getAttribute('#card .fact--unconfirmed', 'data-confirmed')).toBe('false');
      // 21 CFR 207.33: labeler-product-package, 4-4-2, 5-3-2 or 5-4-1; the digits are the GTIN's (indicator, 03, NDC).
      // The manufacturer's prefix is 03 + 5 digits (a 5-digit labeler code): 5-3-2 or 5-4-1, both shown.
      const ndc = gtin.slice(3, 13);
      expect(m.prefix).toMatch(/^03\d{5}$/);
      expect(shown.facts.NDC).toBe(
        `${ndc.slice(0, 5)}-${ndc.slice(5, 8)}-${ndc.slice(8)} or ${ndc.slice(0, 5)}-${ndc.slice(5, 9)}-${ndc.slice(9)}`,
      );
      expect(shown.facts.NDC).not.toContain(ndc);
      // Under a labeler's prefix (03 + a 4-digit labeler code), one form: 4-4-2.
      await scan(`]d201${labelerGtin}1728113010LOT-Z${GS}21FAKE2`);
      const labelerNdc = labelerGtin.slice(3, 13);
      expect((await card(page)).facts.NDC).toBe(
        `${labelerNdc.slice(0, 4)}-${labelerNdc.slice(4, 8)}-${labelerNdc.slice(8)}`,
      );
      await screenshot(page, 'scan-unknown-serial');
    });

    it('a code that is not a GS1 barcode says so in words, not "application identifier at character 1"', async () => {
      const shown = await scan('4006381333931PRICE');
      expect(shown.tone).toBe('grey');
      const sub = await page.textContent('#card .card-sub');
      expect(sub).toMatch(/^This is not a GS1 barcode of a drug package/);
      expect(sub).not.toMatch(/application identifier|character \d/);
    });

    it('already dispensed: red, and its evidence is the dispense entry, worded as proof, not endorsement', async () => {
      const shown = await scan(code('D1'));
      expect(shown).toMatchObject({ tone: 'red', reasons: ['ALREADY_DISPENSED'] });
      const evidence = await page.$eval('#card .evidence', (e) => ({
        state: e.getAttribute('data-state'),
        proves: e.getAttribute('data-proves'),
        text: e.textContent,
      }));
      expect(evidence).toMatchObject({ state: 'ok', proves: 'ALREADY_DISPENSED' });
      expect(evidence.text).toContain(
        `the dispensing of this serial, log entry ${dispenseIndex}, checked in this browser`,
      );
      expect(evidence.text).not.toMatch(/✓|Evidence checked/);
      // Nor in the list of this session's scans.
      const listed = await page.textContent('#history .history-item');
      expect(listed).toContain('proof checked');
      expect(listed).not.toContain('✓');
      await screenshot(page, 'scan-dispensed');
    });

    it("recalled: the evidence is the lot's recall entry", async () => {
      const shown = await scan(code('R1', 'LOT-R'));
      expect(shown).toMatchObject({ tone: 'red', reasons: ['RECALLED'] });
      expect(await page.getAttribute('#card .evidence', 'data-proves')).toBe('RECALLED');
      expect(await page.textContent('#card .evidence')).toContain(`the recall of this lot, log entry ${recallIndex}`);
    });
  });

  describe("the regulator's alert list", () => {
    let page: Page;
    beforeAll(async () => {
      ({ page } = await b.newPage());
      await page.goto('/app/regulator');
      await page.fill('#signin-token', r.token);
      await page.press('#signin-token', 'Enter');
      await page.waitForSelector('#workspace:not([hidden])');
      // Verification alerts are triaged server-side (issue 13 §4): one alert per unit and kind.
      await waitForCount(page, '#triage-list .triage-item', 2, { atLeast: true });
    });

    const verificationAlert = (text: string) =>
      page.$$eval(
        '#triage-list .triage-item',
        (items, t) => {
          const item = items.find((i) => i.textContent!.includes(t));
          return item
            ? {
                what: item.querySelector('.alert-what')!.textContent,
                severity: item.getAttribute('data-severity'),
                colour: item.querySelector('.chip')!.className,
              }
            : null;
        },
        text,
      );

    it('an unknown serial: the parsed identifiers, no raw scanner text, the printed lot not as a fact, and a report on the serial', async () => {
      const alert = await verificationAlert('FAKE1');
      expect(alert).toEqual({
        what: `GTIN ${gtin} · serial FAKE1 · lot LOT-Z as printed (not in the log)`,
        severity: 'high',
        colour: 'chip chip--red',
      });
      await page.click('#triage-list .triage-item:has-text("FAKE1") button');
      await page.click('button:has-text("Report on serial FAKE1")');
      await page.waitForSelector('#report .error');
      expect(await page.textContent('#report .error')).toContain(`no unit FAKE1 of GTIN ${gtin} was commissioned`);
    });

    it('an already-dispensed scan (a possible clone) is red', async () => {
      expect(await verificationAlert('serial D1 ·')).toMatchObject({ severity: 'high', colour: 'chip chip--red' });
      await screenshot(page, 'regulator-alerts-in-use');
      // The one 404 is the report on the serial never commissioned, above.
      expect(problemsOf(page).filter((x) => !x.includes('404'))).toEqual([]);
    });
  });
});
