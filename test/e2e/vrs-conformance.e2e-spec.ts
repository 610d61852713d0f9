/**
 * Conformance of the verification endpoint with the GS1 US Implementation Guideline 1.3 for the Lightweight
 * Messaging Standard for DSCSA verification of product identifiers ("IG"), written from the IG's tables, not from
 * our code. The IG itself is a GS1 US download; its tables are read here as reproduced by:
 *
 * [MOV-RESP]  Movilitas support, "VRS responses for the pack: verification failure reason and additional info"
 *             (support.movilitas.cloud/support/solutions/articles/16000153319): "taken from the document
 *             Implementation Guideline … Release 1.3": tables "Verification Failure Reason" and "Additional
 *             Information (Optional)".
 * [MOV-HTTP]  Movilitas support, "Verification error handling" (…/articles/16000153351), same source: table "HTTP
 *             Status Code Responses" (200, 400, 401, 403, 404, 405, 408, 500, 502, 503, 504).
 * [LSP-200]   LSPedia OneScan support, "Return Code 200 Use Case Scenarios" (support.lspedia.com/…/73000630475):
 *             scenarios 1-5 (matching identifier: verified true, additional info Recalled or Suspect; not
 *             matching: verified false with a reason).
 * [QU4RTET]   QU4RTET VRS (SerialLab, gitlab.com/serial-lab/quartet_vrs): views.py / verification.py (the
 *             request's path and query, checkConnectivity?gtin=&reqGLN=[&context=], reqGLN unknown → 401, not
 *             permitted → 403, only linkType=verificationService).
 * [REQ]       Public requester code sending IG 1.3 requests to VRS providers (a PHP client in the public code
 *             index, and a k6 script for Movilitas' API): query exp, linkType, context, reqGLN, corrUUID,
 *             ctrlPossessAtt, email, telephone; header `GS1US-Version: 1.3.0` ("VRS 1.3 this header is
 *             mandatory").
 *
 * Where these sources disagree, the comment at the test says so and which one docs/PROTOCOL.md §8.1 follows.
 * Of the statuses of [MOV-HTTP], 200, 400, 401, 403, 404 and 405 are a responder's answers to a request and are
 * tested here; 408, 502 and 504 are a router's (between requester and responder), 500 and 503 the server's as a
 * whole (the database-outage tests).
 */
