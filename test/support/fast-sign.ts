/**
 * Signing many events quickly in tests. Ed25519 signatures are deterministic (RFC 8032), so OpenSSL through
 * Node's crypto gives byte-for-byte the signature that `signEvent` (@noble/curves) gives, about ten times faster;
 * `fastSignedEvent` checks that once per key, so a difference shows up as a failure instead of a wrong test.
 */
import { createPrivateKey, KeyObject, randomBytes, sign } from 'node:crypto';
import { LedgerEvent } from '../../src/protocol/event';
import { bytesToBase64 } from '../../src/bytes';
import { signedEventBytes, signEvent } from '../../src/signing/event-signing';
import { TestParty } from './test-app';

/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410 §7); the 32-byte seed follows it. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const keys = new Map<string, KeyObject>();
const keyIds = new Map<string, string>();

function keyObject(seed: Uint8Array): KeyObject {
  const id = Buffer.from(seed).toString('hex');
  let key = keys.get(id);
  if (!key) {
    key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const probe = { id: 'probe', type: 'probe', actor: '0', keyId: '0', time: '0', body: {} };
    const fast = bytesToBase64(sign(null, signedEventBytes(probe), key));
    if (fast !== signEvent(probe, seed)) throw new Error('OpenSSL and @noble/curves disagree on an Ed25519 signature');
    keys.set(id, key);
  }
  return key;
}

/** Signs `event` with `seed`: the same signature as `signEvent`. */
export function fastSign(event: LedgerEvent<object>, seed: Uint8Array): string {
  return bytesToBase64(sign(null, signedEventBytes(event), keyObject(seed)));
}

/** Like `TestParty.event`, signed through OpenSSL. */
export function fastEvent<B extends object>(
  party: TestParty,
  type: string,
  body: B,
  overrides: Partial<LedgerEvent<B>> = {},
): { event: LedgerEvent<B>; signature: string } {
  const event: LedgerEvent<B> = {
    id: `${type}-${randomBytes(8).toString('hex')}`,
    type,
    actor: party.gln,
    keyId: keyIdOfSeed(party),
    time: new Date().toISOString(),
    body,
    ...overrides,
  };
  return { event, signature: fastSign(event, party.secretKey) };
}

/** `party.keyId` derives the public key on every call; remember it per seed. */
function keyIdOfSeed(party: TestParty): string {
  const id = Buffer.from(party.secretKey).toString('hex');
  let keyId = keyIds.get(id);
  if (!keyId) {
    keyId = party.keyId;
    keyIds.set(id, keyId);
  }
  return keyId;
}
