import * as fs from 'node:fs';
import * as path from 'node:path';

/** A public test vector file of test/vectors/ (see its README), parsed. */
export function readVectors(name: 'merkle-rfc9162.json' | 'signed-note.json'): unknown {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '../vectors', name), 'utf8'));
}
