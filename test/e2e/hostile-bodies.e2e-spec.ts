import * as fs from 'node:fs';
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { formatSignerKey } from '../../src/checkpoint';
import { createTestDatabase, freePort, testDataDir } from '../support/postgres';
import { ensureBuilt, ServerProcess } from '../support/server-process';
import { registerTestEventType } from '../support/test-event-type';
import { createTestApp, newGln, newParty, TestApp, TestParty, testAddress } from '../support/test-app';

/**
 * Issue 9 §3 and §4: request bodies are read only after authentication, with limits by route, a bounded number of
 * values and a bounded depth; a flood of unauthenticated bytes neither stalls the health endpoint nor grows memory.
 */

const MB = 1024 * 1024;

/** `[{},{},...,{}]` of about `bytes` bytes: 20 million empty objects once parsed. */
const emptyObjects = (bytes: number) => Buffer.from(`[${'{},'.repeat(Math.floor((bytes - 3) / 3))}{}]`, 'latin1');

/** JSON nested `depth` levels deep: [[[...]]]. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/**
 * Sends `body` as fast as the socket takes it; resolves with the answer once the answer has come and the whole body
 * has been sent (or the server closed the connection), with how many bytes were sent.
 */
async function post(
  baseUrl: string,
  path: string,
  body: Buffer,
): Promise<{ status: number; text: string; sent: number }> {
  const request = http.request(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
  });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    let answered = false;
    request.on('response', (response) => {
      answered = true;
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, text }));
    });
    // The server may stop reading once it has answered: a broken pipe after the answer is expected.
    request.on('error', (error) => (answered ? undefined : reject(error)));
  });
  const closed = new Promise((resume) => request.once('close', resume));
  let sent = 0;
  for (; sent < body.length && !request.destroyed; sent += MB) {
    if (!request.write(body.subarray(sent, sent + MB))) {
      await Promise.race([new Promise((resume) => request.once('drain', resume)), closed]);
    }
  }
  request.end();
  return { ...(await answer), sent: Math.min(sent, body.length) };
}

