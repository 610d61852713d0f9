import { Command } from 'commander';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Output } from '../../../src/cli/cli-error';
import { importEpcisXmlFile, registerEpcisCommands } from '../../../src/cli/epcis.command';
import { toEpcisXml } from '../../../src/epcis/xml';
import { LedgerClient } from '../../../src/sdk/client';
import { toEpcisDocument } from '../../../src/epcis';
import { verifyEventSignature } from '../../../src/signing/event-signing';
import { formatKeyFile } from '../../../src/signing/key-file';
import { publicKeyOf } from '../../../src/signing/ed25519';
import { DISTRIBUTOR, GTIN, journey, logged, MANUFACTURER } from './epcis-fixtures';

const folder = mkdtempSync(join(tmpdir(), 'rxledger-epcis-'));
const secretKey = new Uint8Array(32).fill(7);
const keyFile = join(folder, 'manufacturer.key.json');
writeFileSync(keyFile, formatKeyFile(secretKey, { gln: MANUFACTURER }), { mode: 0o600 });
// The journey's events by the manufacturer and by others: importing as the manufacturer leaves 7 unmapped.
const documentFile = join(folder, 'journey.jsonld');
writeFileSync(documentFile, JSON.stringify(toEpcisDocument(journey()).document));
const manufacturerEvents = journey().filter((e) => e.event.actor === MANUFACTURER).length;
const otherEvents = journey().length - manufacturerEvents;

async function rxledger(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line) };
  let exitCode = 0;
  const program = new Command('rxledger')
    .exitOverride()
    .configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => err.push(text) });
  registerEpcisCommands(program, output, (code) => (exitCode = code));
  await program.parseAsync(argv, { from: 'user' });
  return { out, err, exitCode };
}

describe('rxledger epcis convert', () => {
  it('prints the unsigned events and what is unmapped as JSON; exit 1 because some events are not the actor’s', async () => {
    const { out, exitCode } = await rxledger('epcis', 'convert', documentFile, '--actor', MANUFACTURER);
    const printed = JSON.parse(out.join('\n'));
    expect(printed.events).toHaveLength(manufacturerEvents);
    expect(
      printed.events.every((e: { actor: string; keyId?: string }) => e.actor === MANUFACTURER && e.keyId === undefined),
    ).toBe(true);
    expect(printed.unmapped).toHaveLength(otherEvents);
    expect(exitCode).toBe(1);
  });

  it('refuses an actor that is no GLN', async () => {
    await expect(rxledger('epcis', 'convert', documentFile, '--actor', '123')).rejects.toThrow(/not a GLN/);
  });
});

describe('rxledger epcis import', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('with --dry-run signs the events with the key file and posts nothing', async () => {
    globalThis.fetch = jest.fn();
    const { out, err, exitCode } = await rxledger(
      'epcis',
      'import',
      documentFile,
      '--key',
      keyFile,
      '--dry-run',
      '--json',
    );
    const lines = out.map((line) => JSON.parse(line));
    expect(lines.filter((l) => l.eventId)).toHaveLength(manufacturerEvents);
    expect(lines.filter((l) => l.unmapped)).toHaveLength(otherEvents);
    expect(err.join('\n')).toMatch(`signed, not posted (--dry-run); ${otherEvents} EPCIS event part(s) unmapped`);
    expect(globalThis.fetch).not.toHaveBeenCalled();
    expect(exitCode).toBe(1);
  });

  it('posts signed events in batches, prints each result, and exits 1 when one is refused', async () => {
    const requests: { events: { event: { id: string }; signature: string }[] }[] = [];
    globalThis.fetch = jest.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init!.body));
      requests.push(body);
      const results = body.events.map((signed: { event: { id: string; type: string } }, i: number) =>
        signed.event.type === 'destroy'
          ? { accepted: false, error: { code: 'ITEM_DISPENSED', message: 'already dispensed' } }
          : { accepted: true, receipt: { index: 100 + i, leafHash: 'AA==', duplicate: false } },
      );
      return new Response(JSON.stringify({ accepted: 0, refused: 0, results }), { status: 200 });
    }) as typeof fetch;
    const { out, exitCode } = await rxledger(
      'epcis',
      'import',
      documentFile,
      '--key',
      keyFile,
      '--url',
      'http://ledger.test',
      '--token',
      't0k',
      '--batch',
      '3',
    );
    expect(requests.map((r) => r.events.length)).toEqual([3, 3]);
    const publicKey = publicKeyOf(secretKey);
    for (const signed of requests.flatMap((r) => r.events)) {
      expect(verifyEventSignature(signed.event as never, signed.signature, publicKey)).toBe(true);
    }
    expect(out.filter((line) => line.startsWith('accepted'))).toHaveLength(5);
    expect(out.filter((line) => line.startsWith('refused'))).toEqual([
      expect.stringMatching(/\(destroy, EPCIS event 13\): ITEM_DISPENSED/),
    ]);
    expect(out.filter((line) => line.startsWith('unmapped'))).toHaveLength(otherEvents);
    expect(exitCode).toBe(1);
  });

  it('needs --url and --token unless it is a dry run, and an actor that matches the key file', async () => {
    await expect(rxledger('epcis', 'import', documentFile, '--key', keyFile)).rejects.toThrow(/give --url and --token/);
    await expect(
      rxledger('epcis', 'import', documentFile, '--key', keyFile, '--dry-run', '--actor', DISTRIBUTOR),
    ).rejects.toThrow(/the key file belongs to/);
  });
});

