import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The CLI, the SDK and the browser import src/gs1 as it is: it must stay free of NestJS and Node-only APIs.
describe('src/gs1 is a pure library', () => {
  const folder = join(__dirname, '../../../src/gs1');
  const files = readdirSync(folder).filter((name) => name.endsWith('.ts'));

  it.each(files)('%s imports only sibling files and uses no Node-only globals', (name) => {
    const source = readFileSync(join(folder, name), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const path of imports) expect(path).toMatch(/^\.\/[a-z0-9-]+$/);
    expect(source).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(|\b__dirname\b|\bsetImmediate\b/);
  });
});
