/**
 * C2SP tlog-tiles (https://c2sp.org/tlog-tiles): the tree served as static 256-wide tiles of hashes.
 *
 * A tile at tile level L holds consecutive hashes of tree level 8L; the server therefore stores only the hashes
 * at tree levels 0, 8, 16, ... and derives any other complete-subtree hash from at most 128 consecutive stored
 * hashes of one tile (`tileForNode` + `hashFromTileRange`).
 */
import { Hash, isHash, nodeHash } from './hash';
import { NodeId, assertNodeId, assertTreeSize } from './node-id';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** Entry bundles carry each entry behind a big-endian uint16 length. */
export const MAX_ENTRY_SIZE = 0xffff;
const MAX_TILE_LEVEL = 63;

export class TilePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TilePathError';
  }
}

export type TilePath =
  { kind: 'hash'; level: number; index: number; width?: number } | { kind: 'entries'; index: number; width?: number };

/** `<N>` of a tile path: zero-padded 3-digit elements, all but the last prefixed with `x` (1234067 -> x001/x234/067). */
export function formatTileIndex(index: number): string {
  assertTreeSize(index, 'tile index');
  let digits = String(index);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const elements: string[] = [];
  for (let i = 0; i < digits.length; i += 3) elements.push(digits.slice(i, i + 3));
  return elements.map((element, i) => (i < elements.length - 1 ? `x${element}` : element)).join('/');
}

/** Inverse of `formatTileIndex`; accepts only the canonical encoding, so that each tile has exactly one URL. */
export function parseTileIndex(text: string): number {
  const elements = text.split('/');
  const digits: string[] = [];
  elements.forEach((element, i) => {
    const last = i === elements.length - 1;
    const match = (last ? /^([0-9]{3})$/ : /^x([0-9]{3})$/).exec(element);
    if (match === null) {
      throw new TilePathError(
        `bad tile index ${JSON.stringify(text)}: element ${JSON.stringify(element)} is not ${last ? 'NNN' : 'xNNN'}`,
      );
    }
    digits.push(match[1]);
  });
  if (elements.length > 1 && digits[0] === '000') {
    throw new TilePathError(`bad tile index ${JSON.stringify(text)}: leading x000 element (not canonical)`);
  }
  const index = Number(digits.join(''));
  if (!Number.isSafeInteger(index)) throw new TilePathError(`tile index ${JSON.stringify(text)} exceeds 2^53 - 1`);
  return index;
}

function widthSuffix(width: number | undefined): string {
  if (width === undefined || width === TILE_WIDTH) return '';
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new RangeError(`tile width must be an integer in [1, 256], got ${String(width)}`);
  }
  return `.p/${width}`;
}

/** `tile/<L>/<N>[.p/<W>]`; width 256 (or none) names the full tile. */
export function tilePath(level: number, index: number, width?: number): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL) {
    throw new RangeError(`tile level must be an integer in [0, 63], got ${String(level)}`);
  }
  return `tile/${level}/${formatTileIndex(index)}${widthSuffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]`. */
export function entriesPath(index: number, width?: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

function parseSmallDecimal(text: string, min: number, max: number, what: string, path: string): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new TilePathError(
      `bad tile path ${JSON.stringify(path)}: ${what} must be a decimal in [${min}, ${max}] without leading zeros`,
    );
  }
  return Number(text);
}

/** Parses a path relative to the log prefix, e.g. `tile/0/x001/234.p/17` or `tile/entries/005`. */
export function parseTilePath(path: string): TilePath {
  const elements = path.split('/');
  if (elements.length < 3 || elements[0] !== 'tile') {
    throw new TilePathError(`bad tile path ${JSON.stringify(path)}: expected tile/<L>/<N>[.p/<W>]`);
  }
  const kind = elements[1] === 'entries' ? 'entries' : 'hash';
  const level = kind === 'hash' ? parseSmallDecimal(elements[1], 0, MAX_TILE_LEVEL, 'level', path) : undefined;
  let indexElements = elements.slice(2);
  let width: number | undefined;
  const beforeLast = indexElements.length - 2;
  if (beforeLast >= 0 && indexElements[beforeLast].endsWith('.p')) {
    width = parseSmallDecimal(indexElements[beforeLast + 1], 1, TILE_WIDTH - 1, 'partial width', path);
    indexElements = [...indexElements.slice(0, beforeLast), indexElements[beforeLast].slice(0, -2)];
  }
  let index: number;
  try {
    index = parseTileIndex(indexElements.join('/'));
  } catch (error) {
    throw new TilePathError(`bad tile path ${JSON.stringify(path)}: ${(error as Error).message}`);
  }
  const widthPart = width === undefined ? {} : { width };
  return level === undefined ? { kind: 'entries', index, ...widthPart } : { kind: 'hash', level, index, ...widthPart };
}