describe('rxledger epcis with EPCIS 1.2 XML (issue 14 §1)', () => {
  const fixtures = join(__dirname, '../../fixtures/epcis');
  const usExample = join(fixtures, 'dscsa-1.2/openepcis__GS1_US_Pharma_Example_2_2_1_1.xml');
  const xsd = join(fixtures, 'xsd-1.2/EPCglobal-epcis-1_2.xsd');
  const MFG = '0300011111116';
  const MFG_DC = '0300011111215';

  it('convert reads the GS1 US guideline example, validated against GS1 XSD first (--xsd)', async () => {
    const { out, err, exitCode } = await rxledger(
      'epcis',
      'convert',
      usExample,
      '--actor',
      MFG,
      '--own-gln',
      MFG_DC,
      '--xsd',
      xsd,
    );
    const printed = JSON.parse(out.join('\n'));
    expect(printed.events.map((e: { type: string }) => e.type)).toEqual([
      'product.register',
      'product.register',
      'commission',
      'commission',
      'pack',
      'ship',
    ]);
    expect(printed.problems).toEqual([]);
    expect(err).toEqual([]);
    expect(exitCode).toBe(1); // the case packing (SGTIN parents) is unmapped
  });

  it('--xsd refuses a document GS1 XSD does not accept, with xmllint’s reason', async () => {
    const invalid = join(folder, 'invalid.xml');
    writeFileSync(
      invalid,
      readFileSync(usExample, 'utf8').replace('<action>OBSERVE</action>', '<action>LOOK</action>'),
    );
    await expect(rxledger('epcis', 'convert', invalid, '--actor', MFG, '--xsd', xsd)).rejects.toThrow(
      /not valid per .*action/s,
    );
  });

  it('reports the guideline’s rules; --strict fails on them', async () => {
    const gs1Example = join(fixtures, 'gs1-1.2/Example_9.6.1.xml');
    const receiver = '0012345111112';
    const relaxed = await rxledger('epcis', 'convert', gs1Example, '--actor', receiver);
    expect(relaxed.exitCode).toBe(1); // the shipping is the other party's
    expect(relaxed.err.join('\n')).toMatch(
      /guideline: .*header: sbdh: the EPCISHeader has no StandardBusinessDocumentHeader/,
    );
    const onlyReceipt = join(folder, 'receipt.xml');
    const text = readFileSync(gs1Example, 'utf8');
    writeFileSync(
      onlyReceipt,
      text.slice(0, text.indexOf('<ObjectEvent>')) + text.slice(text.indexOf('</ObjectEvent>') + 14),
    );
    expect((await rxledger('epcis', 'convert', onlyReceipt, '--actor', receiver)).exitCode).toBe(0);
    expect((await rxledger('epcis', 'convert', onlyReceipt, '--actor', receiver, '--strict')).exitCode).toBe(1);
  });

  it('import --dry-run streams, maps and signs each event with the key file', async () => {
    const key = join(folder, 'mfg.key.json');
    writeFileSync(key, formatKeyFile(secretKey, { gln: MFG }), { mode: 0o600 });
    const { out, err, exitCode } = await rxledger(
      'epcis',
      'import',
      usExample,
      '--key',
      key,
      '--own-gln',
      MFG_DC,
      '--dry-run',
      '--json',
    );
    const signed = out.filter((line) => line.includes('"eventId"')).map((line) => JSON.parse(line));
    expect(signed.map((s: { type: string }) => s.type)).toEqual([
      'product.register',
      'product.register',
      'commission',
      'commission',
      'pack',
      'ship',
    ]);
    expect(err.at(-1)).toMatch(
      /6 RxLedger event\(s\) for 0300011111116: signed, not posted .* 4 EPCIS event part\(s\) unmapped; 0 guideline problem/,
    );
    expect(exitCode).toBe(1);
  });
});

