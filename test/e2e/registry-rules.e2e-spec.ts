import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { createTestApp, newGln, newParty, testAddress, TestApp } from '../support/test-app';

describe('registry rules over HTTP', () => {
  let t: TestApp;
  const operator = (): [string, string] => ['Authorization', `Bearer ${t.operatorToken}`];
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('the operator role is reserved to the party that opened the log', async () => {
    const response = await t.http
      .post('/v1/parties')
      .set(...operator())
      .send({
        gln: newGln(),
        name: 'Second Operator',
        role: 'operator',
        address: testAddress,
        publicKeys: [bytesToBase64(publicKeyOf(generateSecretKey()))],
      });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('OPERATOR_ROLE_RESERVED');
  });

  it('an impossible revocation date is a 400 naming the field, and nothing is logged', async () => {
    const p = await newParty(t, 'dispenser');
    const before = (await t.http.get('/v1/health')).body.log.entries;
    const response = await t.http
      .post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`)
      .set(...operator())
      .send({ revokedAt: '2026-02-30T00:00:00Z' });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: 'revokedAt', rule: 'isDateTime' }],
    });
    expect((await t.http.get('/v1/health')).body.log.entries).toBe(before);
  });

  it('tokens are listed in the API’s camelCase, never with the secret', async () => {
    const p = await newParty(t, 'distributor');
    const listed = await t.http.get(`/v1/parties/${p.gln}/tokens`).set(...p.auth);
    expect(listed.status).toBe(200);
    expect(listed.body[0]).toEqual({
      id: expect.any(String),
      gln: p.gln,
      label: 'tests',
      createdAt: expect.any(String),
      revokedAt: null,
    });
  });
});
