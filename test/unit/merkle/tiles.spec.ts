import fc from 'fast-check';
import {
  MAX_ENTRY_SIZE,
  MerkleFrontier,
  TilePathError,
  decodeEntryBundle,
  encodeEntryBundle,
  entriesPath,
  formatTileIndex,
  hashFromTileRange,
  leafHash,
  nodeHash,
  parseTileIndex,
  parseTilePath,
  tileForNode,
  tilePath,
} from '../../../src/merkle';
import { bytesToHex } from '../../../src/bytes';

describe('tile index encoding', () => {
  it.each([
    [0, '000'],
    [5, '005'],
    [999, '999'],
    [1000, 'x001/000'],
    [1234067, 'x001/x234/067'],
    [Number.MAX_SAFE_INTEGER, 'x009/x007/x199/x254/x740/991'],
  ])('%p <-> %p', (index, text) => {
    expect(formatTileIndex(index)).toBe(text);
    expect(parseTileIndex(text)).toBe(index);
  });

  it('round-trips every safe index', () => {
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (n) => parseTileIndex(formatTileIndex(n)) === n));
  });

  it.each([
    ['', 'empty'],
    ['5', 'not 3 digits'],
    ['0005', 'too many digits'],
    ['x005', 'x on the last element'],
    ['001/234', 'missing x'],
    ['x000/005', 'leading zero element'],
    ['x001/x23/067', 'short element'],
    ['x001//067', 'empty element'],
    ['x00a/067', 'not a digit'],
    ['+01', 'sign'],
    ['x009/x007/x199/x254/x740/992', 'above 2^53 - 1'],
  ])('rejects %p (%s)', (text) => {
    expect(() => parseTileIndex(text)).toThrow(TilePathError);
  });

  it('refuses indexes it cannot encode exactly', () => {
    expect(() => formatTileIndex(-1)).toThrow(RangeError);
    expect(() => formatTileIndex(2 ** 53)).toThrow(RangeError);
    expect(() => formatTileIndex(1.5)).toThrow(RangeError);
  });
});

describe('tile paths', () => {
  it('formats hash tiles and entry bundles, full and partial', () => {
    expect(tilePath(0, 1234067)).toBe('tile/0/x001/x234/067');
    expect(tilePath(0, 1234067, 256)).toBe('tile/0/x001/x234/067');
    expect(tilePath(2, 0, 1)).toBe('tile/2/000.p/1');
    expect(tilePath(1, 1, 17)).toBe('tile/1/001.p/17');
    expect(entriesPath(273, 112)).toBe('tile/entries/273.p/112');
    expect(entriesPath(5)).toBe('tile/entries/005');
    expect(() => tilePath(64, 0)).toThrow(RangeError);
    expect(() => tilePath(-1, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 0)).toThrow(RangeError);
    expect(() => tilePath(0, 0, 257)).toThrow(RangeError);
    expect(() => entriesPath(0, 2.5)).toThrow(RangeError);
  });

  it('parses what it formats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 63 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
        (level, index, width) => {
          expect(parseTilePath(tilePath(level, index, width))).toEqual(
            width === undefined ? { kind: 'hash', level, index } : { kind: 'hash', level, index, width },
          );
          expect(parseTilePath(entriesPath(index, width))).toEqual(
            width === undefined ? { kind: 'entries', index } : { kind: 'entries', index, width },
          );
        },
      ),
    );
  });

  it.each([
    'tile/0',
    'tile/0/',
    'tiles/0/000',
    '/tile/0/000',
    'tile/00/000',
    'tile/64/000',
    'tile/-1/000',
    'tile/x/000',
    'tile/0/000.p',
    'tile/0/000.p/',
    'tile/0/000.p/0',
    'tile/0/000.p/256',
    'tile/0/000.p/017',
    'tile/0/000.p/1/2',
    'tile/0/000/extra',
    'tile/0/x000/001',
    'tile/entries/000.p/300',
    'tile/entries/x001',
    'tile/entries',
    'tile/data/000',
  ])('rejects %p with a TilePathError', (path) => {
    expect(() => parseTilePath(path)).toThrow(TilePathError);
  });
});

