import { createTestApp, TestApp } from '../support/test-app';

/**
 * SYNCHRONOUS_STANDBY (OPERATIONS.md §11.3): readiness reports the primary's synchronous replication. The test
 * database is one PostgreSQL with no standby, which is exactly the state to report: commits acknowledged on one node
 * only. (A primary with a synchronous standby, and the warning appearing and clearing when its standbys stop and
 * return, is checked against the reference cluster by scripts/cluster/failover-test.mjs.)
 */
describe('health: a primary without a synchronous standby', () => {
  const apps: TestApp[] = [];
  const app = async (value: string) => {
    const t = await createTestApp({ SYNCHRONOUS_STANDBY: value });
    apps.push(t);
    return t;
  };
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('off (the default): nothing is checked, nothing reported', async () => {
    const res = await (await app('off')).http.get('/v1/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.warnings).toBeUndefined();
    expect(res.body.database.replication).toBeUndefined();
  });

  it('warn: 200 ok with a warning naming the risk, and what PostgreSQL says', async () => {
    const res = await (await app('warn')).http.get('/v1/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.warnings).toEqual([
      expect.stringMatching(
        /^the primary has no synchronous standby: commits are acknowledged on one database node only/,
      ),
    ]);
    expect(res.body.database.replication).toEqual({ synchronousStandbyNames: '', standbys: 0, synchronousStandbys: 0 });
  });

  it('required: 503 degraded, the same words as a problem', async () => {
    const res = await (await app('required')).http.get('/v1/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.problems).toEqual([expect.stringMatching(/^the primary has no synchronous standby/)]);
    expect(res.body.warnings).toBeUndefined();
  });
});
