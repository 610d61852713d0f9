/**
 * Signatures are judged by the key each signer could sign with at that log position, per the registry events the
 * bundle carries (themselves proven in the log), replayed with the server's registry rules.
 */
import { randomBytes } from 'node:crypto';
import { BundleReport, verifyBundle } from '../../../src/bundle';
import { bytesToBase64 } from '../../../src/bytes';
import { publicKeyOf } from '../../../src/signing/ed25519';
import { verifyStrictNode } from '../../../src/signing/ed25519-node';
import { fastSign } from '../../support/fast-sign';
import { copy, journey, Journey } from './memory-log';

const fast = { verifySignature: verifyStrictNode };

function keyHistoryFailures(report: BundleReport) {
  return report.failures.filter((f) => f.check === 'key-history');
}

describe('the key history in a bundle', () => {
  let j: Journey;
  beforeAll(() => (j = journey()));

  it("carries the operator's self-registration and the registry events of every signer", () => {
    const bundle = j.bundleOfLot('LOT-A');
    expect(bundle.registry[0]).toMatchObject({
      index: 0,
      event: { type: 'party.register', body: { role: 'operator' } },
    });
    // The distributor's key was rotated mid-journey; events before and after verify with their own keys.
    expect(bundle.registry.map((e) => e.event.type)).toEqual(expect.arrayContaining(['key.add', 'key.revoke']));
    expect(verifyBundle(bundle, j.log.vkey)).toMatchObject({ ok: true, counts: { signatures: 19 } });
  });

  it('refuses a signer whose key history is not in the bundle (its registration left out)', () => {
    const bundle = copy(j.bundleOfLot('LOT-A'));
    bundle.registry = bundle.registry.filter(
      (e) => !(e.event.type === 'party.register' && e.event.body.gln === j.pharmacy.gln),
    );
    bundle.summary.registryEvents--;
    const failures = keyHistoryFailures(verifyBundle(bundle, j.log.vkey, fast));
    const pharmacyEvents = bundle.events.filter((e) => e.event.actor === j.pharmacy.gln);
    expect(failures.map((f) => f.index)).toEqual(pharmacyEvents.map((e) => e.index));
    expect(failures[0].message).toMatch(/ACTOR_UNKNOWN/);
  });

  it('refuses the keys whose key.add is left out', () => {
    const bundle = copy(j.bundleOfLot('LOT-A'));
    bundle.registry = bundle.registry.filter((e) => e.event.type !== 'key.add');
    bundle.summary.registryEvents--;
    const failures = keyHistoryFailures(verifyBundle(bundle, j.log.vkey, fast));
    // Every distributor event after the rotation is signed with the new key.
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((f) => /KEY_UNKNOWN/.test(f.message))).toBe(true);
  });

  it('refuses a key used before the log added it', () => {
    const k = journey();
    const seed = randomBytes(32);
    const early = k.chain.ship(k.distributor, [k.containers.caseA2], k.pharmacy, 'ASN-7', { seed });
    k.log.append(k.log.operator, 'key.add', { gln: k.distributor.gln, publicKey: bytesToBase64(publicKeyOf(seed)) });
    expect(keyHistoryFailures(verifyBundle(k.bundleOfLot('LOT-A'), k.log.vkey, fast))).toEqual([
      expect.objectContaining({ index: early.index, message: expect.stringMatching(/KEY_UNKNOWN/) }),
    ]);
  });

  it("refuses a bundle without the operator's self-registration", () => {
    const bundle = copy(j.bundleOfLot('LOT-A'));
    bundle.registry.shift();
    bundle.summary.registryEvents--;
    const report = verifyBundle(bundle, j.log.vkey, fast);
    expect(keyHistoryFailures(report)[0]).toMatchObject({
      index: bundle.registry[0].index,
      message: expect.stringMatching(
        /GENESIS_REQUIRED: the bundle's key history does not start with the operator's self-registration/,
      ),
    });
  });

  it('refuses an event signed with a key revoked before it', () => {
    const k = journey();
    const late = k.chain.ship(k.distributor, [k.containers.caseA2], k.pharmacy, 'ASN-7', { seed: k.distributorOldKey });
    const report = verifyBundle(k.bundleOfLot('LOT-A'), k.log.vkey, fast);
    expect(report.failures).toEqual([
      expect.objectContaining({
        check: 'key-history',
        index: late.index,
        message: expect.stringMatching(/KEY_REVOKED/),
      }),
    ]);
  });

  it('keeps events signed before a revocation valid, even when the revocation is dated back before them', () => {
    const k = journey();
    // The pharmacy's key is found compromised and revoked as of the start of the journey, after its events were logged:
    // events already in the log stay valid (intake accepted them), later ones are refused.
    const pharmacyEvents = k.log.entries.filter((e) => e.event.actor === k.pharmacy.gln);
    k.log.revoke(k.pharmacy, k.pharmacy.seed, '2026-11-23T10:00:00.000Z');
    expect(verifyBundle(k.bundleOfLot('LOT-A'), k.log.vkey, fast)).toMatchObject({ ok: true });
    const after = k.chain.dispense(k.pharmacy, [k.lotA[5]]);
    const report = verifyBundle(k.bundleOfLot('LOT-A'), k.log.vkey, fast);
    expect(pharmacyEvents.length).toBeGreaterThan(2);
    expect(keyHistoryFailures(report)).toEqual([
      expect.objectContaining({ index: after.index, message: expect.stringMatching(/KEY_REVOKED/) }),
    ]);
  });

  it('refuses a registry event not signed by the operator', () => {
    const k = journey();
    // The distributor "registers" an accomplice, which then signs an event.
    const rogue = k.log.append(k.distributor, 'key.add', {
      gln: k.otherDistributor.gln,
      publicKey: Buffer.alloc(32, 7).toString('base64'),
    });
    const bundle = k.bundleOfLot('LOT-A');
    bundle.registry.push(k.log.bundled(rogue));
    bundle.summary.registryEvents++;
    expect(keyHistoryFailures(verifyBundle(bundle, k.log.vkey, fast))).toEqual([
      expect.objectContaining({ index: rogue.index, message: expect.stringMatching(/ACTOR_ROLE_NOT_ALLOWED/) }),
    ]);
  });

  it('refuses a signature by another key than the one the event names', () => {
    const k = journey();
    const event = { ...k.log.entries[k.entries.caseShip.index].event, id: 'forged-1' };
    // Signed with the pharmacy's key but naming the distributor's key id.
    const forged = k.log.appendSigned(event, fastSign(event, k.pharmacy.seed));
    const bundle = k.bundleOfLot('LOT-A');
    bundle.events.push(k.log.bundled(forged));
    bundle.summary.events++;
    const report = verifyBundle(bundle, k.log.vkey);
    expect(report.failures).toContainEqual(expect.objectContaining({ check: 'signature', index: forged.index }));
  });
});
