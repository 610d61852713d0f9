/**
 * Forged but validly signed logs that the verifier passed before it replayed the server's own custody rules
 * (issue 10 §1): each event here is genuinely signed by a registered partner, proven in the log and listed in the
 * units' histories, but the server would have refused it. The verifier must report it with the server's code
 * (docs/PROTOCOL.md §7's refusal table, §9's chain of custody).
 */
import { BundleReport, verifyBundle } from '../../../src/bundle';
import { unitCode } from '../../../src/protocol/item-code';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { journey, Journey, LogEntry, Party } from './memory-log';

const fast = { verifySignature: verifyStrictNode };

/** The report's custody finding at `entry`, which must carry the server's refusal `code`. */
function expectRefused(report: BundleReport, entry: LogEntry, code: string): void {
  expect(report.ok).toBe(false);
  expect(report.failures).toContainEqual(
    expect.objectContaining({
      check: 'custody',
      index: entry.index,
      message: expect.stringContaining(`: ${entry.event.type}: ${code}: `),
    }),
  );
}

/** Appends an event the log helper has no step for, and lists it in the histories of the units it acts on. */
function forge(j: Journey, party: Party, type: string, body: object, units: string[]): LogEntry {
  const entry = j.log.append(party, type, body as Record<string, unknown>);
  for (const unit of units) j.chain.histories.get(unit)!.push(entry.index);
  return entry;
}

describe('forged, validly signed logs the server would have refused', () => {
  it('a dispense of a unit whose lot is recalled: ITEM_RECALLED', () => {
    const j = journey();
    j.log.append(j.manufacturer, 'recall', { gtin: j.chain.gtin, lots: ['LOT-B'], reason: 'sub-potent' });
    const dispense = j.chain.dispense(j.pharmacy, [j.lotB[1]]);
    expectRefused(verifyBundle(j.bundleOfLot('LOT-B'), j.log.vkey, fast), dispense, 'ITEM_RECALLED');
  });

  it('a sale shipment of a unit whose lot is recalled: ITEM_RECALLED', () => {
    const j = journey();
    j.log.append(j.manufacturer, 'recall', { gtin: j.chain.gtin, lots: ['LOT-A'], reason: 'sub-potent' });
    const ship = j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    expectRefused(verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast), ship, 'ITEM_RECALLED');
  });

  it('a dispense of an expired unit: ITEM_EXPIRED', () => {
    const j = journey();
    // Sold the day before it expires (2026-11-24 is its last day), dispensed two days later.
    const serials = ['E-1', 'E-2'];
    const commission = forge(
      j,
      j.manufacturer,
      'commission',
      { gtin: j.chain.gtin, lot: 'LOT-E', expiry: '261124', serials },
      [],
    );
    const units = serials.map((serial) => unitCode(j.chain.gtin, serial));
    units.forEach((unit) => j.chain.histories.set(unit, [commission.index]));
    j.chain.ship(j.manufacturer, units, j.pharmacy, 'ASN-E');
    j.chain.receive(j.pharmacy, j.manufacturer, 'ASN-E');
    Object.assign(j.log, { clockMs: Date.parse('2026-11-26T12:00:00.000Z') });
    const dispense = j.chain.dispense(j.pharmacy, [units[0]]);
    const bundle = j.chain.bundle(j.chain.lotScope('LOT-E'), units);
    expectRefused(verifyBundle(bundle, j.log.vkey, fast), dispense, 'ITEM_EXPIRED');
  });

  it('a shipment of a unit a regulator quarantined: ITEM_QUARANTINED', () => {
    const j = journey();
    const regulator = j.chain.register('regulator', 'FDA');
    j.chain.hold(regulator, 'quarantine', [j.containers.caseA2], new Set());
    const ship = j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    expectRefused(verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast), ship, 'ITEM_QUARANTINED');
  });

  it('a quarantine by a party that is neither custodian nor manufacturer: NOT_PERMITTED', () => {
    const j = journey();
    const quarantine = j.chain.hold(j.otherDistributor, 'quarantine', [j.containers.caseA2], new Set());
    expectRefused(verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast), quarantine, 'NOT_PERMITTED');
  });

  it('a return to a party that never sold the unit: NOT_UPSTREAM', () => {
    const j = journey();
    // The pharmacy bought LOT-B from the distributor, and "returns" a unit to another distributor.
    const transaction = { date: '2026-11-23', shipmentDate: '2026-11-23' };
    const ship = forge(
      j,
      j.pharmacy,
      'ship',
      { items: [j.lotB[1]], shipmentId: 'RMA-1', recipient: j.otherDistributor.gln, reason: 'return', transaction },
      [j.lotB[1]],
    );
    expectRefused(verifyBundle(j.bundleOfLot('LOT-B'), j.log.vkey, fast), ship, 'NOT_UPSTREAM');
  });

  it('a lift of a recall never made: LOT_NOT_RECALLED', () => {
    const j = journey();
    const lift = j.log.append(j.manufacturer, 'recall-lift', { gtin: j.chain.gtin, lots: ['LOT-A'], reason: 'fine' });
    expectRefused(verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast), lift, 'LOT_NOT_RECALLED');
  });

  it('a resale of a returned unit: whether it was verified first is not in the log, and the report says so', () => {
    const j = journey();
    const transaction = { date: '2026-11-23', shipmentDate: '2026-11-23' };
    const unit = j.lotB[1];
    forge(
      j,
      j.pharmacy,
      'ship',
      { items: [unit], shipmentId: 'RMA-1', recipient: j.distributor.gln, reason: 'return', transaction },
      [unit],
    );
    forge(j, j.distributor, 'receive', { items: [unit], shipper: j.pharmacy.gln, shipmentId: 'RMA-1' }, [unit]);
    j.chain.ship(j.distributor, [unit], j.otherDistributor, 'ASN-9');
    const report = verifyBundle(j.bundleOfLot('LOT-B'), j.log.vkey, fast);
    expect(report).toMatchObject({ ok: true, failures: [] });
    expect(report.limits).toContainEqual(expect.stringMatching(/^1 units came back as returns .*RETURN_NOT_VERIFIED/));
  });

  it('each break is reported once, where it happens, and the events after it as the log records them', () => {
    const j = journey();
    const regulator = j.chain.register('regulator', 'FDA');
    j.chain.hold(regulator, 'quarantine', [j.containers.caseA2], new Set());
    const ship = j.chain.ship(j.distributor, [j.containers.caseA2], j.pharmacy, 'ASN-7');
    j.chain.receive(j.pharmacy, j.distributor, 'ASN-7');
    j.chain.unpack(j.pharmacy, j.containers.caseA2);
    const report = verifyBundle(j.bundleOfLot('LOT-A'), j.log.vkey, fast);
    expect(report.failures).toEqual([
      expect.objectContaining({
        check: 'custody',
        index: ship.index,
        message: expect.stringMatching(/ITEM_QUARANTINED/),
      }),
    ]);
  });
});
