/**
 * One party's event never costs another party's (issue 9 §2). Intake commits concurrent events in one transaction,
 * so a correctly signed event holding something PostgreSQL refuses (U+0000 in text, year 0000 in a timestamptz, a
 * time zone offset beyond ±15:59) used to fail every event that shared its transaction (500 for everybody), and one
 * that PostgreSQL stored but could not read back as jsonb (U+0000 in `clear.reason`) cut every report touching it.
 *
 * Checked here, over real sockets and a real PostgreSQL:
 * - what the value checks accept, PostgreSQL stores as JavaScript reads it (times: to the millisecond; text: as is);
 * - each class is refused before any transaction, with a coded 400 naming the field and the rule;
 * - what the database still refuses after every check costs that event alone (EVENT_NOT_STORABLE), the others commit;
 * - a property: many parties post at once, a random share poisoned in every way found; every valid event gets its
 *   receipt, the log has no gap, and every report of every format streams to its end.
 */
import fc from 'fast-check';
import { Client } from 'pg';
import { Sql } from '../../src/database/database';
import { EventType, IntakeStore } from '../../src/ledger/event-type';
import { EventTypeRegistry } from '../../src/ledger/event-type.registry';
import { eventTimeError, LedgerEvent, parseEventTime } from '../../src/protocol/event';
import { storedTextViolation } from '../../src/protocol/stored-text';
import { fastEvent } from '../support/fast-sign';
import { HttpAnswer, HttpClient, mapLimit } from '../support/http-client';
import { listen } from '../support/peer-app';
import { newManufacturer, serials, TestManufacturer, units } from '../support/supply-chain';
import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { createTestApp, newGln, newParty, testAddress, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType, TestNoteBody } from '../support/test-event-type';

type Signed = { event: LedgerEvent<object>; signature: string };

/**
 * A test-only event type whose state the database refuses unless its text is a whole number (`$1::int`): what a
 * value no check before the transaction knows about does to the transaction it shares.
 */
class PoisonStore extends IntakeStore {
  readonly values: string[] = [];
  async load(): Promise<void> {}
  async flush(sql: Sql): Promise<void> {
    for (const value of this.values) await sql.query('SELECT $1::int AS n', [value]);
  }
}

const poisonType: EventType<TestNoteBody> = {
  type: 'test.poison',
  body: TestNoteBody,
  actorRoles: ['manufacturer', 'distributor', 'dispenser', 'regulator'],
  namedParties: () => [],
  prepare: (batch) => void batch.store(PoisonStore),
  apply: (batch, { body }) => void batch.store(PoisonStore).values.push(body.text),
};

/** Every event time class found that PostgreSQL refuses or alters, or that a reader (EPCIS) cannot hold. */
const BAD_TIMES: [string, string][] = [
  ['0000-06-01T00:00:00Z', 'yearRange'], // PostgreSQL: "date/time field value out of range"
  ['0001-01-01T00:00:00+01:00', 'yearRange'], // 1 BC in UTC: stored as a BC date
  ['9999-12-31T23:00:00-05:00', 'yearRange'], // year 10000 in UTC: JavaScript writes +010000-…
  ['2026-11-23T10:00:00+15:00', 'offsetRange'], // beyond EPCIS's ±14:00
  ['2026-11-23T10:00:00+16:00', 'offsetRange'], // PostgreSQL: "time zone displacement out of range"
  ['2026-11-23T10:00:00-23:59', 'offsetRange'],
  ['2026-11-23T10:00:00.9999996Z', 'subMicrosecond'], // PostgreSQL rounds to 10:00:01, JavaScript reads .999
  ['2026-11-23T10:00:00.0000001Z', 'subMicrosecond'],
  ['2026-12-31T23:59:60Z', 'calendar'], // a leap second: PostgreSQL stores the next minute
];

