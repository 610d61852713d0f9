/**
 * Conformance of the EPCIS 2.0 REST binding (docs/PROTOCOL.md §12) with GS1's EPCIS 2.0 OpenAPI document
 * (test/fixtures/epcis/openapi/openapi.json, bytes as published; README.md there gives the source): real requests to
 * a running server on the embedded PostgreSQL, each request and each response validated against the document with
 * openapi-backend (ajv). Expectations come from the standard: EPCIS 2.0 §8.2.7.1 (SimpleEventQuery parameters),
 * §8.2.7 (QueryParameterException), and the OpenAPI document's operations, parameters, headers and response
 * objects (cited by their JSON pointer).
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import type { Response as Answer } from 'supertest';
import { bytesToBase64 } from '../../src/bytes';
import { signCaptureDocument, signCaptureXml } from '../../src/epcis-rest/capture-signatures';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { formatSgtinUrn } from '../../src/gs1';
import { readItemUri } from '../../src/epcis';
import { signEvent } from '../../src/signing/event-signing';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { logSize, newTradingPartners, registerProduct, serials, transaction } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty, testAddress } from '../support/test-app';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'epcis', 'openapi');
const PUBLISHED = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'openapi.json'), 'utf8')) as Json;
const EXAMPLE_9_6_1 = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'Example_9.6.1-ObjectEvent.jsonld'), 'utf8'));

/**
 * The published document with an operationId per operation (openapi-backend addresses operations by id; GS1's have
 * none) and, when `corrected`, the two defects of README.md read as their descriptions say.
 */
function openApiDocument(corrected: boolean): Json {
  const doc = structuredClone(PUBLISHED);
  for (const [route, item] of Object.entries(doc.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      if (method !== 'parameters') (operation as Json).operationId = `${method} ${route}`;
    }
  }
  if (corrected) {
    const alternatives = doc.components.schemas.CaptureJob.allOf[1].oneOf;
    alternatives[0].required = ['errors'];
    alternatives[1].required = ['errorFile'];
    delete doc.components.schemas.Link.format;
  }
  return doc;
}

async function validatorOf(doc: Json): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    definition: doc as never,
    strict: false,
    quick: true,
    validate: true,
    // unicodeRegExp off: the document's query-schedule header patterns use PCRE subroutine calls (\g<name>), which a
    // JavaScript RegExp only compiles without the u flag; they belong to subscription operations not tested here.
    ajvOpts: { unicodeRegExp: false, strict: false, logger: false },
    customizeAjv: (ajv) => {
      addFormats(ajv);
      return ajv;
    },
  });
  // openapi-backend parses a document with @apidevtools/json-schema-ref-parser, loaded by a dynamic import() that
  // Jest's CommonJS sandbox cannot run; the document is an object already, and quick mode dereferences it with
  // dereference-json-schema (its references are all internal).
  Object.assign(api, { loadDocument: async () => Object.assign(api, { document: doc }).document });
  await api.init();
  return api;
}

const mediaType = (answer: Answer) => String(answer.headers['content-type'] ?? '').split(';')[0];

