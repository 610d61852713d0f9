/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The browser's device key (web/src/common/device-key.ts), run in Node's WebCrypto: the signature it makes over an
 * event must verify with the strict verifier every RxLedger server uses (docs/PROTOCOL.md §2: Ed25519 over
 * "rxledger/event/v1\n" || JCS(E)), the private key must not be extractable, and the key id must be §2.3's.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { base64ToBytes } from '../../../src/bytes';
import { keyIdOf, verifyEventSignature } from '../../../src/signing/event-signing';
import {
  deviceKey,
  forgetDeviceKey,
  registerDeviceKey,
  signEvent,
  StoredDeviceKey,
  useDeviceKeyStore,
} from '../../../web/src/common/device-key';

describe('device key (browser WebCrypto, PROTOCOL §2)', () => {
  let server: Server;
  let endpoint: string;
  let stored: StoredDeviceKey | null = null;
  const posted: { publicKey: string; label: string }[] = [];
  let refuse = false;

  beforeAll(async () => {
    useDeviceKeyStore({
      get: () => Promise.resolve(stored),
      put: (key) => {
        stored = key;
        return Promise.resolve();
      },
      delete: () => {
        stored = null;
        return Promise.resolve();
      },
    });
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as { publicKey: string; label: string };
        posted.push(body);
        res.setHeader('Content-Type', 'application/json');
        if (refuse) {
          res.statusCode = 403;
          res.end(JSON.stringify({ error: { code: 'FORBIDDEN', message: 'no', details: {} } }));
          return;
        }
        const keyId = keyIdOf(base64ToBytes(body.publicKey));
        res.end(JSON.stringify({ keyId, label: body.label, gln: '0360000000001' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app/devices`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('has no key before registration, and signEvent refuses without one', async () => {
    expect(await deviceKey()).toBeNull();
    await expect(signEvent({ id: 'x', type: 'dispense', time: '2026-12-05T10:00:00Z', body: {} })).rejects.toThrow(
      /no device key/,
    );
  });

  it('registers a non-extractable key whose id is §2.3 of its public key, and signs verifiable events', async () => {
    const info = await registerDeviceKey('counter 1', { endpoint });
    expect(posted).toHaveLength(1);
    const publicKey = base64ToBytes(posted[0].publicKey);
    expect(publicKey).toHaveLength(32);
    expect(info).toEqual({ keyId: keyIdOf(publicKey), label: 'counter 1', gln: '0360000000001' });
    expect(await deviceKey()).toEqual(info);
    expect(stored!.privateKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('pkcs8', stored!.privateKey)).rejects.toThrow();

    const signed = await signEvent({
      id: 'dispense:1',
      type: 'dispense',
      time: '2026-12-05T10:00:00.000Z',
      body: { items: ['x'], note: 'é ✓' },
    });
    expect(signed.event.actor).toBe('0360000000001');
    expect(signed.event.keyId).toBe(info.keyId);
    expect(verifyEventSignature(signed.event, signed.signature, publicKey)).toBe(true);
    // The signature covers the body: a changed body no longer verifies.
    const changed = { ...signed.event, body: { items: ['y'], note: 'é ✓' } };
    expect(verifyEventSignature(changed, signed.signature, publicKey)).toBe(false);
  });

  it('keeps the old key when the server refuses a registration, and forgets on request', async () => {
    const before = await deviceKey();
    refuse = true;
    await expect(registerDeviceKey('counter 2', { endpoint })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      status: 403,
    });
    refuse = false;
    expect(await deviceKey()).toEqual(before);
    await forgetDeviceKey();
    expect(await deviceKey()).toBeNull();
  });
});
