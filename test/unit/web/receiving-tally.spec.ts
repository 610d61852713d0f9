/// <reference lib="dom" />
/**
 * Receiving mode's count (web/src/scan/receiving.ts): what arrived of a shipment against its advance notice, a
 * container counted with everything packed in it, and what the receipt names (PROTOCOL §7.3: the shipped items that
 * arrived; an item listed but not shipped is extra, and the log flags it).
 */
import { makeGtin14, makeSscc } from '../../../src/gs1/identifiers';
import { containerCode, unitCode } from '../../../src/protocol/item-code';
import type { ExpectedItem, ExpectedShipment } from '../../../src/supply-chain/receiving.service';
import { itemCodeOf, Tally } from '../../../web/src/scan/receiving';

const gtin = makeGtin14('0', '0312345', '00001');
const pallet = containerCode(makeSscc('0', '0312345', '000000001'));
const caseA = containerCode(makeSscc('0', '0312345', '000000002'));
const caseB = containerCode(makeSscc('0', '0312345', '000000003'));
const [a1, a2, b1, b2, loose, stray] = ['A1', 'A2', 'B1', 'B2', 'L1', 'X1'].map((s) => unitCode(gtin, s));

function unit(code: string, container: string | null): ExpectedItem {
  return { code, kind: 'unit', container, gtin, serial: code.slice(20), lot: 'L', expiry: '2029-12-31', product: 'P' };
}
function box(code: string, container: string | null, units: number): ExpectedItem {
  const none = { gtin: null, serial: null, lot: null, expiry: null, product: null };
  return { code, kind: 'container', container, units, ...none };
}

/** A pallet holding case A (A1, A2); case B (B1, B2) shipped on its own; a loose unit. */
function tally(): Tally {
  const expected = {
    shipment: { shipper: '0614141000012', shipmentId: 'ASN-1' },
    items: [
      box(pallet, null, 2),
      box(caseA, pallet, 2),
      unit(a1, caseA),
      unit(a2, caseA),
      box(caseB, null, 2),
      unit(b1, caseB),
      unit(b2, caseB),
      unit(loose, null),
    ],
    unitCount: 5,
  } as unknown as ExpectedShipment;
  return new Tally(expected);
}

describe('receiving: expected against scanned', () => {
  it('a scanned pallet brings the case and the units inside it', () => {
    const t = tally();
    expect(t.add(pallet)).toBe('expected');
    expect([caseA, a1, a2].map((code) => t.arrived(code))).toEqual([true, true, true]);
    expect(t.counts()).toEqual({ expected: 5, arrived: 2, extra: 0 });
    expect(t.missing().map((i) => i.code)).toEqual([caseB, loose]);
    expect(t.receiptItems()).toEqual([pallet]);
  });

  it('a case whose every unit was scanned arrived, though its label was not scanned', () => {
    const t = tally();
    t.add(b1);
    expect(t.arrived(caseB)).toBe(false);
    expect(t.receiptItems()).toEqual([]);
    t.add(b2);
    expect(t.arrived(caseB)).toBe(true);
    expect(t.receiptItems()).toEqual([caseB]);
    expect(t.counts().arrived).toBe(2);
  });

  it('an item the notice does not list is extra: counted apart, named in the receipt after what arrived', () => {
    const t = tally();
    expect(t.add(stray)).toBe('extra');
    expect(t.add(loose)).toBe('expected');
    expect(t.add(loose)).toBe('repeat');
    expect(t.add(stray)).toBe('repeat');
    expect(t.counts()).toEqual({ expected: 5, arrived: 1, extra: 1 });
    expect(t.receiptItems()).toEqual([loose, stray]);
  });

  it('reads case labels and package codes as item codes', () => {
    const sscc = pallet.slice(4);
    expect(itemCodeOf(`00${sscc}`)).toBe(pallet);
    expect(itemCodeOf(`]C100${sscc}`)).toBe(pallet);
    expect(itemCodeOf(`]d201${gtin}21A1\u001d10L\u001d17291231`)).toBe(a1);
    expect(itemCodeOf('hello')).toBeNull();
  });
});
