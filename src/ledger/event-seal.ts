import { createHash } from 'node:crypto';
import { AppError, ValidationError } from '../common/app-error';
import { CanonicalJsonError, canonicalJson } from '../canonical-json';
import { storedTextViolation } from '../protocol/stored-text';
import { SIGNED_EVENT_PREFIX } from '../signing/event-signing';
import { LedgerError } from './ledger.errors';

/** Largest canonical event accepted (a commissioning event for 100,000 serials is about 3 MB). */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

/**
 * What sealing an event needs: the event as received (validated, not yet canonicalized), where it sits in the request
 * (`events[3].` in a batch, '' alone), its decoded signature and the signer's public key (null: no such key).
 */
export interface SealTask {
  event: object;
  where: string;
  keyId: string;
  signature: Uint8Array;
  publicKey: Uint8Array | null;
}

/** A sealed event: its canonical JSON and hash, signature verified; or the coded refusal (`AppError.toBody`). */
export type Sealed =
  | { ok: true; eventJson: string; eventHash: Uint8Array }
  | { ok: false; status: number; error: { code: string; message: string; details?: unknown } };

/**
 * The CPU-bound part of intake that needs no state (docs/PROTOCOL.md §2): RFC 8785 canonical JSON, the stored-text
 * rule, the size bound, SHA-256 of the signed bytes, and the strict Ed25519 verification. The same function runs on
 * the main thread (verification on libuv's pool) or in the intake worker pool (`intake.worker.ts`), so the checks,
 * their order and their codes are one: canonicalJson, stored text, EVENT_TOO_LARGE, KEY_UNKNOWN, SIGNATURE_INVALID.
 * Throws only for unexpected errors (intake then answers INTERNAL).
 */
export async function seal(
  task: SealTask,
  verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>,
): Promise<Sealed> {
  try {
    const { event, where } = task;
    let eventJson: string;
    try {
      eventJson = canonicalJson(event);
    } catch (error) {
      if (!(error instanceof CanonicalJsonError)) throw error;
      throw new ValidationError([
        { field: `${where}event${error.path.slice(1)}`, rule: 'canonicalJson', message: error.message },
      ]);
    }
    // Every string of the event (RFC 8785 has refused lone surrogates): what the database cannot store is refused
    // here, before any transaction, so that it never costs the events it would have shared a transaction with.
    const text = storedTextViolation(event, `${where}event`);
    if (text) throw new ValidationError([text]);
    // The signed bytes, encoded once: measured, hashed and verified from the same buffer.
    const message = Buffer.concat([SIGNED_EVENT_PREFIX, Buffer.from(eventJson, 'utf8')]);
    if (message.length - SIGNED_EVENT_PREFIX.length > MAX_EVENT_BYTES) {
      throw new LedgerError('EVENT_TOO_LARGE', `the event is larger than ${MAX_EVENT_BYTES} bytes; split it`);
    }
    const digest = createHash('sha256').update(message).digest();
    if (!task.publicKey) throw new LedgerError('KEY_UNKNOWN', `key ${task.keyId} is not registered`);
    if (!(await verify(task.publicKey, message, task.signature))) {
      throw new LedgerError('SIGNATURE_INVALID', `the signature does not verify with key ${task.keyId}`);
    }
    return {
      ok: true,
      eventJson,
      eventHash: new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength),
    };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { ok: false, status: error.status, error: error.toBody().error };
  }
}
