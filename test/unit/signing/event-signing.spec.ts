import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../src/canonical-json';
import { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, utf8 } from '../../../src/bytes';
import { publicKeyOf, sign, verifyStrict } from '../../../src/signing/ed25519';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import {
  keyIdOf,
  SignableEvent,
  signedEventBytes,
  signEvent,
  SIGNED_EVENT_PREFIX,
  verifyEventSignature,
} from '../../../src/signing/event-signing';
import rfc8032 from './fixtures/rfc8032.json';
import { seedOf } from './edge-cases';

const seed = seedOf('event signer');
const publicKey = publicKeyOf(seed);

function newEvent(overrides: Partial<SignableEvent> = {}): SignableEvent {
  return {
    id: 'ev-0001',
    type: 'ship',
    actor: '0614141000005',
    keyId: keyIdOf(publicKey),
    time: '2026-11-23T10:00:00.000Z',
    body: { sscc: '106141411234567897', to: '0614141000012', items: [{ gtin: '00614141123452', serial: 'A1' }] },
    ...overrides,
  };
}

describe('SIGNED_EVENT_PREFIX', () => {
  it('is the ASCII bytes of "rxledger/event/v1\\n"', () => {
    expect(bytesToHex(SIGNED_EVENT_PREFIX)).toBe('72786c65646765722f6576656e742f76310a');
  });
});

describe('signedEventBytes', () => {
  it('is the prefix followed by the RFC 8785 form of the event', () => {
    const event = newEvent();
    expect(signedEventBytes(event)).toEqual(concatBytes(SIGNED_EVENT_PREFIX, utf8(canonicalJson(event))));
  });

  it('spells out the exact bytes for a small event (a vector for other implementations)', () => {
    const event = { id: 'e1', type: 't', actor: 'a', keyId: 'k', time: 'T', body: { z: 1, a: [true, null, 'é'] } };
    expect(new TextDecoder().decode(signedEventBytes(event))).toBe(
      'rxledger/event/v1\n{"actor":"a","body":{"a":[true,null,"é"],"z":1},"id":"e1","keyId":"k","time":"T","type":"t"}',
    );
  });

  it('does not depend on member order', () => {
    const event = newEvent();
    const reordered = Object.fromEntries(Object.entries(event).reverse()) as unknown as SignableEvent;
    expect(signedEventBytes(reordered)).toEqual(signedEventBytes(event));
  });

  it.each([
    ['a missing id', { id: undefined }, 'event.id must be a string'],
    ['a numeric time', { time: 1 }, 'event.time must be a string'],
    ['a missing body', { body: undefined }, 'event.body is missing'],
    ['a body JCS cannot hold', { body: { n: NaN } }, 'cannot canonicalize $.body.n'],
  ])('throws for %s', (_name, overrides, message) => {
    expect(() => signedEventBytes(newEvent(overrides as Partial<SignableEvent>))).toThrow(message);
  });
});

describe('signEvent / verifyEventSignature', () => {
  it('signs with standard padded base64 that verifies with both verifiers', () => {
    const event = newEvent();
    const signature = signEvent(event, seed);
    expect(signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(verifyEventSignature(event, signature, publicKey)).toBe(true);
    expect(verifyStrictNode(publicKey, signedEventBytes(event), base64ToBytes(signature))).toBe(true);
  });

  it('reproduces an RFC 8032 signature when the signed bytes are the vector message', () => {
    // Ties signEvent to plain Ed25519: the base64 is exactly that of the RFC 8032 TEST 1024 signature over the bytes.
    const vector = rfc8032.vectors[3];
    const secretKey = Uint8Array.from(Buffer.from(vector.secretKey, 'hex'));
    const message = Uint8Array.from(Buffer.from(vector.message, 'hex'));
    expect(bytesToBase64(sign(secretKey, message))).toBe(Buffer.from(vector.signature, 'hex').toString('base64'));
  });

  it.each([
    ['another body', { body: { sscc: '106141411234567898' } }],
    ['another actor', { actor: '0614141000012' }],
    ['another time', { time: '2026-11-23T10:00:00.001Z' }],
    ['another key id', { keyId: '0000000000000000' }],
    ['an extra member', { note: 'added later' }],
  ])('rejects the signature after a change: %s', (_name, change) => {
    const event = newEvent();
    const signature = signEvent(event, seed);
    expect(verifyEventSignature({ ...event, ...change } as SignableEvent, signature, publicKey)).toBe(false);
  });

  it('is not valid for the bare JCS bytes without the prefix (domain separation)', () => {
    const event = newEvent();
    const bare = bytesToBase64(sign(seed, utf8(canonicalJson(event))));
    expect(verifyEventSignature(event, bare, publicKey)).toBe(false);
    expect(verifyStrict(publicKey, utf8(canonicalJson(event)), base64ToBytes(bare))).toBe(true);
  });

  it('returns false, never throws, for malformed signatures, keys and events', () => {
    const event = newEvent();
    const signature = signEvent(event, seed);
    const nonCanonicalBase64 = signature.slice(0, 85) + String.fromCharCode(signature.charCodeAt(85) + 1) + '==';
    expect(verifyEventSignature(event, signature.slice(0, 86), publicKey)).toBe(false); // no padding
    expect(verifyEventSignature(event, nonCanonicalBase64, publicKey)).toBe(false);
    expect(verifyEventSignature(event, bytesToBase64(new Uint8Array(63)), publicKey)).toBe(false);
    expect(verifyEventSignature(event, signature, publicKey.subarray(1))).toBe(false);
    expect(verifyEventSignature(event, 42 as unknown as string, publicKey)).toBe(false);
    expect(verifyEventSignature({ ...event, body: { n: Infinity } }, signature, publicKey)).toBe(false);
    expect(verifyEventSignature(null as unknown as SignableEvent, signature, publicKey)).toBe(false);
  });
});

describe('keyIdOf', () => {
  it('is the lowercase hex of the first 8 bytes of SHA-256(public key)', () => {
    // RFC 8032 TEST 1 public key; the id was computed independently with `createHash('sha256')`.
    const rfcKey = Uint8Array.from(Buffer.from(rfc8032.vectors[0].publicKey, 'hex'));
    expect(keyIdOf(rfcKey)).toBe('21fe31dfa154a261');
    expect(keyIdOf(rfcKey)).toBe(createHash('sha256').update(rfcKey).digest('hex').slice(0, 16));
  });

  it('requires a 32-byte key', () => {
    expect(() => keyIdOf(new Uint8Array(31))).toThrow(RangeError);
  });
});
