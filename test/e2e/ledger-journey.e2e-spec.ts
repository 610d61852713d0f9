/**
 * The ledger core as its users drive it over HTTP: partners and keys, single and batch events, key rotation,
 * replays, and everything a client needs to trust the log without trusting the operator (checkpoints, proofs,
 * tiles and entry bundles), checked with the pure verifiers and with hashes recomputed here.
 */
import { formatVerifierKey, NoteVerifier } from '../../src/checkpoint';
import { LedgerEvent } from '../../src/protocol/event';
import { bytesToBase64, bytesToHex } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf, verifyEventSignature } from '../../src/signing/event-signing';
import {
  bundleEntries,
  consistencyHolds,
  eventHashOf,
  expectedLeafHash,
  inclusionHolds,
  logVerifier,
  merkleRoot,
  openLogCheckpoint,
  rfc9162LeafHash,
  SeenCheckpoint,
  tileHashes,
  unb64,
} from '../support/log-checks';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

interface Receipt {
  index: number;
  leafHash: string;
  eventId: string;
  actor: string;
  acceptedAt: string;
  duplicate: boolean;
  checkpoint?: string;
  inclusionProof?: { treeSize: number; leafIndex: number; hashes: string[] };
}

type Signed = { event: LedgerEvent<object>; signature: string };

