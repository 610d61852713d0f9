/**
 * Hostile path and query parameters on every operation the served OpenAPI document lists (issue 9 §4): never a 5xx,
 * and every 4xx carries the coded error body `{ "error": { "code", "message" } }` (docs/PROTOCOL.md §10). A wrong
 * method on an existing path is 405 with `Allow` (RFC 9110 §15.5.6). Deterministic: a fixed list of values for
 * every parameter, then fast-check with a fixed seed for combinations; bounded by the number of operations.
 */
import fc from 'fast-check';
import { newTradingPartners } from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: { type?: string; enum?: string[]; example?: unknown; minimum?: number };
  example?: unknown;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
}
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  text: string;
}

/** Values sent as they are, already %-encoded where they must be (a lone surrogate has no UTF-8). */
const RAW = (encoded: string) => ({ encoded });
type Value = string | { encoded: string };

const HOSTILE: Value[] = [
  '\u0000',
  'a\u0000b',
  '18446744073709551616', // 2^64
  '9223372036854775808', // 2^63
  String(2 ** 53 + 1),
  '-1',
  '１２', // fullwidth digits
  '0000-01-01T00:00:00Z',
  '10000-01-01T00:00:00Z',
  '0001-01-01T00:00:00+01:00',
  '2026-02-30T00:00:00Z',
  '2026-02-30',
  'x'.repeat(10_000),
  '',
  ' 1',
  '1e3',
  '0x10',
  '../../etc/passwd',
  '__proto__',
  '(01)00361234567891(21)SN1',
  RAW('%ED%A0%80'), // a lone surrogate as UTF-8: invalid
  RAW('%'), // a broken escape
  RAW('%C0%AF'), // an overlong encoding
];

const encode = (value: Value): string => (typeof value === 'string' ? encodeURIComponent(value) : value.encoded);
const shown = (value: Value): string => JSON.stringify(typeof value === 'string' ? value : value.encoded).slice(0, 40);

/** A value each parameter takes when it is not the one under attack: the document's example, else by name. */
const BASELINE: Record<string, string> = {
  gtin: '00361234567890',
  lot: 'LOT-A',
  serial: 'SN0001',
  index: '0',
  path: '0/000.p/1',
  tokenId: '00000000-0000-4000-8000-000000000000',
  reqGLN: '0614141000029',
  from: '0',
};

