/**
 * Intake under concurrency, over real sockets: parallel requests get distinct, gapless indexes in a serial order
 * that the log and its tiles agree with; replays racing each other are logged once; two app processes on one
 * database share one sequence and one integrator.
 */
import { INestApplication } from '@nestjs/common';
import { Database } from '../../src/database/database';
import { EventTypeRegistry } from '../../src/ledger/event-type.registry';
import { IntegratorService } from '../../src/ledger/integrator.service';
import { LogSignals } from '../../src/ledger/log-signals';
import { LedgerEvent } from '../../src/protocol/event';
import { fastEvent } from '../support/fast-sign';
import { HttpAnswer, HttpClient, mapLimit } from '../support/http-client';
import {
  consistencyHolds,
  expectedLeafHash,
  logVerifier,
  merkleRoot,
  openLogCheckpoint,
  SeenCheckpoint,
  tileHashes,
} from '../support/log-checks';
import { createPeerApp, listen } from '../support/peer-app';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType, testNoteType } from '../support/test-event-type';

type Signed = { event: LedgerEvent<object>; signature: string };

interface Receipt {
  index: number;
  leafHash: string;
  eventId: string;
  acceptedAt: string;
  duplicate: boolean;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('intake under concurrency', () => {
  let t: TestApp;
  let api: HttpClient;
  let ops: HttpClient;
  let parties: TestParty[];
  let verifier: ReturnType<typeof logVerifier>;

  const committed = async (client: HttpClient = api): Promise<number> =>
    (await client.get('/v1/health')).body.log.entries;
  const post = (p: TestParty, signed: Signed, client: HttpClient = api) =>
    client.withToken(p.token).post('/v1/events', signed);
  const note = (p: TestParty, text: string) => fastEvent(p, 'test.note', { text });

  async function checkpointNow(client: HttpClient = ops): Promise<SeenCheckpoint> {
    const res = await client.post('/v1/log/checkpoint');
    expect(res.status).toBe(200);
    return openLogCheckpoint(res.text, verifier);
  }

  /** All leaf hashes of a tree of `size` leaves, read from the level-0 tiles. */
  async function leaves(size: number): Promise<string[]> {
    const out: string[] = [];
    for (let n = 0; n * 256 < size; n++) {
      const width = Math.min(256, size - n * 256);
      const res = await api.get(`/v1/log/tile/0/${String(n).padStart(3, '0')}${width < 256 ? `.p/${width}` : ''}`);
      expect(res.status).toBe(200);
      out.push(...tileHashes(res.bytes).map((h) => Buffer.from(h).toString('base64')));
    }
    return out;
  }

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    api = await listen(t.app);
    ops = api.withToken(t.operatorToken);
    verifier = logVerifier((await api.get('/v1/log/vkey')).text);
    parties = [await newParty(t, 'manufacturer'), await newParty(t, 'distributor'), await newParty(t, 'dispenser')];
  });
  afterAll(() => t.close());

  it('300 parallel single-event POSTs get distinct, gapless indexes that the log agrees with', async () => {
    const before = await committed();
    const signed = range(0, 300).map((i) => note(parties[i % 3], `parallel ${i}`));
    const answers = await Promise.all(signed.map((s, i) => post(parties[i % 3], s)));
    expect(answers.map((a) => a.status)).toEqual(signed.map(() => 201));
    const receipts = answers.map((a) => a.body as Receipt);
    expect(receipts.map((r) => r.index).sort((x, y) => x - y)).toEqual(range(before, 300));
    receipts.forEach((receipt, i) => {
      expect(receipt).toMatchObject({ eventId: signed[i].event.id, duplicate: false });
      expect(receipt.leafHash).toBe(expectedLeafHash(signed[i].event, signed[i].signature, receipt.acceptedAt));
    });
    expect(await committed()).toBe(before + 300);

    // The tree holds each receipt's leaf at the receipt's index, and the stored event there is that event.
    const cp = await checkpointNow();
    const tree = await leaves(cp.size);
    expect(merkleRoot(tree.map((h) => Buffer.from(h, 'base64')))).toEqual(cp.root);
    receipts.forEach((receipt) => expect(tree[receipt.index]).toBe(receipt.leafHash));
    const stored = await mapLimit(receipts, 16, (r) => ops.get(`/v1/log/entries/${r.index}`));
    stored.forEach((entry, i) => expect(entry.body.event).toEqual(signed[i].event));
  });

  it('the same event posted 20 times at once is appended once: one 201, nineteen 200 duplicates, one index', async () => {
    const before = await committed();
    const p = parties[0];
    const signed = note(p, 'posted twenty times');
    const answers = await Promise.all(range(0, 20).map(() => post(p, signed)));
    const fresh = answers.filter((a) => a.status === 201);
    const replays = answers.filter((a) => a.status === 200);
    expect(fresh).toHaveLength(1);
    expect(replays).toHaveLength(19);
    expect(fresh[0].body.duplicate).toBe(false);
    for (const replay of replays) expect(replay.body).toEqual({ ...fresh[0].body, duplicate: true });
    expect(fresh[0].body.index).toBe(before);
    expect(await committed()).toBe(before + 1);
  });