describe('entry bundles', () => {
  it('prefixes each entry with its big-endian uint16 length', () => {
    const bundle = encodeEntryBundle([Uint8Array.of(0xaa), new Uint8Array(0), new Uint8Array(258).fill(7)]);
    expect(Array.from(bundle.slice(0, 7))).toEqual([0, 1, 0xaa, 0, 0, 1, 2]);
    expect(bundle.length).toBe(3 + 2 + 2 + 258);
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 256 }), (entries) => {
        const decoded = decodeEntryBundle(encodeEntryBundle(entries));
        expect(decoded.map(bytesToHex)).toEqual(entries.map(bytesToHex));
      }),
      { numRuns: 50 },
    );
  });

  it('accepts the largest entry and refuses a larger one', () => {
    const largest = new Uint8Array(MAX_ENTRY_SIZE).fill(1);
    expect(decodeEntryBundle(encodeEntryBundle([largest]))[0].length).toBe(65535);
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(/at most 65535/);
  });

  it('refuses truncated bundles and more than 256 entries', () => {
    const bundle = encodeEntryBundle([Uint8Array.of(1, 2, 3)]);
    expect(() => decodeEntryBundle(bundle.slice(0, 1))).toThrow(/truncated/);
    expect(() => decodeEntryBundle(bundle.slice(0, 4))).toThrow(/truncated/);
    expect(() => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array(0)))).toThrow(/at most 256/);
    expect(() => decodeEntryBundle(new Uint8Array(2 * 257))).toThrow(/at most 256/);
  });
});

describe('tileForNode + hashFromTileRange', () => {
  it('locates nodes in the stored levels 0, 8, 16', () => {
    expect(tileForNode({ level: 0, index: 300 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      offset: 44,
      first: 300,
      count: 1,
    });
    expect(tileForNode({ level: 3, index: 33 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      offset: 8,
      first: 264,
      count: 8,
    });
    expect(tileForNode({ level: 7, index: 3 })).toEqual({
      tileLevel: 0,
      tileIndex: 1,
      offset: 128,
      first: 384,
      count: 128,
    });
    expect(tileForNode({ level: 8, index: 5 })).toEqual({ tileLevel: 1, tileIndex: 0, offset: 5, first: 5, count: 1 });
    expect(tileForNode({ level: 19, index: 1 })).toEqual({ tileLevel: 2, tileIndex: 0, offset: 8, first: 8, count: 8 });
    expect(() => tileForNode({ level: -1, index: 0 })).toThrow(RangeError);
    expect(() => tileForNode({ level: 53, index: 0 })).toThrow(RangeError);
  });

  it('every stored range stays inside one tile', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.nat({ max: 2 ** 12 }), (level, index) => {
        const at = tileForNode({ level, index });
        expect(at.offset + at.count).toBeLessThanOrEqual(256);
        expect(at.tileIndex * 256 + at.offset).toBe(at.first);
        expect(at.count).toBe(2 ** (level % 8));
      }),
    );
  });

  it('rebuilds any complete subtree of a 3,000-leaf tree from stored level-0 and level-8 hashes', () => {
    // Store only what an integrator keeps: tree levels 0 and 8, from the frontier's completion events.
    const stored = new Map<number, Uint8Array[]>([
      [0, []],
      [8, []],
    ]);
    const all = new Map<string, string>();
    const frontier = MerkleFrontier.empty();
    for (let i = 0; i < 3000; i++) {
      frontier.append(leafHash(Uint8Array.of(i % 256, Math.floor(i / 256))), (level, index, hash) => {
        all.set(`${level}/${index}`, bytesToHex(hash));
        stored.get(level)?.push(hash);
      });
    }
    expect(all.size).toBeGreaterThan(5900);
    for (const [key, expected] of all) {
      const [level, index] = key.split('/').map(Number);
      const at = tileForNode({ level, index });
      const hashes = stored.get(8 * at.tileLevel)!.slice(at.first, at.first + at.count);
      expect([key, bytesToHex(hashFromTileRange(hashes))]).toEqual([key, expected]);
    }
  });

  it('hashFromTileRange folds pairs level by level and refuses other counts', () => {
    const h = [0, 1, 2, 3].map((i) => leafHash(Uint8Array.of(i)));
    expect(bytesToHex(hashFromTileRange([h[0]]))).toBe(bytesToHex(h[0]));
    expect(bytesToHex(hashFromTileRange(h))).toBe(bytesToHex(nodeHash(nodeHash(h[0], h[1]), nodeHash(h[2], h[3]))));
    expect(() => hashFromTileRange([])).toThrow(RangeError);
    expect(() => hashFromTileRange(h.slice(0, 3))).toThrow(/power-of-two/);
    expect(() => hashFromTileRange([h[0], h[1].slice(1)])).toThrow(/32 bytes/);
  });
});
