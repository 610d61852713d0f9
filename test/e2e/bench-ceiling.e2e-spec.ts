import type * as TestAppModule from '../support/test-app';
import { createTestApp, newParty, TestApp } from '../support/test-app';

/** bench:ingest's ceiling endpoint (issue 12 §2) exists only when the bench asks for it (RXLEDGER_BENCH_CEILING=1). */
describe('bench ceiling endpoint', () => {
  let plain: TestApp;
  let bench: TestApp;
  beforeAll(async () => {
    plain = await createTestApp();
    let isolated: typeof TestAppModule | undefined;
    // The controller list is read when the ledger module is loaded: load a second copy of the app with the variable set.
    jest.isolateModules(() => {
      process.env.RXLEDGER_BENCH_CEILING = '1';
      isolated = jest.requireActual<typeof TestAppModule>('../support/test-app');
    });
    try {
      bench = await isolated!.createTestApp();
    } finally {
      delete process.env.RXLEDGER_BENCH_CEILING;
    }
  });
  afterAll(async () => {
    await plain?.close();
    await bench?.close();
  });

  it('does not exist by default', async () => {
    const m = await newParty(plain, 'manufacturer');
    const answer = await plain.http
      .post('/v1/bench/ceiling')
      .set(...m.auth)
      .send({ a: 1 });
    expect(answer.status).toBe(404);
    const openapi = await plain.http.get('/docs/openapi.json');
    expect(Object.keys(openapi.body.paths)).not.toContain('/v1/bench/ceiling');
  });

  it('when asked for, answers an authenticated POST and refuses an anonymous one', async () => {
    const anonymous = await bench.http.post('/v1/bench/ceiling').send({ a: 1 });
    expect(anonymous.status).toBe(401);
    // The operator's token: registering a party through a second copy of the DTO classes trips class-validator's
    // global metadata (the isolated copy exists only for this test).
    const answer = await bench.http
      .post('/v1/bench/ceiling')
      .set('Authorization', `Bearer ${bench.operatorToken}`)
      .send({ a: 1, b: 2 });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ ok: true, party: 'operator', fields: 2 });
  });
});