describe('an unauthenticated 63 MB body (spawned server)', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    ensureBuilt();
    const origin = 'hostile.test/log';
    server = await ServerProcess.start({
      DATABASE_URL: await createTestDatabase(),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      LOG_ORIGIN: origin,
      LOG_PRIVATE_KEY: formatSignerKey(origin, randomBytes(32)),
      OPERATOR_PRIVATE_KEY: randomBytes(32).toString('base64'),
      OPERATOR_TOKEN: `rxo_${randomBytes(24).toString('hex')}`,
      DATA_DIR: testDataDir(),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(() => server?.kill());

  it('is refused 401 unread, three times in a row, while /v1/health answers within 1 s and memory stays flat', async () => {
    const body = emptyObjects(63 * MB);
    const pid = server.child.pid!;
    const rssBefore = rssBytes(pid);
    let rssPeak = rssBefore;
    const healthMs: number[] = [];
    let sending = true;
    let sent = 0;
    const probe = (async () => {
      while (sending) {
        const started = Date.now();
        const res = await fetch(`${server.baseUrl}/v1/health`, { signal: AbortSignal.timeout(30_000) });
        await res.text();
        healthMs.push(Date.now() - started);
        rssPeak = Math.max(rssPeak, rssBytes(pid));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      for (const path of ['/v1/events/batch', '/v1/events', '/v1/parties']) {
        const answer = await post(server.baseUrl, path, body);
        expect([path, answer.status, JSON.parse(answer.text).error.code]).toEqual([path, 401, 'UNAUTHENTICATED']);
        sent += answer.sent;
      }
    } finally {
      sending = false;
      await probe;
    }
    rssPeak = Math.max(rssPeak, rssBytes(pid));
    console.log(
      `3 × 63 MB unauthenticated (${Math.round(sent / MB)} MB sent): ${healthMs.length} health answers, ` +
        `slowest ${Math.max(...healthMs)} ms; ` +
        `RSS ${Math.round(rssBefore / MB)} -> peak ${Math.round(rssPeak / MB)} MB`,
    );
    expect(server.running).toBe(true);
    expect(healthMs.length).toBeGreaterThan(0);
    expect(Math.max(...healthMs)).toBeLessThan(1000);
    // Before: 385 MB grew to 1.8 GB (issue 9 §3). The body is never buffered, so growth is a few socket buffers.
    expect(rssPeak - rssBefore).toBeLessThan(100 * MB);
    const health = await fetch(`${server.baseUrl}/v1/health`);
    expect(health.status).toBe(200);
  });
});

describe('request bodies: limits by route, depth, values, media type', () => {
  let t: TestApp;
  let maker: TestParty;
  const operator = () => ['Authorization', `Bearer ${t.operatorToken}`] as [string, string];

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    maker = await newParty(t, 'manufacturer');
  });
  afterAll(() => t?.close());

  /** Signed-event-shaped bodies with `deep` inside the event's body, where validation and canonical JSON recurse. */
  const deepBodies = (deep: string) => {
    const signed = JSON.stringify(maker.event('test.note', { text: 'DEEP' })).replace('"DEEP"', deep);
    return { event: signed, batch: `{"events":[${signed}]}` };
  };

  it.each([
    ['an event', '/v1/events', 'party', 'event'],
    ['a batch', '/v1/events/batch', 'party', 'batch'],
    ['an operator request', '/v1/parties', 'operator', 'raw'],
    ['a key addition', () => `/v1/parties/${maker.gln}/keys`, 'operator', 'raw'],
  ] as const)('%s nested 5,000 levels deep is 400 BODY_TOO_DEEP', async (_, path, who, shape) => {
    const url = typeof path === 'function' ? path() : path;
    const deep = nested(5000);
    const body = shape === 'raw' ? `{"publicKey":${deep}}` : deepBodies(deep)[shape];
    const res = await t.http
      .post(url)
      .set(...(who === 'party' ? maker.auth : operator()))
      .set('Content-Type', 'application/json')
      .send(body);
    expect([res.status, res.body.error?.code]).toEqual([400, 'BODY_TOO_DEEP']);
  });

  it('an event nested 20 levels deep is parsed and refused by validation as before', async () => {
    const res = await t.http
      .post('/v1/events')
      .set(...maker.auth)
      .set('Content-Type', 'application/json')
      .send(deepBodies(nested(20)).event);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('a batch sent as text/plain is 415 UNSUPPORTED_MEDIA_TYPE; a batch without a body is a coded 400', async () => {
    const plain = await t.http
      .post('/v1/events/batch')
      .set(...maker.auth)
      .set('Content-Type', 'text/plain')
      .send('{"events":[]}');
    expect([plain.status, plain.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const form = await t.http
      .post('/v1/parties')
      .set(...operator())
      .type('form')
      .send({ gln: newGln(), name: 'Form', role: 'distributor' });
    expect([form.status, form.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const empty = await t.http
      .post('/v1/events/batch')
      .set(...maker.auth)
      .send();
    expect([empty.status, empty.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('an operator request larger than 1 MiB is 413, before it is parsed', async () => {
    const res = await t.http
      .post('/v1/parties')
      .set(...operator())
      .set('Content-Type', 'application/json')
      .send(
        JSON.stringify({
          gln: newGln(),
          name: 'x'.repeat(2 * MB),
          role: 'distributor',
          address: testAddress,
          publicKeys: [],
        }),
      );
    expect([res.status, res.body.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('more values than a route allows is 413 BODY_TOO_MANY_VALUES (small routes: 10,000; events: 2,000,000)', async () => {
    const small = await t.http
      .post('/v1/parties')
      .set(...operator())
      .set('Content-Type', 'application/json')
      .send(`{"publicKeys":[${'0,'.repeat(10_000)}0]}`);
    expect([small.status, small.body.error?.code]).toEqual([413, 'BODY_TOO_MANY_VALUES']);
    const large = await t.http
      .post('/v1/events/batch')
      .set(...maker.auth)
      .set('Content-Type', 'application/json')
      .send(emptyObjects(7 * MB).toString('latin1'));
    expect([large.status, large.body.error?.code]).toEqual([413, 'BODY_TOO_MANY_VALUES']);
  });

  it('an event of 100,000 values still reaches validation (the large limit is for events)', async () => {
    const serials = Array.from({ length: 100_000 }, (_, i) => `SN${i}`);
    const res = await t.http
      .post('/v1/events')
      .set(...maker.auth)
      .send({ event: { type: 'commission', body: { serials } }, signature: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).not.toMatch(/^BODY_|PAYLOAD_TOO_LARGE/);
  });
});
