import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The CLI and the browser import src/epcis as it is: no NestJS, no Node-only APIs. Type-only imports (of the body
// DTOs, to keep one definition of each body) vanish at compile time and are allowed from anywhere.
describe('src/epcis is a pure library', () => {
  const folder = join(__dirname, '../../../src/epcis');
  const files = readdirSync(folder).filter((name) => name.endsWith('.ts'));
  const allowed =
    /^(\.\/[a-z0-9-]+(\.json)?|\.\.\/(gs1|bytes|canonical-json|protocol\/[a-z-]+|signing\/event-signing)|ajv|ajv-formats|@noble\/hashes\/[a-z0-9]+\.js)$/;

  it.each(files)('%s imports only pure modules and uses no Node-only globals', (name) => {
    const source = readFileSync(join(folder, name), 'utf8');
    const runtimeImports = [...source.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
    for (const path of runtimeImports) expect(path).toMatch(allowed);
    expect(source).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|\b__dirname\b|\bsetImmediate\b|@nestjs/);
  });
});
