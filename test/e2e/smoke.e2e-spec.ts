import { createTestApp, newParty, TestApp } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
  });
  afterAll(() => t.close());

  it('starts, logs the genesis, registers a party, accepts an event and checkpoints it', async () => {
    const health = await t.http.get('/v1/health');
    expect(health.status).toBe(200);
    const m = await newParty(t, 'manufacturer');
    const posted = await t.http
      .post('/v1/events?wait=true')
      .set(...m.auth)
      .send(m.event('test.note', { text: 'hello' }));
    expect(posted.status).toBe(201);
    expect(posted.body.index).toBe(2);
    expect(posted.body.checkpoint).toMatch(/^rxledger.local\/log\n3\n/);
    const cp = await t.http.get('/v1/log/checkpoint');
    expect(cp.status).toBe(200);
    expect(cp.text).toContain('rxledger.local/log');
  });
});
