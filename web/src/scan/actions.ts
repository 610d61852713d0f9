/**
 * The actions a stop card offers (issue 13 §2), as the unsigned events of PROTOCOL.md §7.2 for one scanned unit:
 * dispense, quarantine, report an illegitimate (suspect) product with the FDA Form 3911 fields, and start a return
 * (`ship` with `reason: "return"` to the chosen trading partner), and a shipment's receipt. Pure: the card signs them with this browser's
 * device key (`signEvent`, web/src/common/device-key.ts) and posts them (`postSignedEvent`).
 * The card wires them (card-actions.ts); the receiving mode posts `receiveEvent` (receiving.ts).
 */
import { unitCode } from '../../../src/protocol/item-code';
import type { SignedEvent } from '../../../src/protocol/event';
import type { UnsignedEvent } from '../common/device-key';
import { postJson } from '../common/api';
import { csrfHeaders } from '../common/session';

/** The unit a card is about. */
export interface ScannedUnit {
  gtin: string;
  serial: string;
}

/** FDA Form 3911's fields as the `illegitimate` event's `report` carries them (PROTOCOL.md §7.2). */
export interface Form3911 {
  reportType: 'initial' | 'follow-up' | 'termination';
  classification:
    | 'counterfeit'
    | 'diverted'
    | 'stolen'
    | 'intentionally-adulterated'
    | 'unfit-for-distribution'
    | 'fraudulent-transaction';
  description: string;
  contact: { name: string; phone?: string; email?: string };
}

/** An event id unique per actor (§2: 1–128 of [A-Za-z0-9._:-]): the type, the time and a random suffix. */
function eventId(type: string, now: Date): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${type}:${now.getTime()}:${random}`;
}

function unsigned<B>(type: string, body: B, now: Date): UnsignedEvent<B> {
  return { id: eventId(type, now), type, time: now.toISOString(), body };
}

export function dispenseEvent(unit: ScannedUnit, now = new Date()): UnsignedEvent<{ items: string[] }> {
  return unsigned('dispense', { items: [unitCode(unit.gtin, unit.serial)] }, now);
}

export function quarantineEvent(
  unit: ScannedUnit,
  reason: string,
  now = new Date(),
): UnsignedEvent<{ items: string[]; reason: string }> {
  const text = reason.trim();
  if (text.length < 1 || text.length > 500) throw new RangeError('the reason must be 1 to 500 characters');
  return unsigned('quarantine', { items: [unitCode(unit.gtin, unit.serial)], reason: text }, now);
}

export function illegitimateEvent(
  unit: ScannedUnit,
  report: Form3911,
  now = new Date(),
): UnsignedEvent<{ items: string[]; report: Form3911 }> {
  const description = report.description.trim();
  const name = report.contact.name.trim();
  if (description.length < 1 || description.length > 4000) {
    throw new RangeError('the description must be 1 to 4,000 characters');
  }
  if (name.length < 1 || name.length > 200) throw new RangeError('the contact name must be 1 to 200 characters');
  const contact: Form3911['contact'] = { name };
  if (report.contact.phone?.trim()) contact.phone = report.contact.phone.trim();
  if (report.contact.email?.trim()) contact.email = report.contact.email.trim();
  return unsigned(
    'illegitimate',
    {
      items: [unitCode(unit.gtin, unit.serial)],
      report: { reportType: report.reportType, classification: report.classification, description, contact },
    },
    now,
  );
}

/** A return: the unit shipped back to the chosen trading partner (`ship`, `reason: "return"`, §7.2 and §8.3). */
export function returnEvent(
  unit: ScannedUnit,
  recipient: string,
  now = new Date(),
): UnsignedEvent<{
  items: string[];
  shipmentId: string;
  recipient: string;
  reason: 'return';
  transaction: { date: string; shipmentDate: string };
}> {
  if (!/^\d{13}$/.test(recipient)) throw new RangeError('the trading partner must be a 13-digit GLN');
  const day = now.toISOString().slice(0, 10);
  return unsigned(
    'ship',
    {
      items: [unitCode(unit.gtin, unit.serial)],
      shipmentId: `return-${now.getTime()}`,
      recipient,
      reason: 'return',
      transaction: { date: day, shipmentDate: day },
    },
    now,
  );
}

/** Posts a signed event (`POST /v1/events`); answers its log index, the receipt the card shows. */
export async function postSignedEvent(
  signed: SignedEvent<unknown>,
  { token = null, origin = '' }: { token?: string | null; origin?: string } = {},
): Promise<{ index: number }> {
  // A person's cookie session sends its CSRF token with every state change (PROTOCOL §3.4); a token needs none.
  const { index } = await postJson<{ index: number }>(`${origin}/v1/events`, signed, {
    token,
    headers: token ? {} : csrfHeaders(),
  });
  return { index };
}

/** A receipt (`receive`, §7.2): what arrived of the shipment, plus any extra items (the log flags them, §7.3). */
export function receiveEvent(
  shipment: { shipper: string; shipmentId: string },
  items: string[],
  now = new Date(),
): UnsignedEvent<{ shipper: string; shipmentId: string; items: string[] }> {
  if (items.length === 0) throw new RangeError('a receipt names at least one item');
  return unsigned('receive', { shipper: shipment.shipper, shipmentId: shipment.shipmentId, items }, now);
}
