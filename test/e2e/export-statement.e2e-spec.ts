import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { BundleReport, verifyBundleText } from '../../src/bundle';
import { verifyBundleCommand } from '../../src/cli/verify-bundle.command';
import { Database } from '../../src/database/database';
import { runAudit } from '../../src/ledger/audit/audit';
import { RebuildService } from '../../src/ledger/rebuild.service';
import { OperatorService } from '../../src/parties/operator.service';
import { BundledEvent, BundleEntry, EvidenceBundle } from '../../src/protocol/bundle';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { accept, newTradingPartners, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

type Bundle = EvidenceBundle<BundleEntry>;

/**
 * The export statement (issue 10 §4; docs/PROTOCOL.md §9) over REAL exports: a server on embedded PostgreSQL, real
 * parties and events, bundles exported through the HTTP API. Before it, a bundle's scope, generatedBy and generatedAt
 * were signed by no one, and its lists only as far as the custody checks reach: each relabelling below passed
 * `verify-bundle`. Now each fails, on the statement's member that no longer matches. The statement is an entry of the
 * log: regulators and the operator read it, audit and rebuild replay it, and `verify-bundle --statement-proof` proves
 * its inclusion in a later checkpoint.
 */
describe('the export statement of a bundle', () => {
  let t: TestApp;
  let m: TestParty;
  let d: TestParty;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let vkey: string;
  const lot = 'LOT-S';
  const list = serials(3, 'STM');
  let dir: string;
  const exports: Record<string, { text: string; id: string }> = {};
  const now = Date.now();
  const narrow = { from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };

  const exportAs = async (party: TestParty, kind: string, query: Record<string, string>) => {
    const response = await t.http
      .get(`/v1/reports/${kind}`)
      .query({ ...query, format: 'bundle' })
      .set(...party.auth)
      .buffer(true);
    expect(response.status).toBe(200);
    return { text: response.text, id: response.headers['rxledger-export-id'] as string };
  };
  const verify = (text: string): BundleReport => verifyBundleText(text, vkey, { verifySignature: verifyStrictNode });
  const edit = (text: string, change: (b: Bundle) => void) => {
    const bundle = JSON.parse(text) as Bundle;
    change(bundle);
    bundle.summary = {
      events: bundle.events.length,
      items: bundle.items.length,
      registryEvents: bundle.registry.length,
    };
    return JSON.stringify(bundle);
  };
  const statementFailures = (report: BundleReport) =>
    report.failures.filter((f) => f.check === 'statement').map((f) => f.message);

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m as Parameters<typeof registerProduct>[1]);
    const items = units(gtin, list);
    await accept(t, m, 'commission', { gtin, lot, expiry: '291231', serials: list });
    await accept(t, m, 'ship', { shipmentId: 'S-1', recipient: d.gln, items, transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'S-1', items });
    await accept(t, d, 'ship', { shipmentId: 'S-2', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'S-2', items });
    await accept(t, p, 'dispense', { items: items.slice(0, 1) }, true);
    exports.lot = await exportAs(r, 'lot', { gtin, lot });
    exports.serial = await exportAs(r, 'serial', { gtin, serial: list[1] });
    exports.window = await exportAs(r, 'party', { gln: p.gln, ...narrow });
    // The pharmacy's own export: every event of its window names it, so nothing is withheld.
    exports.pharmacy = await exportAs(p, 'party', { gln: p.gln, ...narrow });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxledger-statement-'));
  }, 120_000);
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('ends every bundle, names the export, and verifies', () => {
    for (const [name, { text, id }] of Object.entries(exports)) {
      const bundle = JSON.parse(text) as Bundle;
      expect([name, Object.keys(bundle).at(-1)]).toEqual([name, 'statement']);
      expect(bundle.statement.event).toMatchObject({ type: 'export.statement', body: { exportId: id } });
      const report = verify(text);
      expect([name, report.failures]).toEqual([name, []]);
      expect(report.statement).toMatchObject({ exportId: id, index: bundle.statement.index });
      // Logged after the export's checkpoint: its inclusion comes in a later one.
      expect(bundle.statement.index).toBeGreaterThanOrEqual(report.checkpoint!.size);
    }
  });

  describe('a bundle whose metadata or lists are changed fails on the statement', () => {
    it('a serial bundle relabelled as the alerts scope', () => {
      const report = verify(edit(exports.serial.text, (b) => (b.scope = { kind: 'alerts' })));
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([expect.stringMatching(/^statement\.event\.body\.scope: .*"serial"/)]);
    });

    it('a narrow window widened to 2000–2099', () => {
      const report = verify(
        edit(exports.window.text, (b) => {
          b.scope = { kind: 'party', gln: p.gln, from: '2000-01-01T00:00:00.000Z', to: '2099-01-01T00:00:00.000Z' };
        }),
      );
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([expect.stringMatching(/^statement\.event\.body\.scope: /)]);
    });

    it("a pharmacy's own export relabelled as a regulator's", () => {
      expect(verify(exports.pharmacy.text).ok).toBe(true);
      const report = verify(edit(exports.pharmacy.text, (b) => (b.generatedBy = r.gln)));
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([
        expect.stringMatching(new RegExp(`^statement\\.event\\.body\\.requester: .*"${p.gln}".*"${r.gln}"`)),
      ]);
    });

    it('generatedAt changed', () => {
      const report = verify(edit(exports.lot.text, (b) => (b.generatedAt = '2026-01-01T00:00:00.000Z')));
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([expect.stringMatching(/^statement\.event\.body\.generatedAt: /)]);
    });

    it('an index removed: the dispense and its place in the unit’s history', () => {
      const report = verify(
        edit(exports.lot.text, (b) => {
          const dispense = (b.events as BundledEvent[]).find((e) => e.event.type === 'dispense')!;
          b.events = b.events.filter((e) => e.index !== dispense.index);
          for (const item of b.items) item.history = item.history.filter((index) => index !== dispense.index);
        }),
      );
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([
        expect.stringMatching(/^statement\.event\.body\.events: the operator signed \{"count":\d+/),
        expect.stringMatching(/^statement\.event\.body\.items: /),
      ]);
    });

    it('an index added: an event from another bundle', () => {
      const serial = JSON.parse(exports.serial.text) as Bundle;
      const report = verify(
        edit(exports.window.text, (b) => {
          const extra = serial.events.find((e) => !b.events.some((mine) => mine.index === e.index))!;
          b.events = [...b.events, extra].sort((x, y) => x.index - y.index);
        }),
      );
      expect(report.ok).toBe(false);
      expect(statementFailures(report)).toEqual([expect.stringMatching(/^statement\.event\.body\.events: /)]);
    });

    it('the statement removed, or one of another export put in its place', () => {
      const without = verify(edit(exports.lot.text, (b) => delete (b as Partial<Bundle>).statement));
      expect(statementFailures(without)).toEqual([expect.stringMatching(/carries no export statement/)]);
      const swapped = verify(
        edit(exports.window.text, (b) => (b.statement = (JSON.parse(exports.pharmacy.text) as Bundle).statement)),
      );
      expect(statementFailures(swapped)).toContainEqual(expect.stringMatching(/^statement\.event\.body\.requester: /));
    });

    it('a statement not signed by the operator', () => {
      const report = verify(
        edit(exports.lot.text, (b) => {
          const signature = Buffer.from(b.statement.signature, 'base64');
          signature[0] ^= 1;
          b.statement.signature = signature.toString('base64');
        }),
      );
      expect(statementFailures(report)).toEqual([expect.stringMatching(/^statement\.signature: does not verify/)]);
    });
  });

  describe('the statement is in the log', () => {
    it('as an operator-signed entry the regulator and the operator read, and the requester cannot', async () => {
      const { statement } = JSON.parse(exports.pharmacy.text) as Bundle;
      for (const token of [r.auth[1], `Bearer ${t.operatorToken}`]) {
        const entry = await t.http.get(`/v1/log/entries/${statement.index}`).set('Authorization', token);
        expect(entry.status).toBe(200);
        expect(entry.body).toMatchObject({
          index: statement.index,
          acceptedAt: statement.acceptedAt,
          event: statement.event,
          signature: statement.signature,
        });
      }
      expect((await t.http.get(`/v1/log/entries/${statement.index}`).set(...p.auth)).status).toBe(403);
    });

    it('is never part of a party’s window (not even the operator’s)', async () => {
      const operatorGln = (JSON.parse(exports.lot.text) as Bundle).statement.event.actor;
      const { text } = await exportAs(r, 'party', { gln: operatorGln, ...narrow });
      const bundle = JSON.parse(text) as Bundle;
      expect(bundle.events.filter((e) => 'event' in e && e.event.type === 'export.statement')).toEqual([]);
      expect(verify(text).failures).toEqual([]);
    });

    it('verify-bundle --statement-proof proves it in a later checkpoint that extends the bundle’s', async () => {
      const server = t.app.getHttpServer();
      if (!server.listening) await t.app.listen(0, '127.0.0.1');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const published = await t.http.post('/v1/log/checkpoint').set(...r.auth);
      expect(published.status).toBe(200);
      const file = path.join(dir, 'lot.bundle.json');
      fs.writeFileSync(file, exports.lot.text);
      const lines: string[] = [];
      const output = { out: (line: string) => lines.push(line), err: () => undefined };
      const report = await verifyBundleCommand({ file, logKey: vkey, statementProof: true, url }, output);
      expect(report.failures).toEqual([]);
      expect(lines).toContainEqual(expect.stringMatching(/^statement: +export \S+, .* proven in checkpoint \d+/));

      // A statement the log does not hold at its index (a forged acceptance time changes its leaf) is not proven.
      const forged = path.join(dir, 'forged.bundle.json');
      fs.writeFileSync(
        forged,
        edit(
          exports.lot.text,
          (b) => (b.statement.acceptedAt = new Date(Date.parse(b.statement.acceptedAt) + 1).toISOString()),
        ),
      );
      const refused = await verifyBundleCommand({ file: forged, logKey: vkey, statementProof: true, url }, output);
      expect(refused.ok).toBe(false);
      expect(statementFailures(refused)).toEqual([
        expect.stringMatching(/^--statement-proof: the log does not hold this statement/),
      ]);
    });

    it('audit passes and rebuild replays it', async () => {
      const audit = await runAudit(t.app.get(Database), { logVerifierKey: vkey });
      expect(audit.ok).toBe(true);
      const rebuilt = await t.app.get(RebuildService).rebuild();
      expect(rebuilt.entries).toBeGreaterThan((JSON.parse(exports.pharmacy.text) as Bundle).statement.index);
    });

    it('an export.statement that no export could make is refused at intake', async () => {
      const { statement } = JSON.parse(exports.lot.text) as Bundle;
      // The operator's statement names a checkpoint beyond its own index: the rule refuses it (a client of the
      // operator API cannot sign as the operator, so this goes through the operator's own signer).
      const operator = t.app.get(OperatorService);
      const body = { ...statement.event.body, exportId: '00000000-0000-4000-8000-000000000001' };
      const { result } = await operator.signAndSubmit('export.statement', 'export-bad-1', {
        ...body,
        checkpoint: { ...body.checkpoint, size: 1_000_000 },
      });
      expect(result).toMatchObject({ accepted: false, status: 422, error: { code: 'EXPORT_STATEMENT_INVALID' } });
      const { result: scope } = await operator.signAndSubmit('export.statement', 'export-bad-2', {
        ...body,
        scope: { kind: 'everything' },
      });
      expect(scope).toMatchObject({ accepted: false, error: { code: 'EXPORT_STATEMENT_INVALID' } });
    });
  });
});
