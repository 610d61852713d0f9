import fc from 'fast-check';
import type { ExportEntry } from '../../../src/epcis';
import { appendCheckDigit, CHARSET_82, formatYymmdd } from '../../../src/gs1';
import { containerCode, unitCode } from '../../../src/protocol/item-code';
import {
  DECOMMISSION_REASONS,
  DESTROY_REASONS,
  ILLEGITIMATE_CLASSIFICATIONS,
} from '../../../src/supply-chain/dto/custody-bodies.dto';

// Generators of valid RxLedger events of the supported subset.
const digits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n });
const gs1Text = fc.string({ unit: fc.constantFrom(...CHARSET_82), minLength: 1, maxLength: 20 });
const gln = digits(12).map(appendCheckDigit);
// The company prefix is 7 digits wherever the URN variant needs it (digit 2 onwards of a GTIN or SSCC).
const gtin = digits(13).map(appendCheckDigit);
const unit = fc.tuple(gtin, gs1Text).map(([g, serial]) => unitCode(g, serial));
const container = digits(17).map((d) => containerCode(appendCheckDigit(d)));
const item = fc.oneof(unit, container);
const items = fc.uniqueArray(item, { minLength: 1, maxLength: 4 });
const isoDate = fc
  .date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(Date.UTC(2060, 11, 31)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const expiry = fc.oneof(
  isoDate.filter((d) => Number(d.slice(0, 4)) >= 2010).map((d) => formatYymmdd(d)),
  fc
    .tuple(fc.integer({ min: 10, max: 60 }), fc.integer({ min: 1, max: 12 }))
    .map(([y, m]) => `${y}${String(m).padStart(2, '0')}00`),
);
const offset = fc.oneof(
  fc.constant('Z'),
  fc
    .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 13 }), fc.constantFrom(0, 30, 45))
    .map(([sign, h, m]) => `${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
);
const time = fc
  .tuple(
    fc.date({ min: new Date(Date.UTC(2001, 0, 1)), max: new Date(Date.UTC(2059, 0, 1)), noInvalidDate: true }),
    fc.integer({ min: 0, max: 9 }),
    offset,
  )
  .map(([d, fraction, zone]) => {
    const seconds = d.toISOString().slice(0, 19);
    const digits =
      fraction === 0
        ? ''
        : `.${String(d.getUTCMilliseconds()).padStart(3, '0').padEnd(fraction, '7').slice(0, fraction)}`;
    return `${seconds}${digits}${zone}`;
  });
const shipmentId = fc.string({ unit: fc.constantFrom(...'ABCxyz019._:/-'), minLength: 1, maxLength: 64 });
const reference = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 64 })
  .filter((text) => text.length <= 64 && wellFormed(text));

function wellFormed(text: string): boolean {
  try {
    encodeURIComponent(text); // throws on a lone surrogate, which no JSON text can carry through a signature
    return true;
  } catch {
    return false;
  }
}

export const body = fc.oneof(
  fc.record({
    type: fc.constant('commission'),
    body: fc.record({ gtin, lot: gs1Text, expiry, serials: fc.uniqueArray(gs1Text, { minLength: 1, maxLength: 4 }) }),
  }),
  fc.record({ type: fc.constant('pack'), body: fc.record({ parent: container, children: items }) }),
  fc.record({
    type: fc.constant('unpack'),
    body: fc.record({ parent: container, children: items }, { requiredKeys: ['parent'] }),
  }),
  fc.record({
    type: fc.constant('ship'),
    body: fc.record(
      {
        shipmentId,
        recipient: gln,
        reason: fc.constantFrom('sale', 'return'),
        items,
        transaction: fc.record(
          { date: isoDate, shipmentDate: isoDate, purchaseOrder: reference, invoice: reference },
          { requiredKeys: ['date', 'shipmentDate'] },
        ),
      },
      { requiredKeys: ['shipmentId', 'recipient', 'items', 'transaction'] },
    ),
  }),
  fc.record({ type: fc.constant('receive'), body: fc.record({ shipper: gln, shipmentId, items }) }),
  fc.record({ type: fc.constant('dispense'), body: fc.record({ items }) }),
  fc.record({
    type: fc.constant('decommission'),
    body: fc.record({ items, reason: fc.constantFrom(...DECOMMISSION_REASONS) }),
  }),
  fc.record({ type: fc.constant('destroy'), body: fc.record({ items, reason: fc.constantFrom(...DESTROY_REASONS) }) }),
);

export const supportedEntry: fc.Arbitrary<ExportEntry> = entryOf(body);

function entryOf(bodies: fc.Arbitrary<{ type: string; body: unknown }>): fc.Arbitrary<ExportEntry> {
  return fc
    .tuple(
      bodies,
      gln,
      time,
      fc.string({ unit: fc.constantFrom(...'abc123-'), minLength: 1, maxLength: 20 }),
      fc.date({ noInvalidDate: true }),
    )
    .map(([{ type, body: content }, actor, at, id, accepted]) => ({
      index: 0,
      acceptedAt: accepted.toISOString(),
      event: { id, type, actor, keyId: '00112233445566aa', time: at, body: content as Record<string, unknown> },
    }));
}

const text = (max: number) =>
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: max })
    // eslint-disable-next-line no-control-regex
    .filter((t) => /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]+$/u.test(t));
const lots = fc.uniqueArray(gs1Text, { minLength: 1, maxLength: 3 });
const ndcGtin = fc
  .tuple(fc.constantFrom('0', '1', '5'), digits(10))
  .map(([indicator, ndc]) => appendCheckDigit(`${indicator}03${ndc}`));

/** Holds, recalls and products (issue 14 §3). */
export const extendedBody = fc.oneof(
  fc.record({ type: fc.constant('quarantine'), body: fc.record({ items, reason: text(40) }) }),
  fc.record({ type: fc.constant('clear'), body: fc.record({ items, reason: text(40) }) }),
  fc.record({
    type: fc.constant('illegitimate'),
    body: fc.record({
      items,
      report: fc.record({
        reportType: fc.constantFrom('initial', 'follow-up', 'termination'),
        classification: fc.constantFrom(...ILLEGITIMATE_CLASSIFICATIONS),
        description: text(60),
        contact: fc.record(
          { name: text(20), phone: fc.constant('+1 555 0100'), email: fc.constant('qa@example.com') },
          { requiredKeys: ['name'] },
        ),
      }),
    }),
  }),
  fc.record({
    type: fc.constant('recall'),
    body: fc.record(
      { gtin, lots, reason: text(40), classification: fc.constantFrom('I', 'II', 'III') },
      { requiredKeys: ['gtin', 'lots', 'reason'] },
    ),
  }),
  fc.record({ type: fc.constant('recall-lift'), body: fc.record({ gtin, lots, reason: text(40) }) }),
  fc.record({
    type: fc.constant('product.register'),
    body: fc.oneof(
      fc.record({ gtin: ndcGtin, name: text(20), strength: text(10), dosageForm: text(10), containerSize: text(10) }),
      fc
        .tuple(ndcGtin, text(20), text(10), text(10), text(10), fc.boolean())
        .map(([g, name, strength, dosageForm, containerSize, given]) => ({
          gtin: g,
          ...(given ? { ndc: g.slice(3, 13) } : {}),
          name,
          strength,
          dosageForm,
          containerSize,
        })),
      fc.record({ gtin, name: text(20), strength: text(10), dosageForm: text(10), containerSize: text(10) }),
    ),
  }),
);

/** Every event type with an EPCIS form (issue 14 §3): the original subset and holds, recalls, products. */
export const anyEntry: fc.Arbitrary<ExportEntry> = entryOf(fc.oneof(body, extendedBody));