/**
 * How many hashes tile `index` at tile level `level` holds in a tree of `size` leaves: 256 for a full tile,
 * 1..255 for the partial tile, 0 if the tile does not exist yet.
 */
export function tileWidth(level: number, index: number, size: number): number {
  assertTreeSize(size, 'tree size');
  assertTreeSize(index, 'tile index');
  const hashesAtLevel = Math.floor(size / 2 ** (TILE_HEIGHT * level));
  return Math.max(0, Math.min(TILE_WIDTH, hashesAtLevel - index * TILE_WIDTH));
}

export interface TileRange {
  /** Tile level L: the stored hashes are those of tree level 8L. */
  tileLevel: number;
  tileIndex: number;
  /** Position of the first hash inside the tile. */
  offset: number;
  /** Index, among all hashes of tree level 8L, of the first hash. */
  first: number;
  /** How many consecutive hashes (a power of two, at most 128) fold into the node. */
  count: number;
}

/** Which stored hashes (all in one tile) fold into the complete subtree `id`. */
export function tileForNode(id: NodeId): TileRange {
  assertNodeId(id);
  const tileLevel = Math.floor(id.level / TILE_HEIGHT);
  const count = 2 ** (id.level - TILE_HEIGHT * tileLevel);
  const first = id.index * count;
  return {
    tileLevel,
    tileIndex: Math.floor(first / TILE_WIDTH),
    offset: first % TILE_WIDTH,
    first,
    count,
  };
}

/** MTH of a complete subtree from the 2^k hashes of its descendants at one level, left to right. */
export function hashFromTileRange(hashes: readonly Hash[]): Hash {
  const count = hashes.length;
  if (count === 0 || (count & (count - 1)) !== 0) {
    throw new RangeError(`need a power-of-two number of hashes, got ${count}`);
  }
  hashes.forEach((hash, i) => {
    if (!isHash(hash)) throw new RangeError(`hash ${i} must be 32 bytes, got ${hash.length}`);
  });
  let level: Hash[] = hashes.map((hash) => Uint8Array.from(hash));
  while (level.length > 1) {
    const next: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}

/** Concatenates entries, each behind its big-endian uint16 length (C2SP tlog-tiles entry bundle). */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH)
    throw new RangeError(`an entry bundle holds at most 256 entries, got ${entries.length}`);
  let total = 0;
  entries.forEach((entry, i) => {
    if (entry.length > MAX_ENTRY_SIZE) {
      throw new RangeError(`entry ${i} is ${entry.length} bytes; entry bundles allow at most ${MAX_ENTRY_SIZE}`);
    }
    total += 2 + entry.length;
  });
  const bundle = new Uint8Array(total);
  let at = 0;
  for (const entry of entries) {
    bundle[at] = Math.floor(entry.length / 256);
    bundle[at + 1] = entry.length % 256;
    bundle.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return bundle;
}

export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) throw new RangeError(`entry bundle truncated in the length of entry ${entries.length}`);
    const length = bundle[at] * 256 + bundle[at + 1];
    if (at + 2 + length > bundle.length) {
      throw new RangeError(`entry bundle truncated: entry ${entries.length} declares ${length} bytes`);
    }
    entries.push(bundle.slice(at + 2, at + 2 + length));
    at += 2 + length;
    if (entries.length > TILE_WIDTH) throw new RangeError('an entry bundle holds at most 256 entries');
  }
  return entries;
}
