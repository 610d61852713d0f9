/**
 * This browser's device key: a NON-EXTRACTABLE Ed25519 key made by WebCrypto, kept in IndexedDB, registered as one
 * of the signed-in party's keys (the server logs the operator-signed `key.add` and remembers the person and device).
 * The private key never leaves the browser, not even to JavaScript: only `crypto.subtle.sign` can use it.
 *
 * Stable exports (other pages import them; do not rename):
 *  - `deviceKey(): Promise<{ keyId: string; label: string; gln: string } | null>`: this browser's registered key.
 *  - `registerDeviceKey(label, options?)`: makes a key, registers it (`POST /app/devices { publicKey, label }`),
 *    stores it; resolves with `{ keyId, label, gln }`.
 *  - `signEvent(unsigned): Promise<SignedEvent>`: `{ event, signature }` of PROTOCOL §2, the event's `keyId` set to
 *    this device's key id (and `actor` to its party when absent). The signed bytes come from
 *    `src/signing/event-signing.ts` (`signedEventBytes`), the same code the CLI and the server use; only the
 *    signature primitive (WebCrypto instead of noble) differs.
 *  - `forgetDeviceKey()`: drops the local key (after its revocation, or to start over).
 *  - `useDeviceKeyStore(store)`: replaces the IndexedDB store (tests run in Node, which has WebCrypto, not IndexedDB).
 *  - types `UnsignedEvent`, `SignedEvent`, `DeviceKeyInfo`, `StoredDeviceKey`, `DeviceKeyStore`.
 */
import { bytesToBase64 } from '../../../src/bytes';
import type { LedgerEvent, SignedEvent } from '../../../src/protocol/event';
import { keyIdOf, signedEventBytes } from '../../../src/signing/event-signing';
import { ApiError, postJson } from './api';
import { csrfHeaders } from './session';

export type { SignedEvent } from '../../../src/protocol/event';

/** An event before signing: `keyId` is filled in with this device's key id, `actor` with its party if absent. */
export type UnsignedEvent<B = Record<string, unknown>> = Omit<LedgerEvent<B>, 'keyId' | 'actor'> & {
  actor?: string;
  keyId?: string;
};

export interface DeviceKeyInfo {
  keyId: string;
  label: string;
  /** The party (GLN) the key was registered for. */
  gln: string;
}

export interface StoredDeviceKey extends DeviceKeyInfo {
  /** Raw 32-byte public key, standard base64. */
  publicKey: string;
  /** Non-extractable: IndexedDB stores the CryptoKey object itself (structured clone), never its bytes. */
  privateKey: CryptoKey;
}

export interface DeviceKeyStore {
  get(): Promise<StoredDeviceKey | null>;
  put(key: StoredDeviceKey): Promise<void>;
  delete(): Promise<void>;
}

const DB_NAME = 'rxledger';
const STORE = 'device-key';
const RECORD = 'current';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

const indexedDbStore: DeviceKeyStore = {
  async get() {
    return ((await transact('readonly', (s) => s.get(RECORD))) as StoredDeviceKey | undefined) ?? null;
  },
  async put(key) {
    await transact('readwrite', (s) => s.put(key, RECORD));
  },
  async delete() {
    await transact('readwrite', (s) => s.delete(RECORD));
  },
};

let store: DeviceKeyStore = indexedDbStore;

export function useDeviceKeyStore(replacement: DeviceKeyStore): void {
  store = replacement;
}

export async function deviceKey(): Promise<DeviceKeyInfo | null> {
  const stored = await store.get();
  return stored ? { keyId: stored.keyId, label: stored.label, gln: stored.gln } : null;
}

export async function forgetDeviceKey(): Promise<void> {
  await store.delete();
}

export interface RegisterOptions {
  /** A machine's API token instead of the session cookie. */
  token?: string | null;
  /** Where to post (tests); default `/app/devices`. */
  endpoint?: string;
}

/** Makes a non-extractable Ed25519 key, registers its public half for the signed-in party, and keeps it here. */
export async function registerDeviceKey(label: string, options: RegisterOptions = {}): Promise<DeviceKeyInfo> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKeyBytes = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const publicKey = bytesToBase64(publicKeyBytes);
  const keyId = keyIdOf(publicKeyBytes);
  const answer = await postJson<{ keyId?: string; gln?: string; label?: string }>(
    options.endpoint ?? '/app/devices',
    { publicKey, label },
    // With a token, the token alone; with the session cookie, the session's CSRF token too (PROTOCOL §3.4).
    { token: options.token, headers: options.token ? {} : csrfHeaders() },
  );
  if (answer?.keyId !== keyId || typeof answer.gln !== 'string') {
    throw new ApiError(200, 'DEVICE_KEY_MISMATCH', 'the server registered another key than this one');
  }
  const info: DeviceKeyInfo = { keyId, label: answer.label ?? label, gln: answer.gln };
  await store.put({ ...info, publicKey, privateKey: pair.privateKey });
  return info;
}

/** Signs an event with this browser's device key: exactly the bytes of PROTOCOL §2 (`signedEventBytes`). */
export async function signEvent<B = Record<string, unknown>>(unsigned: UnsignedEvent<B>): Promise<SignedEvent<B>> {
  const stored = await store.get();
  if (!stored) throw new ApiError(0, 'NO_DEVICE_KEY', 'this browser has no device key: register one under My devices');
  const { id, type, time, body, ...rest } = unsigned;
  const event = {
    ...rest,
    id,
    type,
    actor: unsigned.actor ?? stored.gln,
    keyId: stored.keyId,
    time,
    body,
  } as LedgerEvent<B>;
  const bytes = signedEventBytes(event);
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: 'Ed25519' }, stored.privateKey, new Uint8Array(bytes)),
  );
  return { event, signature: bytesToBase64(signature) };
}
