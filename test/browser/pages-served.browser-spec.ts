import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newTradingPartners } from '../support/supply-chain';
import { TestApp, TestParty } from '../support/test-app';
import { createPagesApp } from './support/browser';

/** How the application serves the built pages: no browser needed to check the HTTP side. */
describe('pages served by the application', () => {
  let t: TestApp;
  let p: TestParty;
  let r: TestParty;

  beforeAll(async () => {
    t = await createPagesApp();
    ({ pharmacy: p, regulator: r } = await newTradingPartners(t));
  });
  afterAll(() => t?.close());

  it.each([
    ['/', 'RxLedger'],
    ['/app/scan', 'Scan and verify'],
    ['/app/regulator', 'Reports and alerts'],
    ['/app/log', 'Log explorer'],
  ])('%s is a page, revalidated on each load, scripts from this origin only', async (path, title) => {
    const page = await t.http.get(path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain(`<title>${title}`);
    const again = await t.http.get(path).set('If-None-Match', page.headers.etag);
    expect(again.status).toBe(304);
  });

  it('assets have content-hashed names, are cached for a year and sent precompressed', async () => {
    const page = await t.http.get('/app/scan');
    const script = /src="(\/app\/assets\/scan-[A-Z0-9]{8}\.js)"/.exec(page.text)![1];
    const plain = await t.http.get(script).set('Accept-Encoding', 'identity');
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const brotli = await t.http.get(script).set('Accept-Encoding', 'gzip, br');
    expect(brotli.headers['content-encoding']).toBe('br');
    // (superagent decodes the body; the header says what went over the wire.)
    expect(Number(brotli.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']) / 2);
    const gzip = await t.http.get(script).set('Accept-Encoding', 'gzip, br;q=0');
    expect(gzip.headers['content-encoding']).toBe('gzip');
  });

  it('unknown pages and assets are coded 404s', async () => {
    expect((await t.http.get('/app/nothing')).body.error.code).toBe('NOT_FOUND');
    expect((await t.http.get('/app/assets/scan-AAAAAAAA.js')).status).toBe(404);
  });

  it('GET /app/session names the holder of a token', async () => {
    const session = await t.http.get('/app/session').set(...p.auth);
    expect(session.body).toEqual({ gln: p.gln, role: 'dispenser', name: 'Corner Pharmacy' });
    expect((await t.http.get('/app/session')).status).toBe(401);
  });

  it('GET /app/alerts is for regulators', async () => {
    expect((await t.http.get('/app/alerts').set(...p.auth)).status).toBe(403);
    const alerts = await t.http
      .get('/app/alerts')
      .query({ status: 'open', kind: 'quarantine' })
      .set(...r.auth);
    expect(alerts.status).toBe(200);
    expect(alerts.body).toEqual([]);
  });

  it('without a build, pages answer 503 saying how to build them (the API still works)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rxledger-no-web-'));
    const unbuilt = await createPagesApp({}, empty);
    try {
      const page = await unbuilt.http.get('/app/scan');
      expect(page.status).toBe(503);
      expect(page.body.error).toMatchObject({ code: 'PAGES_NOT_BUILT' });
      expect(page.body.error.message).toContain('npm run build');
      expect((await unbuilt.http.get('/v1/health/live')).status).toBe(200);
    } finally {
      await unbuilt.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