describe('EPCIS 2.0 REST binding against GS1’s OpenAPI document', () => {
  let t: TestApp;
  let api: OpenAPIBackend;
  /** For the schemas of response objects (dereferenced by openapi-backend): OpenAPI 3.0 keywords such as `xml`. */
  const schemaValidator = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });
  addFormats(schemaValidator);

  /**
   * The response is one the operation declares (status, media type, body schema, headers). GET /events declares no
   * 400 although EPCIS 2.0 §8.2.7 raises QueryParameterException for its parameters: its 400 is checked against
   * the same query family's declaration (`/eventTypes/{eventType}/events`, components.responses.400QueryIssues),
   * likewise 413 against `components.responses.413QueryScopeOrSize`, declared on no GET.
   */
  function conforms(operationId: string, answer: Answer): void {
    let id = operationId;
    if (operationId === 'get /events' && answer.status === 400) id = 'get /eventTypes/{eventType}/events';
    const operation = api.getOperation(id) as Operation;
    let declared = operation.responses?.[String(answer.status)] as Json | undefined;
    if (operationId === 'get /events' && answer.status === 413) {
      declared = (api.definition as Json).components.responses['413QueryScopeOrSize'];
    }
    expect([operationId, answer.status, declared === undefined ? 'undeclared' : 'declared']).toEqual([
      operationId,
      answer.status,
      'declared',
    ]);
    const types = Object.keys(declared!.content ?? {});
    if (types.length === 0) {
      expect(answer.text ?? '').toBe('');
    } else {
      // JSON-LD is JSON (application/ld+json, a +json type): the document declares application/json for the query document.
      const type = mediaType(answer) === 'application/ld+json' ? 'application/json' : mediaType(answer);
      expect(types).toContain(type);
      const validate = schemaValidator.compile(declared!.content[type].schema);
      const valid = validate(answer.body);
      expect([operationId, answer.status, valid ? [] : validate.errors]).toEqual([operationId, answer.status, []]);
    }
    if (id === operationId) {
      const headers = api.validateResponseHeaders(answer.headers, operationId, {
        statusCode: answer.status,
        setMatchType: 'any' as never,
      });
      expect(headers.errors ?? []).toEqual([]);
    }
    expect([answer.headers['gs1-epcis-version'], answer.headers['gs1-cbv-version']]).toEqual(['2.0.0', '2.0.0']);
  }

  /**
   * The request is valid for the operation. GET /events's description says its parameter list "is not exhaustive":
   * the standard's parameters with flexible names (`EQ_ILMD_<field>`, `EQ_<extension field>`, ...) are not declared,
   * so they are left out of the check (the document's parameter object forbids undeclared names).
   */
  function validRequest(operationId: string, method: string, route: string, query: string, headers: Json = {}) {
    const declared = query
      .split('&')
      .filter((part) => !/^(EQ|EXISTS|GT|GE|LT|LE)_(ILMD_|INNER_|INNER_ILMD_)?[A-Za-z][A-Za-z0-9_.-]*:/.test(part))
      .join('&');
    const result = api.validateRequest({ method, path: route, query: declared, headers }, operationId);
    expect([route, query, result.errors ?? []]).toEqual([route, query, []]);
  }

  beforeAll(async () => {
    [t, api] = await Promise.all([createTestApp(), validatorOf(openApiDocument(true))]);
  });
  afterAll(() => t?.close());

  it('reads the published document as GS1 wrote it, whose two defects its own examples show', async () => {
    const published = await validatorOf(openApiDocument(false));
    const jobExample = PUBLISHED.components.schemas.CaptureJob.example;
    // components.schemas.CaptureJob's own example fails its oneOf (both alternatives match)...
    expect(published.validateResponse(jobExample, 'get /capture/{captureID}', 200).errors).toEqual([
      expect.objectContaining({ keyword: 'oneOf' }),
    ]);
    // ... and passes once each alternative requires its member.
    expect(api.validateResponse(jobExample, 'get /capture/{captureID}', 200).errors ?? []).toEqual([]);
    // components.schemas.Link's own example is no URI (RFC 8288 §3: `<URI>; rel="next"`).
    const link = PUBLISHED.components.schemas.Link.example as string;
    const headers = published.validateResponseHeaders({ link }, 'get /events', {
      statusCode: 200,
      setMatchType: 'any' as never,
    });
    expect(headers.errors).toEqual([expect.objectContaining({ keyword: 'format' })]);
  });

  // ---- a small supply chain, captured through the binding ----

  let world: Awaited<ReturnType<typeof newTradingPartners>>;
  let gtin: string;
  let lot: string[];
  let caseUri: string;
  const unitUri = (serial: string) => `https://id.gs1.org/01/${gtin}/21/${serial}`;
  const pgln = (gln: string) => `https://id.gs1.org/417/${gln}`;
  const place = (gln: string) => ({ id: `https://id.gs1.org/414/${gln}` });

  function document(eventList: Json[]): Json {
    return {
      '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: '2026-11-20T12:00:00Z',
      epcisBody: { eventList },
    };
  }

  const signedBy = (party: TestParty, doc: Json) =>
    signCaptureDocument(doc, {
      actor: party.gln,
      keyId: party.keyId,
      sign: (event) => signEvent(event, party.secretKey),
    });

  /** POST /capture, conformance of request and 202, then the job polled to its end (conformance of each answer). */
  async function capture(party: TestParty, doc: Json, headers: Record<string, string> = {}): Promise<Json> {
    const request = api.validateRequest(
      { method: 'post', path: '/capture', body: doc, headers: { 'content-type': 'application/json', ...headers } },
      'post /capture',
    );
    expect(request.errors ?? []).toEqual([]);
    const accepted = await t.http
      .post('/epcis/capture')
      .set(...party.auth)
      .set(headers)
      .set('Content-Type', 'application/ld+json')
      .send(JSON.stringify(doc));
    expect([accepted.status, accepted.body]).toEqual([202, {}]);
    conforms('post /capture', accepted);
    expect(accepted.headers.location).toMatch(/^\/epcis\/capture\/[0-9a-f-]{36}$/);
    for (;;) {
      const job = await t.http.get(accepted.headers.location).set(...party.auth);
      expect(job.status).toBe(200);
      conforms('get /capture/{captureID}', job);
      if (!job.body.running) return job.body;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function query(party: TestParty, queryString: string, headers: Record<string, string> = {}): Promise<Answer> {
    const answer = await t.http
      .get(`/epcis/events${queryString ? `?${queryString}` : ''}`)
      .set(...party.auth)
      .set(headers);
    conforms('get /events', answer);
    return answer;
  }

  const steps = (answer: Answer) =>
    (answer.body.epcisBody.queryResults.resultsBody.eventList as Json[]).map((e) => e.bizStep as string);

  it('captures a manufacturer’s signed document (202, Location, a job that ends with success and no errors)', async () => {
    world = await newTradingPartners(t);
    const { manufacturer: m, distributor: d } = world;
    gtin = await registerProduct(t, m);
    lot = serials(4, 'REST');
    const caseCode = m.newContainerCode();
    caseUri = `https://id.gs1.org/00/${caseCode.slice(4)}`;
    const before = await logSize(t);
    const job = await capture(
      m,
      signedBy(
        m,
        document([
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000001',
            eventTime: '2026-11-20T08:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'ADD',
            bizStep: 'commissioning',
            disposition: 'active',
            epcList: lot.map(unitUri),
            readPoint: place(m.gln),
            bizLocation: place(m.gln),
            ilmd: { 'cbvmda:lotNumber': 'LOT-REST', 'cbvmda:itemExpirationDate': '2029-12-31' },
          },
          {
            type: 'AggregationEvent',
            eventID: 'urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000002',
            eventTime: '2026-11-20T09:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'ADD',
            bizStep: 'packing',
            parentID: caseUri,
            childEPCs: lot.map(unitUri),
            bizLocation: place(m.gln),
          },
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000003',
            eventTime: '2026-11-20T16:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'OBSERVE',
            bizStep: 'shipping',
            disposition: 'in_transit',
            epcList: [caseUri],
            readPoint: place(m.gln),
            bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${m.gln}:ASN-REST` }],
            sourceList: [{ type: 'owning_party', source: pgln(m.gln) }],
            destinationList: [{ type: 'owning_party', destination: pgln(d.gln) }],
          },
        ]),
      ),
    );
    expect(job).toMatchObject({ running: false, success: true, captureErrorBehaviour: 'rollback', errors: [] });
    expect(await logSize(t)).toBe(before + 3);
    const receipt = await capture(
      d,
      signedBy(
        d,
        document([
          {
            type: 'ObjectEvent',
            eventID: 'urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000004',
            eventTime: '2026-11-21T10:00:00.000-05:00',
            eventTimeZoneOffset: '-05:00',
            action: 'OBSERVE',
            bizStep: 'receiving',
            disposition: 'in_progress',
            epcList: [caseUri],
            bizLocation: place(d.gln),
            bizTransactionList: [{ type: 'desadv', bizTransaction: `urn:epcglobal:cbv:bt:${m.gln}:ASN-REST` }],
            sourceList: [{ type: 'owning_party', source: pgln(m.gln) }],
            destinationList: [{ type: 'owning_party', destination: pgln(d.gln) }],
          },
        ]),
      ),
    );
    expect(receipt).toMatchObject({ success: true, errors: [] });
  });

  it('reports per-event errors in the job: unsigned events roll the whole job back; with proceed the rest is logged', async () => {
    const { manufacturer: m } = world;
    const more = serials(2, 'JOB');
    const commission = (serial: string, n: number) => ({
      type: 'ObjectEvent',
      eventID: `urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-00000000010${n}`,
      eventTime: '2026-11-22T08:00:00.000-05:00',
      eventTimeZoneOffset: '-05:00',
      action: 'ADD',
      bizStep: 'commissioning',
      disposition: 'active',
      epcList: [unitUri(serial)],
      bizLocation: place(m.gln),
      ilmd: { 'cbvmda:lotNumber': `LOT-JOB-${n}`, 'cbvmda:itemExpirationDate': '2029-12-31' },
    });
    const before = await logSize(t);
    // Not signed at all (the server never signs for a party): rollback, the default, logs nothing.
    const unsigned = await capture(m, document([commission(more[0], 1), commission(more[1], 2)]));
    expect(unsigned).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'rollback' });
    expect(unsigned.errors.map((e: Json) => [e.eventIndex, e.error.code, e.type])).toEqual([
      [0, 'EPCIS_EVENT_UNSIGNED', 'epcisException:ValidationException'],
      [1, 'EPCIS_EVENT_UNSIGNED', 'epcisException:ValidationException'],
    ]);
    expect(unsigned.errors[0].instance).toBe('urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000101');
    expect(await logSize(t)).toBe(before);

    // Signed, but the second signature altered: with proceed the first is logged, the second refused by intake.
    const signed = signedBy(m, document([commission(more[0], 1), commission(more[1], 2)]));
    const second = signed.epcisBody.eventList[1];
    second['rxl:signature'] = signed.epcisBody.eventList[0]['rxl:signature'];
    const proceed = await capture(m, signed, { 'GS1-Capture-Error-Behaviour': 'proceed' });
    expect(proceed).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'proceed' });
    expect(proceed.errors.map((e: Json) => [e.eventIndex, e.error.code, e.status])).toEqual([
      [1, 'SIGNATURE_INVALID', 422],
    ]);
    expect(await logSize(t)).toBe(before + 1);

    // A capture job is its party's: another party is told there is none.
    const other = await t.http.get(`/epcis/capture/${proceed.captureID}`).set(...world.pharmacy.auth);
    expect([other.status, other.body.type]).toEqual([404, 'epcisException:NoSuchNameException']);
    conforms('get /capture/{captureID}', other);
  });

  it('refuses what cannot be captured with the problems the OpenAPI document declares for POST /capture', async () => {
    const { manufacturer: m } = world;
    const cases: [string, () => Promise<Answer>, number, string][] = [
      [
        'not an EPCIS document (GS1’s JSON schema)',
        () =>
          t.http
            .post('/epcis/capture')
            .set(...m.auth)
            .send({ type: 'EPCISDocument', epcisBody: {} }),
        400,
        'epcisException:ValidationException',
      ],
      [
        'a media type that is neither JSON nor XML',
        () =>
          t.http
            .post('/epcis/capture')
            .set(...m.auth)
            .set('Content-Type', 'text/csv')
            .send('a,b'),
        415,
        'epcisException:UnsupportedMediaTypeException',
      ],
      ['no token', () => t.http.post('/epcis/capture').send(document([])), 401, 'epcisException:SecurityException'],
      [
        'the operator (who signs no EPCIS event)',
        () => t.http.post('/epcis/capture').set('Authorization', `Bearer ${t.operatorToken}`).send(document([])),
        403,
        'epcisException:SecurityException',
      ],
      [
        'an EPCIS version the server does not speak',
        () =>
          t.http
            .post('/epcis/capture')
            .set(...m.auth)
            .set('GS1-EPCIS-Version', '1.2.0')
            .send(document([])),
        406,
        'epcisException:NotAcceptableException',
      ],
      [
        'more events than one capture takes (MAX_BATCH_EVENTS)',
        () =>
          t.http
            .post('/epcis/capture')
            .set(...m.auth)
            .send(document(Array.from({ length: t.config.MAX_BATCH_EVENTS + 1 }, () => ({ type: 'ObjectEvent' })))),
        413,
        'epcisException:CaptureLimitExceededException',
      ],
    ];
    for (const [what, send, status, type] of cases) {
      const answer = await send();
      expect([what, answer.status, mediaType(answer), answer.body.type, answer.body.status]).toEqual([
        what,
        status,
        'application/problem+json',
        type,
        status,
      ]);
      expect(answer.headers['gs1-epcis-version']).toBe('2.0.0');
      if (status === 413) expect(answer.headers['gs1-epcis-capture-limit']).toBe(String(t.config.MAX_BATCH_EVENTS));
      conforms('post /capture', answer);
    }
    const bogus = await t.http
      .post('/epcis/capture')
      .set(...m.auth)
      .set('GS1-Capture-Error-Behaviour', 'sometimes')
      .send(document([]));
    expect([bogus.status, bogus.body.error.code]).toEqual([400, 'EPCIS_DOCUMENT_INVALID']);
    // The OpenAPI document's own parameter schema refuses that header value too.
    const request = api.validateRequest(
      {
        method: 'post',
        path: '/capture',
        body: document([]),
        headers: { 'content-type': 'application/json', 'gs1-capture-error-behaviour': 'sometimes' },
      },
      'post /capture',
    );
    expect(request.errors).toEqual([expect.objectContaining({ keyword: 'enum' })]);
  });

  it('captures an EPCIS 1.2 XML document too, its signatures as rxl extension elements (not in GS1’s OpenAPI, which declares JSON)', async () => {
    const { manufacturer: m } = world;
    const sgln = (gln: string) => `urn:epc:id:sgln:${gln.slice(0, 7)}.${gln.slice(7, 12)}.0`;
    const xml = (serial: string, n: number) => `<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1" xmlns:cbvmda="urn:epcglobal:cbv:mda"
    schemaVersion="1.2" creationDate="2026-11-23T12:00:00Z">
  <EPCISBody>
    <EventList>
      <ObjectEvent>
        <eventTime>2026-11-23T08:00:00.000-05:00</eventTime>
        <eventTimeZoneOffset>-05:00</eventTimeZoneOffset>
        <baseExtension><eventID>urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-00000000020${n}</eventID></baseExtension>
        <epcList><epc>${formatSgtinUrn(gtin, serial, m.prefix.length)}</epc></epcList>
        <action>ADD</action>
        <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
        <disposition>urn:epcglobal:cbv:disp:active</disposition>
        <readPoint><id>${sgln(m.gln)}</id></readPoint>
        <bizLocation><id>${sgln(m.gln)}</id></bizLocation>
        <extension>
          <ilmd>
            <cbvmda:lotNumber>LOT-XML-${n}</cbvmda:lotNumber>
            <cbvmda:itemExpirationDate>2029-12-31</cbvmda:itemExpirationDate>
          </ilmd>
        </extension>
      </ObjectEvent>
    </EventList>
  </EPCISBody>
</epcis:EPCISDocument>
`;
    const post = async (body: string, party: TestParty = m) => {
      const accepted = await t.http
        .post('/epcis/capture')
        .set(...party.auth)
        .set('Content-Type', 'application/xml')
        .send(body);
      if (accepted.status !== 202) return accepted;
      for (;;) {
        const job = await t.http.get(accepted.headers.location).set(...party.auth);
        conforms('get /capture/{captureID}', job);
        if (!job.body.running) return job;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const [first, second] = serials(2, 'XML');
    const unsigned = await post(xml(first, 1));
    expect(unsigned.body.errors.map((e: Json) => e.error.code)).toEqual(['EPCIS_EVENT_UNSIGNED']);
    const signed = signCaptureXml(xml(first, 1), {
      actor: m.gln,
      keyId: m.keyId,
      sign: (event) => signEvent(event, m.secretKey),
    });
    expect(signed).toContain('<rxl:signature xmlns:rxl="https://rxledger.dev/epcis/">');
    expect((await post(signed)).body).toMatchObject({ running: false, success: true, errors: [] });
    const found = await query(m, 'EQ_ILMD_cbvmda:lotNumber=LOT-XML-1');
    expect(found.body.epcisBody.queryResults.resultsBody.eventList).toEqual([
      expect.objectContaining({ bizStep: 'commissioning', eventTime: '2026-11-23T08:00:00.000-05:00' }),
    ]);
    // Signed by another party's key for this manufacturer's event: intake refuses it.
    const forged = signCaptureXml(xml(second, 2), {
      actor: m.gln,
      keyId: m.keyId,
      sign: (event) => signEvent(event, world.distributor.secretKey),
    });
    expect((await post(forged)).body.errors.map((e: Json) => e.error.code)).toEqual(['SIGNATURE_INVALID']);
    const malformed = await post('<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:1"><EPCISBody>');
    expect([malformed.status, malformed.body.type, malformed.body.error.code]).toEqual([
      400,
      'epcisException:ValidationException',
      'EPCIS_DOCUMENT_INVALID',
    ]);
  });

  it('answers each SimpleEventQuery parameter as EPCIS 2.0 §8.2.7.1 defines it (the regulator sees every event)', async () => {
    const { manufacturer: m, regulator: r } = world;
    // Only the first world's events: those recorded from the first commissioning on.
    const all = await query(r, 'EQ_bizStep=commissioning|packing|shipping|receiving&MATCH_anyEPC=' + caseUri);
    expect(steps(all)).toEqual(['packing', 'shipping', 'receiving']);
    const everything = await query(r, `MATCH_epc=${encodeURIComponent(unitUri(lot[0]))}`);
    expect(steps(everything)).toEqual(['commissioning', 'packing']);
    const [commissioning] = everything.body.epcisBody.queryResults.resultsBody.eventList;
    const recordTimes = (all.body.epcisBody.queryResults.resultsBody.eventList as Json[]).map((e) => e.recordTime);
    const shipping = all.body.epcisBody.queryResults.resultsBody.eventList[1];
    const from = encodeURIComponent(commissioning.recordTime);
    const until = encodeURIComponent(recordTimes[2]);
    const cases: [string, string[]][] = [
      [`EQ_bizStep=shipping&GE_recordTime=${from}`, ['shipping']],
      [`EQ_bizStep=shipping|receiving&GE_recordTime=${from}`, ['shipping', 'receiving']],
      [`EQ_action=ADD&GE_recordTime=${from}&LT_recordTime=${until}`, ['commissioning', 'packing']],
      [`EQ_disposition=in_transit&GE_recordTime=${from}`, ['shipping']],
      [`eventType=AggregationEvent&GE_recordTime=${from}`, ['packing']],
      [`MATCH_epc=${encodeURIComponent(formatSgtinUrn(gtin, lot[1], m.prefix.length))}`, ['commissioning', 'packing']],
      [
        `MATCH_epc=${encodeURIComponent(`urn:epc:idpat:sgtin:${formatSgtinUrn(gtin, 'X', m.prefix.length).slice(17, -2)}.*`)}&EQ_ILMD_cbvmda:lotNumber=LOT-REST`,
        ['commissioning'],
      ],
      [`MATCH_parentID=${encodeURIComponent(caseUri)}`, ['packing']],
      [
        `MATCH_anyEPC=${encodeURIComponent(caseUri)}&GE_eventTime=${encodeURIComponent('2026-11-20T21:00:00+01:00')}`,
        ['shipping', 'receiving'],
      ],
      [`MATCH_anyEPC=${encodeURIComponent(caseUri)}&LT_eventTime=2026-11-20T16:00:00.000-05:00`, ['packing']],
      [
        `EQ_bizLocation=${encodeURIComponent(place(m.gln).id)}&GE_recordTime=${from}&LT_recordTime=${until}`,
        ['commissioning', 'packing'],
      ],
      [
        `EQ_readPoint=${encodeURIComponent(place(m.gln).id)}&GE_recordTime=${from}&LT_recordTime=${until}`,
        ['commissioning', 'packing', 'shipping'],
      ],
      [`WD_bizLocation=${encodeURIComponent(place(world.distributor.gln).id)}`, ['receiving']],
      [`EQ_eventID=${encodeURIComponent(shipping.eventID)}`, ['shipping']],
      // The eventID the capturing client gave finds the event it became (docs/PROTOCOL.md §12.3).
      ['EQ_eventID=urn:uuid:7c1e0d4e-5b0b-4a53-9f0e-000000000002', ['packing']],
      [
        `MATCH_anyEPC=${encodeURIComponent(caseUri)}&orderBy=recordTime&orderDirection=DESC`,
        ['receiving', 'shipping', 'packing'],
      ],
      [`MATCH_anyEPC=${encodeURIComponent(caseUri)}&eventCountLimit=2`, ['packing', 'shipping']],
      // Members RxLedger's EPCIS events never carry select nothing.
      [`EQ_quantity=5&GE_recordTime=${from}`, []],
      [`EXISTS_errorDeclaration=true&GE_recordTime=${from}`, []],
    ];
    for (const [queryString, expected] of cases) {
      validRequest('get /events', 'get', '/events', queryString);
      const answer = await query(r, queryString);
      expect([queryString, answer.status, steps(answer)]).toEqual([queryString, 200, expected]);
    }
  });

  it('refuses malformed queries with QueryParameterException, and what it cannot order or bound with 413', async () => {
    const { regulator: r } = world;
    const refused: [string, number, string, boolean][] = [
      ['EQ_action=BAD', 400, 'epcisException:QueryParameterException', true],
      ['GE_eventTime=yesterday', 400, 'epcisException:QueryParameterException', true],
      ['EQ_nonsense=1', 400, 'epcisException:QueryParameterException', false],
      ['EQ_bizStep=shipping&EQ_bizStep=receiving', 400, 'epcisException:QueryParameterException', false],
      ['perPage=0', 400, 'epcisException:QueryParameterException', false],
      ['nextPageToken=not-a-token', 400, 'epcisException:QueryParameterException', false],
      ['orderBy=eventTime', 413, 'epcisException:QueryTooComplexException', false],
      [
        `MATCH_anyEPC=${encodeURIComponent(caseUri)}&maxEventCount=2`,
        413,
        'epcisException:QueryTooLargeException',
        false,
      ],
    ];
    for (const [queryString, status, type, openApiRefusesToo] of refused) {
      if (openApiRefusesToo) {
        const request = api.validateRequest(
          { method: 'get', path: '/events', query: queryString, headers: {} },
          'get /events',
        );
        expect([queryString, (request.errors ?? []).length > 0]).toEqual([queryString, true]);
      }
      const answer = await query(r, queryString);
      expect([queryString, answer.status, answer.body.type, mediaType(answer)]).toEqual([
        queryString,
        status,
        type,
        'application/problem+json',
      ]);
    }
  });

  it('pages with perPage, nextPageToken and Link rel="next" until the last page, which has no Link', async () => {
    const { regulator: r } = world;
    const whole = await query(r, `MATCH_anyEPC=${encodeURIComponent(caseUri)}`);
    expect(whole.headers.link).toBeUndefined();
    const pages: string[][] = [];
    let next: string | undefined = `MATCH_anyEPC=${encodeURIComponent(caseUri)}&perPage=1`;
    while (next !== undefined) {
      validRequest('get /events', 'get', '/events', next);
      const page = await query(r, next);
      expect(page.status).toBe(200);
      pages.push(steps(page));
      const link = page.headers.link as string | undefined;
      if (link === undefined) break;
      const match = /^<([^>]+)>; rel="next"$/.exec(link);
      expect(match).not.toBeNull();
      const url = new URL(match![1]);
      expect(url.pathname).toBe('/epcis/events');
      expect(url.searchParams.get('perPage')).toBe('1');
      next = url.search.slice(1);
      // A token continues only the query that gave it.
      const other = await query(
        r,
        `EQ_bizStep=shipping&perPage=1&nextPageToken=${url.searchParams.get('nextPageToken')}`,
      );
      expect([other.status, other.body.type]).toEqual([400, 'epcisException:QueryParameterException']);
    }
    expect(pages.flat()).toEqual(steps(whole));
    expect(pages.slice(0, -1).every((page) => page.length === 1)).toBe(true);
  });

  it('negotiates the media type, the EPCIS/CBV versions and the EPC format', async () => {
    const { regulator: r } = world;
    const q = `MATCH_parentID=${encodeURIComponent(caseUri)}`;
    for (const [accept, type] of [
      [undefined, 'application/ld+json'],
      ['application/ld+json', 'application/ld+json'],
      ['application/json', 'application/json'],
      ['application/xml;q=0.9, application/json', 'application/json'],
      ['*/*', 'application/ld+json'],
    ] as const) {
      const answer = await query(r, q, accept ? { Accept: accept } : {});
      expect([accept, answer.status, mediaType(answer)]).toEqual([accept, 200, type]);
      expect([answer.headers['gs1-epcis-version'], answer.headers['gs1-cbv-version']]).toEqual(['2.0.0', '2.0.0']);
    }
    for (const headers of <Record<string, string>[]>[
      { Accept: 'application/xml' },
      { 'GS1-EPCIS-Version': '1.2.0' },
      { 'GS1-EPCIS-Max': '1.2' },
      { 'GS1-CBV-Min': '2.1' },
    ]) {
      const answer = await query(r, q, headers);
      expect([headers, answer.status, answer.body.type]).toEqual([
        headers,
        406,
        'epcisException:NotAcceptableException',
      ]);
    }
    const within = await query(r, q, {
      'GS1-EPCIS-Min': '2.0.0',
      'GS1-EPCIS-Max': '2.0.0',
      'GS1-CBV-Version': '2.0.0',
    });
    expect(within.status).toBe(200);
    const packing = (answer: Answer) => answer.body.epcisBody.queryResults.resultsBody.eventList[0];
    expect(packing(within).childEPCs[0]).toMatch(/^https:\/\/id\.gs1\.org\/01\//);
    const urns = await query(r, q, { 'GS1-EPC-Format': 'Always_EPC_URN' });
    expect(urns.headers['gs1-epc-format']).toBe('Always_EPC_URN');
    expect(packing(urns).childEPCs[0]).toMatch(/^urn:epc:id:sgtin:/);
    expect(packing(urns).parentID).toMatch(/^urn:epc:id:sscc:/);
  });

  it('shows a party only the events that name it (PROTOCOL.md §1); a regulator every one', async () => {
    const { manufacturer: m, distributor: d, pharmacy: p, regulator: r } = world;
    const q = `MATCH_anyEPC=${encodeURIComponent(caseUri)}|${encodeURIComponent(unitUri(lot[0]))}`;
    expect(steps(await query(r, q))).toEqual(['commissioning', 'packing', 'shipping', 'receiving']);
    expect(steps(await query(m, q))).toEqual(['commissioning', 'packing', 'shipping', 'receiving']);
    expect(steps(await query(d, q))).toEqual(['shipping', 'receiving']);
    expect(steps(await query(p, q))).toEqual([]);
    expect(steps(await query(p, ''))).toEqual([]);
    const unauthenticated = await t.http.get('/epcis/events');
    expect([unauthenticated.status, unauthenticated.body.type]).toEqual([401, 'epcisException:SecurityException']);
    conforms('get /events', unauthenticated);
  });

  it('serves an unchanged EPCIS client: GS1’s Example 9.6.1 captured by the receiving party, found again by its eventID', async () => {
    // The example's parties: the shipper 0614141073467 (readPoint urn:epc:id:sgln:0614141.07346.1234, issuer of
    // despatch advice 1152) and the receiver at urn:epc:id:sgln:0012345.11111.0.
    const register = async (gln: string, role: 'manufacturer' | 'distributor') => {
      const secretKey = generateSecretKey();
      const operator = ['Authorization', `Bearer ${t.operatorToken}`] as const;
      const registered = await t.http
        .post('/v1/parties')
        .set(...operator)
        .send({
          gln,
          name: `GS1 example ${role}`,
          role,
          address: testAddress,
          publicKeys: [bytesToBase64(publicKeyOf(secretKey))],
        });
      expect(registered.status).toBe(201);
      const token = await t.http
        .post(`/v1/parties/${gln}/tokens`)
        .set(...operator)
        .send({ label: 'example' });
      return new TestParty(gln, role, secretKey, token.body.token);
    };
    const shipper = await register('0614141073467', 'manufacturer');
    const receiver = await register(appendCheckDigit('001234511111'), 'distributor');
    const granted = await t.http
      .post(`/v1/manufacturers/${shipper.gln}/prefixes`)
      .set('Authorization', `Bearer ${t.operatorToken}`)
      .send({ prefix: '0614141' });
    expect(granted.status).toBe(201);
    const items = ['2017', '2018'].map((s) => readItemUri(`urn:epc:id:sgtin:0614141.107346.${s}`).code);
    const exampleGtin = items[0].slice(4, 18);
    // The shipper's own system records its side through the ordinary API.
    const post = async (party: TestParty, type: string, body: object, time: string) => {
      const answer = await t.http
        .post('/v1/events')
        .set(...party.auth)
        .send(party.event(type, body, { time }));
      expect([type, answer.status]).toEqual([type, 201]);
    };
    await post(
      shipper,
      'product.register',
      { gtin: exampleGtin, name: 'Example', strength: '1 mg', dosageForm: 'tablet', containerSize: '1' },
      '2005-04-01T00:00:00Z',
    );
    await post(
      shipper,
      'commission',
      { gtin: exampleGtin, lot: 'L2005', expiry: '291231', serials: ['2017', '2018'] },
      '2005-04-02T00:00:00Z',
    );
    await post(
      shipper,
      'ship',
      {
        shipmentId: '1152',
        recipient: receiver.gln,
        items,
        transaction: { ...transaction, date: '2005-04-03', shipmentDate: '2005-04-03' },
      },
      '2005-04-03T20:33:31.116-06:00',
    );

    // The receiver's client posts the example as published, with the receiver's signatures added where its key is.
    const before = await logSize(t);
    const job = await capture(receiver, signedBy(receiver, EXAMPLE_9_6_1), {
      'GS1-Capture-Error-Behaviour': 'proceed',
    });
    // The shipping event is the shipper's (its readPoint): reported, not signed in its name; the receipt is logged.
    expect(job.errors.map((e: Json) => [e.eventIndex, e.error.code])).toEqual([[0, 'EPCIS_EVENT_UNMAPPED']]);
    expect(await logSize(t)).toBe(before + 1);
    const receivingID = EXAMPLE_9_6_1.epcisBody.eventList[1].eventID as string;
    const found = await query(receiver, `EQ_eventID=${encodeURIComponent(receivingID)}`, {
      'GS1-EPC-Format': 'Always_EPC_URN',
    });
    const [event] = found.body.epcisBody.queryResults.resultsBody.eventList;
    expect(event).toMatchObject({
      type: 'ObjectEvent',
      action: 'OBSERVE',
      bizStep: 'receiving',
      eventTime: '2005-04-04T20:33:31.116-06:00',
      epcList: ['urn:epc:id:sgtin:0614141.107346.2018'],
    });
    const byEpc = await query(receiver, 'MATCH_epc=urn:epc:id:sgtin:0614141.107346.2018&EQ_bizStep=receiving');
    expect(byEpc.body.epcisBody.queryResults.resultsBody.eventList).toHaveLength(1);
    // The other trading partners of the first world see none of it.
    expect(steps(await query(world.distributor, `EQ_eventID=${encodeURIComponent(receivingID)}`))).toEqual([]);
  });
});
