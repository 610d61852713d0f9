/**
 * The proof the server relies on: `verifyStrictNode` / `verifyStrictNodeAsync` (OpenSSL through Node's crypto, with
 * rules 1 and 2 checked in JavaScript) return exactly the verdict of `verifyStrict` (noble's arithmetic) on every
 * published edge-case vector, on the generated edge cases and on 2,000 random valid and one-bit-mutated signatures.
 *
 * Why the rule is composed rather than borrowed, shown by the last block and asserted, so the suite fails if either
 * shortcut is taken:
 *  - noble's plain `ed25519.verify` is cofactored: it accepts a signature whose R carries a small-order component
 *    (generated "R with a small-order component", speccheck cases 4 and 5). A verifier built on it would differ.
 *  - OpenSSL alone checks S < L and the cofactorless equation, but not the key: it accepts forgeries under
 *    small-order and non-canonical keys (speccheck 0-3 and 11, generated small-order/non-canonical/mixed-order key
 *    cases). A Node verifier that skipped the JavaScript key check would differ.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Buffer } from 'node:buffer';
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { concatBytes, hexToBytes, utf8 } from '../../../src/bytes';
import {
  cofactorlessEquationHolds,
  hasCanonicalScalar,
  publicKeyOf,
  sign,
  verifyStrict,
} from '../../../src/signing/ed25519';
import { verifyStrictNode, verifyStrictNodeAsync } from '../../../src/signing/ed25519-node';
import { EdgeCase, generatedEdgeCases, seedOf } from './edge-cases';
import rfc8032 from './fixtures/rfc8032.json';
import speccheck from './fixtures/speccheck.json';

type Verifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

const SPKI_PREFIX = hexToBytes('302a300506032b6570032100');

/** OpenSSL on its own, without the JavaScript checks of rules 1 and 2. */
const opensslAlone: Verifier = (publicKey, message, signature) => {
  try {
    const key = createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)), format: 'der', type: 'spki' });
    return cryptoVerify(null, message, key, signature);
  } catch {
    return false;
  }
};

/** noble's plain verify: cofactored equation, ZIP-215 decoding (its default for ed25519). */
const nobleCofactored: Verifier = (publicKey, message, signature) => {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
};

/** Rules 2 and 3 without rule 1: what OpenSSL is expected to compute. */
const rules2and3: Verifier = (publicKey, message, signature) =>
  hasCanonicalScalar(signature) && cofactorlessEquationHolds(publicKey, message, signature);

function isCanonicalPoint(bytes: Uint8Array): boolean {
  try {
    ed25519.Point.fromBytes(bytes, false);
    return true;
  } catch {
    return false;
  }
}

interface Case {
  name: string;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  expected?: boolean;
}

async function strictVerdicts(c: Case): Promise<[boolean, boolean, boolean]> {
  return [
    verifyStrict(c.publicKey, c.message, c.signature),
    verifyStrictNode(c.publicKey, c.message, c.signature),
    await verifyStrictNodeAsync(c.publicKey, c.message, c.signature),
  ];
}

/** Names of the cases on which two verifiers disagree. */
function disagreements(a: Verifier, b: Verifier, cases: Case[]): string[] {
  return cases
    .filter((c) => a(c.publicKey, c.message, c.signature) !== b(c.publicKey, c.message, c.signature))
    .map((c) => c.name);
}

const rfcCases: Case[] = rfc8032.vectors.map((v) => ({
  name: `RFC 8032 ${v.name}`,
  publicKey: hexToBytes(v.publicKey),
  message: hexToBytes(v.message),
  signature: hexToBytes(v.signature),
  expected: true,
}));

const speccheckCases: Case[] = speccheck.cases.map((c) => ({
  name: `speccheck ${c.case}`,
  publicKey: hexToBytes(c.pub_key),
  message: hexToBytes(c.message),
  signature: hexToBytes(c.signature),
  expected: c.expected,
}));

const edgeCases: EdgeCase[] = generatedEdgeCases();

