/**
 * The chain of custody the verifier judges in a bundle: each transfer received by its named recipient, no item in
 * two places, no gap between the commissioning and the last event. The logs here hold events the server would have
 * refused: a bundle proving them is evidence that the log itself is wrong, and the verifier must say so, with the
 * code the server answers (the verifier replays the server's own rules, src/protocol/custody): one finding per event,
 * the server's first refusal.
 */
import { BundleFailure, BundleReport, verifyBundle } from '../../../src/bundle';
import { unitCode } from '../../../src/protocol/item-code';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { journey, Journey } from './memory-log';

const fast = { verifySignature: verifyStrictNode };

function verifyLotA(j: Journey): BundleReport {
  return verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast);
}

function custodyFailures(report: BundleReport): BundleFailure[] {
  return report.failures.filter((f) => f.check === 'custody');
}

describe('the chain of custody in a bundle', () => {
  it('holds for the whole journey, for each lot, and for a checkpoint taken half-way', () => {
    const j = journey();
    expect(verifyLotA(j)).toMatchObject({ ok: true, failures: [] });
    expect(verifyBundle(j.bundleOfLot('LOT-B'), j.log.vkey, fast)).toMatchObject({ ok: true, failures: [] });
    // Half-way: the pallet is in transit to the distributor; the bundle proves that much and no more.
    const halfWay = j.bundleOfLot('LOT-A', j.entries.palletShip.index + 1);
    expect(verifyBundle(halfWay, j.log.vkey, fast)).toMatchObject({
      ok: true,
      checkpoint: { size: j.entries.palletShip.index + 1 },
    });
  });

  it('holds for a single serial', () => {
    const j = journey();
    const unit = j.lotA[0];
    const bundle = j.chain.bundle({ kind: 'serial', gtin: j.chain.gtin, serial: 'LOT-A-1' }, [unit]);
    expect(verifyBundle(bundle, j.log.vkey, fast)).toMatchObject({ ok: true, counts: { items: 1 } });
  });

  it('refuses a transfer received by anyone but the named recipient', () => {
    const j = journey();
    j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    const diverted = j.chain.receive(j.otherDistributor, j.distributor, 'ASN-7');
    const failures = custodyFailures(verifyLotA(j));
    expect(failures).toEqual([
      {
        check: 'custody',
        index: diverted.index,
        message: `log index ${diverted.index}: receive: NOT_RECIPIENT: shipment ASN-7 is addressed to ${j.pharmacy.gln}, not ${j.otherDistributor.gln}`,
      },
    ]);
  });

  it('refuses a receive of a shipment the units are not in', () => {
    const j = journey();
    j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    j.chain.receive(j.pharmacy, j.distributor, 'ASN-7');
    // The pharmacy "receives" the same case again, in an older shipment of another case.
    const again = j.log.append(j.pharmacy, 'receive', {
      items: [j.containers.caseA2],
      shipper: j.distributor.gln,
      shipmentId: 'ASN-2',
    });
    j.chain.histories.get(j.lotA[3])!.push(again.index);
    const failures = custodyFailures(verifyBundle(j.chain.bundle(j.chain.lotScope('LOT-A'), j.lotA), j.log.vkey, fast));
    expect(failures.map((f) => [f.index, f.message])).toEqual(
      expect.arrayContaining([
        [again.index, expect.stringMatching(/SHIPMENT_ALREADY_RECEIVED: .* received at log index/)],
      ]),
    );
  });

  describe('refuses an item in two places', () => {
    it('shipped while in transit', () => {
      const j = journey();
      j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
      const twice = j.chain.ship(j.distributor, [j.containers.caseA2], j.otherDistributor, 'ASN-8');
      expect(custodyFailures(verifyLotA(j))).toEqual([
        expect.objectContaining({
          index: twice.index,
          item: j.containers.caseA2,
          message: expect.stringMatching(/ship: ITEM_IN_TRANSIT: 4 item\(s\) are in transit/),
        }),
      ]);
    });

    it('acted on by a party that does not hold it', () => {
      const j = journey();
      // The manufacturer ships a case it sent to the distributor long ago.
      const stale = j.chain.ship(j.manufacturer, [j.containers.caseA2], j.otherDistributor, 'ASN-9');
      expect(custodyFailures(verifyLotA(j))).toEqual([
        expect.objectContaining({
          index: stale.index,
          item: j.containers.caseA2,
          message: expect.stringMatching(
            new RegExp(`NOT_CUSTODIAN: ${j.manufacturer.gln} does not hold 4 of the items`),
          ),
        }),
      ]);
    });

    it('commissioned twice', () => {
      const j = journey();
      const again = j.log.append(j.manufacturer, 'commission', {
        gtin: j.chain.gtin,
        lot: 'LOT-A',
        expiry: '281231',
        serials: ['LOT-A-4'],
      });
      j.chain.histories.get(j.lotA[3])!.push(again.index);
      expect(custodyFailures(verifyLotA(j))).toEqual([
        expect.objectContaining({
          index: again.index,
          item: unitCode(j.chain.gtin, 'LOT-A-4'),
          message: expect.stringMatching(
            /commission: SERIAL_ALREADY_COMMISSIONED: 1 serial\(s\) were commissioned before/,
          ),
        }),
      ]);
    });

    it('packed into a second container without leaving the first', () => {
      const j = journey();
      const repack = j.chain.pack(j.distributor, j.chain.newContainer(), [j.lotA[4]]);
      expect(custodyFailures(verifyLotA(j))).toEqual([
        expect.objectContaining({
          index: repack.index,
          item: j.lotA[4],
          message: expect.stringMatching(/pack: ITEM_IN_CONTAINER: 1 item\(s\) are packed in a container/),
        }),
      ]);
    });

    it('dispensed twice', () => {
      const j = journey();
      const again = j.chain.dispense(j.pharmacy, [j.lotA[0]]);
      expect(custodyFailures(verifyLotA(j))).toEqual([
        expect.objectContaining({
          index: again.index,
          message: expect.stringMatching(/dispense: ITEM_DISPENSED: 1 item\(s\) are already dispensed/),
        }),
      ]);
    });
  });

  it('refuses an event signed by a party whose role may not sign it', () => {
    const j = journey();
    j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    j.chain.receive(j.pharmacy, j.distributor, 'ASN-7');
    j.chain.unpack(j.pharmacy, j.containers.caseA2);
    // A distributor may not dispense, and only the product's manufacturer may commission its serials.
    const byDistributor = j.log.append(j.distributor, 'dispense', { items: [j.lotA[5]] });
    j.chain.histories.get(j.lotA[5])!.push(byDistributor.index);
    const failures = custodyFailures(verifyLotA(j));
    // The server's first refusal is the role (the distributor does not hold the unit either).
    expect(failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/dispense: ACTOR_ROLE_NOT_ALLOWED: a distributor may not sign dispense events/),
    ]);
    const mint = j.log.append(j.pharmacy, 'commission', {
      gtin: j.chain.gtin,
      lot: 'LOT-A',
      expiry: '281231',
      serials: ['FAKE-1'],
    });
    j.chain.histories.set(unitCode(j.chain.gtin, 'FAKE-1'), [mint.index]);
    const minted = verifyBundle(
      j.chain.bundle(j.chain.lotScope('LOT-A'), [...j.lotA, unitCode(j.chain.gtin, 'FAKE-1')]),
      j.log.vkey,
      fast,
    );
    expect(
      custodyFailures(minted)
        .filter((f) => f.index === mint.index)
        .map((f) => f.message),
    ).toEqual([
      expect.stringMatching(/commission: ACTOR_ROLE_NOT_ALLOWED: a dispenser may not sign commission events/),
    ]);
  });

  it('refuses a unit outside the scope', () => {
    const j = journey();
    const bundle = j.chain.bundle(j.chain.lotScope('LOT-A'), [...j.lotA, j.lotB[1]]);
    expect(custodyFailures(verifyBundle(bundle, j.log.vkey, fast))).toEqual([
      expect.objectContaining({
        item: j.lotB[1],
        message: expect.stringMatching(/commissioned in lot LOT-B, not lot LOT-A/),
      }),
    ]);
  });

  it('follows a partial receive: what did not arrive stays in transit, and cannot be received later', () => {
    const j = journey();
    const [four, five, six] = j.lotA.slice(3);
    j.chain.unpack(j.distributor, j.containers.caseA2);
    j.chain.ship(j.distributor, [four, five, six], j.pharmacy, 'ASN-7');
    j.chain.receive(j.pharmacy, j.distributor, 'ASN-7', { items: [four, five] });
    expect(verifyLotA(j)).toMatchObject({ ok: true });
    // The shipment is closed: receiving the missing unit now would put it in two places.
    const late = j.log.append(j.pharmacy, 'receive', { items: [six], shipper: j.distributor.gln, shipmentId: 'ASN-7' });
    j.chain.histories.get(six)!.push(late.index);
    expect(custodyFailures(verifyLotA(j))).toEqual([
      expect.objectContaining({
        index: late.index,
        message: expect.stringMatching(/receive: SHIPMENT_ALREADY_RECEIVED: shipment ASN-7 was received at log index/),
      }),
    ]);
  });

  it('follows holds: a clear of a case acts only on what in it is on hold', () => {
    const j = journey();
    const onHold = new Set<string>();
    j.chain.hold(j.distributor, 'quarantine', [j.containers.caseA2], onHold);
    j.chain.hold(j.manufacturer, 'clear', [j.lotA[3]], onHold);
    j.chain.hold(j.manufacturer, 'clear', [j.containers.caseA2], onHold);
    expect(verifyLotA(j)).toMatchObject({ ok: true });
    // Clearing a case that is not on hold (only a unit in it is) is refused, as the server refuses it.
    const k = journey();
    const held = new Set<string>();
    k.chain.hold(k.distributor, 'quarantine', [k.lotA[3]], held);
    const clear = k.chain.hold(k.manufacturer, 'clear', [k.containers.caseA2], held);
    expect(custodyFailures(verifyBundle(k.bundleOfLot('LOT-A'), k.log.vkey, fast))).toEqual([
      expect.objectContaining({ index: clear.index, message: expect.stringMatching(/clear: NOT_ON_HOLD/) }),
    ]);
  });

  it('accepts a recall of the lot in the bundle, but not an event about another product', () => {
    const j = journey();
    j.log.append(j.manufacturer, 'recall', { gtin: j.chain.gtin, lots: ['LOT-A'], reason: 'sub-potent' });
    const bundle = j.bundleOfLot('LOT-A');
    expect(bundle.events.map((e) => e.event.type)).toContain('recall');
    expect(verifyBundle(bundle, j.log.vkey, fast)).toMatchObject({ ok: true });
    const other = j.log.append(j.manufacturer, 'recall', { gtin: '00361999000019', lots: ['X'], reason: 'other' });
    const withOther = j.bundleOfLot('LOT-A');
    withOther.events.push(j.log.bundled(other));
    withOther.summary.events++;
    expect(custodyFailures(verifyBundle(withOther, j.log.vkey, fast))).toEqual([
      expect.objectContaining({ index: other.index, message: expect.stringMatching(/recall: PRODUCT_UNKNOWN/) }),
      expect.objectContaining({
        index: other.index,
        message: expect.stringMatching(/about none of the bundle's items/),
      }),
    ]);
  });

  describe('a time-window scope', () => {
    it('verifies what it carries and says that custody is not judged', () => {
      const j = journey();
      const scope = {
        kind: 'gtin' as const,
        gtin: j.chain.gtin,
        from: '2026-11-23T10:00:15.000Z',
        to: '2026-11-23T10:00:25.000Z',
      };
      const bundle = j.bundleOfLot('LOT-A');
      const inWindow = (index: number) => {
        const time = Date.parse(j.log.entries[index].event.time);
        return time >= Date.parse(scope.from) && time < Date.parse(scope.to);
      };
      bundle.scope = scope;
      bundle.events = bundle.events.filter((e) => inWindow(e.index));
      bundle.items = bundle.items
        .map((item) => ({ code: item.code, history: item.history.filter(inWindow) }))
        .filter((item) => item.history.length > 0);
      bundle.summary = { ...bundle.summary, events: bundle.events.length, items: bundle.items.length };
      bundle.statement = j.chain.restate(bundle).statement;
      expect(bundle.events.length).toBeGreaterThan(3);
      const report = verifyBundle(bundle, j.log.vkey, fast);
      expect(report).toMatchObject({ ok: true, limits: [expect.stringMatching(/time window .* not judged/)] });

      const dropped = {
        ...bundle,
        events: bundle.events.slice(1),
        summary: { ...bundle.summary, events: bundle.events.length - 1 },
      };
      expect(custodyFailures(verifyBundle(dropped, j.log.vkey, fast))).toEqual([
        expect.objectContaining({ index: bundle.events[0].index, message: expect.stringMatching(/not in the bundle/) }),
      ]);

      // The same events under a window they are not in, or a window that is no time at all.
      const elsewhere = {
        ...bundle,
        scope: { ...scope, from: '1999-01-01T00:00:00.000Z', to: '1999-01-02T00:00:00.000Z' },
      };
      expect(custodyFailures(verifyBundle(elsewhere, j.log.vkey, fast))).toContainEqual(
        expect.objectContaining({ message: expect.stringMatching(/outside the scope's window/) }),
      );
      const garbage = { ...bundle, scope: { ...scope, from: 'garbage' } };
      expect(verifyBundle(garbage, j.log.vkey, fast).failures).toContainEqual(
        expect.objectContaining({
          check: 'structure',
          message: expect.stringMatching(/scope\.from: expected an RFC 3339 UTC time with milliseconds/),
        }),
      );
    });

    it('still refuses what no earlier event could excuse: a role that may not sign the event', () => {
      const j = journey();
      const byDistributor = j.log.append(j.distributor, 'dispense', { items: [j.lotA[5]] });
      j.chain.histories.get(j.lotA[5])!.push(byDistributor.index);
      const bundle = j.bundleOfLot('LOT-A');
      bundle.scope = {
        kind: 'party',
        gln: j.distributor.gln,
        from: '2026-11-23T00:00:00.000Z',
        to: '2026-11-24T00:00:00.000Z',
      };
      const failures = custodyFailures(verifyBundle(bundle, j.log.vkey, fast));
      expect(failures).toEqual([
        expect.objectContaining({
          index: byDistributor.index,
          message: expect.stringMatching(/a distributor may not sign dispense events/),
        }),
      ]);
    });
  });
});
