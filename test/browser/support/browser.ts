/**
 * Browser tests: Debian's Chromium driven by playwright-core (no browser download), against a whole RxLedger app
 * listening on an ephemeral port, serving pages built from web/ for this test run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, CDPSession, chromium, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../../support/test-app';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(__dirname, '../../..');

/** Where the tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/**
 * Builds the pages into a folder of their own (removed when the app closes): \`npm run build\` in another terminal
 * empties dist/ (nest's deleteOutDir), which must not pull the pages from under a running test.
 */
export function buildPages(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rxledger-web-'));
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs'), '--outdir', dir, '--quiet'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  return dir;
}

export interface BrowserApp {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser context (its own storage: a new "browser" for pinning and sessions). */
  newPage(viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless. Playwright gives each launch a fresh, temporary user-data dir of its own; nothing of a
 * real profile is used.
 */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** A test app serving the pages of \`webDir\` (by default a fresh build, removed when the app closes). */
export async function createPagesApp(env: Record<string, string> = {}, webDir?: string): Promise<TestApp> {
  const dir = webDir ?? buildPages();
  const previous = process.env.RXLEDGER_WEB_DIR;
  process.env.RXLEDGER_WEB_DIR = dir;
  try {
    const t = await createTestApp(env);
    if (webDir) return t;
    return {
      ...t,
      close: async () => {
        await t.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } finally {
    if (previous === undefined) delete process.env.RXLEDGER_WEB_DIR;
    else process.env.RXLEDGER_WEB_DIR = previous;
  }
}

export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const t = await createPagesApp(env);
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  return {
    t,
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    async newPage(viewport = VIEWPORTS.desktop) {
      const context = await browser.newContext({
        viewport,
        baseURL: `http://127.0.0.1:${port}`,
        acceptDownloads: true,
      });
      contexts.push(context);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      (page as Page & { problems?: string[] }).problems = problems;
      return { context, page };
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
      await browser.close();
      await t.close();
    },
  };
}

/** Script errors and console errors the page reported (a test asserts there were none it did not expect). */
export function problemsOf(page: Page): string[] {
  return (page as Page & { problems?: string[] }).problems ?? [];
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>-<viewport>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize();
  const label =
    size?.width === VIEWPORTS.phone.width
      ? 'phone'
      : size?.width === VIEWPORTS.desktop.width
        ? 'desktop'
        : `${size?.width}`;
  const path = join(SCREENSHOTS, `${name}-${label}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// The tests compile without the DOM library (the server's code must not see `document`); the functions they run in the
// page reach its globals through this type. (Strings would be evaluated too, but the pages' CSP forbids eval.)
export interface PageGlobals {
  document: {
    activeElement: { id: string; className: string } | null;
    querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
    querySelectorAll(selector: string): { length: number };
  };
  localStorage: { getItem(key: string): string | null };
}

/** The id of the element that has the focus in the page. */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id ?? '');
}

/** A value the page keeps in localStorage, parsed. */
export async function stored<T>(page: Page, key: string): Promise<T> {
  const text = await page.evaluate((k) => (globalThis as unknown as PageGlobals).localStorage.getItem(k), key);
  return JSON.parse(text ?? 'null') as T;
}

/** Waits until `selector` matches `count` elements (at least that many with `atLeast`). */
export async function waitForCount(
  page: Page,
  selector: string,
  count: number,
  { atLeast = false } = {},
): Promise<void> {
  await page.waitForFunction(
    ([s, n, least]) => {
      const found = (globalThis as unknown as PageGlobals).document.querySelectorAll(s).length;
      return least ? found >= n : found === n;
    },
    [selector, count, atLeast] as const,
  );
}

/** Waits until the element's text is exactly `text`. */
export async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([s, t]) => (globalThis as unknown as PageGlobals).document.querySelector(s)?.textContent === t,
    [selector, text] as const,
  );
}

const sessions = new WeakMap<Page, Promise<CDPSession>>();

/**
 * Types like a keyboard-wedge scanner: the whole code as one burst of keystrokes, sent without waiting for each
 * (Playwright's `keyboard.type` waits for every key, so a busy machine would put pauses inside the scan that a
 * scanner never makes). GS goes in as the control character; Enter ends the scan unless `enter` is false.
 */
export async function scannerTypes(page: Page, text: string, { enter = true } = {}): Promise<void> {
  if (!sessions.has(page)) sessions.set(page, page.context().newCDPSession(page));
  const cdp = await sessions.get(page)!;
  const sent: Promise<unknown>[] = [];
  for (const char of text) {
    if (char === '\u001d') {
      sent.push(cdp.send('Input.insertText', { text: char }));
      continue;
    }
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: char, text: char, unmodifiedText: char }));
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: char }));
  }
  if (enter) {
    const key = { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, nativeVirtualKeyCode: 13 };
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', ...key, text: '\r', unmodifiedText: '\r' }));
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key }));
  }
  await Promise.all(sent);
}
