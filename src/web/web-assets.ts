import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

/** One file as served: its bytes, precompressed copies, a strong ETag, and whether its name carries its hash. */
export interface WebFile {
  type: string;
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
  etag: string;
  /** Content-hashed name (`scan-3FZ2K7QX.js`): it never changes, so browsers may keep it for a year. */
  immutable: boolean;
}

export const PAGES = ['index', 'scan', 'regulator', 'log', 'signin', 'people'] as const;
export type PageName = (typeof PAGES)[number];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The pages built by `scripts/build-web.mjs` (`npm run build`), held in memory: they are small (tens of kB), and
 * serving from memory with precompressed copies costs no disk read or compression per request.
 *
 * Where: `dist/web` under the project root, whether the server runs from `dist/` or from source (tests);
 * `RXLEDGER_WEB_DIR` points elsewhere (the browser tests build a private copy, so a concurrent `nest build`
 * that empties `dist/` cannot pull the pages from under them).
 */
@Injectable()
export class WebAssets implements OnModuleInit {
  private readonly logger = new Logger('Web');
  readonly dir = resolve(process.env.RXLEDGER_WEB_DIR || join(projectRoot(__dirname), 'dist/web'));
  private pages = new Map<string, WebFile>();
  private assets = new Map<string, WebFile>();

  onModuleInit(): void {
    if (!this.load()) this.logger.warn(`no web pages in ${this.dir}: run \`npm run build\` to build them`);
  }

  page(name: PageName): WebFile | undefined {
    if (this.pages.size === 0) this.load();
    return this.pages.get(name);
  }

  asset(file: string): WebFile | undefined {
    if (this.assets.size === 0) this.load();
    return this.assets.get(file);
  }

  /** Reads the whole build; false when it is not there (yet). */
  private load(): boolean {
    const pagesDir = join(this.dir, 'pages');
    const assetsDir = join(this.dir, 'assets');
    if (!existsSync(pagesDir) || !existsSync(assetsDir)) return false;
    const pages = new Map<string, WebFile>();
    for (const name of PAGES) {
      const path = join(pagesDir, `${name}.html`);
      if (existsSync(path)) pages.set(name, webFile(path, false));
    }
    const assets = new Map<string, WebFile>();
    for (const file of readdirSync(assetsDir)) {
      if (!TYPES[extname(file)]) continue;
      assets.set(file, webFile(join(assetsDir, file), /-[A-Z0-9]{8}\.\w+$/.test(file)));
    }
    this.pages = pages;
    this.assets = assets;
    return pages.size > 0;
  }
}

function webFile(path: string, immutable: boolean): WebFile {
  const body = readFileSync(path);
  const optional = (suffix: string) => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined);
  return {
    type: TYPES[extname(path)],
    body,
    gzip: optional('.gz'),
    brotli: optional('.br'),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}

/** The nearest folder above `from` that holds a package.json. */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}