describe('a poisoned event costs only itself', () => {
  let t: TestApp;
  let api: HttpClient;
  let db: Client;
  let m: TestManufacturer;
  let regulator: TestParty;
  let parties: TestParty[];
  let gtin: string;
  let unitCodes: string[];
  let nextUnit = 0;
  const started = new Date(Date.now() - 60_000).toISOString();

  const post = (p: TestParty, signed: unknown) => api.withToken(p.token).post('/v1/events', signed);
  const committed = async (): Promise<number> => (await api.get('/v1/health')).body.log.entries;
  const note = (p: TestParty, text: string, overrides: Partial<LedgerEvent<object>> = {}) =>
    fastEvent(p, 'test.note', { text }, overrides);
  const freshUnit = () => unitCodes[nextUnit++];

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    const registry = t.app.get(EventTypeRegistry);
    registry.registerStore(PoisonStore, () => new PoisonStore());
    registry.register(poisonType);
    api = await listen(t.app);
    db = new Client({ connectionString: t.databaseUrl });
    await db.connect();
    m = await newManufacturer(t);
    regulator = await newParty(t, 'regulator', 'FDA');
    parties = [
      m,
      await newParty(t, 'distributor', 'Wholesale One'),
      await newParty(t, 'distributor', 'Wholesale Two'),
      await newParty(t, 'dispenser', 'Pharmacy One'),
      await newParty(t, 'dispenser', 'Pharmacy Two'),
    ];
    gtin = m.gtin(m.nextItemReference());
    expect((await post(m, fastEvent(m, 'product.register', productBody(gtin, 'Amoxicillin')))).status).toBe(201);
    const list = serials(400, 'PZ');
    const commissioned = await post(
      m,
      fastEvent(m, 'commission', { gtin, lot: 'LOT-P', expiry: '291231', serials: list }),
    );
    expect(commissioned.status).toBe(201);
    unitCodes = units(gtin, list);
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  function productBody(code: string, name: string) {
    return { gtin: code, name, strength: '500 mg', dosageForm: 'capsule', containerSize: '100 capsules' };
  }

  describe('what the checks accept, PostgreSQL stores as JavaScript reads it', () => {
    it('readers still read what the log may already hold: the refusals are for new events only', () => {
      // Accepted before these rules (PostgreSQL stored them): audit, rebuild and verify-bundle must still read them.
      for (const time of ['2026-11-23T10:00:00.123456789Z', '2026-11-23T10:00:00+15:00']) {
        expect([time, Number.isNaN(parseEventTime(time))]).toEqual([time, false]);
        expect([time, eventTimeError(time)]).not.toEqual([time, null]);
      }
    });

    // A time the check accepts: timestamptz takes it, and holds the instant JavaScript reads (to the millisecond).
    const digits = (n: number, width: number) => String(n).padStart(width, '0');
    const timeArb = fc
      .record({
        year: fc.integer({ min: 0, max: 9999 }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.integer({ min: 0, max: 60 }),
        fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
        zone: fc.oneof(
          fc.constant('Z'),
          fc.record({
            sign: fc.constantFrom('+', '-'),
            hours: fc.integer({ min: 0, max: 23 }),
            minutes: fc.integer({ min: 0, max: 59 }),
          }),
        ),
      })
      .map(({ year, month, day, hour, minute, second, fraction, zone }) => {
        const offset = zone === 'Z' ? 'Z' : `${zone.sign}${digits(zone.hours, 2)}:${digits(zone.minutes, 2)}`;
        const frac = fraction === undefined ? '' : `.${fraction}`;
        return `${digits(year, 4)}-${digits(month, 2)}-${digits(day, 2)}T${digits(hour, 2)}:${digits(minute, 2)}:${digits(second, 2)}${frac}${offset}`;
      });

    it('every time the check accepts is a timestamptz of the same millisecond; the edges it refuses are refused or altered there', async () => {
      const accepted: string[] = [];
      fc.assert(
        fc.property(timeArb, (time) => {
          if (eventTimeError(time) === null) accepted.push(time);
        }),
        { numRuns: 3000 },
      );
      accepted.push('0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2026-11-23T10:00:00.999999000+14:00');
      accepted.push('0001-01-01T13:59:00+13:59', '2026-11-23T10:00:00-14:00');
      expect(accepted.length).toBeGreaterThan(500);
      const rows = (
        await db.query<{ t: string; us: string }>(
          `SELECT t, (extract(epoch FROM t::timestamptz) * 1000000)::bigint::text AS us FROM unnest($1::text[]) t`,
          [accepted],
        )
      ).rows;
      for (const row of rows) {
        expect([row.t, row.us]).toEqual([row.t, writtenMicros(row.t)]);
        expect([row.t, Number(BigInt(row.us) / 1000n - (BigInt(row.us) % 1000n < 0n ? 1n : 0n))]).toEqual([
          row.t,
          Date.parse(row.t),
        ]);
      }

      // What it refuses, PostgreSQL refuses, or stores as another instant than the one written, outside the years
      // 0001-9999, or with an offset EPCIS cannot carry.
      for (const [time, rule] of BAD_TIMES) {
        expect([time, eventTimeError(time)?.rule]).toEqual([time, rule]);
        let stored: string | null;
        try {
          const [row] = (
            await db.query<{ us: string }>(
              `SELECT (extract(epoch FROM $1::timestamptz) * 1000000)::bigint::text AS us`,
              [time],
            )
          ).rows;
          stored = row.us;
        } catch {
          stored = null; // refused by PostgreSQL
        }
        const offset = time.endsWith('Z') ? '+00:00' : time.slice(-6);
        const epcisOffset = /^([+]|[-])((0[0-9]|1[0-3]):([0-5][0-9])|14:00)$/.test(offset);
        const inYears =
          stored !== null && BigInt(stored) >= -62135596800000000n && BigInt(stored) < 253402300800000000n;
        const faithful = stored !== null && stored === writtenMicros(time) && epcisOffset && inYears;
        expect([time, faithful]).toEqual([time, false]);
      }
    });

    it('every string the check accepts is stored as is by text and by jsonb; what it refuses, they refuse or alter', async () => {
      const samples = fc.sample(fc.string({ unit: 'binary', maxLength: 12 }), 400);
      samples.push('\ud800', 'a\udc00', '\udbff\udfff', 'x\u0000y', '\u0000', '\uffff\ufffe');
      for (const text of samples) {
        const violation = storedTextViolation({ [text]: [text] }, 'v');
        let faithful: boolean;
        try {
          const [row] = (
            await db.query<{ asText: string; asJsonb: string }>(
              `SELECT $1::text AS "asText", ($2::jsonb ->> 0) AS "asJsonb"`,
              [text, JSON.stringify([text])],
            )
          ).rows;
          faithful = row.asText === text && row.asJsonb === text;
        } catch {
          faithful = false;
        }
        expect([JSON.stringify(text), violation === null]).toEqual([JSON.stringify(text), faithful]);
      }
    });
  });

  describe('each class is refused before any transaction, naming the field and the rule', () => {
    it('24 parties post at once, one with U+0000 in a product name: it alone is refused (400), the 23 others commit', async () => {
      const before = await committed();
      const bad = fastEvent(m, 'product.register', productBody(m.gtin(m.nextItemReference()), 'Amoxi\u0000cillin'));
      const good = Array.from({ length: 23 }, (_, i) => note(parties[i % parties.length], `good neighbour ${i}`));
      const answers = await Promise.all([...good.map((s, i) => post(parties[i % parties.length], s)), post(m, bad)]);
      const badAnswer = answers.pop()!;
      expect(answers.map((a) => a.status)).toEqual(good.map(() => 201));
      expect(badAnswer.status).toBe(400);
      expect(badAnswer.body.error.code).toBe('VALIDATION_FAILED');
      expect(badAnswer.body.error.details).toEqual([
        expect.objectContaining({ field: 'event.body.name', rule: 'noNulCharacter' }),
      ]);
      expect(answers.map((a) => a.body.index).sort((x, y) => x - y)).toEqual(range(before, 23));
      expect(await committed()).toBe(before + 23);
    });

    it('U+0000 in clear.reason is refused, and the reports of the unit still stream to their end', async () => {
      const unit = freshUnit();
      expect((await post(m, fastEvent(m, 'quarantine', { items: [unit], reason: 'seal broken' }))).status).toBe(201);
      const refused = await post(m, fastEvent(m, 'clear', { items: [unit], reason: 'checked\u0000ok' }));
      expect(refused.status).toBe(400);
      expect(refused.body.error.details).toEqual([
        expect.objectContaining({ field: 'event.body.reason', rule: 'noNulCharacter' }),
      ]);
      expect((await post(m, fastEvent(m, 'clear', { items: [unit], reason: 'checked: ok' }))).status).toBe(201);
      await everyReportStreams([unit]);
    });

    it('U+0000 in any free text of any event type, however deep, is refused naming the field', async () => {
      const unit = freshUnit();
      const cases: [string, object, string][] = [
        ['quarantine', { items: [unit], reason: 'seal\u0000broken' }, 'event.body.reason'],
        ['recall', { gtin, lots: ['LOT-P'], reason: 'sub\u0000potent' }, 'event.body.reason'],
        ['product.register', { ...productBody(m.gtin(99), 'A'), strength: '5\u0000 mg' }, 'event.body.strength'],
        [
          'ship',
          {
            shipmentId: 'ASN-NUL',
            recipient: parties[1].gln,
            items: [unit],
            transaction: { date: '2026-11-20', shipmentDate: '2026-11-20', purchaseOrder: 'PO\u0000' },
          },
          'event.body.transaction.purchaseOrder',
        ],
        [
          'illegitimate',
          {
            items: [unit],
            report: {
              reportType: 'initial',
              classification: 'counterfeit',
              description: 'fake',
              contact: { name: '\u0000' },
            },
          },
          'event.body.report.contact.name',
        ],
      ];
      const before = await committed();
      for (const [type, body, field] of cases) {
        const answer = await post(m, fastEvent(m, type, body));
        expect([type, answer.status, answer.body.error.code, answer.body.error.details]).toEqual([
          type,
          400,
          'VALIDATION_FAILED',
          [expect.objectContaining({ field, rule: 'noNulCharacter' })],
        ]);
      }
      expect(await committed()).toBe(before);
    });

    it.each(BAD_TIMES)(
      'event.time %s is refused (400 EVENT_TIME_INVALID, rule %s); a neighbour commits',
      async (time, rule) => {
        const before = await committed();
        const [bad, good] = await Promise.all([
          post(m, note(m, 'when?', { time })),
          post(parties[1], note(parties[1], 'now')),
        ]);
        expect([bad.status, bad.body.error.code, bad.body.error.details]).toEqual([
          400,
          'EVENT_TIME_INVALID',
          { field: 'event.time', rule },
        ]);
        expect(good.status).toBe(201);
        expect(await committed()).toBe(before + 1);
      },
    );

    it('operator requests: a party name or address with U+0000, a revocation in year 0000: 400 naming the field', async () => {
      const p = await newParty(t, 'dispenser', 'Revocable');
      const before = await committed();
      const ops = api.withToken(t.operatorToken);
      const party = (name: string, street: string) => ({
        gln: newGln(),
        name,
        role: 'dispenser',
        address: { ...testAddress, street },
        publicKeys: [bytesToBase64(publicKeyOf(generateSecretKey()))],
      });
      for (const [body, field] of [
        [party('Null\u0000Pharmacy', '1 Way'), /(^|\.)name$/],
        [party('Null Pharmacy', '1 Way\u0000'), /address\.street$/],
      ] as const) {
        const answer = await ops.post('/v1/parties', body);
        expect([answer.status, answer.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(answer.body.error.details).toEqual([
          expect.objectContaining({ field: expect.stringMatching(field), rule: 'noNulCharacter' }),
        ]);
      }
      const revoke = await ops.post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`, {
        revokedAt: '0000-06-01T00:00:00Z',
      });
      expect([revoke.status, revoke.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(revoke.body.error.details).toEqual([expect.objectContaining({ field: 'revokedAt' })]);
      expect(await committed()).toBe(before);
    });

    it('requests that never become events: U+0000 in a token label, a query or a path parameter is 400 naming it', async () => {
      const p = await newParty(t, 'dispenser', 'Token Holder');
      const ops = api.withToken(t.operatorToken);
      const label = await ops.post(`/v1/parties/${p.gln}/tokens`, { label: 'ci\u0000bot' });
      expect([label.status, label.body.error?.code, label.body.error?.details]).toEqual([
        400,
        'VALIDATION_FAILED',
        [expect.objectContaining({ field: 'label', rule: 'noNulCharacter' })],
      ]);
      const lone = await ops.post(`/v1/parties/${p.gln}/tokens`, { label: 'ci\ud800bot' });
      expect([lone.status, lone.body.error?.details]).toEqual([
        400,
        [expect.objectContaining({ field: 'label', rule: 'wellFormedUnicode' })],
      ]);
      const query = await api
        .withToken(p.token)
        .get(`/v1/verify/gtin/${gtin}/lot/LOT-P/ser/PZ000001?reqGLN=${p.gln}&corrUUID=%00`);
      expect([query.status, query.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(query.body.error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ rule: 'noNulCharacter' })]),
      );
    });
  });

  it('what the database refuses after every check is refused for that event alone (422 EVENT_NOT_STORABLE)', async () => {
    const before = await committed();
    const jobs = Array.from({ length: 30 }, (_, i) => {
      const p = parties[i % parties.length];
      return {
        p,
        signed: fastEvent(p, 'test.poison', { text: i % 7 === 3 ? `poison ${i}` : String(i) }),
        poisoned: i % 7 === 3,
      };
    });
    const answers = await Promise.all(jobs.map((j) => post(j.p, j.signed)));
    answers.forEach((answer, i) => {
      if (jobs[i].poisoned) {
        expect([answer.status, answer.body.error.code, answer.body.error.details]).toEqual([
          422,
          'EVENT_NOT_STORABLE',
          { sqlState: '22P02' },
        ]);
      } else {
        expect([answer.status, answer.body.eventId]).toEqual([201, jobs[i].signed.event.id]);
      }
    });
    const good = answers.filter((a) => a.status === 201);
    expect(good.map((a) => a.body.index).sort((x, y) => x - y)).toEqual(range(before, good.length));
    expect(await committed()).toBe(before + good.length);
  });

  // ---- The property ----

  type Poison =
    | { kind: 'nul' }
    | { kind: 'surrogate' }
    | { kind: 'time'; time: string; rule: string }
    | { kind: 'number' }
    | { kind: 'database' };
  type Kind = 'note' | 'quarantine' | 'clear' | 'product' | 'poisonType';

  interface Job {
    party: number;
    kind: Kind;
    text: string;
    poison: Poison | null;
    /** Sent inside a batch of three notes (poisoned or not): the neighbours must land. */
    inBatch: boolean;
  }

  const poisonArb: fc.Arbitrary<Poison> = fc.oneof(
    fc.constant<Poison>({ kind: 'nul' }),
    fc.constant<Poison>({ kind: 'surrogate' }),
    fc.constantFrom(...BAD_TIMES).map(([time, rule]): Poison => ({ kind: 'time', time, rule })),
    fc.constant<Poison>({ kind: 'number' }),
    fc.constant<Poison>({ kind: 'database' }),
  );
  const jobArb: fc.Arbitrary<Job> = fc.record({
    party: fc.nat(4),
    kind: fc.constantFrom<Kind>('note', 'quarantine', 'clear', 'product', 'poisonType'),
    text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => s.replaceAll('\u0000', '_')),
    poison: fc.option(poisonArb, { freq: 3 }),
    inBatch: fc.boolean(),
  });

  /** Poisons `text` where the job's poison is text. */
  function poisonText(text: string, poison: Poison | null, at: number): string | number {
    if (poison?.kind === 'nul') return `${text.slice(0, at)}\u0000${text.slice(at)}`;
    if (poison?.kind === 'surrogate') return `${text.slice(0, at)}\ud800${text.slice(at)}`;
    if (poison?.kind === 'number') return 2 ** 64;
    return text;
  }

  /** The signed events of a job (a clear comes after the quarantine of the same fresh unit) and the expected answers. */
  function build(job: Job, at: number): { party: TestParty; events: Signed[]; expected: (string | number)[] } {
    const sign = signedEvent;
    const party = job.kind === 'quarantine' || job.kind === 'clear' || job.kind === 'product' ? m : parties[job.party];
    const text =
      job.poison?.kind === 'database' ? job.text : poisonText(job.text, job.poison, at % (job.text.length + 1));
    const time = job.poison?.kind === 'time' ? { time: job.poison.time } : {};
    const poisonedCode = (): string => {
      switch (job.poison?.kind) {
        case 'time':
          return 'EVENT_TIME_INVALID';
        case 'database':
          return job.kind === 'poisonType' ? 'EVENT_NOT_STORABLE' : 'ACCEPTED';
        default:
          return 'VALIDATION_FAILED';
      }
    };
    const expectPoisoned = job.poison === null ? 'ACCEPTED' : poisonedCode();
    switch (job.kind) {
      case 'note':
        return { party, events: [sign(party, 'test.note', { text }, time)], expected: [expectPoisoned] };
      case 'poisonType': {
        // Its valid text is a whole number; text poisons apply as to any other text.
        const value =
          job.poison === null || job.poison.kind === 'time'
            ? String(at)
            : job.poison.kind === 'database'
              ? `not a number: ${job.text}`
              : text;
        return { party, events: [sign(party, 'test.poison', { text: value }, time)], expected: [expectPoisoned] };
      }
      case 'product':
        return {
          party,
          events: [sign(party, 'product.register', productBody(m.gtin(m.nextItemReference()), text as string), time)],
          expected: [expectPoisoned],
        };
      case 'quarantine':
        return {
          party,
          events: [sign(party, 'quarantine', { items: [freshUnit()], reason: text }, time)],
          expected: [expectPoisoned],
        };
      case 'clear': {
        const unit = freshUnit();
        return {
          party,
          events: [
            fastEvent(party, 'quarantine', { items: [unit], reason: 'held for the property' }),
            sign(party, 'clear', { items: [unit], reason: text }, time),
          ],
          expected: ['ACCEPTED', expectPoisoned],
        };
      }
    }
  }

  it('property: many parties post at once, a random share poisoned; valid events land gapless and every report streams to its end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jobArb, { minLength: 12, maxLength: 30 }), fc.nat(1000), async (jobs, seed) => {
        const before = await committed();
        const touched: string[] = [];
        const requests = jobs.map((job, i) => {
          const built = build(job, seed + i);
          if (built.events[0].event.type === 'quarantine') {
            touched.push(...(built.events[0].event.body as { items: string[] }).items);
          }
          const batch =
            built.events.length > 1 || job.inBatch
              ? [
                  ...(job.inBatch ? [note(built.party, `before ${i}`)] : []),
                  ...built.events,
                  ...(job.inBatch ? [note(built.party, `after ${i}`)] : []),
                ]
              : null;
          const expected = batch && job.inBatch ? ['ACCEPTED', ...built.expected, 'ACCEPTED'] : built.expected;
          return { built, batch, expected };
        });
        const answers: HttpAnswer[] = await Promise.all(
          requests.map(({ built, batch }) =>
            batch
              ? api.withToken(built.party.token).post('/v1/events/batch', { events: batch })
              : post(built.party, built.events[0]),
          ),
        );
        const indexes: number[] = [];
        answers.forEach((answer, i) => {
          const { expected, batch, built } = requests[i];
          const sent = batch ?? built.events;
          const outcomes: { code: string; index?: number; eventId?: string }[] = batch
            ? answer.body.results.map(
                (r: { accepted: boolean; receipt?: { index: number; eventId: string }; error?: { code: string } }) =>
                  r.accepted
                    ? { code: 'ACCEPTED', index: r.receipt!.index, eventId: r.receipt!.eventId }
                    : { code: r.error!.code },
              )
            : [
                answer.status === 201
                  ? { code: 'ACCEPTED', index: answer.body.index, eventId: answer.body.eventId }
                  : { code: answer.body.error.code },
              ];
          expect([i, outcomes.map((o) => o.code)]).toEqual([i, expected]);
          outcomes.forEach((o, k) => {
            if (o.code !== 'ACCEPTED') return;
            expect(o.eventId).toBe(sent[k].event.id);
            indexes.push(o.index!);
          });
        });
        expect(indexes.sort((x, y) => x - y)).toEqual(range(before, indexes.length));
        expect(await committed()).toBe(before + indexes.length);
        await everyReportStreams(touched.slice(0, 2));
      }),
      { numRuns: 4, endOnFailure: true },
    );
  });

  /** Every report scope over what was posted, in every format, as the regulator: each must stream to its end. */
  async function everyReportStreams(unitsTouched: string[]): Promise<void> {
    const checkpoint = await api.withToken(t.operatorToken).post('/v1/log/checkpoint');
    expect(checkpoint.status).toBe(200);
    const window = { from: started, to: new Date(Date.now() + 60_000).toISOString() };
    const scopes: [string, Record<string, string>][] = [
      ...unitsTouched.map((code): [string, Record<string, string>] => [
        'serial',
        { gtin, serial: code.split('(21)')[1] },
      ]),
      ['lot', { gtin, lot: 'LOT-P' }],
      ['gtin', { gtin, ...window }],
      ['party', { gln: m.gln, ...window }],
      ['alerts', {}],
    ];
    const reg = api.withToken(regulator.token);
    await mapLimit(
      scopes.flatMap(([scope, query]) => ['bundle', 'epcis', 'csv', 'pdf'].map((format) => ({ scope, query, format }))),
      2,
      async ({ scope, query, format }) => {
        const path = `/v1/reports/${scope}?${new URLSearchParams({ ...query, format })}`;
        let answer: HttpAnswer;
        try {
          answer = await reg.get(path);
        } catch (error) {
          throw new Error(`${path}: the stream was cut (${(error as Error).message})`, { cause: error });
        }
        expect([path, answer.status, answer.status === 200 ? '' : answer.text]).toEqual([path, 200, '']);
        if (format === 'pdf')
          expect([path, /%%EOF\s*$/.test(Buffer.from(answer.bytes.subarray(-16)).toString('latin1'))]).toEqual([
            path,
            true,
          ]);
        else if (format === 'csv') expect([path, answer.text.endsWith('\n')]).toEqual([path, true]);
        else expect([path, typeof answer.body]).toEqual([path, 'object']);
      },
    );
  }
});

/**
 * Signs an event; one RFC 8785 cannot canonicalize (a lone surrogate) is signed as if it held "?" there, then sent
 * as it is: intake must refuse it before it looks at the signature.
 */
function signedEvent(party: TestParty, type: string, body: object, overrides: Partial<LedgerEvent<object>>): Signed {
  try {
    return fastEvent(party, type, body, overrides);
  } catch {
    const clean = JSON.parse(JSON.stringify(body).replace(/\\ud[89a-f][0-9a-f]{2}/g, '?')) as object;
    const signed = fastEvent(party, type, clean, overrides);
    return { event: { ...signed.event, body }, signature: signed.signature };
  }
}

/** Microseconds since the epoch of an RFC 3339 time as written (a string, exact), or "inexact" beyond them. */
function writtenMicros(time: string): string {
  const [, whole, fraction = '', zone] = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(time)!;
  const digits = fraction.padEnd(9, '0');
  const seconds = Date.parse(whole + zone);
  if (Number.isNaN(seconds) || !/^0+$/.test(digits.slice(6))) return 'inexact';
  return String(BigInt(seconds) * 1000n + BigInt(digits.slice(0, 6)));
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
