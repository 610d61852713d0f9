import { verifyBundleText } from '../../src/bundle';
import { BundledEvent, BundleEntry, EvidenceBundle } from '../../src/protocol/bundle';
import { parseEventTime } from '../../src/protocol/event';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { accept, newTradingPartners, registerProduct, serials, transaction, units } from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

type Bundle = EvidenceBundle<BundleEntry> & Record<string, unknown>;

/**
 * Tampering with REAL exports (issue 10 §2, §3, §5): a server on embedded PostgreSQL, real parties and events, a
 * regulator's bundles exported through the HTTP API, each mutated the way an independent verifier written from
 * docs/PROTOCOL.md §9 found undetected, and checked with `verifyBundleText` (what `rxledger verify-bundle` runs).
 * Each case names the finding it must produce, so it cannot pass for another reason (the export statement, which
 * binds the lists too, fails alongside for most of them).
 */
describe('verify-bundle over real exports: tampering is caught', () => {
  let t: TestApp;
  let m: TestParty;
  let d: TestParty;
  let p: TestParty;
  let r: TestParty;
  let bystander: TestParty;
  let gtin: string;
  let vkey: string;
  const lot = 'LOT-T';
  const list = serials(3, 'TMP');
  let lotText: string;
  let windowText: string;

  const exportText = async (path: string, query: Record<string, string>) => {
    const response = await t.http
      .get(path)
      .query(query)
      .set(...r.auth)
      .buffer(true);
    expect(response.status).toBe(200);
    return response.text;
  };
  const verify = (text: string) => verifyBundleText(text, vkey, { verifySignature: verifyStrictNode });
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
  const failures = (text: string) => verify(text).failures.map((f) => `${f.check}: ${f.message}`);
  const bodyGln = (e: BundledEvent) => (e.event.body as { gln?: string }).gln;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    bystander = await newParty(t, 'dispenser', 'A party no event names');
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m as Parameters<typeof registerProduct>[1]);
    const items = units(gtin, list);
    await accept(t, m, 'commission', { gtin, lot, expiry: '291231', serials: list });
    await accept(t, m, 'ship', { shipmentId: 'S-1', recipient: d.gln, items, transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'S-1', items });
    await accept(t, d, 'ship', { shipmentId: 'S-2', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'S-2', items });
    await accept(t, p, 'dispense', { items: items.slice(0, 1) }, true);
    // The distributor's key is revoked once it has signed: its revocation is part of the key history.
    const revoked = await t.http
      .post(`/v1/parties/${d.gln}/keys/${d.keyId}/revoke`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({});
    expect(revoked.status).toBe(200);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-LATER', expiry: '291231', serials: serials(1, 'LATER') }, true);
    lotText = await exportText('/v1/reports/lot', { gtin, lot });
    windowText = await exportText('/v1/reports/party', {
      gln: p.gln,
      from: '2000-01-01T00:00:00Z',
      to: '2099-01-01T00:00:00Z',
    });
  }, 120_000);
  afterAll(() => t.close());

  it('the untouched exports pass', () => {
    expect(verify(lotText)).toEqual(expect.objectContaining({ ok: true, failures: [] }));
    expect(verify(windowText)).toEqual(expect.objectContaining({ ok: true, failures: [] }));
  });

  describe('§2 the registry is whole and checked complete', () => {
    it('a bundle carries the whole registry, a party no event names included', () => {
      const registry = (JSON.parse(lotText) as Bundle).registry as BundledEvent[];
      expect(registry.map(bodyGln)).toContain(bystander.gln);
    });

    it("a signer's dropped key.revoke is caught", () => {
      const text = edit(lotText, (b) => {
        const before = b.registry.length;
        b.registry = (b.registry as BundledEvent[]).filter((e) => e.event.type !== 'key.revoke');
        expect(b.registry.length).toBe(before - 1);
      });
      expect(failures(text)).toContainEqual(expect.stringMatching(/^statement: .*registry/));
    });

    it('another dropped registry entry (the requester’s registration) is caught', () => {
      const text = edit(lotText, (b) => {
        b.registry = (b.registry as BundledEvent[]).filter(
          (e) => !(e.event.type === 'party.register' && bodyGln(e) === r.gln),
        );
      });
      expect(failures(text)).toContainEqual(expect.stringMatching(/^statement: .*registry/));
    });
  });

  describe('§3 in a window scope, histories and items equal what the events make', () => {
    const dispensed = () => units(gtin, list)[0];

    it("a dispense's index removed from the unit's history is caught", () => {
      const text = edit(windowText, (b) => {
        const dispense = (b.events as BundledEvent[]).find((e) => e.event.type === 'dispense')!;
        const item = b.items.find((i) => i.code === dispensed())!;
        item.history = item.history.filter((index) => index !== dispense.index);
      });
      expect(failures(text)).toContainEqual(
        expect.stringMatching(/^custody: .*dispense event acts on the items, but their histories do not list it/),
      );
    });

    it("another unit's dispense added to a unit's history is caught", () => {
      const text = edit(windowText, (b) => {
        const dispense = (b.events as BundledEvent[]).find((e) => e.event.type === 'dispense')!;
        const other = b.items.find((i) => i.code === units(gtin, list)[1])!;
        other.history = [...other.history, dispense.index].sort((x, y) => x - y);
      });
      expect(failures(text)).toContainEqual(
        expect.stringMatching(/^custody: .*histories list this dispense event, but it does not act on them/),
      );
    });

    it('a unit the events name, dropped from items, is caught', () => {
      const text = edit(windowText, (b) => {
        b.items = b.items.filter((i) => i.code !== dispensed());
      });
      expect(failures(text)).toContainEqual(expect.stringMatching(/^custody: .*`items` does not list them/));
    });
  });

  describe('§5 format decisions, enforced', () => {
    it('duplicate member names (first "lot" fake, last genuine) are refused', () => {
      // In the commissioning event's body (RFC 8785 text: its members in code-point order, "lot" after "gtin").
      const genuine = `"lot":"${lot}"`;
      const at = lotText.indexOf(genuine, lotText.indexOf('"type":"commission"') - 2000);
      expect(at).toBeGreaterThan(lotText.indexOf('"events":['));
      const text = `${lotText.slice(0, at)}"lot":"FAKE-LOT",${lotText.slice(at)}`;
      expect(failures(text)).toContainEqual(
        expect.stringMatching(/^structure: (registry|events)\[\d+\]\.event\.body\.lot: the member name appears twice/),
      );
    });

    it('a scope GLN with a fullwidth digit is refused, by the verifier and by the server', async () => {
      const text = edit(windowText, (b) => {
        const scope = b.scope as { gln: string };
        scope.gln = scope.gln.slice(0, -1) + String.fromCharCode(0xff10 + Number(scope.gln.slice(-1)));
      });
      expect(failures(text)).toContainEqual(expect.stringMatching(/^structure: scope\.gln: expected a GLN/));
      const fullwidth = p.gln.slice(0, -1) + String.fromCharCode(0xff10 + Number(p.gln.slice(-1)));
      const response = await t.http
        .get('/v1/reports/party')
        .query({ gln: fullwidth, from: '2000-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z' })
        .set(...r.auth);
      expect(response.status).toBe(400);
    });

    it('the window end is excluded: an event at exactly `to` is outside the window', async () => {
      const bundle = JSON.parse(windowText) as Bundle;
      const last = Math.max(...(bundle.events as BundledEvent[]).map((e) => parseEventTime(e.event.time)));
      const to = new Date(last).toISOString();
      const text = edit(windowText, (b) => ((b.scope as { to: string }).to = to));
      expect(failures(text)).toContainEqual(expect.stringMatching(/^custody: .*outside the scope's window/));
      // The server agrees: a window ending at that time leaves that event out.
      const served = JSON.parse(
        await exportText('/v1/reports/party', { gln: p.gln, from: '2000-01-01T00:00:00Z', to }),
      ) as Bundle;
      expect((served.events as BundledEvent[]).some((e) => parseEventTime(e.event.time) >= last)).toBe(false);
    });

    it('members a later version may add are ignored, and the report says so (PROTOCOL §11)', () => {
      const text = edit(windowText, (b) => {
        b.futureMember = { anything: [1, 2] };
        (b.items[0] as Record<string, unknown>).note = 'a later version';
        (b.registry[0] as unknown as Record<string, unknown>).witnessed = true;
      });
      const report = verify(text);
      expect(report.failures).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.limits).toContainEqual(expect.stringMatching(/^3 members the format does not define were ignored/));
    });
  });
});
