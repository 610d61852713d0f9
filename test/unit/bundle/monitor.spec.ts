/**
 * The monitor's check of a new checkpoint against the one it trusts: consistent growth is accepted; a rollback, a
 * fork, a bad signature or a bad consistency proof is refused and named.
 */
import { randomBytes } from 'node:crypto';
import * as fc from 'fast-check';
import { checkNewCheckpoint } from '../../../src/bundle';
import { ed25519Signer, signCheckpoint } from '../../../src/checkpoint';
import { bytesToBase64 } from '../../../src/bytes';
import { LOG_ORIGIN, MemoryLog } from './memory-log';

/** A log of `size` random leaves. */
function logOf(size: number): MemoryLog {
  const log = new MemoryLog();
  for (let i = 0; i < size; i++) log.appendLeafHash(randomBytes(32));
  return log;
}

/** A log with the same signer and the same first `shared` leaves as `log`, then other leaves up to `size`. */
function forkOf(log: MemoryLog, shared: number, size: number): MemoryLog {
  const fork = new MemoryLog(log.signer);
  for (let i = 0; i < size; i++) fork.appendLeafHash(i < shared ? log.entries[i].leaf : randomBytes(32));
  return fork;
}

describe('checkNewCheckpoint', () => {
  it('accepts a log that grew consistently, from a note or from a size and root', () => {
    const log = logOf(10);
    const trusted = log.checkpoint();
    for (let i = 0; i < 7; i++) log.appendLeafHash(randomBytes(32));
    const result = checkNewCheckpoint({ note: trusted }, log.checkpoint(), log.consistencyProof(10), log.vkey);
    expect(result).toMatchObject({ ok: true, size: 17, rootHash: bytesToBase64(log.root()), grew: true });
    const fromHead = checkNewCheckpoint(
      { size: 10, rootHash: bytesToBase64(log.root(10)) },
      log.checkpoint(),
      log.consistencyProof(10),
      log.vkey,
    );
    expect(fromHead).toMatchObject({ ok: true, size: 17 });
  });

  it('accepts the same checkpoint again (nothing new)', () => {
    const log = logOf(5);
    expect(checkNewCheckpoint({ note: log.checkpoint() }, log.checkpoint(), [], log.vkey)).toMatchObject({
      ok: true,
      grew: false,
    });
  });

  it('accepts every consistent growth (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const log = logOf(to);
        const result = checkNewCheckpoint(
          { note: log.checkpoint(from) },
          log.checkpoint(to),
          log.consistencyProof(from, to),
          log.vkey,
        );
        expect(result.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a rollback: a smaller tree after a larger one', () => {
    const log = logOf(12);
    const result = checkNewCheckpoint({ note: log.checkpoint(12) }, log.checkpoint(9), [], log.vkey);
    expect(result).toMatchObject({
      ok: false,
      problem: 'rollback',
      trusted: { size: 12, rootHash: bytesToBase64(log.root(12)) },
      candidate: { size: 9, rootHash: bytesToBase64(log.root(9)) },
      message: expect.stringMatching(/checkpoint of 9 entries after one of 12/),
    });
  });

  it('refuses a fork: the same size with another root', () => {
    const log = logOf(12);
    const fork = forkOf(log, 11, 12);
    const result = checkNewCheckpoint({ note: log.checkpoint() }, fork.checkpoint(), [], log.vkey);
    expect(result).toMatchObject({ ok: false, problem: 'fork', candidate: { size: 12 } });
  });

  it('refuses a fork: a larger tree whose proof, sound for its own root, shows another beginning', () => {
    const log = logOf(13);
    // The fork rewrites entry 12 and grows to 20; it serves an honest proof of its own tree.
    const fork = forkOf(log, 12, 20);
    const result = checkNewCheckpoint(
      { note: log.checkpoint() },
      fork.checkpoint(),
      fork.consistencyProof(13),
      log.vkey,
    );
    expect(result).toMatchObject({
      ok: false,
      problem: 'fork',
      trusted: { size: 13, rootHash: bytesToBase64(log.root()) },
      candidate: { size: 20, rootHash: bytesToBase64(fork.root()) },
      message: expect.stringMatching(
        new RegExp(`its first 13 entries have root ${escape(bytesToBase64(fork.root(13)))}`),
      ),
    });
  });

  it('refuses every fork of a larger size (property): a fork when it is provable, else an inconsistent proof', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 100 }), fc.nat(), (size1, extra, at) => {
        const log = logOf(size1);
        const fork = forkOf(log, at % size1, size1 + extra + 1);
        const result = checkNewCheckpoint(
          { note: log.checkpoint() },
          fork.checkpoint(),
          fork.consistencyProof(size1),
          log.vkey,
        );
        expect(result.ok).toBe(false);
        const powerOfTwo = (size1 & (size1 - 1)) === 0;
        expect(!result.ok && result.problem).toBe(powerOfTwo ? 'bad-proof' : 'fork');
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a checkpoint that is not signed by the log key', () => {
    const log = logOf(8);
    const trusted = log.checkpoint();
    log.appendLeafHash(randomBytes(32));
    const impostor = ed25519Signer(LOG_ORIGIN, randomBytes(32));
    const forged = signCheckpoint({ origin: LOG_ORIGIN, size: 9, rootHash: log.root(), extensions: [] }, impostor);
    const flipped = log
      .checkpoint()
      .replace(/— \S+ (\S)/, (match, c: string) => match.slice(0, -1) + (c === 'A' ? 'B' : 'A'));
    for (const note of [forged, flipped, 'not a checkpoint']) {
      expect(checkNewCheckpoint({ note: trusted }, note, log.consistencyProof(8), log.vkey)).toMatchObject({
        ok: false,
        problem: 'bad-signature',
        candidate: null,
        message: expect.stringMatching(/does not verify with the log key rxledger.test\/log/),
      });
    }
  });

  it('refuses a bad consistency proof: a flipped hash, a missing hash, or not base64', () => {
    const log = logOf(21);
    const trusted = log.checkpoint();
    for (let i = 0; i < 30; i++) log.appendLeafHash(randomBytes(32));
    const proof = log.consistencyProof(21);
    const flipped = proof.map((hash, i) =>
      i === 2 ? bytesToBase64(Buffer.from(hash, 'base64').map((b, k) => (k === 0 ? b ^ 1 : b))) : hash,
    );
    const cases: [string[], RegExp][] = [
      [flipped, /does not show that the tree of 51 entries extends the trusted tree of 21/],
      [proof.slice(1), new RegExp(`has ${proof.length} hashes, this one has ${proof.length - 1}`)],
      [[...proof.slice(0, -1), 'not base64!'], /hash \d+ is not 32 bytes of standard base64/],
    ];
    for (const [bad, message] of cases) {
      expect(checkNewCheckpoint({ note: trusted }, log.checkpoint(), bad, log.vkey)).toMatchObject({
        ok: false,
        problem: 'bad-proof',
        message: expect.stringMatching(message),
      });
    }
  });

  it('throws when what it is told to trust is itself unusable', () => {
    const log = logOf(3);
    expect(() => checkNewCheckpoint({ note: 'garbage' }, log.checkpoint(), [], log.vkey)).toThrow(
      /trusted checkpoint does not verify/,
    );
    expect(() => checkNewCheckpoint({ size: 3, rootHash: 'AAAA' }, log.checkpoint(), [], log.vkey)).toThrow(
      /32-byte root hash/,
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
