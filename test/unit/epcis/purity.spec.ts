import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// The CLI and the browser import src/epcis as it is: no NestJS, no Node-only APIs. Type-only imports (of the body
// DTOs, to keep one definition of each body) vanish at compile time and are allowed from anywhere. Every file, in
// every folder (mapping/, xml/), is checked.
describe('src/epcis is a pure library', () => {
  const src = join(__dirname, '../../../src');
  const folder = join(src, 'epcis');
  const files = (readdirSync(folder, { recursive: true }) as string[]).filter((name) => name.endsWith('.ts'));
  const pureModules = /^(epcis\/.+|gs1|bytes|canonical-json|protocol\/[a-z-]+|signing\/event-signing)$/;
  const packages = /^(ajv|ajv-formats|saxes|@noble\/hashes\/[a-z0-9]+\.js)$/;

  it.each(files)('%s imports only pure modules and uses no Node-only globals', (name) => {
    const source = readFileSync(join(folder, name), 'utf8');
    const runtimeImports = [...source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
    for (const path of runtimeImports) {
      if (!path.startsWith('.')) {
        expect(path).toMatch(packages);
        continue;
      }
      const target = relative(src, resolve(dirname(join(folder, name)), path)).replace(/\\/g, '/');
      expect(target.replace(/\.json$/, '')).toMatch(pureModules);
    }
    expect(source).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|\b__dirname\b|\bsetImmediate\b|@nestjs/);
  });
});
