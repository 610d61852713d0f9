import { CliError } from '../../../src/cli/cli-error';
import { completeEvent, signInput, signItems } from '../../../src/cli/sign';
import { generateSecretKey } from '../../../src/signing/ed25519';
import { verifyEventSignature } from '../../../src/signing/event-signing';
import { formatKeyFile, parseKeyFile, SigningKey } from '../../../src/signing/key-file';

const GLN = '0614141000005';
const NOW = new Date('2026-11-23T10:00:00.000Z');

function newKey(gln?: string): SigningKey {
  return parseKeyFile(formatKeyFile(generateSecretKey(), gln === undefined ? {} : { gln }));
}

describe('signing events with a key file', () => {
  const key = newKey(GLN);

  it('fills in keyId, time (now) and actor (from the key file) and signs what the ledger verifies', () => {
    const signed = signInput({ id: 'note-1', type: 'test.note', body: { text: 'hello' } }, key, 'e.json', NOW);
    expect(signed.event).toEqual({
      id: 'note-1',
      type: 'test.note',
      actor: GLN,
      keyId: key.keyId,
      time: NOW.toISOString(),
      body: { text: 'hello' },
    });
    expect(verifyEventSignature(signed.event, signed.signature, key.publicKey)).toBe(true);
    // The signature covers the whole event: another time is another event.
    expect(
      verifyEventSignature({ ...signed.event, time: '2026-11-23T10:00:01.000Z' }, signed.signature, key.publicKey),
    ).toBe(false);
  });

  it('keeps the members given: actor, time, and a keyId that is the key’s own', () => {
    const input = {
      id: 'n',
      type: 't',
      actor: '0860000000000',
      keyId: key.keyId,
      time: '2026-01-02T03:04:05+01:00',
      body: {},
    };
    const event = completeEvent(input, key, 'e.json', NOW);
    expect(event).toEqual(input);
  });

  it.each([
    [{ id: 'n', type: 't', body: {}, extra: 1 }, /e.json: unknown member "extra"/],
    [{ id: 'bad id', type: 't', body: {} }, /"id" must be 1 to 128 characters/],
    [{ type: 't', body: {} }, /"id" must be/],
    [{ id: 'n', type: '', body: {} }, /"type" must be a non-empty string/],
    [{ id: 'n', type: 't', actor: '0614141000006', body: {} }, /"actor" must be a GLN/],
    [
      { id: 'n', type: 't', keyId: 'ffffffffffffffff', body: {} },
      /"keyId" is "ffffffffffffffff" but the key file holds key/,
    ],
    [{ id: 'n', type: 't', time: '2026-11-23 10:00', body: {} }, /"time" must be an RFC 3339 date-time/],
    [{ id: 'n', type: 't', body: [] }, /"body" must be a JSON object/],
  ])('refuses %j', (input, message) => {
    expect(() => completeEvent(input, key, 'e.json', NOW)).toThrow(CliError);
    expect(() => completeEvent(input, key, 'e.json', NOW)).toThrow(message);
  });

  it('needs an actor when the key file names no GLN', () => {
    expect(() => completeEvent({ id: 'n', type: 't', body: {} }, newKey(), 'e.json')).toThrow(
      /"actor" is missing, and the key file names no GLN/,
    );
  });

  it('signs only the unsigned items, and asks for a key when one is unsigned', () => {
    const already = signInput({ id: 'a', type: 't', body: {} }, key, 'x');
    const items = [
      { where: 'f line 1', signed: already },
      { where: 'f line 2', unsigned: { id: 'b', type: 't', body: {} } },
    ];
    const out = signItems(items, key);
    expect(out[0]).toBe(already);
    expect(verifyEventSignature(out[1].event, out[1].signature, key.publicKey)).toBe(true);
    expect(() => signItems(items, undefined)).toThrow('f line 2 is not signed: give --key FILE to sign it');
    expect(signItems([items[0]], undefined)).toEqual([already]);
  });
});
