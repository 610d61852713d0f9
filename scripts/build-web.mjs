#!/usr/bin/env node
/**
 * Builds the web pages (web/) into dist/web/: one ES module per page bundled by esbuild from TypeScript, with the
 * same pure libraries the server uses (src/gs1, src/merkle, src/checkpoint, src/protocol); content-hashed file
 * names so the server can let browsers cache them for a year; gzip and brotli copies made once here, not per
 * request; and the HTML pages with the hashed names filled in.
 *
 *   node scripts/build-web.mjs [--outdir DIR] [--quiet]     (default DIR: dist/web)
 *
 * Output: DIR/pages/<page>.html, DIR/assets/<name>-<hash>.{js,css,map}(.gz|.br), DIR/manifest.json.
 */
/* global console */
import { build } from 'esbuild';
import { Buffer } from 'node:buffer';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const outdir = resolve(option('--outdir') ?? join(root, 'dist/web'));
const quiet = args.includes('--quiet');

/** Entry points: each page's script, and the one stylesheet. */
const entries = {
  scan: 'web/src/scan/main.ts',
  regulator: 'web/src/regulator/main.ts',
  log: 'web/src/log/main.ts',
  signin: 'web/src/signin/main.ts',
  people: 'web/src/people/main.ts',
  app: 'web/styles/app.css',
};

/**
 * ZXing's packages do not declare `sideEffects: false`, so a bundler keeps all of both (≈480 kB) for one reader.
 * They have none at module level: saying so lets esbuild keep only the DataMatrix reader's modules.
 */
const zxingWithoutSideEffects = {
  name: 'zxing-without-side-effects',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.zxing) return undefined;
      if (!args.path.startsWith('@zxing/') && !args.importer.includes('/node_modules/@zxing/')) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: { zxing: true },
      });
      return { ...resolved, sideEffects: false };
    });
  },
};

const started = performance.now();
rmSync(outdir, { recursive: true, force: true });
const assets = join(outdir, 'assets');
mkdirSync(assets, { recursive: true });
mkdirSync(join(outdir, 'pages'), { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, join(root, path)])),
  bundle: true,
  format: 'esm',
  // Shared code and the barcode decoder (loaded only when a photo or the camera is used) go to chunks.
  splitting: true,
  platform: 'browser',
  target: ['chrome109', 'edge109', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  outdir: assets,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  plugins: [zxingWithoutSideEffects],
  tsconfig: join(root, 'web/tsconfig.json'),
  logLevel: 'warning',
});

/** Page entry name → served path of its output file, and the chunks it imports at once (preloaded). */
const files = {};
const preloads = {};
const served = (output) => '/app/assets/' + relative(assets, resolve(root, output));
for (const [output, meta] of Object.entries(result.metafile.outputs)) {
  if (!meta.entryPoint) continue;
  const name = Object.keys(entries).find((key) => resolve(root, meta.entryPoint) === join(root, entries[key]));
  if (!name) continue;
  files[name] = served(output);
  preloads[name] = meta.imports.filter((i) => i.kind === 'import-statement').map((i) => served(i.path));
}

// HTML: {{asset:scan}} → /app/assets/scan-HASH.js; {{preload:scan}} → <link rel="modulepreload"> of its chunks.
const pages = {};
for (const file of readdirSync(join(root, 'web/pages'))) {
  if (!file.endsWith('.html')) continue;
  const html = readFileSync(join(root, 'web/pages', file), 'utf8').replace(
    /\{\{(asset|preload):(\w+)\}\}/g,
    (_, kind, name) => {
      if (!files[name]) throw new Error(`${file} names an unknown asset ${name}`);
      if (kind === 'asset') return files[name];
      return preloads[name].map((path) => `<link rel="modulepreload" href="${path}" />`).join('\n    ');
    },
  );
  writeFileSync(join(outdir, 'pages', file), html);
  pages[file.replace(/\.html$/, '')] = Buffer.byteLength(html);
}

// Precompressed copies of everything a browser downloads.
const sizes = {};
for (const file of readdirSync(assets)) {
  if (!/\.(js|css)$/.test(file)) continue;
  const body = readFileSync(join(assets, file));
  const gz = gzipSync(body, { level: 9 });
  const br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(join(assets, file + '.gz'), gz);
  writeFileSync(join(assets, file + '.br'), br);
  sizes[file] = { bytes: body.length, gzip: gz.length, brotli: br.length };
}

writeFileSync(
  join(outdir, 'manifest.json'),
  JSON.stringify({ builtAt: new Date().toISOString(), entries: files, pages, sizes }, null, 2) + '\n',
);

if (!quiet) {
  const ms = Math.round(performance.now() - started);
  console.log(`web pages built into ${relative(process.cwd(), outdir) || '.'} in ${ms} ms`);
  for (const [file, size] of Object.entries(sizes)) {
    console.log(
      `  ${file.padEnd(28)} ${String(size.bytes).padStart(7)} B  ${String(size.brotli).padStart(6)} B brotli`,
    );
  }
}
