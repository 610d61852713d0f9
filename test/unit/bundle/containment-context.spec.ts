/**
 * A unit packed into a case that is already on a pallet is moved by the pallet's later events. Its history (PROTOCOL
 * §9, "a unit's history") lists those moves, but a replay of its bundle sees them act on it only with the packs that
 * built the chain before the unit entered it: the bundle's *containment context* (§9, "what `events` holds"). Those
 * packs act on none of the bundle's items; the verifier accepts them as context, and still refuses any other event
 * that acts on none of the items.
 */
import { BundleReport, verifyBundle } from '../../../src/bundle';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { copy, LogEntry, SupplyChain } from './memory-log';

const fast = { verifySignature: verifyStrictNode };
const custody = (report: BundleReport) => report.failures.filter((f) => f.check === 'custody');

describe('bundles: the containment context of a unit packed into a container already packed', () => {
  const chain = new SupplyChain();
  const manufacturer = chain.newManufacturer();
  const distributor = chain.register('distributor', 'Big Wholesale');
  const filler = chain.commission(manufacturer, 'LOT-F', 2);
  const [kase, pallet, outer, unrelated] = [
    chain.newContainer(),
    chain.newContainer(),
    chain.newContainer(),
    chain.newContainer(),
  ];
  chain.pack(manufacturer, kase, [filler[0]]);
  const caseOnPallet = chain.pack(manufacturer, pallet, [kase]);
  const palletInOuter = chain.pack(manufacturer, outer, [pallet]);
  const unrelatedPack = chain.pack(manufacturer, unrelated, [filler[1]]);
  const [unit] = chain.commission(manufacturer, 'LOT-U', 1);
  chain.pack(manufacturer, kase, [unit]);
  const ship = chain.ship(manufacturer, [outer], distributor, 'ASN-1');
  chain.receive(distributor, manufacturer, 'ASN-1');

  /** The lot's bundle with `extra` events added (as the server adds the context), restated by the operator. */
  const bundleWith = (...extra: LogEntry[]) => {
    const bundle = copy(chain.bundle(chain.lotScope('LOT-U'), [unit]));
    bundle.events.push(...extra.map((entry) => chain.log.bundled(entry)));
    bundle.events.sort((a, b) => a.index - b.index);
    bundle.summary.events = bundle.events.length;
    return chain.restate(bundle);
  };

  it("without the context, the pallet's ship does not act on the unit in the replay", () => {
    expect(custody(verifyBundle(bundleWith(), chain.log.vkey, fast))).toContainEqual(
      expect.objectContaining({ index: ship.index, message: expect.stringMatching(/does not act on them/) }),
    );
  });

  it('with the packs that built the chain (two levels up), the bundle verifies', () => {
    const report = verifyBundle(bundleWith(caseOnPallet, palletInOuter), chain.log.vkey, fast);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('a pack outside the chain is still about none of the items', () => {
    const report = verifyBundle(bundleWith(caseOnPallet, palletInOuter, unrelatedPack), chain.log.vkey, fast);
    expect(custody(report)).toEqual([
      expect.objectContaining({ index: unrelatedPack.index, message: expect.stringMatching(/about none/) }),
    ]);
  });
});