/** Deterministic bytes: SHA-256 in counter mode over a label. */
function stream(label: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  return (n) => {
    while (pool.length < n) pool = concatBytes(pool, sha256(utf8(`${label}/${counter++}`)));
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

/** 2,000 signatures: even indices valid, odd ones with one bit flipped in the signature, message or key. */
function randomCases(count: number): Case[] {
  const next = stream('rxledger equivalence');
  const uint = (bound: number) => (next(4).reduce((acc, b) => acc * 256 + b, 0) >>> 0) % bound;
  const seeds = Array.from({ length: 12 }, (_, i) => seedOf(`equivalence signer ${i}`));
  const keys = seeds.map(publicKeyOf);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const signer = uint(seeds.length);
    const message = next(uint(300));
    const signature = sign(seeds[signer], message);
    const c: Case = { name: `random #${i}`, publicKey: keys[signer], message, signature, expected: true };
    if (i % 2 === 1) {
      const target = uint(3);
      const field = target === 1 && message.length > 0 ? 'message' : target === 2 ? 'publicKey' : 'signature';
      const mutated = c[field].slice();
      const bit = uint(mutated.length * 8);
      mutated[bit >> 3] ^= 1 << (bit & 7);
      c[field] = mutated;
      c.name += ` (bit ${bit} of the ${field} flipped)`;
      c.expected = false;
    }
    cases.push(c);
  }
  return cases;
}

describe('noble and OpenSSL verifiers agree', () => {
  it.each([...rfcCases, ...speccheckCases])('$name', async (c) => {
    expect(await strictVerdicts(c)).toEqual([c.expected, c.expected, c.expected]);
  });

  it.each(edgeCases)('$name', async (c) => {
    expect(await strictVerdicts(c)).toEqual([c.expected, c.expected, c.expected]);
  });

  it('on 2,000 random valid and one-bit-mutated signatures', async () => {
    const cases = randomCases(2000);
    const sync = cases.map((c) => [
      verifyStrict(c.publicKey, c.message, c.signature),
      verifyStrictNode(c.publicKey, c.message, c.signature),
    ]);
    const async = await Promise.all(cases.map((c) => verifyStrictNodeAsync(c.publicKey, c.message, c.signature)));
    const mismatches = cases.filter(
      (c, i) => sync[i][0] !== c.expected || sync[i][1] !== c.expected || async[i] !== c.expected,
    );
    expect(mismatches.map((c) => c.name)).toEqual([]);
    expect(cases.filter((c) => c.expected)).toHaveLength(1000);
  });

  it('never throw on inputs of the wrong type', async () => {
    const junk = [undefined, null, 'text', 42, {}, [1, 2, 3], new Uint16Array(32)] as unknown as Uint8Array[];
    for (const value of junk) {
      const c = { name: 'junk', publicKey: value, message: value, signature: value };
      expect(await strictVerdicts(c)).toEqual([false, false, false]);
    }
  });
});

describe('OpenSSL computes exactly rules 2 and 3 (so adding rule 1 in JavaScript yields our rule)', () => {
  const comparable = [...rfcCases, ...speccheckCases, ...edgeCases, ...randomCases(400)].filter(
    (c) => c.publicKey.length === 32 && c.signature.length === 64 && isCanonicalPoint(c.publicKey),
  );

  it('on every case with a canonically encoded key, small-order and mixed-order keys included', () => {
    expect(comparable.length).toBeGreaterThan(400);
    expect(disagreements(opensslAlone, rules2and3, comparable)).toEqual([]);
  });
});

describe('why the verifiers are composed (these shortcuts would break the equivalence above)', () => {
  const all: Case[] = [...rfcCases, ...speccheckCases, ...edgeCases];

  it("noble's plain cofactored verify accepts what the strict rule rejects", () => {
    // Observed with @noble/curves 2.x; "Taming the many EdDSAs" predicts the same for any cofactored verifier.
    const nobleAccepts = speccheckCases.filter((c) => nobleCofactored(c.publicKey, c.message, c.signature));
    expect(nobleAccepts.map((c) => c.name)).toEqual([0, 1, 2, 3, 4, 5, 9, 10, 11].map((n) => `speccheck ${n}`));
    for (const c of edgeCases.filter((e) => e.nobleCofactored !== undefined)) {
      expect([c.name, nobleCofactored(c.publicKey, c.message, c.signature)]).toEqual([c.name, c.nobleCofactored]);
    }
    // The decisive case: a valid prime-order key whose signer added a torsion point to R.
    const torsionR = edgeCases.filter((c) => c.name.startsWith('R with a small-order component'));
    expect(torsionR).toHaveLength(7);
    expect(disagreements(verifyStrict, nobleCofactored, all)).toEqual(
      expect.arrayContaining([...torsionR.map((c) => c.name), 'speccheck 4', 'speccheck 5']),
    );
  });

  it('OpenSSL without the JavaScript key check accepts forgeries under bad keys', () => {
    // Observed with Node 20's OpenSSL 3; matches the OpenSSL 3.0 row of ed25519-speccheck's results.
    const opensslAccepts = speccheckCases.filter((c) => opensslAlone(c.publicKey, c.message, c.signature));
    expect(opensslAccepts.map((c) => c.name)).toEqual([0, 1, 2, 3, 11].map((n) => `speccheck ${n}`));
    for (const c of edgeCases.filter((e) => e.opensslAlone !== undefined)) {
      expect([c.name, opensslAlone(c.publicKey, c.message, c.signature)]).toEqual([c.name, c.opensslAlone]);
    }
    const badKeyForgeries = edgeCases.filter((c) => c.opensslAlone === true && !c.expected);
    expect(badKeyForgeries.length).toBeGreaterThanOrEqual(13); // 8 small-order, 4 non-canonical, 1 mixed-order
    expect(disagreements(verifyStrictNode, opensslAlone, all)).toEqual(
      expect.arrayContaining(badKeyForgeries.map((c) => c.name)),
    );
  });
});
