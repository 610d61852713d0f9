import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Output } from '../../../src/cli/cli-error';
import { registerEpcisCommands } from '../../../src/cli/epcis.command';
import { toEpcisDocument } from '../../../src/epcis';
import { verifyEventSignature } from '../../../src/signing/event-signing';
import { formatKeyFile } from '../../../src/signing/key-file';
import { publicKeyOf } from '../../../src/signing/ed25519';
import { DISTRIBUTOR, journey, MANUFACTURER } from './epcis-fixtures';

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
