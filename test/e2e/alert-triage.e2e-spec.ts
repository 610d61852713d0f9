/**
 * Issue 13 §4 over HTTP: verification alerts a regulator can work through (docs/PROTOCOL.md §8.6). Repeated scans of
 * one unit are one alert with a count; severity by meaning; acknowledge, assign, note, close and reopen recorded
 * append-only with who and when, invalid transitions refused with a code naming the field and the rule; filters,
 * keyset paging that stays stable while scans arrive, a CSV export equal to the JSON list, and each party seeing only
 * its own alerts.
 */
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import {
  accept,
  connectDb,
  newTradingPartners,
  registerProduct,
  transaction,
  units,
  TestManufacturer,
} from '../support/supply-chain';
import { ALERT_KINDS, alertKindOf } from '../../src/alerts/alert-rules';
import { newAdministrator } from '../support/people';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

interface Alert {
  id: string;
  kind: string;
  severity: string;
  gtin: string;
  serial: string;
  code: string;
  lot: string | null;
  printedLot: string | null;
  recallClass: string | null;
  manufacturer: string | null;
  parties: string[];
  count: number;
  firstSeen: string;
  lastSeen: string;
  state: string;
  assignee: string | null;
  lastActionAt: string | null;
}

interface Detail {
  alert: Alert;
  scans: { requester: { gln: string } }[];
  history?: {
    action: string;
    at: string;
    by: { gln: string; role: string; person?: unknown };
    assignee?: string;
    note?: string;
  }[];
  actions: string[];
}

