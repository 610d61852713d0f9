/**
 * The intake worker pool (issue 12 §2) answers exactly what the main thread answers: same canonical JSON and hash
 * for a good event, same code, status, message and details for each refusal, in the order given. The pool runs the
 * compiled worker (dist/src/ledger/intake.worker.js), so this test builds first when dist is missing.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { canonicalJson } from '../../../src/canonical-json';
import { AppConfig } from '../../../src/config/app-config';
import { base64ToBytes } from '../../../src/bytes';
import { Sealed, SealTask } from '../../../src/ledger/event-seal';
import { IntakePool } from '../../../src/ledger/intake-pool';
import { generateSecretKey, publicKeyOf } from '../../../src/signing/ed25519';
import { keyIdOf, SIGNED_EVENT_PREFIX, signEvent } from '../../../src/signing/event-signing';
import { ensureBuilt, PROJECT_ROOT } from '../../support/server-process';

const secretKey = generateSecretKey();
const publicKey = publicKeyOf(secretKey);
const keyId = keyIdOf(publicKey);

function event(id: string, body: Record<string, unknown>) {
  return { id, type: 'ship', actor: '0614141000005', keyId, time: '2026-11-23T10:00:00.000Z', body };
}

function task(e: ReturnType<typeof event>, options: { where?: string; signature?: string; key?: null } = {}): SealTask {
  return {
    event: e,
    where: options.where ?? '',
    keyId,
    signature: base64ToBytes(options.signature ?? signEvent(e, secretKey)),
    publicKey: options.key === null ? null : publicKey,
  };
}

/** A good event, and one of each refusal `seal` makes, in the order of its checks. */
function cases(where = ''): { name: string; task: SealTask; code?: string }[] {
  const good = event('good', { items: ['a', 'b'], note: 'é 😀' });
  const other = event('other', { items: ['c'] });
  return [
    { name: 'good', task: task(good, { where }) },
    {
      name: 'lone surrogate (RFC 8785 refuses it)',
      task: task(event('surrogate', { note: 'a\ud800b' }), { where, signature: signEvent(other, secretKey) }),
      code: 'VALIDATION_FAILED',
    },
    {
      name: 'U+0000 (the database cannot store it)',
      task: task(event('nul', { note: 'a\u0000b' }), { where }),
      code: 'VALIDATION_FAILED',
    },
    { name: 'unknown key', task: task(other, { where, key: null }), code: 'KEY_UNKNOWN' },
    {
      name: 'signature of another event',
      task: task(good, { where, signature: signEvent(other, secretKey) }),
      code: 'SIGNATURE_INVALID',
    },
  ];
}

describe('IntakePool: worker threads seal exactly like the main thread', () => {
  let inline: IntakePool;
  let pooled: IntakePool;

  beforeAll(() => {
    ensureBuilt();
    inline = new IntakePool({ INTAKE_WORKERS: 0 } as AppConfig);
    pooled = new IntakePool(
      { INTAKE_WORKERS: 2 } as AppConfig,
      path.join(PROJECT_ROOT, 'dist/src/ledger/intake.worker.js'),
    );
  }, 120_000);

  afterAll(async () => {
    await inline.onModuleDestroy();
    await pooled.onModuleDestroy();
  });

  it('runs on worker threads when asked to, and on the main thread with 0', () => {
    expect(pooled.threads).toBe(2);
    expect(inline.threads).toBe(0);
  });

  it('each case: the same answer from both, and the answer PROTOCOL §2 and §10 give', async () => {
    const all = cases();
    const [onMain, onWorkers] = await Promise.all([
      inline.sealAll(all.map((c) => c.task)),
      pooled.sealAll(all.map((c) => c.task)),
    ]);
    expect(onWorkers).toEqual(onMain);
    all.forEach((c, i) => {
      const answer = onMain[i];
      if (!c.code) {
        const json = canonicalJson(c.task.event);
        const hash = createHash('sha256').update(SIGNED_EVENT_PREFIX).update(json, 'utf8').digest();
        expect(answer).toEqual({ ok: true, eventJson: json, eventHash: new Uint8Array(hash) });
      } else {
        expect(answer.ok ? c.name : (answer as Sealed & { ok: false }).error.code).toBe(c.code);
      }
    });
    const named = (i: number) => JSON.stringify((onMain[i] as Sealed & { ok: false }).error);
    expect(named(1)).toContain('event.body.note');
    expect(named(1)).toContain('canonicalJson');
    expect(named(2)).toContain('event.body.note');
  });

  it('requests sealed in the same turn share worker tasks, and each gets its own answers back', async () => {
    const requests = Array.from({ length: 12 }, (_, r) => cases(r % 2 === 0 ? '' : `events[${r}].`).slice(r % 5));
    const onWorkers = await Promise.all(requests.map((list) => pooled.sealAll(list.map((c) => c.task))));
    const onMain = await Promise.all(requests.map((list) => inline.sealAll(list.map((c) => c.task))));
    expect(onWorkers).toEqual(onMain);
    expect(onWorkers.map((answers) => answers.length)).toEqual(requests.map((list) => list.length));
  });

  it('a batch spread over several worker tasks keeps its order (events[i]. named in refusals)', async () => {
    const all = Array.from({ length: 40 }, (_, i) => cases(`events[${i}].`)).flat();
    const [onMain, onWorkers] = await Promise.all([
      inline.sealAll(all.map((c) => c.task)),
      pooled.sealAll(all.map((c) => c.task)),
    ]);
    expect(onWorkers).toEqual(onMain);
    expect(onWorkers.map((s) => (s.ok ? 'ok' : s.error.code))).toEqual(all.map((c) => c.code ?? 'ok'));
    expect(JSON.stringify(onWorkers[5 * 37 + 1])).toContain('events[37].event.body.note');
  });
});