describe('ledger journey over HTTP', () => {
  let t: TestApp;
  let verifier: NoteVerifier;
  let m: TestParty;
  let d: TestParty;
  let r: TestParty;
  let x: TestParty;
  /** Every event accepted so far with its receipt, by index. */
  const logged = new Map<number, { signed: Signed; receipt: Receipt }>();
  /** Every checkpoint seen, in the order seen. */
  const seen: SeenCheckpoint[] = [];

  const operator = (): [string, string] => ['Authorization', `Bearer ${t.operatorToken}`];
  const committed = async (): Promise<number> => (await t.http.get('/v1/health').expect(200)).body.log.entries;
  const note = (p: TestParty, text: string, cc?: string[], overrides: Partial<LedgerEvent<object>> = {}): Signed =>
    p.event('test.note', cc ? { text, cc } : { text }, overrides);

  /** Asks for a checkpoint covering everything logged, verifies its signature and remembers it. */
  async function checkpointNow(): Promise<SeenCheckpoint> {
    const res = await t.http
      .post('/v1/log/checkpoint')
      .set(...operator())
      .expect(200);
    const cp = openLogCheckpoint(res.text, verifier);
    seen.push(cp);
    return cp;
  }

  async function getBytes(path: string): Promise<{ status: number; bytes: Uint8Array; cache: string; body: unknown }> {
    const res = await t.http
      .get(path)
      .buffer(true)
      .parse((response, done) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => done(null, Buffer.concat(chunks)));
      });
    const bytes = new Uint8Array(res.body as Buffer);
    const json = (res.headers['content-type'] ?? '').includes('json')
      ? JSON.parse(Buffer.from(bytes).toString())
      : undefined;
    return { status: res.status, bytes, cache: res.headers['cache-control'] ?? '', body: json };
  }

  function remember(signed: Signed, receipt: Receipt): void {
    logged.set(receipt.index, { signed, receipt });
  }

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    verifier = logVerifier((await t.http.get('/v1/log/vkey').expect(200)).text);
    m = await newParty(t, 'manufacturer');
    d = await newParty(t, 'distributor');
    r = await newParty(t, 'regulator');
    x = await newParty(t, 'dispenser');
  });
  afterAll(() => t.close());

  it('registers partners as logged events and lists them with their keys', async () => {
    const party = await t.http
      .get(`/v1/parties/${m.gln}`)
      .set(...m.auth)
      .expect(200);
    expect(party.body).toMatchObject({ gln: m.gln, role: 'manufacturer' });
    expect(party.body.keys).toEqual([
      expect.objectContaining({ keyId: m.keyId, publicKey: bytesToBase64(m.publicKey), revokedAt: null }),
    ]);
    // Entry 0 is the operator's self-registration; then one party.register per partner, in order.
    const registered = await t.http
      .get(`/v1/log/entries/${party.body.keys[0].addedIndex}`)
      .set(...operator())
      .expect(200);
    expect(registered.body.event).toMatchObject({ type: 'party.register', body: { gln: m.gln } });
    expect(await committed()).toBe(5);
    await checkpointNow();
  });

  it('accepts a signed event with a receipt whose leaf hash the client recomputes from the bytes it signed', async () => {
    const before = await committed();
    const signed = note(m, 'first shipment notice');
    const res = await t.http
      .post('/v1/events')
      .set(...m.auth)
      .send(signed);
    expect(res.status).toBe(201);
    const receipt = res.body as Receipt;
    expect(receipt).toMatchObject({ index: before, eventId: signed.event.id, actor: m.gln, duplicate: false });
    expect(receipt.leafHash).toBe(expectedLeafHash(signed.event, signed.signature, receipt.acceptedAt));
    expect(await committed()).toBe(before + 1);
    remember(signed, receipt);
  });

  it('accepts a batch of 520 events, applied and numbered in the order sent', async () => {
    const before = await committed();
    const events = Array.from({ length: 520 }, (_, i) => note(m, `batch line ${i}`, i % 3 === 0 ? [d.gln] : undefined));
    const res = await t.http
      .post('/v1/events/batch')
      .set(...m.auth)
      .send({ events });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ accepted: 520, refused: 0 });
    res.body.results.forEach((result: { accepted: boolean; receipt: Receipt }, i: number) => {
      expect(result.accepted).toBe(true);
      expect(result.receipt).toMatchObject({ index: before + i, eventId: events[i].event.id, duplicate: false });
      expect(result.receipt.leafHash).toBe(
        expectedLeafHash(events[i].event, events[i].signature, result.receipt.acceptedAt),
      );
      remember(events[i], result.receipt);
    });
    expect(await committed()).toBe(before + 520);
    await checkpointNow();
  });

  describe('replaying an event id', () => {
    it('with the same bytes returns the original receipt (200, duplicate) and appends nothing', async () => {
      const [first] = [...logged.values()];
      const size = await committed();
      const res = await t.http
        .post('/v1/events')
        .set(...m.auth)
        .send(first.signed);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...first.receipt, duplicate: true });
      expect(await committed()).toBe(size);
      const cp = await checkpointNow();
      expect(cp.size).toBe(size);
    });

    it('in a batch, logged events come back as duplicates and only the new one is appended', async () => {
      const size = await committed();
      const old = [...logged.values()].slice(1, 4);
      const fresh = note(m, 'new among replays');
      const res = await t.http
        .post('/v1/events/batch')
        .set(...m.auth)
        .send({ events: [old[0].signed, fresh, old[1].signed, old[2].signed, fresh] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ accepted: 5, refused: 0 });
      const receipts = res.body.results.map((result: { receipt: Receipt }) => result.receipt);
      expect(receipts[0]).toEqual({ ...old[0].receipt, duplicate: true });
      expect(receipts[2]).toEqual({ ...old[1].receipt, duplicate: true });
      expect(receipts[3]).toEqual({ ...old[2].receipt, duplicate: true });
      expect(receipts[1]).toMatchObject({ index: size, duplicate: false });
      // The same event twice in one batch is logged once.
      expect(receipts[4]).toEqual({ ...receipts[1], duplicate: true });
      expect(await committed()).toBe(size + 1);
      remember(fresh, receipts[1]);
    });

    it('with different bytes is refused with 409 EVENT_ID_CONFLICT naming the logged index, appending nothing', async () => {
      const [first] = [...logged.values()];
      const size = await committed();
      const changed = note(m, 'a different text', undefined, { id: first.signed.event.id });
      const res = await t.http
        .post('/v1/events')
        .set(...m.auth)
        .send(changed);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('EVENT_ID_CONFLICT');
      expect(res.body.error.message).toContain(first.signed.event.id);
      expect(res.body.error.details).toEqual({ index: first.receipt.index });
      expect(await committed()).toBe(size);
    });

    it('ids are unique per actor: another party may use the same id', async () => {
      const [first] = [...logged.values()];
      const res = await t.http
        .post('/v1/events')
        .set(...d.auth)
        .send(note(d, 'same id, other actor', undefined, { id: first.signed.event.id }));
      expect(res.status).toBe(201);
      expect(res.body.index).not.toBe(first.receipt.index);
    });
  });

  describe('checkpoints and proofs', () => {
    it('serves a checkpoint that verifies with the published vkey, and a tampered one does not', async () => {
      const res = await t.http.get('/v1/log/checkpoint').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const cp = openLogCheckpoint(res.text, verifier);
      expect(res.text.split('\n')[0]).toBe(t.config.LOG_ORIGIN);
      expect(cp.size).toBeGreaterThanOrEqual(seen[seen.length - 1].size);
      expect(cp.size).toBeLessThanOrEqual(await committed());
      const lines = res.text.split('\n');
      lines[1] = String(cp.size + 1);
      expect(() => openLogCheckpoint(lines.join('\n'), verifier)).toThrow();
      // Another key under the same origin must not vouch for this log.
      const otherKey = logVerifier(formatVerifierKey(t.config.LOG_ORIGIN, publicKeyOf(generateSecretKey())));
      expect(() => openLogCheckpoint(res.text, otherKey)).toThrow();
    });

    it('a receipt asked to wait carries a signed checkpoint and an inclusion proof that verify', async () => {
      const signed = note(m, 'wait for me');
      const res = await t.http
        .post('/v1/events?wait=true')
        .set(...m.auth)
        .send(signed);
      expect(res.status).toBe(201);
      const receipt = res.body as Receipt;
      const cp = openLogCheckpoint(receipt.checkpoint!, verifier);
      expect(cp.size).toBeGreaterThan(receipt.index);
      expect(receipt.inclusionProof).toMatchObject({ leafIndex: receipt.index, treeSize: cp.size });
      expect(inclusionHolds(receipt.leafHash, receipt.inclusionProof!, cp.root)).toBe(true);
      // The proof is for this leaf and no other.
      const [other] = [...logged.values()];
      expect(inclusionHolds(other.receipt.leafHash, receipt.inclusionProof!, cp.root)).toBe(false);
      remember(signed, receipt);
      seen.push(cp);

      const batch = Array.from({ length: 5 }, (_, i) => note(m, `wait batch ${i}`));
      const batchRes = await t.http
        .post('/v1/events/batch?wait=true')
        .set(...m.auth)
        .send({ events: batch });
      expect(batchRes.status).toBe(201);
      batchRes.body.results.forEach((result: { receipt: Receipt }, i: number) => {
        const batchCp = openLogCheckpoint(result.receipt.checkpoint!, verifier);
        expect(inclusionHolds(result.receipt.leafHash, result.receipt.inclusionProof!, batchCp.root)).toBe(true);
        remember(batch[i], result.receipt);
      });
    });

    it('proves inclusion by index and by leaf hash (base64 or hex) against a verified checkpoint', async () => {
      const cp = await checkpointNow();
      const receipts = [...logged.values()].map((l) => l.receipt);
      const sample = [receipts[0], receipts[1], receipts[260], receipts[receipts.length - 1]];
      for (const receipt of sample) {
        const byIndex = await t.http.get(`/v1/log/proof/inclusion?index=${receipt.index}&size=${cp.size}`).expect(200);
        expect(byIndex.body).toMatchObject({ leafIndex: receipt.index, treeSize: cp.size, leafHash: receipt.leafHash });
        expect(inclusionHolds(receipt.leafHash, byIndex.body, cp.root)).toBe(true);

        const byB64 = await t.http
          .get('/v1/log/proof/inclusion')
          .query({ leafHash: receipt.leafHash, size: cp.size })
          .expect(200);
        expect(byB64.body).toEqual(byIndex.body);
        const byHex = await t.http
          .get(`/v1/log/proof/inclusion?leafHash=${bytesToHex(unb64(receipt.leafHash))}&size=${cp.size}`)
          .expect(200);
        expect(byHex.body.leafIndex).toBe(receipt.index);
      }
      // The genesis entry is provable too; in an older tree as well as in the latest.
      const older = seen[0];
      const genesis = await t.http.get(`/v1/log/proof/inclusion?index=0&size=${older.size}`).expect(200);
      expect(inclusionHolds(genesis.body.leafHash, genesis.body, older.root)).toBe(true);
      expect(inclusionHolds(genesis.body.leafHash, genesis.body, cp.root)).toBe(false);

      const outOfRange = await t.http.get(`/v1/log/proof/inclusion?index=${cp.size}&size=${cp.size}`);
      expect(outOfRange.status).toBe(400);
      expect(outOfRange.body.error.code).toBe('INDEX_OUT_OF_RANGE');
      const tooBig = await t.http.get(`/v1/log/proof/inclusion?index=0&size=${cp.size + 1000}`);
      expect(tooBig.status).toBe(400);
      expect(tooBig.body.error.code).toBe('TREE_SIZE_INVALID');
      const unknown = await t.http.get(`/v1/log/proof/inclusion?leafHash=${'ab'.repeat(32)}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('ENTRY_NOT_FOUND');
      const both = await t.http.get(`/v1/log/proof/inclusion?index=0&leafHash=${'ab'.repeat(32)}`);
      expect(both.status).toBe(400);
      expect(both.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('proves every checkpoint seen consistent with every later one', async () => {
      const latest = await checkpointNow();
      const distinct = [...new Map(seen.map((cp) => [cp.size, cp])).values()].sort((a, b) => a.size - b.size);
      expect(distinct.length).toBeGreaterThanOrEqual(4);
      for (let i = 0; i < distinct.length; i++) {
        for (let j = i; j < distinct.length; j++) {
          const [from, to] = [distinct[i], distinct[j]];
          const res = await t.http.get(`/v1/log/proof/consistency?from=${from.size}&to=${to.size}`).expect(200);
          expect(res.body).toMatchObject({ from: from.size, to: to.size });
          expect(consistencyHolds(from, to, res.body.hashes)).toBe(true);
        }
      }
      // Without `to`, against the latest checkpoint, which the answer carries.
      const res = await t.http.get(`/v1/log/proof/consistency?from=${distinct[1].size}`).expect(200);
      expect(res.body.to).toBe(latest.size);
      expect(openLogCheckpoint(res.body.checkpoint, verifier).root).toEqual(latest.root);
      expect(consistencyHolds(distinct[1], latest, res.body.hashes)).toBe(true);
      // A proof does not vouch for a different old tree.
      const forged = { ...distinct[1], root: distinct[2].root };
      expect(consistencyHolds(forged, latest, res.body.hashes)).toBe(false);
      const backwards = await t.http.get(`/v1/log/proof/consistency?from=${latest.size}&to=${distinct[0].size}`);
      expect(backwards.status).toBe(400);
      expect(backwards.body.error.code).toBe('TREE_SIZE_INVALID');
    });
  });

  describe('tiles and entry bundles (C2SP tlog-tiles)', () => {
    it('serve leaf hashes equal to the receipts, entries that hash to them, and level-1 hashes equal to the tile roots', async () => {
      let cp = await checkpointNow();
      if (cp.size % 256 === 0) {
        await t.http
          .post('/v1/events')
          .set(...m.auth)
          .send(note(m, 'make the last tile partial'))
          .expect(201);
        cp = await checkpointNow();
      }
      expect(cp.size).toBeGreaterThan(512);
      expect(cp.size).toBeLessThan(768);
      const full = Math.floor(cp.size / 256);
      const partial = cp.size % 256;
      const leaves: Uint8Array[] = [];
      const entries: Uint8Array[] = [];
      for (let n = 0; n <= full; n++) {
        const suffix = n < full ? '' : `.p/${partial}`;
        const tile = await getBytes(`/v1/log/tile/0/${String(n).padStart(3, '0')}${suffix}`);
        expect(tile.status).toBe(200);
        expect(tile.bytes.length).toBe((n < full ? 256 : partial) * 32);
        expect(tile.cache).toContain(n < full ? 'immutable' : 'no-cache');
        leaves.push(...tileHashes(tile.bytes));
        const bundle = await getBytes(`/v1/log/tile/entries/${String(n).padStart(3, '0')}${suffix}`);
        expect(bundle.status).toBe(200);
        entries.push(...bundleEntries(bundle.bytes));
      }
      expect(leaves).toHaveLength(cp.size);
      expect(entries).toHaveLength(cp.size);

      // Tile hashes are the receipts' leaf hashes, and the entries' RFC 9162 leaf hashes.
      for (const [index, { signed, receipt }] of logged) {
        if (index >= cp.size) continue;
        expect(bytesToBase64(leaves[index])).toBe(receipt.leafHash);
        // The entry carries the signed event's hash and signature, not the event.
        expect(entries[index].subarray(9, 41)).toEqual(eventHashOf(signed.event));
        expect(bytesToBase64(entries[index].subarray(41))).toBe(signed.signature);
      }
      entries.forEach((entry, i) => {
        expect(entry).toHaveLength(105);
        expect(rfc9162LeafHash(entry)).toEqual(leaves[i]);
      });
      // The tree of the signed checkpoint is the tree of these leaves.
      expect(merkleRoot(leaves)).toEqual(cp.root);

      // Level 1 holds the roots of the full level-0 tiles.
      const level1 = await getBytes(`/v1/log/tile/1/000.p/${full}`);
      expect(level1.status).toBe(200);
      const roots = tileHashes(level1.bytes);
      expect(roots).toHaveLength(full);
      roots.forEach((root, n) => expect(root).toEqual(merkleRoot(leaves.slice(n * 256, n * 256 + 256))));

      // A partial tile asked narrower than it is gives its prefix; anything not yet in the tree is 404.
      const prefix = await getBytes(`/v1/log/tile/0/${String(full).padStart(3, '0')}.p/1`);
      expect(prefix.bytes).toEqual(leaves[full * 256]);
      for (const path of [
        `/v1/log/tile/0/${String(full).padStart(3, '0')}`,
        '/v1/log/tile/1/000',
        '/v1/log/tile/entries/009',
      ]) {
        const missing = await getBytes(path);
        expect(missing.status).toBe(404);
        expect(missing.body).toMatchObject({ error: { code: 'TILE_NOT_FOUND' } });
      }
      for (const path of ['/v1/log/tile/0/1', '/v1/log/tile/0/000.p/0', '/v1/log/tile/x/000']) {
        const bad = await getBytes(path);
        expect(bad.status).toBe(400);
        expect(bad.body).toMatchObject({ error: { code: 'TILE_PATH_INVALID' } });
      }
    });
  });

  describe('key rotation', () => {
    it('a new key signs, the revoked key is refused from now on, and what it signed before stays valid and provable', async () => {
      const p = await newParty(t, 'distributor', 'Rotating Distributor');
      const oldPublic = p.publicKey;
      const early = note(p, 'signed with the old key');
      const earlyRes = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(early)
        .expect(201);

      const newKey = generateSecretKey();
      const added = await t.http
        .post(`/v1/parties/${p.gln}/keys`)
        .set(...operator())
        .send({ publicKey: bytesToBase64(publicKeyOf(newKey)) });
      expect(added.status).toBe(201);
      expect(added.body.key).toMatchObject({ keyId: keyIdOf(publicKeyOf(newKey)), revokedAt: null });
      expect(added.body.receipt.index).toBeGreaterThan(earlyRes.body.index);

      const withNew = new TestParty(p.gln, p.role, newKey, p.token);
      await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(withNew, 'signed with the new key'))
        .expect(201);
      // Both keys are live during the overlap.
      await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'old key, still valid'))
        .expect(201);

      const revoked = await t.http
        .post(`/v1/parties/${p.gln}/keys/${keyIdOf(oldPublic)}/revoke`)
        .set(...operator())
        .send({});
      expect(revoked.status).toBe(200);
      expect(revoked.body.key.keyId).toBe(keyIdOf(oldPublic));
      expect(Date.parse(revoked.body.key.revokedAt)).toBeLessThanOrEqual(Date.now());

      const size = await committed();
      const late = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'old key after revocation'));
      expect(late.status).toBe(422);
      expect(late.body.error.code).toBe('KEY_REVOKED');
      expect(late.body.error.message).toContain(keyIdOf(oldPublic));
      // Backdating the event does not help: the key was revoked before the log accepted it.
      const backdated = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'backdated', undefined, { time: new Date(Date.now() - 3_600_000).toISOString() }));
      expect(backdated.status).toBe(422);
      expect(backdated.body.error.code).toBe('KEY_REVOKED');
      expect(await committed()).toBe(size);
      await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(withNew, 'new key after revocation'))
        .expect(201);

      // The early event: still in the log, its signature still verifies with the old key, and it is provable.
      const entry = await t.http
        .get(`/v1/log/entries/${earlyRes.body.index}`)
        .set(...p.auth)
        .expect(200);
      expect(entry.body.event).toEqual(early.event);
      expect(verifyEventSignature(entry.body.event, entry.body.signature, oldPublic)).toBe(true);
      const cp = await checkpointNow();
      const proof = await t.http
        .get(`/v1/log/proof/inclusion?index=${earlyRes.body.index}&size=${cp.size}`)
        .expect(200);
      expect(inclusionHolds(earlyRes.body.leafHash, proof.body, cp.root)).toBe(true);

      const party = await t.http
        .get(`/v1/parties/${p.gln}`)
        .set(...p.auth)
        .expect(200);
      const keys = new Map(party.body.keys.map((k: { keyId: string }) => [k.keyId, k]));
      expect(keys.get(keyIdOf(oldPublic))).toMatchObject({ revokedAt: revoked.body.key.revokedAt });
      expect(keys.get(keyIdOf(publicKeyOf(newKey)))).toMatchObject({ revokedAt: null });

      // "Revoke now" again is a repeat (docs/PROTOCOL.md §3.3): the revocation in force, nothing new logged.
      const again = await t.http
        .post(`/v1/parties/${p.gln}/keys/${keyIdOf(oldPublic)}/revoke`)
        .set(...operator())
        .send({});
      expect(again.status).toBe(200);
      expect(again.body.receipt).toEqual({ ...revoked.body.receipt, duplicate: true });
    });

    it('a key revoked as of a future time signs until then, and not from then on', async () => {
      const p = await newParty(t, 'dispenser', 'Scheduled Rotation Pharmacy');
      const revokedAt = new Date(Date.now() + 2500);
      const revoked = await t.http
        .post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`)
        .set(...operator())
        .send({ revokedAt: revokedAt.toISOString() });
      expect(revoked.status).toBe(200);
      expect(revoked.body.key.revokedAt).toBe(revokedAt.toISOString());

      await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'before the revocation time'))
        .expect(201);
      await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'dated 1 ms before', undefined, { time: new Date(revokedAt.getTime() - 1).toISOString() }))
        .expect(201);
      const atRevocation = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'dated at the revocation time', undefined, { time: revokedAt.toISOString() }));
      expect(atRevocation.status).toBe(422);
      expect(atRevocation.body.error.code).toBe('KEY_REVOKED');

      await new Promise((resolve) => setTimeout(resolve, revokedAt.getTime() - Date.now() + 20));
      const after = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(
          note(p, 'dated before, sent after', undefined, { time: new Date(revokedAt.getTime() - 1000).toISOString() }),
        );
      expect(after.status).toBe(422);
      expect(after.body.error.code).toBe('KEY_REVOKED');
    });
    it('a scheduled revocation can be brought forward, never pushed back', async () => {
      const p = await newParty(t, 'dispenser', 'Compromised Key Pharmacy');
      const revoke = (at: Date) =>
        t.http
          .post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`)
          .set(...operator())
          .send({ revokedAt: at.toISOString() });
      expect((await revoke(new Date(Date.now() + 3_600_000))).status).toBe(200);
      const later = await revoke(new Date(Date.now() + 7_200_000));
      expect(later.status).toBe(409);
      expect(later.body.error.code).toBe('KEY_ALREADY_REVOKED');
      const now = new Date();
      const sooner = await revoke(now);
      expect(sooner.status).toBe(200);
      expect(sooner.body.key.revokedAt).toBe(now.toISOString());
      const refused = await t.http
        .post('/v1/events')
        .set(...p.auth)
        .send(note(p, 'after the compromise'));
      expect(refused.body.error.code).toBe('KEY_REVOKED');
    });
  });

  describe('reading a logged event', () => {
    it('is for the actor, the parties the event names, regulators and the operator; 403 for anyone else', async () => {
      const signed = note(m, 'for d only', [d.gln]);
      const posted = await t.http
        .post('/v1/events')
        .set(...m.auth)
        .send(signed)
        .expect(201);
      const path = `/v1/log/entries/${posted.body.index}`;
      for (const reader of [m, d, r]) {
        const res = await t.http
          .get(path)
          .set(...reader.auth)
          .expect(200);
        expect(res.body).toEqual({
          index: posted.body.index,
          leafHash: posted.body.leafHash,
          acceptedAt: posted.body.acceptedAt,
          eventHash: bytesToBase64(eventHashOf(signed.event)),
          event: signed.event,
          signature: signed.signature,
        });
      }
      await t.http
        .get(path)
        .set(...operator())
        .expect(200);
      const outsider = await t.http.get(path).set(...x.auth);
      expect(outsider.status).toBe(403);
      expect(outsider.body.error.code).toBe('FORBIDDEN');
      expect(JSON.stringify(outsider.body)).not.toContain('for d only');
      const anonymous = await t.http.get(path);
      expect(anonymous.status).toBe(401);

      const unnamed = await t.http
        .post('/v1/events')
        .set(...m.auth)
        .send(note(m, 'not for d'))
        .expect(201);
      expect((await t.http.get(`/v1/log/entries/${unnamed.body.index}`).set(...d.auth)).status).toBe(403);
      const missing = await t.http.get('/v1/log/entries/999999').set(...r.auth);
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('ENTRY_NOT_FOUND');
    });
  });
});
