/**
 * The log's verifier key, pinned in this browser on first use (trust on first use, like SSH): every later check
 * uses the pinned key, so a server that starts signing with another key is noticed rather than believed.
 */
import { keyIdHex, NoteVerifier, parseVerifierKey } from '../../../src/checkpoint';
import { getText } from './api';

const STORAGE_KEY = 'rxledger.logKey';

export interface PinnedKey {
  vkey: string;
  pinnedAt: string;
}

export interface LogKey {
  pinned: PinnedKey;
  verifier: NoteVerifier;
  /** The key the server serves now; differs from the pinned one only if the log's key changed. */
  served: string | null;
  firstUse: boolean;
  changed: boolean;
}

export function readPinned(): PinnedKey | null {
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as PinnedKey | null;
    return stored && typeof stored.vkey === 'string' ? stored : null;
  } catch {
    return null;
  }
}

export function pin(vkey: string): PinnedKey {
  const pinned = { vkey, pinnedAt: new Date().toISOString() };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(pinned));
  return pinned;
}

/** Fetches the served key; pins it if this browser has none. Throws if neither is usable. */
export async function loadLogKey(): Promise<LogKey> {
  const existing = readPinned();
  let served: string | null;
  try {
    served = (await getText('/v1/log/vkey')).trim();
    parseVerifierKey(served);
  } catch (error) {
    // Offline or a broken answer: the pinned key still checks everything; without one there is nothing to trust.
    if (!existing) throw error;
    served = null;
  }
  const pinned = existing ?? pin(served!);
  return {
    pinned,
    verifier: parseVerifierKey(pinned.vkey),
    served,
    firstUse: !existing,
    changed: served !== null && served !== pinned.vkey,
  };
}

/** "rxledger.local/log" and "1a2b3c4d" from a vkey string. */
export function describeKey(vkey: string): { name: string; keyId: string } {
  const verifier = parseVerifierKey(vkey);
  return { name: verifier.name, keyId: keyIdHex(verifier.keyId) };
}
