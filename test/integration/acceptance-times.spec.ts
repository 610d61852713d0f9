import { Client } from 'pg';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { runAudit } from '../../src/ledger/audit/audit';
import { appendWithSql } from '../support/raw-log';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

/**
 * Acceptance times never decrease along the log (docs/PROTOCOL.md §4): intake stamps each transaction no earlier than
 * the last entry, whatever its own clock says, and `audit` names an entry whose time goes back, even when its leaf is
 * consistent. The offline verifier relies on it: a key revocation cannot be dodged by back-dating a later entry.
 */
describe('acceptance times along the log', () => {
  let t: TestApp;
  let admin: Client;
  let party: TestParty;

  const sneakIn = (at: Date) =>
    appendWithSql(admin, party.event('test.note', { text: `accepted at ${at.toISOString()}` }), at);

  beforeEach(async () => {
    t = await createTestApp({ INTEGRATOR: 'off' });
    registerTestEventType(t);
    party = await newParty(t, 'manufacturer');
    admin = new Client({ connectionString: t.databaseUrl });
    await admin.connect();
  });
  afterEach(async () => {
    await admin.end();
    await t.close();
  });

  it('an entry logged after one stamped in the future is stamped no earlier than it', async () => {
    const future = new Date(Date.now() + 3_600_000);
    await sneakIn(future);
    const posted = await t.http
      .post('/v1/events')
      .set(...party.auth)
      .send(party.event('test.note', { text: 'after the future' }));
    expect(posted.status).toBe(201);
    expect(new Date(posted.body.acceptedAt).getTime()).toBe(future.getTime());
  });

  it('audit names an entry accepted before the one it follows, though its leaf is consistent', async () => {
    const back = await sneakIn(new Date(Date.now() - 3_600_000));
    const signer = parseSignerKey(t.secrets.logSignerKey);
    const report = await runAudit(t.app.get(Database), {
      logVerifierKey: formatVerifierKey(signer.name, signer.publicKey),
    });
    expect(report.firstFailure).toMatchObject({ code: 'ACCEPTED_AT_DECREASES', index: back });
    expect(report.failureCount).toBe(1);
  });
});
