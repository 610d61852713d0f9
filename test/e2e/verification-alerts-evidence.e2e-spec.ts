/**
 * Issue 13 §3 and §2, on the server: a scanned fragment raises no alert, an unknown-serial alert names the unit and
 * the identifiers as scanned, and a red answer's evidence is the entry that proves its reason (PROTOCOL.md §8.2,
 * §8.4).
 */
import { checkEvidence } from '../../src/protocol/evidence';
import {
  accept,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

const GS = '\u001d';

describe('verification: alerts from whole scans only, stored parsed; evidence that proves the reason', () => {
  let t: TestApp;
  let m: TestManufacturer;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let vkey: string;
  let dispenseIndex: number;
  let recallIndex: number;
  let quarantineIndex: number;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, pharmacy: p, regulator: r } = await newTradingPartners(t));
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1', 'A2'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    const items = units(gtin, ['A1', 'A2', 'R1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items });
    recallIndex = (
      await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'contamination', classification: 'II' })
    ).index;
    // After the recall: R1's latest event is its receipt, older than the recall.
    dispenseIndex = (await accept(t, p, 'dispense', { items: units(gtin, ['A1']) })).index;
    // A later event about the dispensed unit's lot-mate, so the log grows past the dispense.
    quarantineIndex = (await accept(t, p, 'quarantine', { items: units(gtin, ['A2']), reason: 'torn seal' })).index;
    // A later unit (C1): a clean answer's evidence, and the log grows past the quarantine.
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['C1'] }, true);
  });
  afterAll(() => t.close());

  const verify = (query: Record<string, string>) =>
    t.http
      .get('/v1/verify')
      .query(query)
      .set(...p.auth);
  const alerts = async () =>
    (
      await t.http
        .get('/v1/verify/alerts')
        .query({ limit: 1000 })
        .set(...r.auth)
    ).body as {
      id: string;
      code: string | null;
      gtin: string;
      reasons: string[];
      answer: { asked?: Record<string, string> };
    }[];

  it('a scanned fragment (GTIN and the start of a serial, no lot or expiry) is answered but raises no alert', async () => {
    const before = (await alerts()).length;
    // What a page submits when a scanner pauses inside the serial: the front of `01…21SERIAL<GS>17…10…`.
    const answer = await verify({ code: `]d201${gtin}21A` });
    expect(answer.status).toBe(200);
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['UNKNOWN_SERIAL']);
    expect((await alerts()).length).toBe(before);
  });

  it('a whole scan of an unknown serial raises an alert naming the unit and the identifiers as scanned', async () => {
    const answer = await verify({ code: `]d201${gtin}21FAKE9${GS}17291231${GS}10LOT-X` });
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['UNKNOWN_SERIAL']);
    const alert = (await alerts()).find((a) => a.id === answer.body.verificationId);
    expect(alert).toMatchObject({
      code: `(01)${gtin}(21)FAKE9`,
      gtin,
      reasons: ['UNKNOWN_SERIAL'],
      answer: { asked: { gtin, serial: 'FAKE9', lot: 'LOT-X', expiryCode: '291231', expiry: '2029-12-31' } },
    });
  });

  it('separate fields are no scan: an unknown serial asked that way still raises an alert', async () => {
    const answer = await verify({ gtin, serial: 'FAKE10' });
    expect((await alerts()).some((a) => a.id === answer.body.verificationId)).toBe(true);
  });

  it('ALREADY_DISPENSED: the evidence is the dispense entry, checked against the checkpoint', async () => {
    const answer = await verify({ code: `]d201${gtin}21A1${GS}17291231${GS}10LOT-A` });
    expect(answer.body.verdict).toBe('not_genuine');
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toContain('ALREADY_DISPENSED');
    expect(answer.body.evidence.index).toBe(dispenseIndex);
    // §8.4: a dispense's details name no party, only when it was logged.
    expect(answer.body.evidenceFor).toEqual({
      reason: 'ALREADY_DISPENSED',
      eventType: 'dispense',
      details: { acceptedAt: expect.any(String) },
    });
    expect(checkEvidence(answer.body.evidence, vkey).ok).toBe(true);
  });

  it("RECALLED: the evidence is the lot's recall entry, not the unit's last custody entry", async () => {
    const answer = await verify({ code: `]d201${gtin}21R1${GS}17291231${GS}10LOT-R` });
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['RECALLED']);
    expect(answer.body.evidence.index).toBe(recallIndex);
    // §8.4: the recall's details are its signer, reason and classification (§7.2's recall body).
    expect(answer.body.evidenceFor).toEqual({
      reason: 'RECALLED',
      eventType: 'recall',
      details: {
        acceptedAt: expect.any(String),
        by: { gln: m.gln, name: expect.any(String) },
        reason: 'contamination',
        classification: 'II',
      },
    });
    expect(checkEvidence(answer.body.evidence, vkey).ok).toBe(true);
  });

  it('QUARANTINED: the evidence is the quarantine entry, naming who placed the hold and why', async () => {
    const answer = await verify({ code: `]d201${gtin}21A2${GS}17291231${GS}10LOT-A` });
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['QUARANTINED']);
    expect(answer.body.evidence.index).toBe(quarantineIndex);
    expect(answer.body.evidenceFor).toEqual({
      reason: 'QUARANTINED',
      eventType: 'quarantine',
      details: { acceptedAt: expect.any(String), by: { gln: p.gln, name: expect.any(String) }, reason: 'torn seal' },
    });
    expect(checkEvidence(answer.body.evidence, vkey).ok).toBe(true);
    // The entry at that index in the log is that quarantine (§4.4): the evidence is about this hold.
    const entry = await t.http.get(`/v1/log/entries/${quarantineIndex}`).set(...p.auth);
    expect(entry.body.event).toMatchObject({ type: 'quarantine', actor: p.gln, body: { reason: 'torn seal' } });
  });

  it("without a red reason to prove (C1, held by its manufacturer: only amber), the evidence is the unit's latest event", async () => {
    const answer = await verify({ code: `]d201${gtin}21C1${GS}17291231${GS}10LOT-A` });
    expect(answer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['CUSTODY_MISMATCH']);
    expect(answer.body.evidenceFor).toEqual({ reason: null, eventType: 'commission' });
  });
});