describe('importEpcisXmlFile: posting while reading (issue 14 §1)', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });
  const key = { secretKey, publicKey: publicKeyOf(secretKey), keyId: 'ab12cd34ef56ab78', gln: MANUFACTURER };
  /** A document of `count` commissioning events, cut off after `cut` characters when given. */
  const documentOf = (count: number) =>
    toEpcisXml(
      Array.from({ length: count }, (_, i) =>
        logged(MANUFACTURER, 'commission', { gtin: GTIN, lot: 'L1', expiry: '301231', serials: [`S${i}`] }),
      ),
    ).xml;
  /** The document in chunks, each after a turn of the event loop (as a file or a socket gives them). */
  async function* chunks(text: string) {
    for (let i = 0; i < text.length; i += 1000) {
      await new Promise((resolve) => setImmediate(resolve));
      yield text.slice(i, i + 1000);
    }
  }
  const answering = (status: (call: number) => number) => {
    let calls = 0;
    return jest.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      const body = JSON.parse(String(init!.body)) as { events: unknown[] };
      const code = status(++calls);
      if (code !== 200)
        return new Response(JSON.stringify({ error: { code: 'X', message: 'down' } }), { status: code });
      const results = body.events.map((_, i) => ({ accepted: true, receipt: { index: i, leafHash: 'AA==' } }));
      return new Response(JSON.stringify({ results }), { status: 200 });
    }) as unknown as typeof fetch;
  };
  const client = () => new LedgerClient({ url: 'http://ledger.test', token: 't' });

  it('posts every batch in order and counts each result', async () => {
    globalThis.fetch = answering(() => 200);
    const results: number[] = [];
    const report = await importEpcisXmlFile(
      chunks(documentOf(1200)),
      { key, client: client(), batchSize: 500 },
      {
        result: (r) => results.push(r.eventIndex),
      },
    );
    expect(report).toMatchObject({ events: 1200, accepted: 1200, refused: 0 });
    expect(results).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(globalThis.fetch).toHaveBeenCalledTimes(3);
  });

  it('a batch the server does not take stops the import with a CLI error, not an unhandled rejection', async () => {
    globalThis.fetch = answering((call) => (call === 2 ? 503 : 200));
    await expect(
      importEpcisXmlFile(chunks(documentOf(1600)), { key, client: client(), batchSize: 500 }),
    ).rejects.toThrow(/posting failed after 500 event\(s\)/);
  });

  it('a document that breaks off mid-way says how much was posted before', async () => {
    globalThis.fetch = answering(() => 200);
    const text = documentOf(1200);
    await expect(
      importEpcisXmlFile(chunks(text.slice(0, Math.floor(text.length * 0.6))), {
        key,
        client: client(),
        batchSize: 500,
      }),
    ).rejects.toThrow(/not well-formed XML: .*; 500 event\(s\) were posted before/);
  });
});
