import { base64ToBytes } from '../../src/bytes';
import { verifyStrictNode, verifyStrictNodeAsync } from '../../src/signing/ed25519-node';
import { signedEventBytes } from '../../src/signing/event-signing';
import { nowMs } from './stats';
import { publicKeyOf, PreparedEvent } from './supply-chain';

/** One signature to verify: the public key, the signed bytes and the signature, as intake has them. */
export interface VerifyInput {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export interface CeilingResult {
  /** Verifications per second. */
  perSecond: number;
  verified: number;
  durationMs: number;
}

/** The inputs intake verifies for these events (its own code path: strict rules in JS, then OpenSSL). */
export function verifyInputs(events: readonly PreparedEvent[], seedOf: (actor: string) => Buffer): VerifyInput[] {
  return events.map((e) => ({
    publicKey: publicKeyOf(seedOf(e.signed.event.actor)),
    message: signedEventBytes(e.signed.event),
    signature: base64ToBytes(e.signed.signature),
  }));
}

/**
 * The raw strict Ed25519 verify ceiling on ONE core: `verifyStrictNode` (what intake runs, minus the thread pool)
 * back to back on the main thread for `durationMs`.
 */
export function syncCeiling(inputs: readonly VerifyInput[], durationMs: number): CeilingResult {
  const started = nowMs();
  const deadline = started + durationMs;
  let verified = 0;
  while (nowMs() < deadline) {
    // Check the clock every 64 verifications: the clock is cheap but not free next to a 50 µs verification.
    for (let i = 0; i < 64; i++) {
      const input = inputs[verified % inputs.length];
      if (!verifyStrictNode(input.publicKey, input.message, input.signature))
        throw new Error('a good signature failed');
      verified++;
    }
  }
  const elapsed = nowMs() - started;
  return { perSecond: (verified * 1000) / elapsed, verified, durationMs: elapsed };
}

/**
 * The machine's ceiling as the server reaches it: `verifyStrictNodeAsync` (OpenSSL on libuv's thread pool, the
 * default 4 threads like the server, which sets no UV_THREADPOOL_SIZE) with `concurrency` verifications in
 * flight at all times, as a batch of that many events has in intake.
 */
export async function asyncCeiling(
  inputs: readonly VerifyInput[],
  durationMs: number,
  concurrency: number,
): Promise<CeilingResult> {
  const started = nowMs();
  const deadline = started + durationMs;
  let issued = 0;
  let verified = 0;
  const worker = async () => {
    while (nowMs() < deadline) {
      const input = inputs[issued++ % inputs.length];
      if (!(await verifyStrictNodeAsync(input.publicKey, input.message, input.signature))) {
        throw new Error('a good signature failed');
      }
      verified++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = nowMs() - started;
  return { perSecond: (verified * 1000) / elapsed, verified, durationMs: elapsed };
}
