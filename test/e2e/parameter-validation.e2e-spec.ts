/**
 * Malformed parameters and dates are coded 4xx answers naming the field (issue 9 §4), class by class:
 * integer query/path parameters, report windows, calendar dates in event bodies, item codes named by element,
 * tree sizes in proofs (docs/PROTOCOL.md §6.4), wrong methods (§10: 405 with `Allow`, RFC 9110 §15.5.6) and the
 * OpenAPI document's query parameters. Every refused event leaves the log as it was.
 */
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { getMetadataStorage } from 'class-validator';
import { unitCode } from '../../src/protocol/item-code';
import { newTradingPartners, serials, TestManufacturer, transaction, units } from '../support/supply-chain';
import { createTestApp, TestApp, TestParty } from '../support/test-app';

/** Nest's RequestMethod numbers as OpenAPI's method names. */
const RequestMethodName: Record<number, string> = { 0: 'get', 1: 'post', 2: 'put', 3: 'delete', 4: 'patch' };

interface Violation {
  field: string;
  rule: string;
  message: string;
}
interface ErrorAnswer {
  status: number;
  body: { error?: { code: string; message: string; details?: unknown } };
}

/** Whole numbers in every spelling a parameter must refuse, and the rule each breaks. */
const NOT_INTEGERS = ['１２', '1e3', ' 1', '0x10', '', '1.0', '+1', '12abc'];
const OUT_OF_RANGE = [
  '-1',
  String(2 ** 53), // 9007199254740992: the first integer a JavaScript number does not hold exactly
  '9223372036854775807', // 2^63 − 1, the largest PostgreSQL bigint
  '9223372036854775808', // 2^63
  '18446744073709551616', // 2^64
  '9'.repeat(400), // beyond any floating-point number
];

function violations(answer: ErrorAnswer): Violation[] {
  return (answer.body.error?.details ?? []) as Violation[];
}

