import { createPrivateKey, sign as nodeSign, verify as nodeVerify, createPublicKey } from 'node:crypto';
import { DataSource } from 'typeorm';
import { formatVerifierKey, parseSignerKey } from '../../src/checkpoint';
import { Database } from '../../src/database/database';
import { dataSourceOptions } from '../../src/database/data-source';
import { AuditProgress, runAudit } from '../../src/ledger/audit/audit';
import { IntakeService } from '../../src/ledger/intake.service';
import { LedgerEvent } from '../../src/protocol/event';
import { bytesToBase64 } from '../../src/bytes';
import { verifyStrictNodeAsync } from '../../src/signing/ed25519-node';
import { signedEventBytes } from '../../src/signing/event-signing';
import { createTestApp, newParty, TestApp } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

/**
 * Audit throughput and memory on a log of AUDIT_SCALE_ENTRIES entries (opt-in: it builds the log first), e.g.
 *
 *   AUDIT_SCALE_ENTRIES=200000 npx jest --selectProjects db -- test/integration/audit-scale
 *
 * Prints entries/s, the machine's parallel Ed25519-verify ceiling measured in the same run (the audit verifies
 * every signature, so that is its ceiling), their ratio, the rate in the first and second half of the log (a
 * linear audit keeps it flat), and the heap before, during and after.
 */
const ENTRIES = Number(process.env.AUDIT_SCALE_ENTRIES ?? 0);
const BATCH = 5_000;

(ENTRIES > 0 ? describe : describe.skip)(`audit of ${ENTRIES} entries`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ MAX_BATCH_EVENTS: String(BATCH) });
    registerTestEventType(t);
  });
  afterAll(() => t?.close());

  it(
    'is linear, streams, and runs near the verify ceiling',
    async () => {
      const parties = await Promise.all([newParty(t, 'manufacturer'), newParty(t, 'distributor')]);
      const intake = t.app.get(IntakeService);
      const started = Date.now();
      let posted = 0;
      // Node's signer (OpenSSL) only to build the log fast; the audit verifies with the project's strict rule.
      const signers = parties.map((p) => {
        const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(p.secretKey)]);
        return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      });
      while (posted < ENTRIES) {
        const count = Math.min(BATCH, ENTRIES - posted);
        await Promise.all(
          parties.map(async (p, k) => {
            const events = Array.from({ length: Math.ceil(count / parties.length) }, (_, i) => {
              const event: LedgerEvent<object> = {
                id: `n-${posted}-${k}-${i}`,
                type: 'test.note',
                actor: p.gln,
                keyId: p.keyId,
                time: new Date().toISOString(),
                body: { text: `scale note ${posted + i} of party ${k}, some words to make it a realistic size` },
              };
              return { event, signature: bytesToBase64(nodeSign(null, signedEventBytes(event), signers[k])) };
            });
            const results = await intake.submit({ kind: 'party', gln: p.gln, role: p.role, tokenId: 'scale' }, events);
            expect(results.every((r) => r.accepted)).toBe(true);
          }),
        );
        posted += count;
      }
      await t.http.post('/v1/log/checkpoint').set('Authorization', `Bearer ${t.operatorToken}`);
      const buildSeconds = (Date.now() - started) / 1000;
      await t.close();

      const dataSource = new DataSource(dataSourceOptions(t.databaseUrl, 4));
      await dataSource.initialize();
      const db = new Database(dataSource);
      const signer = parseSignerKey(t.secrets.logSignerKey);
      try {
        global.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        let heapPeak = heapBefore;
        const progress: AuditProgress[] = [];
        const report = await runAudit(db, {
          logVerifierKey: formatVerifierKey(signer.name, signer.publicKey),
          onProgress: (update) => {
            progress.push(update);
            heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
          },
        });
        expect(report.ok).toBe(true);
        const ceiling = await verifyCeiling(Math.min(50_000, report.entries));
        const half = progress.find((p) => p.checked >= report.entries / 2)!;
        const firstHalf = (half.checked * 1000) / half.elapsedMs;
        const secondHalf = ((report.entries - half.checked) * 1000) / (report.durationMs - half.elapsedMs);
        const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
        console.log(
          [
            `log of ${report.entries} entries built in ${buildSeconds.toFixed(1)} s (${report.checkpointsChecked} checkpoints, ${report.tileHashesChecked} tile hashes)`,
            `audit: ${(report.durationMs / 1000).toFixed(2)} s, ${Math.round(report.entriesPerSecond)} entries/s` +
              ` (first half ${Math.round(firstHalf)}/s, second half ${Math.round(secondHalf)}/s)`,
            `parallel strict Ed25519 verify ceiling, same run: ${Math.round(ceiling)}/s; audit/ceiling = ${(report.entriesPerSecond / ceiling).toFixed(2)}`,
            `heap: ${mb(heapBefore)} MB before, ${mb(heapPeak)} MB peak during the audit`,
          ].join('\n'),
        );
      } finally {
        await dataSource.destroy();
      }
    },
    60_000 + ENTRIES * 5,
  );
});

/** Signatures verified per second by `verifyStrictNodeAsync` with every verification in flight at once. */
async function verifyCeiling(count: number): Promise<number> {
  const { privateKey, publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ed25519'));
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const messages = Array.from({ length: count }, (_, i) => new TextEncoder().encode(`message ${i} `.repeat(20)));
  const signatures = messages.map((m) => new Uint8Array(nodeSign(null, m, privateKey)));
  expect(
    nodeVerify(null, messages[0], createPublicKey(publicKey.export({ format: 'pem', type: 'spki' })), signatures[0]),
  ).toBe(true);
  const started = process.hrtime.bigint();
  const verdicts = await Promise.all(messages.map((m, i) => verifyStrictNodeAsync(raw, m, signatures[i])));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  expect(verdicts.every(Boolean)).toBe(true);
  return count / seconds;
}
