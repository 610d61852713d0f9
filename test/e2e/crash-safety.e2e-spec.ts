/**
 * Crash safety (issue 2, DESIGN.md §5: "kill -9 under load: 0 acknowledged events lost, no fork, every old
 * checkpoint still consistent"). The real server runs as a child process; several clients post events (singles
 * through the operator API and /v1/events, and batches) while checkpoints are fetched; the server is SIGKILLed
 * mid-stream and restarted, three times. After each restart the test shows, from the public answers alone:
 * every acknowledged event is in the log at its receipt's index with its leaf hash, provably; the log is gapless
 * with no event twice; and every checkpoint seen before is consistent with the new one.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { formatSignerKey } from '../../src/checkpoint';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { LedgerEvent } from '../../src/protocol/event';
import { bytesToBase64 } from '../../src/bytes';
import { fastEvent } from '../support/fast-sign';
import { HttpClient, mapLimit } from '../support/http-client';
import {
  bundleEntries,
  consistencyHolds,
  eventHashOf,
  inclusionHolds,
  logVerifier,
  merkleRoot,
  openLogCheckpoint,
  rfc9162LeafHash,
  SeenCheckpoint,
  tileHashes,
} from '../support/log-checks';
import { createTestDatabase, freePort, testDataDir } from '../support/postgres';
import { ensureBuilt, ServerProcess } from '../support/server-process';
import { testAddress, TestParty } from '../support/test-app';

type Signed = { event: LedgerEvent<object>; signature: string };

/** An event the server acknowledged, with the bytes posted when the test signed them itself. */
interface Acked {
  index: number;
  leafHash: string;
  eventId: string;
  gln: string;
  signed?: Signed;
}

/** A request in flight when the server died: it may or may not have been logged. */
interface InFlight {
  gln: string;
  signed?: Signed;
  registration?: object;
}

const CYCLES = 3;
const OPERATOR_GLN = '0860000000000';
const LOG_ORIGIN = 'rxledger.local/log';
/** Acknowledged events per cycle before the kill (the kill then comes after a random extra delay). */
const ACKS_BEFORE_KILL = 150;

let glnSerial = Number.parseInt(randomBytes(3).toString('hex'), 16) * 1000;
const freshGln = () => appendCheckDigit('2' + String(glnSerial++).padStart(11, '0'));
const freshPublicKey = () =>
  bytesToBase64(
    new Uint8Array(
      createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'der', type: 'spki' }).subarray(12),
    ),
  );
