import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The browser and the SDK run src/bundle as it is: it and every file it imports, transitively, must stay free of
// NestJS and of Node-only APIs. Packages are allowed only from this list (all browser-safe).
const PACKAGES = [/^@noble\/(curves|hashes)\//, /^canonicalize$/];

describe('src/bundle is a pure library', () => {
  const root = resolve(__dirname, '../../../src');
  const entry = join(root, 'bundle');

  function sourceOf(from: string, path: string): string {
    const base = resolve(dirname(from), path);
    for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
    throw new Error(`${relative(root, from)} imports ${path}, which is not a source file`);
  }

  const reached = new Map<string, string[]>();
  const queue = readdirSync(entry)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(entry, name));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (reached.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    // Type-only imports vanish at compile time; every other import (or re-export) is code the browser would load.
    const imports = [...source.matchAll(/^(?:import|export) (?!type )[^;]*? from '([^']+)';/gms)].map((m) => m[1]);
    reached.set(file, imports);
    for (const path of imports) if (path.startsWith('.')) queue.push(sourceOf(file, path));
  }
  const files = [...reached.keys()].map((file) => relative(root, file)).sort();

  it('reaches only the pure libraries', () => {
    const folders = new Set(files.map((file) => file.split('/')[0]));
    expect([...folders].sort()).toEqual([
      'bundle',
      'bytes',
      'canonical-json',
      'checkpoint',
      'gs1',
      'merkle',
      'protocol',
      'signing',
    ]);
    expect(files).not.toContain('signing/ed25519-node.ts');
  });

  it('reaches the custody rules, the one implementation intake applies (src/protocol/custody)', () => {
    const rules = readdirSync(join(root, 'protocol', 'custody'))
      .filter((name) => name.endsWith('.ts'))
      .map((name) => `protocol/custody/${name}`);
    expect(rules.length).toBeGreaterThan(3);
    for (const file of rules) expect(files).toContain(file);
  });

  it.each(files)('%s imports no Node or NestJS module and uses no Node-only global', (file) => {
    const path = join(root, file);
    for (const imported of reached.get(path)!) {
      if (imported.startsWith('.')) continue;
      expect(PACKAGES.some((allowed) => allowed.test(imported)) ? imported : `not allowed: ${imported}`).toBe(imported);
    }
    const code = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|\b__dirname\b|\bsetImmediate\b/);
  });
});
