/**
 * The explorer's entries: look one up (by index, by leaf hash, or, for a signed-in party, by one of its serials),
 * prove it in this browser, and page through the newest ones.
 *
 * A proof here trusts nothing the server says: the leaf data comes from the public entry tile (C2SP tlog-tiles), is
 * hashed here, the inclusion proof must lead from that hash to the root of a checkpoint signed by the pinned key
 * (src/protocol/evidence.ts checkEvidence, the same check the scan card and the offline verifier run), and an event
 * shown beside it must hash to the leaf's event hash and carry the leaf's signature.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { NoteVerifier } from '../../../src/checkpoint';
import { base64ToBytes, bytesToBase64, equalBytes } from '../../../src/bytes';
import { parseProductCode } from '../../../src/gs1/product-code';
import { leafHash } from '../../../src/merkle/hash';
import { decodeEntryBundle, entriesPath, TILE_WIDTH } from '../../../src/merkle/tiles';
import { checkEvidence, EvidenceCheck } from '../../../src/protocol/evidence';
import { decodeLeaf } from '../../../src/protocol/leaf';
import { signedEventBytes, SignableEvent } from '../../../src/signing/event-signing';
import { ApiError, ApiOptions, getBytes, getJson } from '../common/api';
import { h } from '../common/dom';
import { formatCount, formatDateTime, toHex } from '../common/format';

/** What someone typed into the lookup box. */
export type Lookup =
  | { kind: 'index'; index: number }
  | { kind: 'leaf'; leafHash: string }
  | { kind: 'serial'; gtin: string; serial: string };

/** Reads the lookup box: a log index, a leaf hash (64 hex digits or base64), or a product code with a serial. */
export function parseLookup(text: string): Lookup {
  const value = text.trim();
  if (/^[0-9]+$/.test(value)) {
    const index = Number(value);
    if (!Number.isSafeInteger(index)) throw new Error(`${value} is beyond any log index`);
    return { kind: 'index', index };
  }
  if (/^[0-9a-fA-F]{64}$/.test(value)) return { kind: 'leaf', leafHash: value.toLowerCase() };
  if (/^[A-Za-z0-9+/]{43}=$/.test(value)) return { kind: 'leaf', leafHash: toHex(base64ToBytes(value)) };
  try {
    const code = parseProductCode(value, { require: ['gtin', 'serial'] });
    return { kind: 'serial', gtin: code.gtin!, serial: code.serial! };
  } catch {
    throw new Error(
      'enter a log index (e.g. 42), a leaf hash (64 hex digits or base64), or a product code with GTIN (01) and serial (21)',
    );
  }
}

interface InclusionAnswer {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  hashes: string[];
  checkpoint?: string;
}

interface EntryAnswer {
  index: number;
  eventHash: string;
  event: SignableEvent;
  signature: string;
}

/** One entry proved in this browser, and its event when the viewer may read it. */
export interface ProvedEntry {
  index: number;
  leafHash: string;
  check: EvidenceCheck;
  proofHashes: number;
  event:
    | { state: 'shown'; event: SignableEvent; matches: boolean; problem?: string }
    | { state: 'withheld'; reason: string };
}

/** The leaf data of entry `index` in a tree of `treeSize` entries, from its public entry tile. */
async function leafDataOf(index: number, treeSize: number): Promise<Uint8Array> {
  const tile = Math.floor(index / TILE_WIDTH);
  const width = Math.min(TILE_WIDTH, treeSize - tile * TILE_WIDTH);
  const leaves = decodeEntryBundle(await getBytes(`/v1/log/${entriesPath(tile, width)}`));
  const data = leaves[index - tile * TILE_WIDTH];
  if (!data) throw new Error(`the entry tile served for entry ${index} holds only ${leaves.length} entries`);
  return data;
}

/** Proves an entry against the pinned key: by index, or by the leaf hash someone has. */
export async function proveEntry(
  lookup: Extract<Lookup, { kind: 'index' | 'leaf' }>,
  verifier: NoteVerifier,
  credentials: ApiOptions | null,
): Promise<ProvedEntry> {
  const query = lookup.kind === 'index' ? `index=${lookup.index}` : `leafHash=${lookup.leafHash}`;
  const proof = await getJson<InclusionAnswer>(`/v1/log/proof/inclusion?${query}`);
  if (!proof.checkpoint) throw new Error('the server sent a proof without the checkpoint it leads to');
  const data = await leafDataOf(proof.leafIndex, proof.treeSize);
  // Asked by leaf hash: the proof must be about that hash, whatever index the server says it has.
  const claimed = lookup.kind === 'leaf' ? bytesToBase64(hexBytes(lookup.leafHash)) : proof.leafHash;
  const check = equalBytes(base64ToBytes(claimed), base64ToBytes(proof.leafHash))
    ? checkEvidence(
        {
          index: proof.leafIndex,
          leafData: bytesToBase64(data),
          leafHash: claimed,
          inclusionProof: { treeSize: proof.treeSize, hashes: proof.hashes },
          checkpoint: proof.checkpoint,
        },
        verifier,
      )
    : ({ ok: false, problem: 'the server proved a different leaf hash than the one asked for' } as const);
  return {
    index: proof.leafIndex,
    leafHash: toHex(leafHash(data)),
    check,
    proofHashes: proof.hashes.length,
    event: await eventOf(proof.leafIndex, data, credentials),
  };
}

const PUBLIC_ONLY = 'Only hashes are public. Sign in as a party this event names, or as a regulator, to read it.';