import { randomUUID } from 'node:crypto';
import { makeGtin14 } from '../../src/gs1/identifiers';
import {
  accept,
  newTradingPartners,
  post,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { createTestApp, newGln, TestApp, TestParty } from '../support/test-app';

/** [MOV-RESP] "Verification Failure Reason", every code as the IG spells it. */
const IG_FAILURE_REASONS = [
  'Manufacturer_policy',
  'No_match_GTIN_Serial',
  'No_match_GTIN_Serial_Lot_Expiry',
  'No_match_GTIN_Serial_Lot',
  'No_match_GTIN_Serial_Expiry',
  'No_reason_provided',
  'Not_for_re-distribution',
];
/** [MOV-RESP] "Additional Information (Optional)", every code as the IG spells it. */
const IG_ADDITIONAL_INFO = ['Expired', 'ExpirationExtended', 'Recalled', 'Suspect', 'Illegitimate'];

describe('GS1 US Lightweight Messaging (IG 1.3) conformance of /v1/verify', () => {
  let t: TestApp;
  let m: TestManufacturer;
  let d: TestParty;
  let p: TestParty;
  let r: TestParty;
  let gtin: string;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    gtin = await registerProduct(t, m);
    const lotA = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'];
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: lotA });
    await accept(t, m, 'commission', { gtin, lot: 'OLD', expiry: '240100', serials: ['O1'] });
    await accept(t, m, 'commission', { gtin, lot: 'OLD-R', expiry: '240100', serials: ['O2'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    const toPharmacy = units(gtin, ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'R1']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: p.gln, items: toPharmacy, transaction });
    await accept(t, p, 'receive', { shipper: m.gln, shipmentId: 'S1', items: toPharmacy }, true);
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'test' });
    await accept(t, m, 'recall', { gtin, lots: ['OLD-R'], reason: 'test' });
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

  /** Everything a real IG 1.3 requester sends [REQ]. */
  const fullQuery = (party: TestParty, extra: Record<string, string> = {}) => ({
    exp: '291231',
    linkType: 'verificationService',
    context: 'dscsaSaleableReturn',
    reqGLN: party.gln,
    corrUUID: randomUUID(),
    ctrlPossessAtt: 'true',
    email: 'returns@example.com',
    telephone: '+1 609 555 0100',
    ...extra,
  });
  const verify = (party: TestParty, serial: string, lot: string, query: Record<string, string>, g = gtin) =>
    t.http
      .get(`/v1/verify/gtin/${g}/lot/${encodeURIComponent(lot)}/ser/${encodeURIComponent(serial)}`)
      .query(query)
      .set('GS1US-Version', '1.3.0')
      .set(...party.auth);
  const connectivity = (party: TestParty, query: Record<string, string>) =>
    t.http
      .get('/v1/verify/checkConnectivity')
      .query(query)
      .set('GS1US-Version', '1.3.0')
      .set(...party.auth);

  describe('the request: every parameter and header the IG defines is accepted, and checked for form', () => {
    it('a request carrying all of them is answered 200 with the IG payload [REQ], [MOV-HTTP] 200', async () => {
      const query = fullQuery(p);
      const response = await verify(p, 'A1', 'LOT-A', query);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body).toEqual({
        verificationTimestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
        responderGLN: m.gln,
        corrUUID: query.corrUUID,
        data: { verified: true },
      });
    });

    it('each context value the IG defines is accepted; the served OpenAPI lists them as an enum', async () => {
      const openapi = (await t.http.get('/docs/openapi.json')).body;
      const contextOf = (path: string) =>
        openapi.paths[path].get.parameters.find((x: { name: string }) => x.name === 'context').schema.enum;
      const contexts: string[] = contextOf('/v1/verify/gtin/{gtin}/lot/{lot}/ser/{serial}');
      expect(contexts).toContain('dscsaSaleableReturn');
      expect(contextOf('/v1/verify/checkConnectivity')).toEqual(contexts);
      for (const context of contexts) {
        expect((await verify(p, 'A1', 'LOT-A', fullQuery(p, { context }))).status).toBe(200);
      }
    });

    it('corrUUID is echoed; without one, the responder gives one [QU4RTET]', async () => {
      const { corrUUID: _, ...withoutId } = fullQuery(p);
      const response = await verify(p, 'A1', 'LOT-A', withoutId);
      expect(response.body.corrUUID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    const malformed: [string, (q: Record<string, string>) => Record<string, string>, string][] = [
      ['exp not YYMMDD', (q) => ({ ...q, exp: '2912' }), 'exp'],
      ['exp not a calendar date', (q) => ({ ...q, exp: '291331' }), 'exp'],
      ['corrUUID not a UUID', (q) => ({ ...q, corrUUID: 'abc' }), 'corrUUID'],
      ['reqGLN missing', ({ reqGLN: _, ...q }) => q, 'reqGLN'],
      ['reqGLN not a GLN', (q) => ({ ...q, reqGLN: '123' }), 'reqGLN'],
      ['linkType other than verificationService [QU4RTET]', (q) => ({ ...q, linkType: 'pip' }), 'linkType'],
      ['context not one of the IG values', (q) => ({ ...q, context: 'justLooking' }), 'context'],
      ['ctrlPossessAtt not a boolean', (q) => ({ ...q, ctrlPossessAtt: 'yes' }), 'ctrlPossessAtt'],
      ['email not an e-mail address', (q) => ({ ...q, email: 'returns' }), 'email'],
      ['telephone not a telephone number', (q) => ({ ...q, telephone: 'call me' }), 'telephone'],
      ['a parameter the IG does not define', (q) => ({ ...q, colour: 'blue' }), 'colour'],
    ];
    it.each(malformed)('%s: 400 naming the field [MOV-HTTP] 400', async (_, change, field) => {
      const response = await verify(p, 'A1', 'LOT-A', change(fullQuery(p)));
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details.map((x: { field: string }) => x.field)).toContain(field);
    });

    it('the gtin path segment is a GTIN-14: 13 digits, or 14 with a wrong check digit, are 400', async () => {
      const short = await verify(p, 'A1', 'LOT-A', fullQuery(p), gtin.slice(1));
      expect(short.status).toBe(400);
      expect(short.body.error.details[0]).toMatchObject({ field: 'gtin' });
      const wrong = `${gtin.slice(0, 13)}${(Number(gtin[13]) + 1) % 10}`;
      expect((await verify(p, 'A1', 'LOT-A', fullQuery(p), wrong)).status).toBe(400);
    });

    it('a lot or serial outside GS1 character set 82 or over 20 characters is 400', async () => {
      expect((await verify(p, 'A1', 'L'.repeat(21), fullQuery(p))).status).toBe(400);
      expect((await verify(p, 'A1 ~', 'LOT-A', fullQuery(p))).status).toBe(400);
    });

    it('GS1US-Version is accepted as a release number, refused (400) when it is not one', async () => {
      const bad = await t.http
        .get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`)
        .query(fullQuery(p))
        .set('GS1US-Version', 'latest')
        .set(...p.auth);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0]).toMatchObject({ field: 'GS1US-Version' });
      const none = await t.http
        .get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`)
        .query(fullQuery(p))
        .set(...p.auth);
      expect(none.status).toBe(200);
    });

    it('a method other than GET: 405 ("the request method is not supported") [MOV-HTTP] 405', async () => {
      const response = await t.http
        .post(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`)
        .query(fullQuery(p))
        .set(...p.auth);
      expect(response.status).toBe(405);
      expect(response.headers.allow).toMatch(/GET/);
    });
  });

  describe('who asks: reqGLN and the credential [MOV-HTTP] 401/403, [QU4RTET]', () => {
    it('no credential, or an unknown one: 401', async () => {
      const bare = await t.http.get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`).query(fullQuery(p));
      expect(bare.status).toBe(401);
      const unknown = await t.http
        .get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`)
        .query(fullQuery(p))
        .set('Authorization', 'Bearer nope');
      expect(unknown.status).toBe(401);
    });
    it('a reqGLN that no party holds: 401 REQ_GLN_UNKNOWN ("the Requestor GLN is not recognised")', async () => {
      const response = await verify(p, 'A1', 'LOT-A', fullQuery(p, { reqGLN: newGln() }));
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('REQ_GLN_UNKNOWN');
      const check = await connectivity(p, { reqGLN: newGln() });
      expect(check.status).toBe(401);
    });
    it('another party\'s reqGLN: 403 ("the Requestor lacks permission")', async () => {
      const response = await verify(p, 'A1', 'LOT-A', fullQuery(p, { reqGLN: d.gln }));
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('FORBIDDEN');
      expect((await connectivity(p, { reqGLN: d.gln })).status).toBe(403);
    });
    it('the operator is not a trading partner: 403', async () => {
      const response = await t.http
        .get(`/v1/verify/gtin/${gtin}/lot/LOT-A/ser/A1`)
        .query(fullQuery(p, { reqGLN: t.config.OPERATOR_GLN }))
        .set('Authorization', `Bearer ${t.operatorToken}`);
      expect(response.status).toBe(403);
    });
  });

  describe('checkConnectivity [QU4RTET] checkConnectivity?gtin=&reqGLN=[&context=]', () => {
    it('with gtin and context: 200 naming the responder for that GTIN (its manufacturer)', async () => {
      const corrUUID = randomUUID();
      const response = await connectivity(p, { gtin, reqGLN: p.gln, context: 'dscsaSaleableReturn', corrUUID });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ responderGLN: m.gln, corrUUID });
    });
    it('without gtin: 200 naming the network operator', async () => {
      const response = await connectivity(p, { reqGLN: p.gln });
      expect(response.status).toBe(200);
      expect(response.body.responderGLN).toBe(t.config.OPERATOR_GLN);
    });
    it('a GTIN no manufacturer registered: 404 PRODUCT_UNKNOWN ("GTIN may be missing in the Lookup Directory")', async () => {
      const response = await connectivity(p, { gtin: makeGtin14('0', '0999999', '00001'), reqGLN: p.gln });
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('PRODUCT_UNKNOWN');
    });
    it('a context outside the IG values, or a 13-digit gtin: 400', async () => {
      expect((await connectivity(p, { reqGLN: p.gln, context: 'justLooking' })).status).toBe(400);
      expect((await connectivity(p, { reqGLN: p.gln, gtin: gtin.slice(1) })).status).toBe(400);
      expect((await connectivity(p, {})).status).toBe(400);
    });
  });

  describe('the answer: every failure reason and additional information [MOV-RESP], [LSP-200]', () => {
    const cases: { name: string; who: () => TestParty; serial: string; lot: string; exp: string; data: object }[] = [
      // [LSP-200] scenario 1: matches, nothing to add.
      { name: 'matches', who: () => p, serial: 'A1', lot: 'LOT-A', exp: '291231', data: { verified: true } },
      // [MOV-RESP] No_match_GTIN_Serial: "if GTIN and Serial Number do not match, there is no need to check
      // whether Lot or Expiration Date match": no other reason, no additional information.
      {
        name: 'unknown serial',
        who: () => p,
        serial: 'ZZZ',
        lot: 'LOT-X',
        exp: '281231',
        data: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial' },
      },
      {
        name: 'lot and expiry do not match',
        who: () => p,
        serial: 'A1',
        lot: 'LOT-X',
        exp: '281231',
        data: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot_Expiry' },
      },
      {
        name: 'lot does not match',
        who: () => p,
        serial: 'A1',
        lot: 'LOT-X',
        exp: '291231',
        data: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot' },
      },
      {
        name: 'expiry does not match',
        who: () => p,
        serial: 'A1',
        lot: 'LOT-A',
        exp: '281231',
        data: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Expiry' },
      },
      // [MOV-RESP] Expired: "The product has an expiration date which is in the past". The identifier matches, so
      // verified is true ([LSP-200]: failure reasons are for identifiers that do not match).
      {
        name: 'expired, matching (DD=00 is the end of the month)',
        who: () => m,
        serial: 'O1',
        lot: 'OLD',
        exp: '240100',
        data: { verified: true, additionalInfo: 'Expired' },
      },
      // [LSP-200] scenario 2: matches, Recalled.
      {
        name: 'recalled',
        who: () => p,
        serial: 'R1',
        lot: 'LOT-R',
        exp: '291231',
        data: { verified: true, additionalInfo: 'Recalled' },
      },
      // Recalled and expired: one additionalInfo, the recall ranks first.
      {
        name: 'recalled and expired',
        who: () => m,
        serial: 'O2',
        lot: 'OLD-R',
        exp: '240100',
        data: { verified: true, additionalInfo: 'Recalled' },
      },
      // [MOV-RESP] Not_for_re-distribution: "the product is Suspect and Not for re-distribution"; Suspect: "authenticity
      // or integrity is considered suspect by the Responder". [LSP-200] scenario 3 answers a suspect match with
      // verified true and Suspect: the sources differ; PROTOCOL.md §8.1 says not to redistribute it.
      {
        name: 'quarantined as suspect',
        who: () => p,
        serial: 'A3',
        lot: 'LOT-A',
        exp: '291231',
        data: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
      },
      // [MOV-RESP] Illegitimate: "considered illegitimate by the Responder".
      {
        name: 'illegitimate',
        who: () => p,
        serial: 'A4',
        lot: 'LOT-A',
        exp: '291231',
        data: {
          verified: false,
          verificationFailureReason: 'Not_for_re-distribution',
          additionalInfo: 'Illegitimate',
        },
      },
      // A dispensed serial seen again is a clone; a destroyed one should not exist: both suspect.
      {
        name: 'already dispensed',
        who: () => p,
        serial: 'A5',
        lot: 'LOT-A',
        exp: '291231',
        data: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
      },
      {
        name: 'destroyed',
        who: () => p,
        serial: 'A7',
        lot: 'LOT-A',
        exp: '291231',
        data: { verified: false, verificationFailureReason: 'Not_for_re-distribution', additionalInfo: 'Suspect' },
      },
      // [MOV-RESP] Manufacturer_policy: the responder's own policy answers false (a decommissioned package is
      // genuine, not suspect, and out of the supply chain).
      {
        name: 'decommissioned',
        who: () => p,
        serial: 'A6',
        lot: 'LOT-A',
        exp: '291231',
        data: { verified: false, verificationFailureReason: 'Manufacturer_policy' },
      },
      // The identifier matches; who holds it is the manufacturer's concern (an alert), not the requester's answer.
      {
        name: 'held by another party',
        who: () => d,
        serial: 'A1',
        lot: 'LOT-A',
        exp: '291231',
        data: { verified: true },
      },
    ];
    it.each(cases)('$name', async (c) => {
      const response = await verify(c.who(), c.serial, c.lot, fullQuery(c.who(), { exp: c.exp }));
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual(c.data);
      const data = response.body.data as { verificationFailureReason?: string; additionalInfo?: string };
      if (data.verificationFailureReason) expect(IG_FAILURE_REASONS).toContain(data.verificationFailureReason);
      if (data.additionalInfo) expect(IG_ADDITIONAL_INFO).toContain(data.additionalInfo);
    });

    it('an unknown GTIN is No_match_GTIN_Serial, answered by the operator', async () => {
      const stranger = makeGtin14('0', '0999999', '00001');
      const response = await verify(p, 'X1', 'L1', fullQuery(p), stranger);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        responderGLN: t.config.OPERATOR_GLN,
        data: { verified: false, verificationFailureReason: 'No_match_GTIN_Serial' },
      });
    });

    // No_reason_provided ([LSP-200] scenario 4: "does NOT match, and Manufacturer provides no reason") and
    // ExpirationExtended (an FDA extension, which the log does not record) are never given: every answer above
    // has a reason, and none of them is either.
    it('never answers No_reason_provided or ExpirationExtended', () => {
      for (const c of cases) {
        expect(Object.values(c.data)).not.toContain('No_reason_provided');
        expect(Object.values(c.data)).not.toContain('ExpirationExtended');
      }
    });
  });

  describe('a saleable return is released only by a complete verification', () => {
    // DSCSA: a returned package is verified before it is resold. A verification that did not ask the expiry never
    // compared it; one without reqGLN and corrUUID cannot be traced to the requester's own record of it.
    it('needs exp (compared and matching), reqGLN, corrUUID, and no ctrlPossessAtt=false', async () => {
      const [a2] = units(gtin, ['A2']);
      await accept(t, p, 'ship', { shipmentId: 'RET-1', recipient: m.gln, reason: 'return', items: [a2], transaction });
      await accept(t, m, 'receive', { shipper: p.gln, shipmentId: 'RET-1', items: [a2] });
      let resale = 0;
      const resell = async () =>
        (await post(t, m, 'ship', { shipmentId: `RESALE-${++resale}`, recipient: d.gln, items: [a2], transaction }))
          .body;
      const incomplete: [string, Record<string, string>][] = [
        ['without exp', (({ exp: _, ...q }) => q)(fullQuery(m))],
        ['without corrUUID', (({ corrUUID: _, ...q }) => q)(fullQuery(m))],
        ['with an expiry that does not match', fullQuery(m, { exp: '281231' })],
        ['saying the requester does not possess it', fullQuery(m, { ctrlPossessAtt: 'false' })],
      ];
      for (const [why, query] of incomplete) {
        await verify(m, 'A2', 'LOT-A', query);
        expect([why, (await resell()).error?.code]).toEqual([why, 'RETURN_NOT_VERIFIED']);
      }
      // The pharmacist's scan page (the rich answer) carries no reqGLN and no corrUUID.
      const scan = await t.http
        .get('/v1/verify')
        .query({ gtin, serial: 'A2', lot: 'LOT-A', exp: '291231' })
        .set(...m.auth);
      expect(scan.body.verdict).toBe('genuine');
      expect((await resell()).error?.code).toBe('RETURN_NOT_VERIFIED');
      const complete = await verify(m, 'A2', 'LOT-A', fullQuery(m));
      expect(complete.body.data).toEqual({ verified: true });
      expect((await resell()).error).toBeUndefined();
    });
  });
});
