import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { toEpcisXml } from '../../src/epcis/xml';
import { appendCheckDigit, makeGtin14 } from '../../src/gs1';

// Issue 14 §1: documents of 100,000+ events are imported in bounded memory. A 30,000-event document (29 MB) is
// streamed through the reader and the mapping in a process whose JavaScript heap may not exceed 16 MB: anything that
// keeps a share of the document per event (e.g. the eventIDs seen, kept as slices of the parser's chunks, which keep
// each whole chunk) runs out of memory. Needs the build (`npx nest build`).
describe('EPCIS 1.2 XML import memory', () => {
  it('maps a 30,000-event document (29 MB), and imports it as another party (all unmapped), with a 16 MB JavaScript heap', () => {
    const dist = resolve(__dirname, '../../dist/src/epcis/xml/index.js');
    expect(existsSync(dist)).toBe(true);
    const actor = appendCheckDigit('061414100001');
    const gtin = makeGtin14('0', '0614141', '12345');
    const entries = Array.from({ length: 30_000 }, (_, i) => ({
      index: i,
      acceptedAt: '2026-12-01T10:00:00.000Z',
      event: {
        id: `e${i}`,
        type: 'commission',
        actor,
        keyId: '00112233445566aa',
        time: '2026-12-01T09:00:00.000Z',
        body: { gtin, lot: 'L1', expiry: '301231', serials: [`S${i}`] },
      },
    }));
    const file = join(mkdtempSync(join(tmpdir(), 'rxl-epcis-memory-')), 'events.xml');
    writeFileSync(file, toEpcisXml(entries, { companyPrefixLength: () => 7 }).xml);
    const run = (script: string) =>
      execFileSync(process.execPath, ['--max-old-space-size=16', '-e', script], { encoding: 'utf8' });
    // The mapping alone, as the importing party (every event is its own).
    expect(
      run(`
        const { importEpcisXml } = require(${JSON.stringify(dist)});
        (async () => {
          let events = 0;
          for await (const step of importEpcisXml(require('fs').createReadStream(${JSON.stringify(file)}), { actor: '${actor}' })) {
            events += step.mapping.events.length;
          }
          process.stdout.write(String(events));
        })();`),
    ).toBe('30000');
    // The CLI's import as another party: 30,000 unmapped events, each told as it comes, the first 1,000 kept.
    const cli = resolve(__dirname, '../../dist/src/cli/epcis.command.js');
    const other = appendCheckDigit('061414100009');
    expect(
      JSON.parse(
        run(`
        const { importEpcisXmlFile } = require(${JSON.stringify(cli)});
        const secretKey = new Uint8Array(32).fill(3);
        (async () => {
          let told = 0;
          const report = await importEpcisXmlFile(
            require('fs').createReadStream(${JSON.stringify(file)}),
            { key: { secretKey, publicKey: new Uint8Array(32), keyId: 'ab12cd34ef56ab78', gln: '${other}' } },
            { unmapped: () => told++ },
          );
          process.stdout.write(JSON.stringify({ told, kept: report.unmapped.length, counted: report.counts.unmapped }));
        })();`),
      ),
    ).toEqual({ told: 30000, kept: 1000, counted: 30000 });
  });
});