/** 400 VALIDATION_FAILED whose details name `field` with `rule`. */
function expectViolation(answer: ErrorAnswer, field: string, rule: string, what: string): void {
  const seen = { what, status: answer.status, code: answer.body.error?.code, fields: violations(answer) };
  expect(seen).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  expect(seen.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
}

describe('malformed parameters and dates: a coded 4xx naming the field', () => {
  let t: TestApp;
  let manufacturer: TestManufacturer;
  let distributor: TestParty;
  let regulator: TestParty;
  let gtin: string;
  const operator = (): [string, string] => ['Authorization', `Bearer ${t.operatorToken}`];
  const logSize = async (): Promise<number> => (await t.http.get('/v1/health').expect(200)).body.log.entries;

  beforeAll(async () => {
    t = await createTestApp();
    ({ manufacturer, distributor, regulator } = await newTradingPartners(t));
    gtin = manufacturer.gtin(1);
    // Something in the log to prove against.
    await t.http.post('/v1/log/checkpoint').set(...operator());
  });
  afterAll(() => t.close());

  describe('integer parameters: ASCII decimal digits, and in range', () => {
    /** Every integer query or path parameter of every route, with a request that is valid but for it. */
    const cases: { name: string; url: (value: string) => string; field: string; auth?: () => [string, string] }[] = [
      { name: 'entries/:index', url: (v) => `/v1/log/entries/${encodeURIComponent(v)}`, field: 'index' },
      { name: 'inclusion index', url: (v) => `/v1/log/proof/inclusion?index=${encodeURIComponent(v)}`, field: 'index' },
      {
        name: 'inclusion size',
        url: (v) => `/v1/log/proof/inclusion?index=0&size=${encodeURIComponent(v)}`,
        field: 'size',
      },
      {
        name: 'consistency from',
        url: (v) => `/v1/log/proof/consistency?from=${encodeURIComponent(v)}`,
        field: 'from',
      },
      {
        name: 'consistency to',
        url: (v) => `/v1/log/proof/consistency?from=0&to=${encodeURIComponent(v)}`,
        field: 'to',
      },
      ...['shipments/incoming', 'shipments/outgoing', 'returns', 'alerts'].flatMap((view) =>
        ['limit', 'offset'].map((field) => ({
          name: `distributors/me/${view} ${field}`,
          url: (v: string) => `/v1/distributors/me/${view}?${field}=${encodeURIComponent(v)}`,
          field,
        })),
      ),
      ...['limit', 'offset'].map((field) => ({
        name: `reports/exports ${field}`,
        url: (v: string) => `/v1/reports/exports?${field}=${encodeURIComponent(v)}`,
        field,
        auth: () => regulator.auth,
      })),
      ...['limit', 'offset'].map((field) => ({
        name: `verify/alerts ${field}`,
        url: (v: string) => `/v1/verify/alerts?${field}=${encodeURIComponent(v)}`,
        field,
        auth: () => regulator.auth,
      })),
    ];

    it.each(cases)('$name: other spellings are "not an integer", big and negative ones "out of range"', async (c) => {
      const auth = c.auth?.() ?? distributor.auth;
      // An empty path segment is another route (404); an empty query value is a value.
      for (const value of NOT_INTEGERS.filter((v) => v !== '' || c.url(v).includes('?'))) {
        const answer = await t.http.get(c.url(value)).set(...auth);
        expectViolation(answer, c.field, 'isInt', `${c.name}=${JSON.stringify(value)}`);
      }
      for (const value of OUT_OF_RANGE) {
        const answer = await t.http.get(c.url(value)).set(...auth);
        expectViolation(answer, c.field, 'range', `${c.name}=${value.slice(0, 24)}`);
        expect(answer.body.error?.message).toMatch(/out of range/);
      }
    });

    it('the largest index a number holds exactly is in range: no such entry (404), no such leaf (400)', async () => {
      const max = String(Number.MAX_SAFE_INTEGER);
      const entry = await t.http.get(`/v1/log/entries/${max}`).set(...regulator.auth);
      expect({ status: entry.status, code: entry.body.error?.code }).toEqual({ status: 404, code: 'ENTRY_NOT_FOUND' });
      const proof = await t.http.get(`/v1/log/proof/inclusion?index=${max}`);
      expect({ status: proof.status, code: proof.body.error?.code }).toEqual({
        status: 400,
        code: 'INDEX_OUT_OF_RANGE',
      });
      const offset = await t.http.get(`/v1/distributors/me/returns?offset=${max}`).set(...distributor.auth);
      expect(offset.status).toBe(200);
    });
  });

  describe('tree sizes in proofs (§6.4: size outside 1…latest is TREE_SIZE_INVALID)', () => {
    const leafHash = '0'.repeat(64);
    it.each([
      ['size=0 with index', '/v1/log/proof/inclusion?index=0&size=0'],
      ['size=0 with leafHash', `/v1/log/proof/inclusion?leafHash=${leafHash}&size=0`],
      ['size beyond the latest with leafHash', `/v1/log/proof/inclusion?leafHash=${leafHash}&size=1000000`],
      ['to beyond the latest', '/v1/log/proof/consistency?from=0&to=1000000'],
    ])('%s', async (_name, url) => {
      const answer = await t.http.get(url);
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({
        status: 400,
        code: 'TREE_SIZE_INVALID',
      });
    });
  });

  describe('report windows: real instants in the years 0001 to 9999', () => {
    const window = (from: string, to: string) =>
      `/v1/reports/party?gln=${regulator.gln}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    it.each([
      ['year 0000', '0000-01-01T00:00:00Z', 'from'],
      ['year 10000', '10000-01-01T00:00:00Z', 'from'],
      ['0001-01-01 east of Greenwich is still 1 BC in UTC', '0001-01-01T00:00:00+01:00', 'from'],
      ['30 February', '2026-02-30T00:00:00Z', 'from'],
      ['hour 24', '2026-02-01T24:00:00Z', 'from'],
    ])('%s', async (_name, from, field) => {
      const answer = await t.http.get(window(from, '2026-12-01T00:00:00Z')).set(...regulator.auth);
      expectViolation(answer, field, 'isDateTime', from);
      const late = await t.http.get(window('2026-01-01T00:00:00Z', from)).set(...regulator.auth);
      expectViolation(late, 'to', 'isDateTime', from);
    });

    it('the first and last instants of the range are windows', async () => {
      const answer = await t.http
        .get(window('0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z') + '&format=csv')
        .set(...regulator.auth);
      expect(answer.status).toBe(200);
    });
  });

  describe('every date of every event body checks the calendar', () => {
    const ship = (tx: object, items = units(gtin, serials(1))) => ({
      shipmentId: `ASN-${Math.random().toString(36).slice(2, 10)}`,
      recipient: distributor.gln,
      items,
      transaction: tx,
    });

    it.each([
      ['transaction.date', { ...transaction, date: '2026-02-30' }],
      ['transaction.date', { ...transaction, date: '0000-01-01' }],
      ['transaction.date', { ...transaction, date: '2026-13-01' }],
      ['transaction.shipmentDate', { ...transaction, shipmentDate: '2026-02-29' }],
      ['transaction.shipmentDate', { ...transaction, shipmentDate: '2026-04-31' }],
    ])('ship: %s %j', async (field, tx) => {
      const before = await logSize();
      const answer = await t.http
        .post('/v1/events')
        .set(...manufacturer.auth)
        .send(manufacturer.event('ship', ship(tx)));
      expectViolation(answer, `event.body.${field}`, 'isCalendarDate', JSON.stringify(tx));
      expect(await logSize()).toBe(before);
    });

    it('a leap day is a date', async () => {
      const answer = await t.http
        .post('/v1/events')
        .set(...manufacturer.auth)
        .send(manufacturer.event('ship', ship({ ...transaction, date: '2028-02-29', shipmentDate: '2028-02-29' })));
      // Valid in form: refused by the custody rules (nothing commissioned), not by validation.
      expect(answer.status).toBe(422);
    });

    it('key.revoke revokedAt in year 0000 is refused like 30 February', async () => {
      for (const revokedAt of ['0000-06-01T00:00:00Z', '2026-02-30T00:00:00Z', '0001-01-01T00:30:00+01:00']) {
        const answer = await t.http
          .post(`/v1/parties/${distributor.gln}/keys/${distributor.keyId}/revoke`)
          .set(...operator())
          .send({ revokedAt });
        expectViolation(answer, 'revokedAt', 'isDateTime', revokedAt);
      }
    });
  });

  describe('item-code errors name the element', () => {
    it('one event: event.body.items[3], with the reason', async () => {
      const items = units(gtin, serials(5));
      items[3] = unitCode(gtin.slice(0, 13) + String((Number(gtin[13]) + 1) % 10), 'SN1');
      const answer = await t.http
        .post('/v1/events')
        .set(...manufacturer.auth)
        .send(manufacturer.event('ship', shipOf(items)));
      expectViolation(answer, 'event.body.items[3]', 'isItemCode', 'items[3]');
      expect(violations(answer).filter((v) => v.rule === 'isItemCode')).toHaveLength(1);
      expect(violations(answer)[0].message).toMatch(/check digit/i);
    });

    it('a batch: events[1].event.body.items[3], and a bounded list for 10,000 bad items', async () => {
      const good = manufacturer.event('ship', shipOf(units(gtin, serials(2))));
      const items = units(gtin, serials(10_000));
      for (let i = 3; i < items.length; i += 2) items[i] = `(01)${gtin}(21)`; // no serial
      const bad = manufacturer.event('ship', shipOf(items));
      const answer = await t.http
        .post('/v1/events/batch')
        .set(...manufacturer.auth)
        .send({ events: [good, bad] });
      expect(answer.status).toBeLessThan(500);
      const refusal = answer.body.results[1];
      expect(refusal.error.code).toBe('VALIDATION_FAILED');
      const named = refusal.error.details as Violation[];
      expect(named[0]).toMatchObject({ field: 'events[1].event.body.items[3]', rule: 'isItemCode' });
      expect(named.map((v) => v.field)).toContain('events[1].event.body.items[5]');
      // 4,999 broken elements: the first 100 named, the rest counted in one more violation.
      expect(named.filter((v) => v.rule === 'isItemCode')).toHaveLength(101);
      expect(named.at(-1)).toMatchObject({ field: 'events[1].event.body.items', rule: 'isItemCode' });
      expect(named.at(-1)!.message).toMatch(/4899 more/);
    });

    function shipOf(items: string[]) {
      return { shipmentId: 'ASN-ITEMS', recipient: distributor.gln, items, transaction };
    }
  });

  describe('a wrong method on an existing route: 405 with Allow', () => {
    it.each([
      ['DELETE', '/v1/log/checkpoint', ['GET', 'HEAD', 'POST']],
      ['PUT', '/v1/log/proof/inclusion', ['GET', 'HEAD']],
      ['GET', '/v1/events', ['POST']],
      ['GET', '/v1/events/batch', ['POST']],
      ['PATCH', `/v1/parties/0614141000005`, ['GET', 'HEAD']],
      ['GET', '/v1/parties/0614141000005/keys', ['POST']],
      ['POST', '/v1/log/tile/0/000', ['GET', 'HEAD']],
      ['DELETE', '/docs/openapi.json', ['GET', 'HEAD']],
    ])('%s %s', async (method, path, allow) => {
      const answer = await t.http[method.toLowerCase() as 'get'](path).set(...operator());
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({
        status: 405,
        code: 'METHOD_NOT_ALLOWED',
      });
      expect((answer.headers.allow as string).split(', ').sort()).toEqual([...allow, 'OPTIONS'].sort());
    });

    it('OPTIONS names the methods; an unknown path is still 404', async () => {
      const options = await t.http.options('/v1/log/checkpoint');
      expect(options.status).toBe(204);
      expect(options.headers.allow).toContain('POST');
      const unknown = await t.http.delete('/v1/no-such-route');
      expect({ status: unknown.status, code: unknown.body.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    });
  });

  describe('text the database cannot store, in any query or path parameter', () => {
    it.each([
      ['a rich verification query, recorded with the request', '/v1/verify?gtin=%00', 'gtin'],
      ['a query parameter read by name', '/v1/parties?role=dis%00tributor', 'role'],
      ['a path parameter', '/v1/verify/gtin/00361234567890/lot/LOT%00/ser/SN1?reqGLN=0614141000029', 'lot'],
      ['a path parameter of a DTO', '/v1/parties/%00', 'gln'],
    ])('%s', async (_name, url, field) => {
      const answer = await t.http.get(url).set(...(url.startsWith('/v1/verify') ? regulator.auth : operator()));
      expectViolation(answer, field, 'noNulCharacter', url);
    });
  });

  describe('the OpenAPI document', () => {
    it('lists every query and path parameter every documented route takes', async () => {
      const doc = (await t.http.get('/docs/openapi.json').expect(200)).body as {
        paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
      };
      const missing: string[] = [];
      let checked = 0;
      for (const module of t.app.get(ModulesContainer).values()) {
        for (const controller of module.controllers.values()) {
          const type = controller.metatype as (new (...args: never[]) => object) | null;
          if (!type) continue;
          const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
          for (let proto = type.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
            for (const name of Object.getOwnPropertyNames(proto)) {
              const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as object | undefined;
              if (name === 'constructor' || typeof handler !== 'function') continue;
              const route = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
              if (route === undefined) continue;
              const method = String(RequestMethodName[Reflect.getMetadata(METHOD_METADATA, handler) as number]);
              const path = `/${[base, route].filter((p) => p && p !== '/').join('/')}`
                .replace(/\*(\w+)/g, '{$1}')
                .replace(/:(\w+)/g, '{$1}');
              const operation = doc.paths[path]?.[method];
              if (!operation) continue; // excluded from the document (the web pages)
              checked++;
              const listed = new Set((operation.parameters ?? []).map((p) => `${p.in}:${p.name}`));
              const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<
                string,
                { index: number; data?: string }
              >;
              const types = Reflect.getMetadata('design:paramtypes', proto, name) as (new () => object)[];
              for (const [key, arg] of Object.entries(args)) {
                const kind = Number(key.split(':')[0]);
                if (kind !== RouteParamtypes.QUERY && kind !== RouteParamtypes.PARAM) continue;
                const where = kind === RouteParamtypes.QUERY ? 'query' : 'path';
                const names = arg.data
                  ? [arg.data]
                  : getMetadataStorage()
                      .getTargetValidationMetadatas(types[arg.index], '', true, false)
                      .map((m) => m.propertyName);
                for (const param of new Set(names)) {
                  if (!listed.has(`${where}:${param}`))
                    missing.push(`${method.toUpperCase()} ${path} ${where} ${param}`);
                }
              }
              for (const [, param] of path.matchAll(/\{(\w+)\}/g)) {
                if (!listed.has(`path:${param}`)) missing.push(`${method.toUpperCase()} ${path} path ${param}`);
              }
            }
          }
        }
      }
      expect([...new Set(missing)]).toEqual([]);
      expect(checked).toBe(Object.values(doc.paths).flatMap((ops) => Object.keys(ops)).length);
    });

    it('lists `from` (required) and `to` on the consistency proof, and the inventory filters', async () => {
      const doc = (await t.http.get('/docs/openapi.json').expect(200)).body;
      const params = (path: string) =>
        (doc.paths[path].get.parameters as { name: string; in: string; required?: boolean }[]).filter(
          (p) => p.in === 'query',
        );
      expect(params('/v1/log/proof/consistency')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'from', required: true }),
          expect.objectContaining({ name: 'to', required: false }),
        ]),
      );
      expect(params('/v1/distributors/me/inventory').map((p) => p.name)).toEqual(
        expect.arrayContaining(['gtin', 'lot']),
      );
    });
  });
});