/** The logged event, checked against its leaf, when the viewer is a party it names or a regulator. */
async function eventOf(index: number, data: Uint8Array, credentials: ApiOptions | null): Promise<ProvedEntry['event']> {
  if (!credentials) return { state: 'withheld', reason: PUBLIC_ONLY };
  let entry: EntryAnswer;
  try {
    entry = await getJson<EntryAnswer>(`/v1/log/entries/${index}`, credentials);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      return {
        state: 'withheld',
        reason: error.status === 401 ? PUBLIC_ONLY : 'This event does not name your party: only its hashes are public.',
      };
    }
    throw error;
  }
  const leaf = decodeLeaf(data);
  let problem: string | undefined;
  try {
    if (!equalBytes(sha256(signedEventBytes(entry.event)), leaf.eventHash)) {
      problem = "the event served does not hash to the leaf's event hash";
    } else if (!equalBytes(base64ToBytes(entry.signature), leaf.signature)) {
      problem = "the signature served is not the leaf's";
    }
  } catch (error) {
    problem = `the event served cannot be checked: ${(error as Error).message}`;
  }
  return { state: 'shown', event: entry.event, matches: !problem, problem };
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

/** Log indexes of the events about one unit that the signed-in party may see (its serial report, EPCIS form). */
export async function entriesOfSerial(
  gtin: string,
  serial: string,
  credentials: ApiOptions,
): Promise<{ index: number; type: string; time: string }[]> {
  const document = await getJson<{ epcisBody?: { eventList?: Record<string, unknown>[] } }>(
    `/v1/reports/serial?format=epcis&gtin=${encodeURIComponent(gtin)}&serial=${encodeURIComponent(serial)}`,
    credentials,
  );
  return (document.epcisBody?.eventList ?? [])
    .map((event) => ({
      index: Number(event['rxl:logIndex']),
      type: String(event.bizStep ?? event.type ?? '').replace(/^.*[/:]/, ''),
      time: String(event.eventTime ?? ''),
    }))
    .filter((event) => Number.isSafeInteger(event.index));
}

/** One row of the newest-entries list: what the public entry tiles say, before anyone proves it. */
export interface EntryRow {
  index: number;
  acceptedAt: string;
  leafHash: string;
}

/** Entries [from, to) of a tree of `treeSize`, newest first, read from the public entry tiles. */
export async function entryRows(from: number, to: number, treeSize: number): Promise<EntryRow[]> {
  const rows: EntryRow[] = [];
  for (let tile = Math.floor(from / TILE_WIDTH); tile * TILE_WIDTH < to; tile++) {
    const width = Math.min(TILE_WIDTH, treeSize - tile * TILE_WIDTH);
    const leaves = decodeEntryBundle(await getBytes(`/v1/log/${entriesPath(tile, width)}`));
    leaves.forEach((data, offset) => {
      const index = tile * TILE_WIDTH + offset;
      if (index < from || index >= to) return;
      rows.push({
        index,
        acceptedAt: new Date(decodeLeaf(data).acceptedAtMs).toISOString(),
        leafHash: toHex(leafHash(data)),
      });
    });
  }
  return rows.reverse();
}

/** The proof's result as steps a person can follow; every step says what was checked here. */
export function provedEntryView(entry: ProvedEntry): HTMLElement {
  const ok = entry.check.ok;
  return h(
    'article',
    { class: 'entry-proof', 'data-state': ok ? 'ok' : 'failed', 'aria-labelledby': 'entry-title' },
    h('h3', { id: 'entry-title' }, `Entry ${formatCount(entry.index)}`),
    h(
      'p',
      { class: `evidence evidence--${ok ? 'ok' : 'failed'}`, role: ok ? null : 'alert' },
      entry.check.ok
        ? `✓ Proved in this browser: entry ${formatCount(entry.index)} is in checkpoint ${formatCount(entry.check.treeSize)}, signed by the pinned log key (${entry.proofHashes} proof hashes checked).`
        : `✕ Not proved: ${entry.check.problem}. Do not rely on this entry; keep this page and report it to the network operator.`,
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Leaf hash (hex, computed here)', entry.leafHash, true),
      entry.check.ok ? fact('Accepted', formatDateTime(entry.check.acceptedAt)) : null,
      entry.check.ok ? fact('Event hash (hex)', toHex(base64ToBytes(entry.check.eventHash)), true) : null,
    ),
    eventView(entry.event),
  );
}

function eventView(event: ProvedEntry['event']): HTMLElement {
  if (event.state === 'withheld') return h('p', { class: 'muted entry-withheld' }, event.reason);
  return h(
    'div',
    { class: 'entry-event' },
    h(
      'p',
      { class: `evidence evidence--${event.matches ? 'ok' : 'failed'}`, role: event.matches ? null : 'alert' },
      event.matches
        ? '✓ The event below hashes to the leaf’s event hash and carries the leaf’s signature.'
        : `✕ ${event.problem}: the event below is not the one logged.`,
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Type', event.event.type),
      fact('Signed by', event.event.actor),
      fact('Time', event.event.time),
      fact('Device key', event.event.keyId, true),
    ),
    h('details', null, h('summary', null, 'The event as logged (JSON)'), h('pre', { class: 'note' }, pretty(event))),
  );
}

const pretty = (event: Extract<ProvedEntry['event'], { state: 'shown' }>) => JSON.stringify(event.event, null, 2);

function fact(term: string, value: string, code = false): HTMLElement {
  return h(
    'div',
    { class: `fact${code ? ' fact--full' : ''}` },
    h('dt', null, term),
    h('dd', null, code ? h('code', { class: 'vkey' }, value) : value),
  );
}