const registration = (gln: string) => ({
  gln,
  name: `Crash Test Distributor ${gln}`,
  role: 'distributor',
  address: testAddress,
  publicKeys: [freshPublicKey()],
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash safety: SIGKILL under load, restart, nothing acknowledged is lost', () => {
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let operator: TestParty;
  let verifier: ReturnType<typeof logVerifier>;
  const acked: Acked[] = [];
  const seen: SeenCheckpoint[] = [];
  const unexpected: string[] = [];
  const ackLost = { logged: 0, notLogged: 0 };
  /** acked[0, verifiedUpTo) have been read back one by one (entry, registry, inclusion proof). */
  let verifiedUpTo = 0;

  const api = () => new HttpClient(server!.baseUrl);
  const ops = () => new HttpClient(server!.baseUrl, env.OPERATOR_TOKEN);

  async function start(): Promise<void> {
    server = await ServerProcess.start(env);
  }

  beforeAll(async () => {
    ensureBuilt();
    const seed = randomBytes(32);
    env = {
      DATABASE_URL: await createTestDatabase(),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_ORIGIN,
      LOG_PRIVATE_KEY: formatSignerKey(LOG_ORIGIN, randomBytes(32)),
      OPERATOR_PRIVATE_KEY: seed.toString('base64'),
      OPERATOR_TOKEN: `rxo_${randomBytes(24).toString('hex')}`,
      OPERATOR_GLN,
      DATA_DIR: testDataDir(),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      CHECKPOINT_INTERVAL_MS: '50',
    };
    operator = new TestParty(OPERATOR_GLN, 'operator', new Uint8Array(seed), env.OPERATOR_TOKEN);
    await start();
    verifier = logVerifier((await api().get('/v1/log/vkey')).text);
  });

  afterAll(async () => {
    await server?.kill();
  });

  /** Signs a party.register event as the operator, as any operator tool would. */
  const signedRegistration = (): Signed => {
    const body = registration(freshGln());
    return fastEvent(operator, 'party.register', body, { id: `register:${body.gln}` });
  };

  /** Runs the load until the server dies; returns the requests that were in flight when it did. */
  async function load(isKilled: () => boolean): Promise<InFlight[]> {
    const inFlight: InFlight[] = [];
    const clientLoop = async (send: () => Promise<void>) => {
      while (!isKilled()) await send();
    };
    const guard = (pending: InFlight[], work: () => Promise<void>) => async () => {
      try {
        await work();
      } catch (error) {
        if (!isKilled()) unexpected.push(`request failed while the server ran: ${String(error)}`);
        inFlight.push(...pending);
        throw error;
      }
    };
    // Operator API: the server signs the registration.
    const viaOperatorApi = async () => {
      const body = registration(freshGln());
      await guard([{ gln: body.gln, registration: body }], async () => {
        const res = await ops().post('/v1/parties', body);
        if (res.status !== 201) unexpected.push(`POST /v1/parties → ${res.status} ${res.text}`);
        else acked.push({ ...pick(res.body.receipt), gln: body.gln });
      })();
    };
    // Signed events, one at a time.
    const single = async () => {
      const signed = signedRegistration();
      const gln = (signed.event.body as { gln: string }).gln;
      await guard([{ gln, signed }], async () => {
        const res = await ops().post('/v1/events', signed);
        if (res.status !== 201) unexpected.push(`POST /v1/events → ${res.status} ${res.text}`);
        else acked.push({ ...pick(res.body), gln, signed });
      })();
    };
    // Signed events, 25 to a batch.
    const batch = async () => {
      const events = Array.from({ length: 25 }, signedRegistration);
      const glns = events.map((s) => (s.event.body as { gln: string }).gln);
      await guard(
        events.map((signed, i) => ({ gln: glns[i], signed })),
        async () => {
          const res = await ops().post('/v1/events/batch', { events });
          if (res.status !== 201 || res.body.refused !== 0) {
            unexpected.push(`POST /v1/events/batch → ${res.status} ${res.text.slice(0, 500)}`);
            return;
          }
          res.body.results.forEach((r: { receipt: Acked }, i: number) =>
            acked.push({ ...pick(r.receipt), gln: glns[i], signed: events[i] }),
          );
        },
      )();
    };
    const clients = [viaOperatorApi, viaOperatorApi, single, single, single, batch, batch].map((send) =>
      clientLoop(send).catch(() => undefined),
    );
    await Promise.all(clients);
    return inFlight;
  }

  /** Fetches and verifies checkpoints while the server runs. */
  async function watchCheckpoints(isKilled: () => boolean): Promise<void> {
    while (!isKilled()) {
      try {
        const res = await api().get('/v1/log/checkpoint');
        if (res.status === 200) {
          const cp = openLogCheckpoint(res.text, verifier);
          if (!seen.some((s) => s.size === cp.size)) seen.push(cp);
        }
      } catch {
        // the server is gone
      }
      await sleep(20);
    }
  }

  /** Everything the test can prove after a restart, over the whole log so far. */
  async function verifyLog(): Promise<void> {
    const health = (await api().get('/v1/health')).body;
    const size: number = health.log.entries;
    const res = await ops().post('/v1/log/checkpoint');
    expect(res.status).toBe(200);
    const latest = openLogCheckpoint(res.text, verifier);
    expect(latest.size).toBe(size);

    // No fork: every checkpoint seen before (in any cycle) is a prefix of the new tree.
    for (const old of seen) {
      expect(old.size).toBeLessThanOrEqual(size);
      const proof = await api().get(`/v1/log/proof/consistency?from=${old.size}&to=${size}`);
      expect(proof.status).toBe(200);
      expect({ from: old.size, consistent: consistencyHolds(old, latest, proof.body.hashes) }).toEqual({
        from: old.size,
        consistent: true,
      });
    }

    // The whole tree from its tiles; the entries from the entry bundles.
    const leaves: Uint8Array[] = [];
    const entries: Uint8Array[] = [];
    for (let n = 0; n * 256 < size; n++) {
      const width = Math.min(256, size - n * 256);
      const suffix = `${String(n).padStart(3, '0')}${width < 256 ? `.p/${width}` : ''}`;
      const tile = await api().get(`/v1/log/tile/0/${suffix}`);
      const bundle = await api().get(`/v1/log/tile/entries/${suffix}`);
      expect([tile.status, bundle.status]).toEqual([200, 200]);
      leaves.push(...tileHashes(tile.bytes));
      entries.push(...bundleEntries(bundle.bytes));
    }
    // Gapless: exactly `size` leaves, the checkpoint's root is their root, each entry hashes to its leaf.
    expect(leaves).toHaveLength(size);
    expect(entries).toHaveLength(size);
    expect(merkleRoot(leaves)).toEqual(latest.root);
    entries.forEach((entry, i) => expect(rfc9162LeafHash(entry)).toEqual(leaves[i]));
    // Nothing stored beyond the committed size.
    const beyond = await ops().get(`/v1/log/entries/${size}`);
    expect([beyond.status, beyond.body.error.code]).toEqual([404, 'ENTRY_NOT_FOUND']);
    // No duplicates: no event (same signed bytes) is logged twice.
    const eventHashes = entries.map((entry) => Buffer.from(entry.subarray(9, 41)).toString('hex'));
    expect(new Set(eventHashes).size).toBe(size);

    // Every acknowledged event is at its receipt's index with its leaf hash, and no two share an index.
    expect(new Set(acked.map((a) => a.index)).size).toBe(acked.length);
    for (const a of acked) {
      expect({ index: a.index, leafHash: Buffer.from(leaves[a.index] ?? []).toString('base64') }).toEqual({
        index: a.index,
        leafHash: a.leafHash,
      });
      if (a.signed) expect(eventHashes[a.index]).toBe(Buffer.from(eventHashOf(a.signed.event)).toString('hex'));
    }
    // ... and the server says so too, for the acknowledgements not checked this way yet: the stored event, the
    // registry entry committed with it, and an inclusion proof against the new checkpoint.
    const recent = acked.slice(verifiedUpTo);
    verifiedUpTo = acked.length;
    await mapLimit(recent, 8, async (a) => {
      const entry = await ops().get(`/v1/log/entries/${a.index}`);
      expect(entry.status).toBe(200);
      expect({ id: entry.body.event.id, leafHash: entry.body.leafHash }).toEqual({
        id: a.eventId,
        leafHash: a.leafHash,
      });
      const party = await ops().get(`/v1/parties/${a.gln}`);
      expect({ gln: a.gln, registeredIndex: party.body.registeredIndex }).toEqual({
        gln: a.gln,
        registeredIndex: a.index,
      });
      const proof = await api().get(`/v1/log/proof/inclusion?index=${a.index}&size=${size}`);
      expect(inclusionHolds(a.leafHash, proof.body, latest.root)).toBe(true);
    });
    seen.push(latest);
  }

  /** Replays: acknowledged events come back as duplicates; events whose answer was lost are logged at most once. */
  async function replay(inFlight: InFlight[]): Promise<void> {
    const before = (await api().get('/v1/health')).body.log.entries;
    const ackedSigned = acked.filter((a) => a.signed);
    for (let at = 0; at < ackedSigned.length; at += 1000) {
      const chunk = ackedSigned.slice(at, at + 1000);
      const res = await ops().post('/v1/events/batch', { events: chunk.map((a) => a.signed) });
      expect(res.status).toBe(201);
      res.body.results.forEach((r: { receipt: Acked & { duplicate: boolean } }, i: number) =>
        expect({ ...pick(r.receipt), duplicate: r.receipt.duplicate }).toEqual({
          index: chunk[i].index,
          leafHash: chunk[i].leafHash,
          eventId: chunk[i].eventId,
          duplicate: true,
        }),
      );
    }
    expect((await api().get('/v1/health')).body.log.entries).toBe(before);

    const lostSigned = inFlight.filter((f) => f.signed);
    if (lostSigned.length > 0) {
      const res = await ops().post('/v1/events/batch', { events: lostSigned.map((f) => f.signed) });
      expect(res.status).toBe(201);
      expect(res.body.refused).toBe(0);
      res.body.results.forEach((r: { receipt: Acked & { duplicate: boolean } }, i: number) => {
        if (r.receipt.duplicate) ackLost.logged++;
        else ackLost.notLogged++;
        acked.push({ ...pick(r.receipt), gln: lostSigned[i].gln, signed: lostSigned[i].signed });
      });
    }
    for (const lost of inFlight.filter((f) => f.registration)) {
      const res = await ops().post('/v1/parties', lost.registration);
      if (res.status === 201) {
        ackLost.notLogged++;
        acked.push({ ...pick(res.body.receipt), gln: lost.gln });
      } else {
        // Logged before the crash: a repeat answers the original receipt (docs/PROTOCOL.md §3.3).
        expect(res.status).toBe(200);
        expect(res.body.receipt.duplicate).toBe(true);
        ackLost.logged++;
      }
    }
  }

  it(`keeps every acknowledged event through ${CYCLES} SIGKILLs under load`, async () => {
    // A partner registered over HTTP before the load, and a few checkpoints fetched while posting.
    const first = await ops().post('/v1/parties', registration(freshGln()));
    expect(first.status).toBe(201);
    acked.push({ ...pick(first.body.receipt), gln: first.body.party.gln });

    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const ackedBefore = acked.length;
      let killed = false;
      const isKilled = () => killed;
      const watching = watchCheckpoints(isKilled);
      const loading = load(isKilled);
      const deadline = Date.now() + 20_000;
      while (acked.length - ackedBefore < ACKS_BEFORE_KILL && Date.now() < deadline && unexpected.length === 0) {
        await sleep(5);
      }
      expect(unexpected).toEqual([]);
      expect(acked.length - ackedBefore).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
      await sleep(Math.floor(Math.random() * 100));
      const beforeKill = server!;
      // Clients stop starting new requests; the ones in flight die with the server.
      killed = true;
      await beforeKill.kill('SIGKILL');
      const inFlight = await loading;
      await watching;
      expect(unexpected).toEqual([]);
      expect(beforeKill.logLines('error')).toEqual([]);

      await start();
      await verifyLog();
      await replay(inFlight);
    }
    await verifyLog();
    expect(server!.logLines('error')).toEqual([]);
    // Several checkpoints per cycle were seen and checked; some answers were lost in every crash.
    expect(seen.length).toBeGreaterThanOrEqual(2 * CYCLES);
    console.log(
      `crash safety: ${acked.length} acknowledged events, ${seen.length} checkpoints checked, ` +
        `in flight at the kills: ${ackLost.logged} logged (answer lost), ${ackLost.notLogged} not logged`,
    );
  });
});

function pick(receipt: { index: number; leafHash: string; eventId: string }) {
  return { index: receipt.index, leafHash: receipt.leafHash, eventId: receipt.eventId };
}
