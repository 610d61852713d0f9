/**
 * One set of custody rules (issue 10 §1): intake and the offline verifier must agree on every event. Random event
 * sequences of every supply-chain type (commission, pack, unpack, ship, receive, dispense, returns, decommission,
 * destroy, quarantine, illegitimate, clear, recall, recall-lift, key rotations and events signed with a revoked key;
 * several parties, containers) are posted one by one to a real server. Then:
 *
 *  - every accepted event is in a regulator's lot bundle, exported by the server, which `verify-bundle` passes
 *    (docs/PROTOCOL.md §9: the chain of custody holds);
 *  - every event is also replayed in log order by the rules module alone (src/protocol/custody) over its in-memory
 *    state, with the registry rules (src/protocol/registry.ts) over the bundle's registry: an event the server
 *    accepted the rules accept, and an event the server refused they refuse with the same code (the refused ones
 *    form a forged log: they are judged where the server judged them, and leave the state as it was).
 *
 * RULES_RUNS sets the number of sequences (default 200; CI runs 1,000, about 10,000 events; e.g. RULES_RUNS=20000
 * for a long run: 400 took 120 s on two cores shared with other work); RULES_LANES how many run at once (default 8);
 * RULES_SEED replays a failing run (fast-check prints its seed).
 */
import fc from 'fast-check';
import { verifyBundleText } from '../../src/bundle';
import { bytesToBase64 } from '../../src/bytes';
import { CustodyReplay, Item } from '../../src/protocol/custody';
import { BundledEvent } from '../../src/protocol/bundle';
import { LedgerEvent } from '../../src/protocol/event';
import { containerCode } from '../../src/protocol/item-code';
import { makeSscc } from '../../src/gs1/identifiers';
import {
  applyRegistryEvent,
  checkSigner,
  MemoryRegistry,
  PartyRole,
  RegistryViolation,
} from '../../src/protocol/registry';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import { newManufacturer, productDetails, TestManufacturer, transaction } from '../support/supply-chain';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

const RUNS = Number(process.env.RULES_RUNS ?? 200);
/**
 * Sequences run this many at once, each lane with its own parties (a lane's sequences one after the other, so a
 * refused event's place among the registry events that concern its own parties is exact).
 */
const LANES = Number(process.env.RULES_LANES ?? 8);
const SEED = process.env.RULES_SEED === undefined ? undefined : Number(process.env.RULES_SEED);

const KINDS = [
  'commission',
  'pack',
  'unpack',
  'ship',
  'return',
  'receive',
  'dispense',
  'decommission',
  'destroy',
  'quarantine',
  'illegitimate',
  'clear',
  'recall',
  'recall-lift',
  'rotate-key',
] as const;
type Kind = (typeof KINDS)[number];
interface Action {
  kind: Kind;
  /** Choices: who acts, which items, which variant. */
  a: number;
  b: number;
  c: number;
  /** Sign with a revoked key, name a wrong party, ... (an unusual variant). */
  odd: boolean;
}
const action = fc.record({
  kind: fc.constantFrom(...KINDS),
  a: fc.nat(1000),
  b: fc.nat(1000),
  c: fc.nat(1000),
  odd: fc.boolean(),
});

const REPORT = {
  reportType: 'initial',
  classification: 'counterfeit',
  description: 'packaging does not match the genuine product',
  contact: { name: 'QA desk', email: 'qa@example.com' },
};

/** A lane's own parties: its sequences run one after the other, other lanes at the same time. */
interface Lane {
  makers: TestManufacturer[];
  parties: TestParty[];
  /** The last log index this lane has seen of its own events. */
  lastIndex: number;
}

/** One posted event and what the server said. */
interface Step {
  signer: TestParty;
  event: LedgerEvent<object>;
  /** Accepted: its log index and acceptance time. */
  index?: number;
  acceptedAt?: Date;
  /** Refused: the code; `after` is the last log index before it. */
  code?: string;
  after: number;
}