describe('hostile parameters on every operation of the OpenAPI document', () => {
  let t: TestApp;
  let operations: Operation[];
  let tokens: { name: string; auth?: [string, string] }[];
  let bystander: TestParty;
  const seen = { requests: 0, byStatus: new Map<number, number>() };

  beforeAll(async () => {
    t = await createTestApp();
    const { manufacturer, distributor, pharmacy, regulator } = await newTradingPartners(t);
    // The party named in path parameters: keys revoked and tokens issued by the sweep harm no one else.
    bystander = await newParty(t, 'distributor', 'Bystander');
    BASELINE.gln = bystander.gln;
    BASELINE.keyId = bystander.keyId;
    BASELINE.reqGLN = regulator.gln;
    tokens = [
      { name: 'no token' },
      { name: 'operator', auth: ['Authorization', `Bearer ${t.operatorToken}`] },
      { name: 'manufacturer', auth: manufacturer.auth },
      { name: 'distributor', auth: distributor.auth },
      { name: 'dispenser', auth: pharmacy.auth },
      { name: 'regulator', auth: regulator.auth },
    ];
    await t.http.post('/v1/log/checkpoint').set(...tokens[1].auth!);
    const doc = (await t.http.get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
      })),
    );
  });
  afterAll(() => t.close());

  /** Every parameter an operation takes: those documented, and any `{name}` of its path the document forgot. */
  function parametersOf(op: Operation): Parameter[] {
    const listed = op.parameters.filter((p) => p.in === 'path' || p.in === 'query');
    const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const forgotten = inPath.filter((name) => !listed.some((p) => p.in === 'path' && p.name === name));
    return [...listed, ...forgotten.map((name) => ({ in: 'path' as const, name, required: true }))];
  }

  function baseline(p: Parameter): string | undefined {
    const example = p.example ?? p.schema?.example;
    if (typeof example === 'string') return example;
    if (BASELINE[p.name] !== undefined) return BASELINE[p.name];
    if (p.schema?.enum?.length) return p.schema.enum[0];
    if (p.schema?.type === 'integer') return String(p.schema.minimum ?? 1);
    return p.required ? 'x' : undefined;
  }

  /** The URL of `op` with `attack` in place of the named parameters (a list: the parameter repeated). */
  function urlOf(op: Operation, attack: Map<string, Value[]>): string {
    const params = parametersOf(op);
    let path = op.path;
    for (const p of params.filter((p) => p.in === 'path')) {
      const attacked = attack.get(p.name)?.[0];
      // The tile path's baseline holds slashes of its own.
      const value =
        attacked !== undefined ? encode(attacked) : p.name === 'path' ? BASELINE.path : encode(baseline(p) ?? 'x');
      path = path.replace(`{${p.name}}`, value);
    }
    const query: string[] = [];
    for (const p of params.filter((p) => p.in === 'query')) {
      const values = attack.get(p.name) ?? [baseline(p)].filter((v): v is string => v !== undefined);
      for (const value of values) query.push(`${p.name}=${encode(value)}`);
    }
    return query.length > 0 ? `${path}?${query.join('&')}` : path;
  }

  /** A path template as a pattern: `{name}` is one segment, the tile `{path}` the rest. */
  function templateOf(path: string): RegExp {
    const pattern = path.replace(/\{path\}/, '.+').replace(/\{\w+\}/g, '[^/]+');
    return new RegExp(`^${pattern}$`);
  }

  async function send(method: string, url: string, auth?: [string, string]): Promise<Answer> {
    let request = t.http[method.toLowerCase() as 'get'](url);
    if (auth) request = request.set(...auth);
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') request = request.send({});
    const answer = await request;
    seen.requests++;
    seen.byStatus.set(answer.status, (seen.byStatus.get(answer.status) ?? 0) + 1);
    return answer as unknown as Answer;
  }

  /** No 5xx; a 4xx is `{ error: { code, message } }` with a stable code. Returns a description of what is wrong. */
  function problem(answer: Answer): string | null {
    if (answer.status >= 500) return `${answer.status} ${answer.text.slice(0, 200)}`;
    if (answer.status >= 400) {
      const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      if (typeof error?.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(error.code)) {
        return `${answer.status} without a coded error body: ${answer.text.slice(0, 200)}`;
      }
      if (typeof error.message !== 'string' || error.message.length === 0) return `${answer.status} without a message`;
    }
    return null;
  }

  /** The tokens to attack `op` with: none, and the first whose baseline request passes authentication. */
  async function tokensFor(op: Operation): Promise<{ name: string; auth?: [string, string] }[]> {
    for (const token of tokens.slice(1)) {
      const answer = await send(op.method, urlOf(op, new Map()), token.auth);
      if (answer.status !== 401 && answer.status !== 403) return [tokens[0], token];
    }
    return tokens;
  }

  it('every hostile value in every path and query parameter, without a token and with a valid one', async () => {
    const problems: string[] = [];
    for (const op of operations) {
      const attackers = await tokensFor(op);
      for (const p of parametersOf(op)) {
        for (const value of HOSTILE) {
          for (const token of attackers) {
            const url = urlOf(op, new Map([[p.name, [value]]]));
            const answer = await send(op.method, url, token.auth);
            const wrong = problem(answer);
            if (wrong) problems.push(`${op.method} ${op.path} ${p.name}=${shown(value)} (${token.name}): ${wrong}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    // The sweep reached the handlers: a good share of the answers are validation refusals, not 401/403.
    expect(seen.byStatus.get(400) ?? 0).toBeGreaterThan(seen.requests / 4);
  });

  it('a method an existing path does not take is 405 with Allow, whatever the token', async () => {
    const problems: string[] = [];
    const paths = [...new Set(operations.map((op) => op.path))];
    for (const path of paths) {
      const taken = operations.filter((op) => op.path === path);
      const url = urlOf(taken[0], new Map());
      // A method no documented operation takes on this URL (`POST /v1/manufacturers/me/prefixes` is `{gln}`'s).
      const served = (method: string) =>
        operations.some((op) => op.method === method && templateOf(op.path).test(url.split('?')[0]));
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !served(m))) {
        for (const token of [tokens[0], tokens[1]]) {
          const answer = await send(method, url, token.auth);
          const code = (answer.body as { error?: { code?: string } }).error?.code;
          const allow = (answer.headers.allow ?? '').split(', ');
          if (answer.status !== 405 || code !== 'METHOD_NOT_ALLOWED') {
            problems.push(`${method} ${path}: ${answer.status} ${code}`);
          } else if (!taken.every((op) => allow.includes(op.method))) {
            problems.push(
              `${method} ${path}: Allow ${answer.headers.allow} lacks one of ${taken.map((o) => o.method)}`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('combinations (fast-check, fixed seed): several hostile parameters at once, repeated, random text', async () => {
    const text = fc.oneof(
      fc.constantFrom(...HOSTILE),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.integer({ min: -1, max: 10 }).map(String),
    );
    const problems: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: operations.length - 1 }),
        fc.integer({ min: 0, max: tokens.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.array(text, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('GET', 'GET', 'POST', 'DELETE', 'PUT'),
        async (which, token, picks, method) => {
          const op = operations[which];
          const params = parametersOf(op);
          if (params.length === 0) return;
          const attack = new Map(picks.map(([i, values]) => [params[i % params.length].name, values]));
          const url = urlOf(op, attack);
          const answer = await send(method, url, tokens[token].auth);
          const wrong = problem(answer);
          if (wrong) problems.push(`${method} ${url.slice(0, 200)} (${tokens[token].name}): ${wrong}`);
        },
      ),
      { seed: 20261205, numRuns: 1000 },
    );
    expect(problems).toEqual([]);
  });
});
