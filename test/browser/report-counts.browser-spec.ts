/**
 * Issue 13 §3: a shipment that mixes two lots. In the report on one lot, every format counts the same units for
 * every event: the web page's timeline, the PDF (read back with poppler's pdftotext) and the CSV (one row per unit
 * and event). Before, the page counted the shipment's whole item list (both lots): "shipped 6 units", where the
 * PDF said 5.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Page } from 'playwright-core';
import { accept, newTradingPartners, registerProduct, transaction, units } from '../support/supply-chain';
import { TestParty } from '../support/test-app';
import { BrowserApp, problemsOf, screenshot, startBrowserApp } from './support/browser';

describe('one count of units per event in every format (mixed-lot shipment)', () => {
  let b: BrowserApp;
  let r: TestParty;
  let gtin: string;
  let page: Page;
  const lotA = ['A1', 'A2', 'A3', 'A4', 'A5'];

  beforeAll(async () => {
    b = await startBrowserApp();
    const t = b.t;
    const { manufacturer: m, distributor: d, pharmacy: p, regulator } = await newTradingPartners(t);
    r = regulator;
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: lotA });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-B', expiry: '300630', serials: ['B1'] });
    // One shipment, two lots: five units of LOT-A and one of LOT-B.
    const mixed = units(gtin, [...lotA, 'B1']);
    await accept(t, m, 'ship', { shipmentId: 'MIX-1', recipient: d.gln, items: mixed, transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'MIX-1', items: mixed });
    // Part of the lot goes on with another lot again (a case packed of both lots, then shipped).
    const onward = units(gtin, ['A1', 'A2', 'B1']);
    const tote = m.newContainerCode();
    await accept(t, d, 'pack', { parent: tote, children: onward });
    await accept(t, d, 'ship', { shipmentId: 'MIX-2', recipient: p.gln, items: [tote], transaction });
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'MIX-2', items: [tote] });
    await accept(t, p, 'dispense', { items: units(gtin, ['A1']) }, true);

    ({ page } = await b.newPage());
    await page.goto('/app/regulator');
    await page.fill('#signin-token', r.token);
    await page.press('#signin-token', 'Enter');
    await page.waitForSelector('#workspace:not([hidden])');
  });
  afterAll(async () => {
    await b?.close();
  });

  const report = (format: string) =>
    b.t.http
      .get('/v1/reports/lot')
      .query({ gtin, lot: 'LOT-A', format })
      .set(...r.auth)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });

  /** Log index → units, as the web page's timeline says them ("… shipped 5 units …"). */
  async function webCounts(): Promise<Map<number, number>> {
    await page.check('input[name="kind"][value="lot"]');
    await page.fill('#f-gtin', gtin);
    await page.fill('#f-lot', 'LOT-A');
    await page.click('#show-report');
    await page.waitForSelector('#report .timeline-item');
    await screenshot(page, 'regulator-lot-mixed');
    const lines = await page.$$eval('#report .timeline-item', (items) =>
      items.map((i) => ({
        index: i.querySelector('.timeline-index')!.textContent!,
        what: i.querySelector('.timeline-what')!.textContent!,
      })),
    );
    const counts = new Map<number, number>();
    for (const { index, what } of lines) {
      const units = /(\d+) units?\b/.exec(what);
      if (units) counts.set(Number(/\d+/.exec(index)![0]), Number(units[1]));
    }
    return counts;
  }

  /** Log index → units, from the PDF's custody timeline (one line per event here: no two alike in a row). */
  function pdfCounts(pdf: Buffer): { counts: Map<number, number>; text: string } {
    const dir = mkdtempSync(join(tmpdir(), 'rxledger-pdf-'));
    try {
      writeFileSync(join(dir, 'report.pdf'), pdf);
      execFileSync('pdftotext', ['-layout', join(dir, 'report.pdf'), join(dir, 'report.txt')]);
      const text = execFileSync('cat', [join(dir, 'report.txt')]).toString();
      const timeline = text.slice(text.indexOf('Custody timeline'), text.indexOf('Alerts and investigations'));
      const counts = new Map<number, number>();
      // "12   2026-12-05   Shipped   Big Wholesale (GLN   2 to Corner Pharmacy (GLN" (the time on the next line)
      for (const match of timeline.matchAll(
        /^\s*(\d+)\s+\d{4}-\d\d-\d\d\s+(Commissioned|Shipped|Received|Dispensed|Packed)\s.*?\s(\d+)(?:\s|$)/gm,
      )) {
        counts.set(Number(match[1]), Number(match[3]));
      }
      return { counts, text };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Log index → units, from the CSV: one row per unit and event. */
  function csvCounts(csv: Buffer): Map<number, number> {
    const rows = parse(csv, { columns: true }) as { log_index: string; lot: string }[];
    const counts = new Map<number, number>();
    for (const row of rows) counts.set(Number(row.log_index), (counts.get(Number(row.log_index)) ?? 0) + 1);
    return counts;
  }

  it('the web page, the PDF and the CSV give every event the same count of the lot’s units', async () => {
    const web = await webCounts();
    const pdf = pdfCounts((await report('pdf')).body as Buffer);
    const csv = csvCounts((await report('csv')).body as Buffer);
    const ship = [...web.keys()][1]; // commission, then the mixed shipment
    // The mixed shipment carried 6 units, 5 of them of LOT-A: the report on LOT-A says 5 everywhere.
    expect(await page.textContent(`#report .timeline-item:has-text("log entry ${ship}")`)).toContain('shipped 5 units');
    expect(web.size).toBeGreaterThanOrEqual(6);
    for (const [index, count] of web) {
      expect({ index, web: count, pdf: pdf.counts.get(index), csv: csv.get(index) }).toEqual({
        index,
        web: count,
        pdf: count,
        csv: count,
      });
    }
    // And the number of units in the report.
    const summaryUnits = Number(await page.textContent('#report .summary-facts .fact:nth-child(2) dd'));
    expect(summaryUnits).toBe(5);
    expect(pdf.text).toMatch(/Contents\s+5 unit\(s\)/);
    expect(problemsOf(page)).toEqual([]);
  });
});