describe('custody rules: intake and the verifier agree (differential, random sequences)', () => {
  let t: TestApp;
  let vkey: string;
  let lanes: Lane[];
  let regulator: TestParty;
  /** The old keys of parties whose key was rotated (revoked). */
  const oldKeys = new Map<string, Uint8Array>();
  let sequence = 0;
  const tally = { posted: 0, accepted: 0, refused: new Map<string, number>(), bundles: 0 };

  beforeAll(async () => {
    t = await createTestApp();
    vkey = (await t.http.get('/v1/log/vkey')).text.trim();
    lanes = [];
    for (let lane = 0; lane < LANES; lane++) {
      const makers = [await newManufacturer(t), await newManufacturer(t)];
      const parties = [
        ...makers,
        await newParty(t, 'distributor', 'Big Wholesale'),
        await newParty(t, 'distributor', 'Other Wholesale'),
        await newParty(t, 'dispenser', 'Corner Pharmacy'),
        await newParty(t, 'dispenser', 'Other Pharmacy'),
      ];
      lanes.push({ makers, parties, lastIndex: 0 });
    }
    regulator = await newParty(t, 'regulator', 'FDA');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    const refused = [...tally.refused].sort((a, b) => b[1] - a[1]);
    console.log(
      `custody differential: ${sequence} sequences, ${tally.posted} events posted, ${tally.accepted} accepted, ` +
        `${tally.bundles} bundles verified; refused: ${refused.map(([code, n]) => `${code} ${n}`).join(', ')}`,
    );
  });

  async function postStep(
    lane: Lane,
    signer: TestParty,
    type: string,
    body: object,
    secretKey = signer.secretKey,
  ): Promise<Step> {
    const key = new TestParty(signer.gln, signer.role, secretKey, signer.token);
    const signed = key.event(type, body);
    const response = await t.http
      .post('/v1/events')
      .set(...signer.auth)
      .send(signed);
    tally.posted++;
    const step: Step = { signer, event: signed.event, after: lane.lastIndex };
    if (response.status === 201) {
      step.index = response.body.index as number;
      step.acceptedAt = new Date(response.body.acceptedAt as string);
      lane.lastIndex = step.index;
      tally.accepted++;
    } else {
      step.code = (response.body as { error: { code: string } }).error.code;
      tally.refused.set(step.code, (tally.refused.get(step.code) ?? 0) + 1);
      if (response.status >= 500 || step.code === 'VALIDATION_FAILED') {
        throw new Error(`${type}: ${response.status} ${JSON.stringify(response.body)}`);
      }
    }
    return step;
  }

  /** The server runs a few exports at once and refuses more (503, Retry-After): the lanes take turns. */
  let exporting: Promise<unknown> = Promise.resolve();
  function oneExportAtATime<T>(request: () => PromiseLike<T>): Promise<T> {
    const answer = exporting.then(request, request);
    exporting = answer.catch(() => undefined);
    return answer;
  }

  /** Rotates a party's key through the operator's API: a key.add, then a key.revoke of the old key. */
  async function rotateKey(lane: Lane, party: TestParty): Promise<void> {
    const secretKey = generateSecretKey();
    const auth: [string, string] = ['Authorization', `Bearer ${t.operatorToken}`];
    const added = await t.http
      .post(`/v1/parties/${party.gln}/keys`)
      .set(...auth)
      .send({ publicKey: bytesToBase64(publicKeyOf(secretKey)) });
    expect(added.status).toBe(201);
    const revoked = await t.http
      .post(`/v1/parties/${party.gln}/keys/${party.keyId}/revoke`)
      .set(...auth)
      .send({});
    expect(revoked.status).toBe(200);
    lane.lastIndex = Math.max(added.body.receipt.index as number, revoked.body.receipt.index as number);
    oldKeys.set(party.gln, party.secretKey);
    party.secretKey = secretKey;
  }

  /**
   * Runs one sequence: a product of one of the manufacturers, a first lot, then the actions, each interpreted
   * against the rules module's own view of the state so far (most events are plausible, many are not).
   */
  async function run(lane: Lane, actions: Action[]): Promise<void> {
    const { makers, parties } = lane;
    const seq = ++sequence;
    const maker = makers[seq % 2];
    const gtin = maker.gtin(maker.nextItemReference());
    const steps: Step[] = [];
    const roles = new Map([...parties, regulator].map((p) => [p.gln, { role: p.role }]));
    const mirror = new CustodyReplay({ party: (gln) => roles.get(gln) }); // to pick plausible events
    let serial = 0;
    let sscc = 0;
    let shipmentNo = 0;
    const shipments: { shipper: TestParty; id: string; recipient: string; items: string[] }[] = [];
    const lots = new Set<string>(['L1']);
    const post = async (signer: TestParty, type: string, body: object, secretKey?: Uint8Array) => {
      const step = await postStep(lane, signer, type, body, secretKey);
      steps.push(step);
      if (step.index !== undefined) {
        mirror.apply(step.index, { type, actor: signer.gln, body }, signer.role, step.acceptedAt!);
      }
      return step;
    };
    const newSerials = (n: number) => Array.from({ length: n }, () => `Q${seq}X${++serial}`);
    const newContainer = () =>
      containerCode(
        makeSscc(
          '0',
          maker.prefix,
          `${String(seq).padStart(5, '0')}${String(++sscc).padStart(4, '0')}`
            .slice(-(16 - maker.prefix.length))
            .padStart(16 - maker.prefix.length, '0'),
        ),
      );
    const items = (): Item[] => [...mirror.state.madeItems()].filter((i) => i.gtin === gtin || i.kind === 'container');
    const pick = <T>(list: readonly T[], n: number): T | undefined =>
      list.length === 0 ? undefined : list[n % list.length];
    const some = (list: Item[], n: number, m: number) => {
      if (list.length === 0) return [];
      const start = n % list.length;
      return list.slice(start, start + 1 + (m % 3)).map((i) => i.code);
    };
    const expiries = ['301231', '261201']; // the second is past by the time units are sold

    await post(maker, 'product.register', { gtin, ...productDetails });
    await post(maker, 'commission', { gtin, lot: 'L1', expiry: '301231', serials: newSerials(4) });

    for (const act of actions) {
      const { a, b, c, odd } = act;
      const all = items();
      const active = all.filter((i) => i.status === 'active');
      // Mostly a party that holds something (a dispenser to dispense), else anyone.
      const holders = parties.filter(
        (p) => active.some((i) => i.custodian === p.gln) && (act.kind !== 'dispense' || p.role === 'dispenser'),
      );
      const actor = !odd && holders.length > 0 && c % 5 !== 0 ? pick(holders, a)! : pick(parties, a)!;
      const held = active.filter((i) => i.custodian === actor.gln);
      const mine = held.length > 0 && !odd ? held : all;
      const signingKey = odd && oldKeys.has(actor.gln) && c % 4 === 0 ? oldKeys.get(actor.gln) : undefined;
      switch (act.kind) {
        case 'commission': {
          const lot = pick(['L1', 'L2'], b)!;
          lots.add(lot);
          const by = odd ? pick(parties, a)! : maker;
          const list = odd && all.length > 0 && c % 3 === 0 ? [all[0].serial ?? 'NONE'] : newSerials(1 + (c % 3));
          await post(
            by,
            'commission',
            { gtin, lot, expiry: pick(expiries, lot === 'L2' ? c : 0), serials: list },
            signingKey,
          );
          break;
        }
        case 'pack': {
          const children = some(mine, b, c);
          if (children.length === 0) break;
          const containers = all.filter((i) => i.kind === 'container');
          const parent = odd && containers.length > 0 ? pick(containers, c)!.code : newContainer();
          await post(actor, 'pack', { parent, children }, signingKey);
          break;
        }
        case 'unpack': {
          const containers = (odd ? all : held).filter((i) => i.kind === 'container');
          const parent = pick(containers, b);
          if (!parent) break;
          const inside = mirror.state.contents(parent.code).map((i) => i.code);
          const body =
            c % 2 === 0 || inside.length === 0
              ? { parent: parent.code }
              : { parent: parent.code, children: inside.slice(0, 1) };
          await post(actor, 'unpack', body, signingKey);
          break;
        }
        case 'ship':
        case 'return': {
          const list = some(
            mine.filter((i) => i.parent === null || odd),
            b,
            c,
          );
          if (list.length === 0) break;
          const recipients = odd ? [...parties, regulator] : parties.filter((p) => p !== actor);
          let recipient = pick(recipients, c)!.gln;
          if (act.kind === 'return' && !odd) {
            const unit = mirror.state.item(list[0]);
            recipient = unit?.sellers.at(-1) ?? recipient;
          }
          const id = odd && shipments.length > 0 && b % 2 === 0 ? pick(shipments, c)!.id : `SH${seq}-${++shipmentNo}`;
          const body = {
            items: list,
            shipmentId: id,
            recipient,
            transaction,
            ...(act.kind === 'return' ? { reason: 'return' } : {}),
          };
          const step = await post(actor, 'ship', body, signingKey);
          if (step.index !== undefined) shipments.push({ shipper: actor, id, recipient, items: list });
          break;
        }
        case 'receive': {
          const shipment = pick(shipments, b);
          if (!shipment) break;
          const receiver = odd && c % 2 === 0 ? actor : (parties.find((p) => p.gln === shipment.recipient) ?? actor);
          const list = odd && c % 3 === 1 ? shipment.items.slice(1) : shipment.items;
          const extra = odd && c % 3 === 2 && all.length > 0 ? [pick(all, a)!.code] : [];
          if (list.length + extra.length === 0) break; // a one-item shipment received short: nothing left to name
          await post(
            receiver,
            'receive',
            {
              items: [...list, ...extra.filter((e) => !list.includes(e))],
              shipper: shipment.shipper.gln,
              shipmentId: shipment.id,
            },
            signingKey,
          );
          break;
        }
        case 'dispense': {
          const list = some(
            mine.filter((i) => i.kind === 'unit' || odd),
            b,
            c,
          );
          if (list.length === 0) break;
          await post(actor, 'dispense', { items: list }, signingKey);
          break;
        }
        case 'decommission':
        case 'destroy': {
          const list = some(mine, b, c);
          if (list.length === 0) break;
          const reason = act.kind === 'destroy' ? 'damaged' : pick(['damaged', 'lost', 'stolen'], c)!;
          await post(actor, act.kind, { items: list, reason }, signingKey);
          break;
        }
        case 'quarantine':
        case 'illegitimate':
        case 'clear': {
          const onHold = all.filter((i) => i.hold !== null);
          const from = act.kind === 'clear' && !odd ? onHold : all;
          const list = some(from, b, c);
          if (list.length === 0) break;
          const who = c % 3 === 0 ? regulator : act.kind === 'clear' && !odd ? maker : actor;
          const body =
            act.kind === 'illegitimate' ? { items: list, report: REPORT } : { items: list, reason: 'seal broken' };
          await post(who, act.kind, body, who === regulator ? undefined : signingKey);
          break;
        }
        case 'recall':
        case 'recall-lift': {
          const named = odd && b % 2 === 0 ? ['L1', 'L9'] : [pick([...lots], b)!];
          const by = odd && c % 2 === 0 ? pick(makers, seq + 1)! : maker;
          await post(by, act.kind, { gtin, lots: named, reason: 'sub-potent' }, signingKey);
          break;
        }
        case 'rotate-key': {
          if (c % 4 !== 0) break; // rare: each rotation adds registry events every later sequence replays
          await rotateKey(lane, actor);
          break;
        }
      }
    }

    // The regulator's bundle of each lot, as the server exports it, and the verifier's verdict.
    const published = await t.http.post('/v1/log/checkpoint').set(...regulator.auth);
    expect(published.status).toBe(200);
    let registry: BundledEvent[] = [];
    for (const lot of lots) {
      if (![...mirror.state.madeItems()].some((i) => i.gtin === gtin && i.lot === lot)) continue;
      const response = await oneExportAtATime(() =>
        t.http
          .get('/v1/reports/lot')
          .query({ gtin, lot, format: 'bundle' })
          .set(...regulator.auth)
          .buffer(true),
      );
      expect(response.status).toBe(200);
      const report = verifyBundleText(response.text, vkey, { verifySignature: verifyStrictNode });
      expect({ seq, lot, failures: report.failures }).toEqual({ seq, lot, failures: [] });
      tally.bundles++;
      registry = (JSON.parse(response.text) as { registry: BundledEvent[] }).registry;
    }

    // The rules module alone, over the whole sequence in log order (the refused events where the server judged them).
    const keys = new MemoryRegistry();
    const replay = new CustodyReplay({ party: (gln) => keys.party(gln) });
    for (const prefix of makers) replay.state.grantPrefix(prefix.prefix, prefix.gln);
    let next = 0;
    for (const step of steps) {
      const position = step.index ?? step.after + 0.5;
      for (; next < registry.length && registry[next].index < position; next++) {
        const entry = registry[next];
        applyRegistryEvent(keys, entry.event, entry.index, Date.parse(entry.acceptedAt));
      }
      const at = step.acceptedAt ?? new Date();
      let verdict: string | null;
      try {
        const signer = checkSigner(keys, step.event, at.getTime());
        const refusal = replay.check(
          step.index ?? Math.ceil(position),
          { type: step.event.type, actor: step.event.actor, body: step.event.body },
          signer?.role as PartyRole | undefined,
          at,
        );
        verdict = refusal?.code ?? null;
      } catch (error) {
        if (!(error instanceof RegistryViolation)) throw error;
        verdict = error.code;
      }
      expect({ seq, type: step.event.type, body: step.event.body, verdict }).toEqual({
        seq,
        type: step.event.type,
        body: step.event.body,
        verdict: step.code ?? null,
      });
    }
  }

  it(
    `gives the server's verdict for every event of ${RUNS} random sequences, ${LANES} at a time`,
    async () => {
      const sequences = fc.array(fc.array(action, { minLength: 4, maxLength: 18 }), {
        minLength: LANES,
        maxLength: LANES,
      });
      await fc.assert(
        fc.asyncProperty(sequences, async (all) => {
          // Every lane ends before the property's verdict (a failed lane must not leave others posting on).
          const ended = await Promise.allSettled(all.map((actions, lane) => run(lanes[lane], actions)));
          for (const lane of ended) if (lane.status === 'rejected') throw lane.reason;
        }),
        { numRuns: Math.ceil(RUNS / LANES), seed: SEED, endOnFailure: true },
      );
      // The sequences reach the rules: most events are accepted, and many kinds of refusal occur.
      expect(tally.accepted).toBeGreaterThan(tally.posted / 3);
      expect(tally.refused.size).toBeGreaterThan(8);
    },
    Math.max(120_000, RUNS * 3_000),
  );
});
