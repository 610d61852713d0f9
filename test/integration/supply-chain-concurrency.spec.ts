/**
 * Conflicting supply-chain events submitted at the same moment, over real sockets to two app servers on one
 * database: exactly one of each conflicting group is accepted and the others are refused with the code the
 * winner makes true; the item ends in the state of the single accepted event; the log holds exactly the accepted
 * events. Pairs alternate between one server (one intake queue: usually one transaction) and two servers (two
 * queues racing for the sequencer lock), and which event is sent first alternates too.
 */
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import TestAgent from 'supertest/lib/agent';
import {
  accept,
  connectDb,
  item,
  listening,
  loggedEventIds,
  logSize,
  newManufacturer,
  peerApp,
  registerProduct,
  serials,
  signedFast,
  TestManufacturer,
  transaction,
  units,
} from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

const ROUNDS = 50;

type Signed = ReturnType<typeof signedFast>;
interface Outcome {
  signed: Signed;
  status: number;
  code?: string;
  items?: string[];
}

describe('conflicting supply-chain events at the same moment', () => {
  let t: TestApp;
  let peer: INestApplication;
  let servers: TestAgent[];
  let db: Client;
  let m: TestManufacturer;
  let d: TestParty;
  let p: TestParty;
  let p2: TestParty;

  beforeAll(async () => {
    t = await createTestApp();
    peer = await peerApp(t);
    servers = [await listening(t.app), await listening(peer)];
    db = await connectDb(t);
    m = await newManufacturer(t);
    d = await newParty(t, 'distributor');
    p = await newParty(t, 'dispenser');
    p2 = await newParty(t, 'dispenser');
  });
  afterAll(async () => {
    await db?.end();
    await peer?.close();
    await t?.close();
  });

  async function send(server: number, party: TestParty, signed: Signed): Promise<Outcome> {
    const response = await servers[server]
      .post('/v1/events')
      .set(...party.auth)
      .send(signed);
    const error = response.body.error as { code: string; details?: { items?: string[] } } | undefined;
    return { signed, status: response.status, code: error?.code, items: error?.details?.items };
  }

  /** Fires all at once; round `round` picks one server or two, and the order in which requests leave. */
  async function race(round: number, events: [TestParty, Signed][]): Promise<Outcome[]> {
    const ordered = round % 4 < 2 ? events : [...events].reverse();
    const outcomes = await Promise.all(
      ordered.map(([party, signed], i) => send(round % 2 === 0 ? 0 : i % 2, party, signed)),
    );
    return round % 4 < 2 ? outcomes : outcomes.reverse();
  }

  /** `count` fresh units, received by `holder` (the manufacturer itself when omitted). */
  async function unitsHeldBy(count: number, holder?: TestParty): Promise<string[]> {
    const gtin = await registerProduct(t, m);
    const list = serials(count);
    await accept(t, m, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: list });
    const codes = units(gtin, list);
    if (holder) {
      const shipmentId = `TO-${holder.gln}-${gtin}`;
      await accept(t, m, 'ship', { shipmentId, recipient: holder.gln, items: codes, transaction });
      await accept(t, holder, 'receive', { shipper: m.gln, shipmentId, items: codes });
    }
    return codes;
  }

  /** Exactly one accepted (201); the others refused 422 with `loserCode(winner)` naming `unit`. */
  function onlyOneWins(outcomes: Outcome[], unit: string, loserCode: (winner: Outcome) => string): Outcome {
    const winners = outcomes.filter((o) => o.status === 201);
    expect(winners).toHaveLength(1);
    const [winner] = winners;
    for (const loser of outcomes.filter((o) => o !== winner)) {
      expect({ status: loser.status, code: loser.code, items: loser.items }).toEqual({
        status: 422,
        code: loserCode(winner),
        items: [unit],
      });
    }
    return winner;
  }

  /** The log grew by exactly the accepted events, which it holds, and holds none of the refused ones. */
  async function logHoldsExactly(before: number, actor: TestParty, accepted: Signed[], refused: Signed[]) {
    expect(await logSize(t)).toBe(before + accepted.length);
    const ids = (list: Signed[]) => list.map((s) => s.event.id);
    expect((await loggedEventIds(db, actor.gln, ids(accepted))).size).toBe(accepted.length);
    expect((await loggedEventIds(db, actor.gln, ids(refused))).size).toBe(0);
  }

  it(`the same unit shipped to two buyers (two shipment ids): one shipment exists, ${ROUNDS} rounds`, async () => {
    const codes = await unitsHeldBy(ROUNDS);
    const before = await logSize(t);
    const accepted: Signed[] = [];
    const refused: Signed[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const unit = codes[round];
      const toD = signedFast(m, 'ship', { shipmentId: `R${round}-D`, recipient: d.gln, items: [unit], transaction });
      const toP = signedFast(m, 'ship', { shipmentId: `R${round}-P`, recipient: p.gln, items: [unit], transaction });
      const outcomes = await race(round, [
        [m, toD],
        [m, toP],
      ]);
      const winner = onlyOneWins(outcomes, unit, () => 'ITEM_IN_TRANSIT');
      accepted.push(winner.signed);
      refused.push(...outcomes.filter((o) => o !== winner).map((o) => o.signed));
      const won = (winner.signed.event.body as { shipmentId: string }).shipmentId;
      expect(await item(t, unit)).toMatchObject({
        status: 'in_transit',
        custodian: m.gln,
        shipment: `${m.gln}:${won}`,
      });
    }
    await logHoldsExactly(before, m, accepted, refused);
    const shipments = await db.query<{ id: string }>(
      'SELECT id FROM shipment WHERE shipper = $1 AND shipment_id LIKE $2',
      [m.gln, 'R%'],
    );
    const wonIds = accepted.map((s) => `${m.gln}:${(s.event.body as { shipmentId: string }).shipmentId}`);
    expect(shipments.rows.map((r) => r.id).sort()).toEqual(wonIds.sort());
  });

  it(`the same unit dispensed twice by its pharmacy (two event ids): dispensed once, ${ROUNDS} rounds`, async () => {
    const codes = await unitsHeldBy(ROUNDS, p);
    const before = await logSize(t);
    const accepted: Signed[] = [];
    const refused: Signed[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const unit = codes[round];
      const first = signedFast(p, 'dispense', { items: [unit] });
      const second = signedFast(p, 'dispense', { items: [unit] });
      expect(first.event.id).not.toBe(second.event.id);
      const outcomes = await race(round, [
        [p, first],
        [p, second],
      ]);
      const winner = onlyOneWins(outcomes, unit, () => 'ITEM_DISPENSED');
      accepted.push(winner.signed);
      refused.push(...outcomes.filter((o) => o !== winner).map((o) => o.signed));
      const state = await item(t, unit);
      expect(state).toMatchObject({ status: 'dispensed', custodian: p.gln });
      expect(state.lastIndex).toBe(
        (
          await db.query('SELECT idx FROM log_entry WHERE actor = $1 AND event_id = $2', [
            p.gln,
            winner.signed.event.id,
          ])
        ).rows[0].idx,
      );
    }
    await logHoldsExactly(before, p, accepted, refused);
  });

  it(`a unit shipped and dispensed at once: whichever wins, the other is refused, ${ROUNDS} rounds`, async () => {
    const codes = await unitsHeldBy(ROUNDS, p);
    const before = await logSize(t);
    const accepted: Signed[] = [];
    const refused: Signed[] = [];
    const wins = { ship: 0, dispense: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const unit = codes[round];
      const ship = signedFast(p, 'ship', { shipmentId: `SD${round}`, recipient: p2.gln, items: [unit], transaction });
      const dispense = signedFast(p, 'dispense', { items: [unit] });
      const outcomes = await race(round, [
        [p, ship],
        [p, dispense],
      ]);
      const winner = onlyOneWins(outcomes, unit, (w) => (w.signed === ship ? 'ITEM_IN_TRANSIT' : 'ITEM_DISPENSED'));
      accepted.push(winner.signed);
      refused.push(...outcomes.filter((o) => o !== winner).map((o) => o.signed));
      const state = await item(t, unit);
      if (winner.signed === ship) {
        wins.ship++;
        expect(state).toMatchObject({ status: 'in_transit', custodian: p.gln, shipment: `${p.gln}:SD${round}` });
      } else {
        wins.dispense++;
        expect(state).toMatchObject({ status: 'dispensed', custodian: p.gln, shipment: null });
      }
    }
    await logHoldsExactly(before, p, accepted, refused);
    const shipped = await db.query(
      'SELECT count(*)::int AS n FROM shipment WHERE shipper = $1 AND shipment_id LIKE $2',
      [p.gln, 'SD%'],
    );
    expect(shipped.rows[0].n).toBe(wins.ship);
    expect(wins.ship + wins.dispense).toBe(ROUNDS);
  });

  it('20 concurrent ships of one unit to different buyers, over two servers: exactly one goes (5 rounds)', async () => {
    const buyers = [d, p, p2];
    const codes = await unitsHeldBy(5);
    const before = await logSize(t);
    const accepted: Signed[] = [];
    const refused: Signed[] = [];
    for (let round = 0; round < codes.length; round++) {
      const unit = codes[round];
      const ships = Array.from({ length: 20 }, (_, i) =>
        signedFast(m, 'ship', {
          shipmentId: `MANY${round}-${i}`,
          recipient: buyers[i % buyers.length].gln,
          items: [unit],
          transaction,
        }),
      );
      const outcomes = await Promise.all(ships.map((signed, i) => send(i % 2, m, signed)));
      const winner = onlyOneWins(outcomes, unit, () => 'ITEM_IN_TRANSIT');
      accepted.push(winner.signed);
      refused.push(...outcomes.filter((o) => o !== winner).map((o) => o.signed));
      const won = winner.signed.event.body as { shipmentId: string; recipient: string };
      expect(await item(t, unit)).toMatchObject({ status: 'in_transit', shipment: `${m.gln}:${won.shipmentId}` });
      const [shipment] = (
        await db.query('SELECT recipient FROM shipment WHERE id = $1', [`${m.gln}:${won.shipmentId}`])
      ).rows;
      expect(shipment.recipient).toBe(won.recipient);
    }
    await logHoldsExactly(before, m, accepted, refused);
    const all = await db.query('SELECT count(*)::int AS n FROM shipment WHERE shipper = $1 AND shipment_id LIKE $2', [
      m.gln,
      'MANY%',
    ]);
    expect(all.rows[0].n).toBe(codes.length);
  });

  it('many unrelated events in parallel, over two servers, are all accepted with distinct, gapless indexes', async () => {
    const onShelf = await unitsHeldBy(100, p);
    const inStock = await unitsHeldBy(100);
    const before = await logSize(t);
    const work: [TestParty, Signed][] = [
      ...onShelf.map((unit): [TestParty, Signed] => [p, signedFast(p, 'dispense', { items: [unit] })]),
      ...inStock.map((unit, i): [TestParty, Signed] => [
        m,
        signedFast(m, 'ship', { shipmentId: `PAR${i}`, recipient: d.gln, items: [unit], transaction }),
      ]),
    ];
    const answers = await Promise.all(
      work.map(([party, signed], i) =>
        servers[i % 2]
          .post('/v1/events')
          .set(...party.auth)
          .send(signed),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(work.map(() => 201));
    const indexes = answers.map((a) => a.body.index as number).sort((x, y) => x - y);
    expect(indexes).toEqual(Array.from({ length: work.length }, (_, i) => before + i));
    expect(await logSize(t)).toBe(before + work.length);
    const states = await db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM item WHERE code = ANY($1) GROUP BY status ORDER BY status',
      [[...onShelf, ...inStock]],
    );
    expect(states.rows).toEqual([
      { status: 'dispensed', n: 100 },
      { status: 'in_transit', n: 100 },
    ]);
  });
});
