import { randomUUID } from 'node:crypto';
import { checkEvidence } from '../../src/protocol/evidence';
import { formatYymmdd } from '../../src/gs1/expiry';
import { makeGtin14 } from '../../src/gs1/identifiers';
import { formatSgtinUrn } from '../../src/gs1/epc';
import {
  accept,
  newTradingPartners,
  post,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

const GS = '\u001d';

describe('verification', () => {
  let t: TestApp;
  let m: TestManufacturer;
  let d: TestParty;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;
  let vkey: string;
  const soon = formatYymmdd(new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10));

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', {
      gtin,
      lot: 'LOT-A',
      expiry: '291231',
      serials: ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9'],
    });
    await accept(t, m, 'commission', { gtin, lot: 'OLD', expiry: '240100', serials: ['O1'] });
    await accept(t, m, 'commission', { gtin, lot: 'SOON', expiry: soon, serials: ['N1'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    await accept(t, m, 'commission', { gtin, lot: 'MFR', expiry: '291231', serials: ['M1'] });
    // O1 stays with the manufacturer: expired product cannot be shipped for sale.
    const toPharmacy = units(gtin, ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'N1', 'R1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items: toPharmacy, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items: toPharmacy }, true);
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'test' });
    await accept(t, p, 'quarantine', { items: units(gtin, ['A3']), reason: 'torn seal' });
    await accept(t, r, 'illegitimate', {
      items: units(gtin, ['A4']),
      report: { reportType: 'initial', classification: 'counterfeit', description: 'fake', contact: { name: 'FDA' } },
    });
    await accept(t, p, 'dispense', { items: units(gtin, ['A5']) });
    await accept(t, p, 'decommission', { items: units(gtin, ['A6']), reason: 'damaged' });
    await accept(t, p, 'destroy', { items: units(gtin, ['A7']), reason: 'damaged' }, true);
  });
  afterAll(() => t.close());

  const scan = (serial: string, lot: string, exp: string) => `]d201${gtin}21${serial}${GS}17${exp}10${lot}`;
  const rich = (party: TestParty, code: string) =>
    t.http
      .get('/v1/verify')
      .query({ code })
      .set(...party.auth);
  const lightweight = (
    party: TestParty,
    serial: string,
    lot: string,
    exp: string,
    extra: Record<string, string> = {},
  ) =>
    t.http
      .get(`/v1/verify/gtin/${gtin}/lot/${encodeURIComponent(lot)}/ser/${encodeURIComponent(serial)}`)
      .query({ exp, reqGLN: party.gln, linkType: 'verificationService', context: 'dscsaSaleableReturn', ...extra })
      .set(...party.auth);

  const cases: {
    name: string;
    who: () => TestParty;
    serial: string;
    lot: string;
    exp: string;
    verdict: string;
    reasons: string[];
    lms: Record<string, unknown>;
    otherGtin?: boolean;
  }[] = [
    {
      name: 'genuine, in date, held by the pharmacy',
      who: () => p,
      serial: 'A1',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'genuine',
      reasons: [],
      lms: { verified: true },
    },
    {
      name: 'unknown serial',
      who: () => p,
      serial: 'ZZZ',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['UNKNOWN_SERIAL'],
      lms: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial' },
    },
    {
      name: 'lot mismatch',
      who: () => p,
      serial: 'A1',
      lot: 'LOT-X',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['LOT_MISMATCH'],
      lms: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot' },
    },
    {
      name: 'expiry mismatch',
      who: () => p,
      serial: 'A1',
      lot: 'LOT-A',
      exp: '281231',
      verdict: 'not_genuine',
      reasons: ['EXPIRY_MISMATCH'],
      lms: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Expiry' },
    },
    {
      name: 'lot and expiry mismatch',
      who: () => p,
      serial: 'A1',
      lot: 'LOT-X',
      exp: '281231',
      verdict: 'not_genuine',
      reasons: ['LOT_MISMATCH', 'EXPIRY_MISMATCH'],
      lms: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot_Expiry' },
    },
    {
      name: 'expired (DD=00 is the end of the month)',
      who: () => m,
      serial: 'O1',
      lot: 'OLD',
      exp: '240100',
      verdict: 'not_genuine',
      reasons: ['EXPIRED'],
      lms: { verified: true, additionalInfo: 'Expired' },
    },
    {
      name: 'expiring soon',
      who: () => p,
      serial: 'N1',
      lot: 'SOON',
      exp: soon,
      verdict: 'caution',
      reasons: ['EXPIRING_SOON'],
      lms: { verified: true },
    },
    {
      name: 'recalled',
      who: () => p,
      serial: 'R1',
      lot: 'LOT-R',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['RECALLED'],
      lms: { verified: true, additionalInfo: 'Recalled' },
    },
    {
      name: 'quarantined',
      who: () => p,
      serial: 'A3',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['QUARANTINED'],
      lms: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
    },
    {
      name: 'illegitimate',
      who: () => p,
      serial: 'A4',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['ILLEGITIMATE'],
      lms: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Illegitimate' },
    },
    {
      name: 'already dispensed (a clone)',
      who: () => p,
      serial: 'A5',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['ALREADY_DISPENSED'],
      lms: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
    },
    {
      name: 'decommissioned',
      who: () => p,
      serial: 'A6',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['DECOMMISSIONED'],
      lms: { verified: false, verificationFailureReason: 'Manufacturer_policy' },
    },
    {
      name: 'destroyed',
      who: () => p,
      serial: 'A7',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'not_genuine',
      reasons: ['DESTROYED'],
      lms: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
    },
    {
      name: 'custody mismatch (a diversion signal)',
      who: () => d,
      serial: 'A1',
      lot: 'LOT-A',
      exp: '291231',
      verdict: 'caution',
      reasons: ['CUSTODY_MISMATCH'],
      lms: { verified: true },
    },
  ];

  describe.each(cases)('$name', (c) => {
    it('rich endpoint', async () => {
      const response = await rich(c.who(), scan(c.serial, c.lot, c.exp));
      expect(response.status).toBe(200);
      expect(response.body.verdict).toBe(c.verdict);
      expect(response.body.reasons.map((x: { code: string }) => x.code).sort()).toEqual([...c.reasons].sort());
      for (const reason of response.body.reasons) expect(reason.message).toEqual(expect.any(String));
    });
    it('Lightweight Messaging endpoint', async () => {
      const corrUUID = '3f1c9b7e-2a47-4c55-9a3e-0d6f7b8c9e10';
      const response = await lightweight(c.who(), c.serial, c.lot, c.exp, { corrUUID });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        verificationTimestamp: expect.any(String),
        responderGLN: m.gln,
        corrUUID,
        data: c.lms,
      });
    });
  });

  it('unknown GTIN, through both endpoints', async () => {
    const stranger = makeGtin14('0', '0999999', '00001');
    const richAnswer = await rich(p, `(01)${stranger}(21)X1(17)291231(10)L1`);
    expect(richAnswer.body).toMatchObject({ verdict: 'not_genuine', product: null, item: null, evidence: null });
    expect(richAnswer.body.reasons.map((x: { code: string }) => x.code)).toEqual(['UNKNOWN_GTIN']);
    const lms = await t.http
      .get(`/v1/verify/gtin/${stranger}/lot/L1/ser/X1`)
      .query({ exp: '291231', reqGLN: p.gln })
      .set(...p.auth);
    expect(lms.body.data).toEqual({ verified: false, verificationFailureReason: 'No_match_GTIN_Serial' });
    expect(lms.body.corrUUID).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('whatever the scanner typed', () => {
    const forms = () => ({
      'element string with ]d2 and GS (0x1D)': `]d201${gtin}21A1${GS}17291231${GS}10LOT-A`,
      'GS typed as <GS>': `]d201${gtin}21A1<GS>17291231<GS>10LOT-A`,
      'GS typed as \\x1d': `01${gtin}21A1\\x1d17291231\\x1d10LOT-A`,
      'GS lost entirely': `]d201${gtin}21A11729123110LOT-A`,
      'with a trailing Enter': `]d201${gtin}21A1${GS}17291231${GS}10LOT-A\r\n`,
      'human-readable with parentheses': `(01)${gtin}(21)A1(17)291231(10)LOT-A`,
      'GS1 Digital Link on any host': `https://pharma.example.com/dl/01/${gtin}/10/LOT-A/21/A1?17=291231`,
      'EPC URN': formatSgtinUrn(gtin, 'A1', m.prefix.length),
    });
    it.each([
      'element string with ]d2 and GS (0x1D)',
      'GS typed as <GS>',
      'GS typed as \\x1d',
      'GS lost entirely',
      'with a trailing Enter',
      'human-readable with parentheses',
      'GS1 Digital Link on any host',
      'EPC URN',
    ])('%s → the genuine package', async (form) => {
      const response = await rich(p, forms()[form as keyof ReturnType<typeof forms>]);
      expect(response.status).toBe(200);
      expect(response.body.verdict).toBe('genuine');
      expect(response.body.asked).toMatchObject({ gtin, serial: 'A1' });
      expect(response.body.product).toMatchObject({ name: 'Amoxicillin', gtin });
      expect(response.body.item).toMatchObject({
        lot: 'LOT-A',
        expiry: '2029-12-31',
        status: 'active',
        custodyTransfers: 1,
      });
      expect(response.body.item.custodian).toEqual({ gln: p.gln, name: 'Corner Pharmacy' });
    });
    it('a broken scan is refused naming the field and the rule', async () => {
      const wrongCheckDigit = (Number(gtin[13]) + 1) % 10;
      const response = await rich(p, `]d201${gtin.slice(0, 13)}${wrongCheckDigit}21A1`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details[0]).toMatchObject({ field: 'gtin', rule: 'check-digit' });
    });
  });

  describe('evidence', () => {
    it('is checked on the client against the log key, and any tampering is caught', async () => {
      const response = await rich(p, scan('A1', 'LOT-A', '291231'));
      const evidence = response.body.evidence;
      expect(checkEvidence(evidence, vkey)).toMatchObject({ ok: true, treeSize: evidence.inclusionProof.treeSize });
      const flip = (b64: string) => {
        const bytes = Buffer.from(b64, 'base64');
        bytes[5] ^= 1;
        return bytes.toString('base64');
      };
      expect(checkEvidence({ ...evidence, leafData: flip(evidence.leafData) }, vkey).ok).toBe(false);
      expect(checkEvidence({ ...evidence, index: evidence.index + 1 }, vkey).ok).toBe(false);
      expect(
        checkEvidence(
          {
            ...evidence,
            inclusionProof: {
              ...evidence.inclusionProof,
              hashes: [flip(evidence.inclusionProof.hashes[0]), ...evidence.inclusionProof.hashes.slice(1)],
            },
          },
          vkey,
        ).ok,
      ).toBe(false);
      expect(
        checkEvidence({ ...evidence, checkpoint: evidence.checkpoint.replace(/\n\d+\n/, '\n99999\n') }, vkey).ok,
      ).toBe(false);
    });
  });

  describe('who may ask', () => {
    it('401 without a token or with an unknown one, 403 for a reqGLN that is not the caller or for the operator', async () => {
      expect((await t.http.get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`).query({ exp: '291231' })).status).toBe(401);
      expect(
        (
          await t.http
            .get('/v1/verify')
            .query({ code: scan('A1', 'LOT-A', '291231') })
            .set('Authorization', 'Bearer nope')
        ).status,
      ).toBe(401);
      const wrong = await lightweight(p, 'A1', 'LOT-A', '291231', { reqGLN: d.gln });
      expect(wrong.status).toBe(403);
      const operator = await t.http
        .get('/v1/verify')
        .query({ code: scan('A1', 'LOT-A', '291231') })
        .set('Authorization', `Bearer ${t.operatorToken}`);
      expect(operator.status).toBe(403);
      const connectivity = await t.http
        .get('/v1/verify/checkConnectivity')
        .query({ reqGLN: p.gln, corrUUID: '3f1c9b7e-2a47-4c55-9a3e-0d6f7b8c9e10' })
        .set(...p.auth);
      expect(connectivity.body).toMatchObject({
        corrUUID: '3f1c9b7e-2a47-4c55-9a3e-0d6f7b8c9e10',
        responderGLN: t.config.OPERATOR_GLN,
      });
    });
    it('names a custodian other than the requester only to regulators', async () => {
      const other = await rich(d, scan('A1', 'LOT-A', '291231'));
      expect(other.body.item.custodian).toBeNull();
      const regulator = await rich(r, scan('A1', 'LOT-A', '291231'));
      expect(regulator.body.item.custodian).toEqual({ gln: p.gln, name: 'Corner Pharmacy' });
      expect(regulator.body.reasons).toEqual([]);
    });
  });

  describe('records and alerts', () => {
    it('records every verification, and suspicious ones are alerts for the manufacturer and regulators only', async () => {
      await rich(d, scan('ZZZ9', 'LOT-A', '291231'));
      const mine = await t.http.get('/v1/verify/alerts').set(...m.auth);
      expect(mine.status).toBe(200);
      expect(mine.body.some((v: { reasons: string[] }) => v.reasons.includes('UNKNOWN_SERIAL'))).toBe(true);
      const all = await t.http.get('/v1/verify/alerts').set(...r.auth);
      expect(all.body.length).toBeGreaterThanOrEqual(mine.body.length);
      const otherMaker = await newParty(t, 'manufacturer', 'Other Pharma');
      expect((await t.http.get('/v1/verify/alerts').set(...otherMaker.auth)).body).toEqual([]);
      expect((await t.http.get('/v1/verify/alerts').set(...p.auth)).status).toBe(403);
    });
  });

  describe('saleable returns', () => {
    it('a returned unit is saleable again only after its new custodian verified it cleanly and completely (§8.3)', async () => {
      const [a2] = units(gtin, ['A2']);
      await accept(t, p, 'ship', { shipmentId: 'RET-9', recipient: m.gln, reason: 'return', items: [a2], transaction });
      await accept(t, m, 'receive', { shipper: p.gln, shipmentId: 'RET-9', items: [a2] });
      const blocked = await post(t, m, 'ship', { shipmentId: 'RESALE-1', recipient: d.gln, items: [a2], transaction });
      expect(blocked.body.error.code).toBe('RETURN_NOT_VERIFIED');
      // Someone else's clean-looking scan does not count; the custodian's does.
      const byOther = await rich(d, scan('A2', 'LOT-A', '291231'));
      expect(byOther.body.verdict).toBe('caution');
      expect(
        (await post(t, m, 'ship', { shipmentId: 'RESALE-2', recipient: d.gln, items: [a2], transaction })).body.error
          .code,
      ).toBe('RETURN_NOT_VERIFIED');
      const byCustodian = await lightweight(m, 'A2', 'LOT-A', '291231', { corrUUID: randomUUID() });
      expect(byCustodian.body.data).toEqual({ verified: true });
      await accept(t, m, 'ship', { shipmentId: 'RESALE-3', recipient: d.gln, items: [a2], transaction });
    });
  });
});
