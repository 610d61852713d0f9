import { randomBytes } from 'node:crypto';
import { bytesToBase64 } from '../../src/bytes';
import { LedgerEvent } from '../../src/protocol/event';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf, signEvent } from '../../src/signing/event-signing';
import { createTestApp, newGln, newParty, testAddress, TestApp } from '../support/test-app';

/**
 * Operator requests are safe to retry (docs/PROTOCOL.md §3.3): an operator whose request timed out sends it again and
 * gets the original receipt (200, duplicate), whether the first attempt went through or not, and whether the two
 * attempts ran one after the other or at once. A 409 means a real conflict: the same event id or natural key taken
 * by other content.
 */
describe('operator requests are safe to retry', () => {
  let t: TestApp;
  const operator = (): [string, string] => ['Authorization', `Bearer ${t.operatorToken}`];
  const entries = async (): Promise<number> => (await t.http.get('/v1/health')).body.log.entries;
  const post = (path: string, body: object) =>
    t.http
      .post(path)
      .set(...operator())
      .send(body);
  const newKey = () => bytesToBase64(publicKeyOf(generateSecretKey()));
  const newPrefix = () => String(randomBytes(5).readUIntBE(0, 5) % 1e10).padStart(10, '0');
  const registration = (role = 'manufacturer') => ({
    gln: newGln(),
    name: `Retry ${role}`,
    role,
    address: testAddress,
    publicKeys: [newKey()],
  });

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /**
   * The same request twice, one after the other, then twice at once: every answer carries the same receipt, the
   * first 201 (or `created` for revoke, which answers 200), the repeats 200 with `duplicate: true`; one entry is
   * logged per request.
   */
  async function expectRetrySafe(fresh: () => Promise<{ path: string; body: object }>, created = 201) {
    const sequential = await fresh();
    const before = await entries();
    const first = await post(sequential.path, sequential.body);
    expect(first.status).toBe(created);
    expect(first.body.receipt.duplicate).toBe(false);
    const again = await post(sequential.path, sequential.body);
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual({ ...first.body.receipt, duplicate: true });
    expect(await entries()).toBe(before + 1);

    const concurrent = await fresh();
    const start = await entries();
    const both = await Promise.all([post(concurrent.path, concurrent.body), post(concurrent.path, concurrent.body)]);
    for (const answer of both) expect([created, 200]).toContain(answer.status);
    expect(both[0].body.receipt.index).toBe(both[1].body.receipt.index);
    expect(both.map((a) => a.body.receipt.duplicate).sort()).toEqual([false, true]);
    expect(await entries()).toBe(start + 1);
  }

  it('POST /v1/parties: the same registration again is the original receipt; other content is 409', async () => {
    await expectRetrySafe(async () => ({ path: '/v1/parties', body: registration() }));

    const body = registration('distributor');
    expect((await post('/v1/parties', body)).status).toBe(201);
    const before = await entries();
    const other = await post('/v1/parties', { ...body, name: 'Someone Else' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('PARTY_ALREADY_REGISTERED');
    expect(await entries()).toBe(before);
  });

  it('POST /v1/parties answers a registration logged under another event id by the operator’s own tooling', async () => {
    const body = registration('dispenser');
    const event: LedgerEvent<object> = {
      id: `tooling-${randomBytes(6).toString('hex')}`,
      type: 'party.register',
      actor: t.config.OPERATOR_GLN,
      keyId: keyIdOf(publicKeyOf(t.secrets.operatorSeed)),
      time: new Date().toISOString(),
      body,
    };
    const logged = await t.http
      .post('/v1/events')
      .set(...operator())
      .send({ event, signature: signEvent(event, t.secrets.operatorSeed) });
    expect(logged.status).toBe(201);
    const again = await post('/v1/parties', body);
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual({ ...logged.body, duplicate: true });
  });

  it('POST /v1/parties/<gln>/keys: the same key again is the original receipt; the key for another party is 409', async () => {
    const p = await newParty(t, 'distributor');
    await expectRetrySafe(async () => ({ path: `/v1/parties/${p.gln}/keys`, body: { publicKey: newKey() } }));

    const publicKey = newKey();
    expect((await post(`/v1/parties/${p.gln}/keys`, { publicKey })).status).toBe(201);
    const q = await newParty(t, 'dispenser');
    const other = await post(`/v1/parties/${q.gln}/keys`, { publicKey });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('KEY_ALREADY_REGISTERED');
  });

  it('POST …/keys/<keyId>/revoke with the same explicit time is the original receipt; a later time is 409', async () => {
    const p = await newParty(t, 'distributor');
    const revokedAt = new Date(Date.now() + 3_600_000).toISOString();
    await expectRetrySafe(async () => {
      const publicKey = newKey();
      expect((await post(`/v1/parties/${p.gln}/keys`, { publicKey })).status).toBe(201);
      return {
        path: `/v1/parties/${p.gln}/keys/${keyIdOf(Buffer.from(publicKey, 'base64'))}/revoke`,
        body: { revokedAt },
      };
    }, 200);

    const later = await post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`, { revokedAt });
    expect(later.status).toBe(200);
    const conflict = await post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`, {
      revokedAt: new Date(Date.parse(revokedAt) + 1000).toISOString(),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('KEY_ALREADY_REVOKED');
  });

  it('POST …/revoke without a time ("now") repeated answers the revocation in force', async () => {
    const p = await newParty(t, 'dispenser');
    const first = await post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`, {});
    expect(first.status).toBe(200);
    const before = await entries();
    const again = await post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`, {});
    expect(again.status).toBe(200);
    expect(again.body.receipt).toEqual({ ...first.body.receipt, duplicate: true });
    expect(await entries()).toBe(before);
  });

  it('POST /v1/manufacturers/<gln>/prefixes: the same grant again is the original receipt; another holder is 409', async () => {
    const m = await newParty(t, 'manufacturer');
    await expectRetrySafe(async () => ({ path: `/v1/manufacturers/${m.gln}/prefixes`, body: { prefix: newPrefix() } }));

    const prefix = newPrefix();
    expect((await post(`/v1/manufacturers/${m.gln}/prefixes`, { prefix })).status).toBe(201);
    const n = await newParty(t, 'manufacturer');
    const other = await post(`/v1/manufacturers/${n.gln}/prefixes`, { prefix });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('PREFIX_ALREADY_GRANTED');
  });

  it('tokens: each issue is a new credential (not logged); revoking one twice answers it twice', async () => {
    const p = await newParty(t, 'distributor');
    const before = await entries();
    const a = await post(`/v1/parties/${p.gln}/tokens`, { label: 'retry' });
    const b = await post(`/v1/parties/${p.gln}/tokens`, { label: 'retry' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).not.toBe(b.body.id);
    expect(await entries()).toBe(before);
    const first = await t.http.delete(`/v1/parties/${p.gln}/tokens/${a.body.id}`).set(...operator());
    const again = await t.http.delete(`/v1/parties/${p.gln}/tokens/${a.body.id}`).set(...operator());
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.body.revokedAt).toBe(first.body.revokedAt);
  });
});