describe('alert triage (GET /v1/alerts, POST /v1/alerts/:id/actions, GET /v1/alerts/csv)', () => {
  let t: TestApp;
  let db: Client;
  let m: TestManufacturer;
  let p: TestParty;
  let p2: TestParty;
  let r: TestParty;
  let gtin: string;
  let beforeRecallScans: string;

  const scan = (party: TestParty, serial: string, lot = 'LOT-A') =>
    t.http
      .get('/v1/verify')
      .query({ code: `(01)${gtin}(21)${serial}(17)291231(10)${lot}` })
      .set(...party.auth)
      .expect(200);
  const list = async (party: TestParty, query: Record<string, string | number> = {}) => {
    const response = await t.http
      .get('/v1/alerts')
      .query({ limit: 200, ...query })
      .set(...party.auth);
    expect(response.status).toBe(200);
    return response.body as { alerts: Alert[]; next: string | null };
  };
  const find = async (kind: string, serial: string, party: TestParty = r) =>
    (await list(party)).alerts.find((a) => a.kind === kind && a.serial === serial)!;
  const act = (id: string, body: object, party: TestParty = r) =>
    t.http
      .post(`/v1/alerts/${id}/actions`)
      .set(...party.auth)
      .send(body);
  const detail = async (id: string, party: TestParty = r) => {
    const response = await t.http.get(`/v1/alerts/${id}`).set(...party.auth);
    expect(response.status).toBe(200);
    return response.body as Detail;
  };

  beforeAll(async () => {
    t = await createTestApp();
    db = await connectDb(t);
    let d: TestParty;
    ({ manufacturer: m, distributor: d, pharmacy: p, regulator: r } = await newTradingPartners(t));
    p2 = await newParty(t, 'dispenser', 'Other Pharmacy');
    gtin = await registerProduct(t, m);
    await accept(t, m, 'commission', { gtin, lot: 'LOT-A', expiry: '291231', serials: ['A1', 'A2'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-R', expiry: '291231', serials: ['R1'] });
    await accept(t, m, 'commission', { gtin, lot: 'LOT-S', expiry: '291231', serials: ['S1'] });
    const items = units(gtin, ['A1', 'A2']);
    await accept(t, m, 'ship', { shipmentId: 'S1', recipient: d.gln, items, transaction });
    await accept(t, d, 'receive', { shipper: m.gln, shipmentId: 'S1', items });
    await accept(t, d, 'ship', { shipmentId: 'S2', recipient: p.gln, items, transaction });
    await accept(t, p, 'receive', { shipper: d.gln, shipmentId: 'S2', items });
    await accept(t, p, 'dispense', { items: units(gtin, ['A1']) });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-R'], reason: 'sterility', classification: 'I' });
    await accept(t, m, 'recall', { gtin, lots: ['LOT-S'], reason: 'label', classification: 'III' }, true);

    // A clone of the dispensed A1 scanned three times at the pharmacy: one alert, count 3.
    for (let i = 0; i < 3; i++) await scan(p, 'A1');
    await scan(p, 'NOPE1'); // unknown serial, at the pharmacy
    await scan(p2, 'NOPE2'); // unknown serial, at the other pharmacy
    beforeRecallScans = new Date().toISOString();
    await scan(p2, 'R1', 'LOT-R'); // recalled (class I) and not held by p2
    await scan(p2, 'S1', 'LOT-S'); // recalled (class III) and not held by p2
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
  });

  it('groups repeated scans of one unit into one alert with a count, first and last seen; severity by meaning', async () => {
    const { alerts } = await list(r);
    const summary = alerts.map((a) => [a.kind, a.serial, a.count, a.severity, a.state]);
    expect(summary).toEqual([
      // Newest first by first scan.
      ['RECALLED', 'S1', 1, 'low', 'open'],
      ['RECALLED', 'R1', 1, 'high', 'open'],
      ['UNKNOWN_SERIAL', 'NOPE2', 1, 'high', 'open'],
      ['UNKNOWN_SERIAL', 'NOPE1', 1, 'high', 'open'],
      ['ALREADY_DISPENSED', 'A1', 3, 'high', 'open'],
    ]);
    const clone = alerts.find((a) => a.kind === 'ALREADY_DISPENSED')!;
    expect(clone).toMatchObject({ gtin, lot: 'LOT-A', printedLot: 'LOT-A', parties: [p.gln], manufacturer: m.gln });
    expect(Date.parse(clone.firstSeen)).toBeLessThan(Date.parse(clone.lastSeen));
    expect(alerts.find((a) => a.serial === 'R1')).toMatchObject({ recallClass: 'I', lot: 'LOT-R' });
    // The log does not know NOPE1: no lot from the log, the printed one as printed.
    expect(alerts.find((a) => a.serial === 'NOPE1')).toMatchObject({ lot: null, printedLot: 'LOT-A' });
    const shown = await detail(clone.id);
    expect(shown.scans).toHaveLength(3);
    expect(shown.alert).toEqual(clone);
  });

  it('takes every action in the states that allow it, refuses the others naming the field and the rule', async () => {
    const { id } = await find('UNKNOWN_SERIAL', 'NOPE1');
    const refused = async (body: object, state: string, field = 'action', rule = 'allowedFrom') => {
      const response = await act(id, body);
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'ALERT_TRANSITION_REFUSED', details: { field, rule, state } });
    };
    expect((await detail(id)).actions).toEqual(['acknowledge', 'assign', 'note', 'close']);
    await refused({ action: 'reopen' }, 'open');

    let answer = await act(id, { action: 'acknowledge' });
    expect(answer.status).toBe(201);
    expect(answer.body.alert.state).toBe('acknowledged');
    await refused({ action: 'acknowledge' }, 'acknowledged');
    await refused({ action: 'reopen' }, 'acknowledged');

    answer = await act(id, { action: 'assign', assignee: 'Dana Inspector' });
    expect(answer.body.alert).toMatchObject({ state: 'acknowledged', assignee: 'Dana Inspector' });
    await refused({ action: 'assign', assignee: 'Dana Inspector' }, 'acknowledged', 'assignee', 'changed');
    expect((await act(id, { action: 'note', note: 'called the pharmacy' })).status).toBe(201);

    answer = await act(id, { action: 'close', note: 'package was a misprint' });
    expect(answer.body.alert.state).toBe('closed');
    expect(answer.body.actions).toEqual(['note', 'reopen']);
    await refused({ action: 'close' }, 'closed');
    await refused({ action: 'acknowledge' }, 'closed');
    await refused({ action: 'assign', assignee: 'Someone Else' }, 'closed');
    expect((await act(id, { action: 'note', note: 'filed' })).status).toBe(201);

    answer = await act(id, { action: 'reopen' });
    expect(answer.body.alert.state).toBe('open');
    expect((await act(id, { action: 'acknowledge' })).body.alert.state).toBe('acknowledged');

    const history = (await detail(id)).history!;
    expect(history.map((h) => h.action)).toEqual([
      'acknowledge',
      'assign',
      'note',
      'close',
      'note',
      'reopen',
      'acknowledge',
    ]);
    expect(history[1].assignee).toBe('Dana Inspector');
    expect(history[3].note).toBe('package was a misprint');
    for (const entry of history) expect(entry.by).toMatchObject({ gln: r.gln, role: 'regulator' });
    const times = history.map((h) => Date.parse(h.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('judges simultaneous actions one after the other: one acknowledgement wins, the others are refused', async () => {
    const { id } = await find('RECALLED', 'S1');
    const answers = await Promise.all(Array.from({ length: 6 }, () => act(id, { action: 'acknowledge' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await detail(id)).history!.map((h) => h.action)).toEqual(['acknowledge']);
  });

  it('names the person who acted when a person of the regulator signed in (issue 13 §1)', async () => {
    const admin = await newAdministrator(t, r);
    const { id } = await find('RECALLED', 'S1');
    const answer = await admin.post(`/v1/alerts/${id}/actions`, { action: 'note', note: 'seen by a person' });
    expect(answer.status).toBe(201);
    const last = (answer.body as Detail).history!.at(-1)!;
    expect(last).toMatchObject({
      action: 'note',
      note: 'seen by a person',
      by: { gln: r.gln, role: 'regulator', person: { id: admin.person.id, name: admin.person.name } },
    });
    // An API token names no person.
    expect((await detail(id)).history![0].by).toMatchObject({ gln: r.gln, person: null });
  });

  it('keeps the history append-only: earlier entries never change, and the table refuses updates and deletes', async () => {
    const { id } = await find('UNKNOWN_SERIAL', 'NOPE1');
    const before = (await detail(id)).history!;
    await act(id, { action: 'note', note: 'one more' });
    const after = (await detail(id)).history!;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    await expect(db.query(`UPDATE alert_action SET note = 'edited'`)).rejects.toThrow();
    await expect(db.query(`DELETE FROM alert_action`)).rejects.toThrow();
    await expect(db.query(`TRUNCATE alert_action`)).rejects.toThrow();
    expect((await detail(id)).history).toEqual(after);
  });

  it("files a verification under the same kind in the database's trigger as in alert-rules (ALERT_KINDS' order)", async () => {
    const pairs = ALERT_KINDS.flatMap((a) => ALERT_KINDS.map((b) => [b, a]));
    const { rows } = await db.query<{ kind: string }>(
      `SELECT alert_kind_of(ARRAY[a, b]) AS kind FROM unnest($1::text[], $2::text[]) WITH ORDINALITY t(a, b, n) ORDER BY n`,
      [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
    expect(rows.map((r) => r.kind)).toEqual(pairs.map((pair) => alertKindOf(pair)));
    const { rows: none } = await db.query(`SELECT alert_kind_of(ARRAY['No_match_GTIN_Serial']) AS kind`);
    expect(none[0].kind).toBeNull();
    // The alerts' own rows are insert-only.
    await expect(db.query(`UPDATE alert_unit SET first_at = now()`)).rejects.toThrow();
    await expect(db.query(`DELETE FROM alert_unit`)).rejects.toThrow();
  });

  it('refuses malformed actions with VALIDATION_FAILED naming the field and the rule', async () => {
    const { id } = await find('RECALLED', 'R1');
    const violation = async (body: object, field: string, rule: string) => {
      const response = await act(id, body);
      expect([response.status, response.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(response.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    };
    await violation({ action: 'escalate' }, 'action', 'isIn');
    await violation({ action: 'assign' }, 'assignee', 'isString');
    await violation({ action: 'assign', assignee: '' }, 'assignee', 'isLength');
    await violation({ action: 'assign', assignee: 'Dana\nInspector' }, 'assignee', 'matches');
    await violation({ action: 'note' }, 'note', 'isString');
    await violation({ action: 'acknowledge', assignee: 'Dana' }, 'assignee', 'onlyWithAssign');
    await violation({ action: 'note', note: 'a\u0000b' }, 'note', 'noNulCharacter');
    await violation({ action: 'note', note: 'x'.repeat(60 * 1024) }, 'note', 'isLength');
    await violation({ action: 'note', note: 'hi', extra: 1 }, 'extra', 'whitelistValidation');
    // Nothing of the refused was recorded.
    expect((await detail(id)).history).toEqual([]);
  });

  it('answers ALERT_NOT_FOUND for an id that names no alert, and FORBIDDEN for actions by a party', async () => {
    for (const id of ['nope', 'QUxSRUFEWV9ESVNQRU5TRUQKKDAxKTAwMDAwMDAwMDAwMDAwKDIxKVg', 'a'.repeat(300), 'a.b']) {
      const response = await t.http.get(`/v1/alerts/${id}`).set(...r.auth);
      expect([id, response.status, response.body.error?.code]).toEqual([id, 404, 'ALERT_NOT_FOUND']);
    }
    const { id } = await find('ALREADY_DISPENSED', 'A1');
    const forbidden = await act(id, { action: 'acknowledge' }, p);
    expect([forbidden.status, forbidden.body.error?.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('filters by kind, severity, party, GTIN, lot, date range and state', async () => {
    const serialsOf = async (query: Record<string, string>) =>
      (await list(r, query)).alerts.map((a) => a.serial).sort();
    expect(await serialsOf({ kind: 'UNKNOWN_SERIAL' })).toEqual(['NOPE1', 'NOPE2']);
    expect(await serialsOf({ severity: 'high' })).toEqual(['A1', 'NOPE1', 'NOPE2', 'R1']);
    expect(await serialsOf({ severity: 'low' })).toEqual(['S1']);
    expect(await serialsOf({ severity: 'medium' })).toEqual([]);
    expect(await serialsOf({ party: p2.gln })).toEqual(['NOPE2', 'R1', 'S1']);
    // The manufacturer is a party of every alert about its products.
    expect(await serialsOf({ party: m.gln })).toEqual(['A1', 'NOPE1', 'NOPE2', 'R1', 'S1']);
    expect(await serialsOf({ gtin })).toHaveLength(5);
    expect(await serialsOf({ gtin: '00000000000000' })).toEqual([]);
    expect(await serialsOf({ lot: 'LOT-R' })).toEqual(['R1']);
    expect(await serialsOf({ lot: 'LOT-A' })).toEqual(['A1', 'NOPE1', 'NOPE2']);
    expect(await serialsOf({ from: beforeRecallScans })).toEqual(['R1', 'S1']);
    expect(await serialsOf({ to: beforeRecallScans })).toEqual(['A1', 'NOPE1', 'NOPE2']);
    expect(await serialsOf({ state: 'acknowledged' })).toEqual(['NOPE1', 'S1']);
    expect(await serialsOf({ state: 'open', severity: 'high', kind: 'UNKNOWN_SERIAL' })).toEqual(['NOPE2']);
    for (const [query, field] of [
      [{ kind: 'FOO' }, 'kind'],
      [{ severity: 'red' }, 'severity'],
      [{ party: '123' }, 'party'],
      [{ gtin: '00361234567891' }, 'gtin'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: beforeRecallScans, to: beforeRecallScans }, 'to'],
      [{ limit: '0' }, 'limit'],
      [{ state: 'done' }, 'state'],
    ] as const) {
      const response = await t.http
        .get('/v1/alerts')
        .query(query)
        .set(...r.auth);
      expect([field, response.status, response.body.error?.details?.[0]?.field]).toEqual([field, 400, field]);
    }
  });

  it('pages with a stable cursor: every alert once, in order, while new scans arrive', async () => {
    const all = (await list(r)).alerts.map((a) => a.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { alerts: Alert[]; next: string | null } = await list(r, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.next;
      pages++;
      // Between pages: a new alert and another scan of an old one.
      if (pages === 1) {
        await scan(p, 'NEW1');
        await scan(p, 'A1');
      }
    } while (cursor);
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
    // The new alert is first on a fresh first page; A1 counts its fourth scan in place.
    const fresh = (await list(r)).alerts;
    expect(fresh[0].serial).toBe('NEW1');
    expect(fresh.map((a) => a.id).slice(1)).toEqual(all);
    expect(fresh.find((a) => a.serial === 'A1')!.count).toBe(4);
  });

  it('refuses bad cursors with VALIDATION_FAILED naming cursor', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'garbage!',
      'Zm9v',
      b64({ a: 1 }),
      b64(['2026-12-06T00:00:00.000000Z', 'NOT_A_KIND', '(01)x']),
      b64(['yesterday', 'UNKNOWN_SERIAL', '(01)x']),
      b64(['2026-12-06T00:00:00.000000Z', 'UNKNOWN_SERIAL', 'x'.repeat(100)]),
      b64([1, 2, 3]),
      'x'.repeat(401),
    ]) {
      const response = await t.http
        .get('/v1/alerts')
        .query({ cursor })
        .set(...r.auth);
      expect([cursor, response.status, response.body.error?.details?.[0]?.field]).toEqual([cursor, 400, 'cursor']);
    }
  });

  it('exports the filtered list as CSV, row for row the JSON list', async () => {
    const queries: Record<string, string>[] = [{}, { severity: 'high' }, { party: p2.gln, kind: 'RECALLED' }];
    for (const query of queries) {
      const json = (await list(r, query)).alerts;
      const response = await t.http
        .get('/v1/alerts/csv')
        .query(query)
        .set(...r.auth)
        .buffer(true)
        .parse((res, done) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () => done(null, text));
        });
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv/);
      expect(response.headers['content-disposition']).toMatch(/attachment; filename="rxledger-alerts-.*\.csv"/);
      const rows = parse(response.body as string, { columns: true }) as Record<string, string>[];
      const expected = json.map((a) =>
        Object.fromEntries(
          Object.keys(rows[0] ?? a).map((column) => {
            const value = a[column as keyof Alert];
            return [column, Array.isArray(value) ? value.join(' ') : value === null ? '' : String(value)];
          }),
        ),
      );
      expect(rows).toEqual(expected);
      expect(rows.length).toBe(json.length);
    }
  });

  it('escapes notes and names that a spreadsheet would run as formulas', async () => {
    const { id } = await find('RECALLED', 'S1');
    expect((await act(id, { action: 'assign', assignee: '=HYPERLINK("http://x")' })).status).toBe(201);
    const response = await t.http
      .get('/v1/alerts/csv')
      .query({ kind: 'RECALLED', lot: 'LOT-S' })
      .set(...r.auth);
    const [row] = parse(response.text, { columns: true }) as Record<string, string>[];
    expect(row.assignee).toBe(`'=HYPERLINK("http://x")`);
  });

  it('shows a party only the alerts of its own scans, without the triage history; a manufacturer those of its products', async () => {
    const own = (await list(p2)).alerts;
    expect(own.map((a) => a.serial).sort()).toEqual(['NOPE2', 'R1', 'S1']);
    for (const alert of own) {
      expect(alert.parties).toEqual([p2.gln]);
      expect(alert.assignee).toBeNull();
    }
    const theirs = (await list(p)).alerts;
    expect(theirs.map((a) => a.serial).sort()).toEqual(['A1', 'NEW1', 'NOPE1']);
    // Another party's alert is not found, by id, by filter or in the CSV.
    const clone = await find('ALREADY_DISPENSED', 'A1');
    const hidden = await t.http.get(`/v1/alerts/${clone.id}`).set(...p2.auth);
    expect([hidden.status, hidden.body.error?.code]).toEqual([404, 'ALERT_NOT_FOUND']);
    expect((await list(p2, { party: p.gln })).alerts).toEqual([]);
    const csv = await t.http.get('/v1/alerts/csv').set(...p2.auth);
    expect(csv.text).not.toContain('A1');
    expect(csv.text).not.toContain(p.gln);
    // Its own alert: the state, not the regulator's notes.
    const acknowledged = await detail((await find('UNKNOWN_SERIAL', 'NOPE1', p)).id, p);
    expect(acknowledged.alert.state).toBe('acknowledged');
    expect(acknowledged.history).toBeUndefined();
    expect(acknowledged.actions).toEqual([]);
    expect(JSON.stringify(acknowledged)).not.toContain('called the pharmacy');
    // The manufacturer sees every alert about its products.
    expect((await list(m)).alerts.map((a) => a.serial).sort()).toEqual(['A1', 'NEW1', 'NOPE1', 'NOPE2', 'R1', 'S1']);
  });
});