  it('one event id posted at once with 10 different contents: one is logged, the others get 409 naming its index', async () => {
    const before = await committed();
    const p = parties[1];
    const id = `race-${Date.now()}`;
    const variants = range(0, 10).map((i) => fastEvent(p, 'test.note', { text: `variant ${i}` }, { id }));
    const answers = await Promise.all(variants.map((v) => post(p, v)));
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    const losers = answers.filter((a) => a.status !== 201);
    expect(losers.map((a) => [a.status, a.body.error.code])).toEqual(losers.map(() => [409, 'EVENT_ID_CONFLICT']));
    for (const loser of losers) expect(loser.body.error.details).toEqual({ index: winners[0].body.index });
    expect(await committed()).toBe(before + 1);
    const entry = await ops.get(`/v1/log/entries/${winners[0].body.index}`);
    expect(entry.body.event).toEqual(variants[answers.indexOf(winners[0])].event);
  });

  it('batches and singles from several parties at once: gapless overall, and each batch keeps its order', async () => {
    const before = await committed();
    const batches = parties.flatMap((p) =>
      range(0, 4).map((b) => range(0, 40).map((i) => note(p, `batch ${b} line ${i}`))),
    );
    const singles = range(0, 60).map((i) => note(parties[i % 3], `single among batches ${i}`));
    const batchOwner = (b: number) => parties[Math.floor(b / 4)];
    const [batchAnswers, singleAnswers] = await Promise.all([
      Promise.all(batches.map((events, b) => api.withToken(batchOwner(b).token).post('/v1/events/batch', { events }))),
      Promise.all(singles.map((s, i) => post(parties[i % 3], s))),
    ]);
    const indexes: number[] = [];
    batchAnswers.forEach((answer: HttpAnswer, b) => {
      expect(answer.status).toBe(201);
      expect(answer.body).toMatchObject({ accepted: 40, refused: 0 });
      const batchIndexes = answer.body.results.map((r: { receipt: Receipt }) => r.receipt.index);
      // Applied in the order sent (not necessarily contiguous: other requests may interleave).
      expect([...batchIndexes].sort((x: number, y: number) => x - y)).toEqual(batchIndexes);
      answer.body.results.forEach((r: { receipt: Receipt }, i: number) =>
        expect(r.receipt.eventId).toBe(batches[b][i].event.id),
      );
      indexes.push(...batchIndexes);
    });
    singleAnswers.forEach((answer) => {
      expect(answer.status).toBe(201);
      indexes.push(answer.body.index);
    });
    expect(indexes.sort((x, y) => x - y)).toEqual(range(before, 12 * 40 + 60));
    expect(await committed()).toBe(before + 540);
  });

  describe('two app processes on one database', () => {
    let peer: INestApplication;
    let peerApi: HttpClient;
    beforeAll(async () => {
      peer = await createPeerApp(t);
      peer.get(EventTypeRegistry).register(testNoteType);
      peerApi = await listen(peer);
    });
    afterAll(() => peer.close());

    it('share one gapless sequence and one integrator, and their checkpoints are consistent', async () => {
      const before = await committed();
      const signed = range(0, 200).map((i) => note(parties[i % 3], `two processes ${i}`));
      const answers = await Promise.all(signed.map((s, i) => post(parties[i % 3], s, i % 2 === 0 ? api : peerApi)));
      expect(answers.map((a) => a.status)).toEqual(signed.map(() => 201));
      expect(answers.map((a) => a.body.index).sort((x, y) => x - y)).toEqual(range(before, 200));
      // A replay through the other process is recognised as well.
      const replay = await post(parties[0], signed[0], peerApi);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ ...answers[0].body, duplicate: true });

      expect(await committed(peerApi)).toBe(before + 200);
      const integrators = [t.app, peer].filter((app) => app.get(IntegratorService).isIntegrator);
      expect(integrators).toHaveLength(1);

      const fromFirst = await checkpointNow(ops);
      const fromPeer = await checkpointNow(peerApi.withToken(t.operatorToken));
      expect(fromFirst.size).toBeGreaterThanOrEqual(before + 200);
      const [older, newer] = fromFirst.size <= fromPeer.size ? [fromFirst, fromPeer] : [fromPeer, fromFirst];
      const proof = await peerApi.get(`/v1/log/proof/consistency?from=${older.size}&to=${newer.size}`);
      expect(proof.status).toBe(200);
      expect(consistencyHolds(older, newer, proof.body.hashes)).toBe(true);
    });

    it('a process whose notification connection drops catches up with the checkpoints it missed', async () => {
      const [integrating, other] = t.app.get(IntegratorService).isIntegrator ? [t.app, peer] : [peer, t.app];
      const [integratingApi, otherApi] = integrating === t.app ? [api, peerApi] : [peerApi, api];
      const listener = (other.get(LogSignals) as unknown as { listener: { processID: number } }).listener;
      await t.app.get(Database).query('SELECT pg_terminate_backend($1)', [listener.processID]);
      // Logged and checkpointed while `other` is not listening (it reconnects after a second).
      const posted = await post(parties[0], note(parties[0], 'while the other process is deaf'), integratingApi);
      expect(posted.status).toBe(201);
      const size = (await checkpointNow(integratingApi.withToken(t.operatorToken))).size;
      expect(size).toBeGreaterThan(posted.body.index);
      // No event and no checkpoint after this: only the reconnection can tell `other` about it.
      let seen = 0;
      for (const started = Date.now(); Date.now() - started < 10_000 && seen < size;) {
        seen = openLogCheckpoint((await otherApi.get('/v1/log/checkpoint')).text, verifier).size;
        if (seen < size) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(seen).toBe(size);
      const health = await otherApi.get('/v1/health');
      expect(health.body).toMatchObject({ status: 'ok', log: { unintegrated: 0, checkpointSize: size } });
    });
  });
});
