import { Database } from '../../src/database/database';
import { createTestApp, TestApp } from '../support/test-app';

/**
 * Readiness (`GET /v1/health`) says `degraded` when an entry has waited too long for a checkpoint, judged by that
 * entry's own wait: not by the age of the latest checkpoint, which is old whenever the log has been idle.
 */
describe('health: a stalled integration, and only that, is degraded', () => {
  let t: TestApp;
  const setAcceptedAt = async (index: number, secondsAgo: number) => {
    // log_entry is append-only; the test lifts the trigger for one statement, as an attacker with DDL rights could.
    const db = t.app.get(Database);
    await db.transaction(async (tx) => {
      await tx.query('ALTER TABLE log_entry DISABLE TRIGGER log_entry_append_only');
      await tx.query(`UPDATE log_entry SET accepted_at = now() - make_interval(secs => $2) WHERE idx = $1`, [
        index,
        secondsAgo,
      ]);
      await tx.query('ALTER TABLE log_entry ENABLE TRIGGER log_entry_append_only');
    });
  };

  // No integrator in this process: the genesis entry stays unintegrated, and its acceptance time is the test's to set.
  beforeAll(async () => {
    t = await createTestApp({ INTEGRATOR: 'off' });
  });
  afterAll(() => t.close());

  it('an entry that has waited a moment, even with no checkpoint yet, is normal: 200 ok', async () => {
    await setAcceptedAt(0, 0);
    const res = await t.http.get('/v1/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', log: { entries: 1, checkpointSize: 0, unintegrated: 1 } });
    expect(res.body.log.oldestWaitMs).toBeLessThan(5_000);
  });

  it('an entry that has waited a minute is a stall: 503 degraded, naming the wait', async () => {
    await setAcceptedAt(0, 60);
    const res = await t.http.get('/v1/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.problems).toEqual([
      expect.stringMatching(/^1 entries wait for a checkpoint, the oldest for 6\d{4} ms$/),
    ]);
    expect(res.body.log.oldestWaitMs).toBeGreaterThanOrEqual(60_000);
  });
});
