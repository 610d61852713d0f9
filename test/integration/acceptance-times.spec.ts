import { sha256 } from '@noble/hashes/sha2.js';
import { Client } from 'pg';
import { base64ToBytes, concatBytes, utf8 } from '../../src/bytes';
import { canonicalJson } from '../../src/canonical-json';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { runAudit } from '../../src/ledger/audit/audit';
import { leafHash } from '../../src/merkle/hash';
import { encodeLeaf } from '../../src/protocol/leaf';
import { SIGNED_EVENT_PREFIX } from '../../src/signing/event-signing';
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

  /** Appends a correctly hashed entry for a validly signed event, straight into the tables, accepted at `at`. */
  async function sneakIn(at: Date): Promise<number> {
    const { event, signature } = party.event('test.note', { text: `accepted at ${at.toISOString()}` });
    const eventJson = canonicalJson(event);
    const eventHash = sha256(concatBytes(SIGNED_EVENT_PREFIX, utf8(eventJson)));
    const sig = base64ToBytes(signature);
    const leaf = leafHash(encodeLeaf({ acceptedAtMs: at.getTime(), eventHash, signature: sig }));
    const [{ next_index: index }] = (await admin.query('SELECT next_index FROM log_sequencer')).rows;
    await admin.query(
      `INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                              event_hash, signature, event_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [index, leaf, at, event.actor, event.id, event.type, event.keyId, event.time, eventHash, sig, eventJson],
    );
    await admin.query('UPDATE log_sequencer SET next_index = $1', [index + 1]);
    return index;
  }

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
