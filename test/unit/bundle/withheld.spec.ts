/**
 * Bundles made for a party withhold the events that do not name it (docs/PROTOCOL.md §9): the verifier proves their
 * place in the log from their leaf's parts, judges the units' custody only as far as the bundle shows it, says what
 * it did not judge, and refuses a bundle that withholds from a regulator.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { verifyBundle } from '../../../src/bundle';
import { bytesToBase64 } from '../../../src/bytes';
import { BundledEvent, BundleEntry, EvidenceBundle, WithheldEvent } from '../../../src/protocol/bundle';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { signedEventBytes } from '../../../src/signing/event-signing';
import { journey, Journey, Party } from './memory-log';

const fast = { verifySignature: verifyStrictNode };

function withheld(entry: BundledEvent): WithheldEvent {
  return {
    index: entry.index,
    acceptedAt: entry.acceptedAt,
    withheld: true,
    type: entry.event.type,
    eventHash: bytesToBase64(sha256(signedEventBytes(entry.event))),
    signature: entry.signature,
    inclusionProof: entry.inclusionProof,
  };
}

/** The names an event's body gives besides its actor (ship: recipient; receive: shipper), as the server records. */
const names = (entry: BundledEvent, gln: string) =>
  entry.event.actor === gln || entry.event.body.recipient === gln || entry.event.body.shipper === gln;

/** LOT-A's bundle as the server makes it for `party`: events that do not name it withheld. */
function bundleFor(j: Journey, party: Party): EvidenceBundle<BundleEntry> {
  const bundle = j.bundleOfLot('LOT-A');
  const registry = [...bundle.registry];
  const registration = j.log.entries.find((e) => e.event.type === 'party.register' && e.event.body.gln === party.gln)!;
  if (!registry.some((e) => e.index === registration.index)) {
    registry.push(j.log.bundled(registration));
    registry.sort((a, b) => a.index - b.index);
  }
  return j.chain.restate({
    ...bundle,
    generatedBy: party.gln,
    registry,
    events: bundle.events.map((e) => (names(e, party.gln) ? e : withheld(e))),
    summary: { ...bundle.summary, registryEvents: registry.length },
  });
}

describe('a bundle that withholds events', () => {
  it('passes for the pharmacy, whose view starts with a shipment to it, and says what it did not judge', () => {
    const j = journey();
    const bundle = bundleFor(j, j.pharmacy);
    expect(bundle.events.some((e) => 'withheld' in e)).toBe(true);
    const report = verifyBundle(bundle, j.log.vkey, fast);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.limits).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\d+ events are withheld from ${j.pharmacy.gln} .*units are not commissioned in the bundle, their first event being withheld`,
        ),
      ),
    ]);
  });

  it('passes for the distributor, whose view lacks the commissioning and the packing', () => {
    const j = journey();
    const report = verifyBundle(bundleFor(j, j.distributor), j.log.vkey, fast);
    expect(report.failures).toEqual([]);
    expect(report.limits.join(' ')).toMatch(/events are withheld from/);
  });

  it('fails when made for a regulator, who may read every event', () => {
    const j = journey();
    const regulator = j.chain.register('regulator', 'FDA');
    const report = verifyBundle(bundleFor(j, regulator), j.log.vkey, fast);
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      { check: 'structure', message: expect.stringMatching(/a regulator, who may read every event, yet it withholds/) },
    ]);
  });

  it('fails when withheld events hide a gap the items’ histories do not list', () => {
    const j = journey();
    const bundle = bundleFor(j, j.pharmacy);
    // The receive of case A1 by the pharmacy, carried in full, taken out with its index in the histories.
    const receive = j.entries.caseReceive.index;
    const report = verifyBundle(
      {
        ...bundle,
        events: bundle.events.filter((e) => e.index !== receive),
        summary: { ...bundle.summary, events: bundle.summary.events - 1 },
      },
      j.log.vkey,
      fast,
    );
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => f.check)).toContain('custody');
  });

  it('never withholds a registry event', () => {
    const j = journey();
    const bundle = bundleFor(j, j.pharmacy);
    const registry = [withheld(bundle.registry[1]), ...bundle.registry.slice(2)];
    const report = verifyBundle({ ...bundle, registry: [bundle.registry[0], ...registry] }, j.log.vkey, fast);
    expect(report.failures).toContainEqual({
      check: 'structure',
      message: 'registry[1]: registry events are never withheld',
    });
  });
});
