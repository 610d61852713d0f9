import { sha256 } from '@noble/hashes/sha2.js';
import { Client } from 'pg';
import { base64ToBytes, concatBytes, utf8 } from '../../src/bytes';
import { canonicalJson } from '../../src/canonical-json';
import { leafHash } from '../../src/merkle/hash';
import { LedgerEvent } from '../../src/protocol/event';
import { encodeLeaf } from '../../src/protocol/leaf';
import { SIGNED_EVENT_PREFIX } from '../../src/signing/event-signing';

/**
 * Appends a signed event to the log tables with SQL, every column and hash computed as intake would, at the next
 * index and accepted at `acceptedAt`: what an attacker with database access could add, bypassing intake's checks.
 * Returns its index.
 */
export async function appendWithSql(
  admin: Client,
  { event, signature }: { event: LedgerEvent<object>; signature: string },
  acceptedAt: Date,
): Promise<number> {
  const eventJson = canonicalJson(event);
  const eventHash = sha256(concatBytes(SIGNED_EVENT_PREFIX, utf8(eventJson)));
  const sig = base64ToBytes(signature);
  const leaf = leafHash(encodeLeaf({ acceptedAtMs: acceptedAt.getTime(), eventHash, signature: sig }));
  const [{ next_index: index }] = (await admin.query<{ next_index: number }>('SELECT next_index FROM log_sequencer'))
    .rows;
  await admin.query(
    `INSERT INTO log_entry (idx, leaf_hash, accepted_at, actor, event_id, event_type, key_id, event_time,
                            event_hash, signature, event_json)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [index, leaf, acceptedAt, event.actor, event.id, event.type, event.keyId, event.time, eventHash, sig, eventJson],
  );
  await admin.query('UPDATE log_sequencer SET next_index = $1', [index + 1]);
  return index;
}
