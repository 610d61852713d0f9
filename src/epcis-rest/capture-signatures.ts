/**
 * How a captured EPCIS document carries its party's signatures (docs/PROTOCOL.md §12.1). Pure, shared by the server
 * and by a party's own tooling, which signs with its key where the key is kept: the server never signs for a party.
 *
 * Each EPCIS event of the document carries two extension members:
 * - `rxl:keyId`: the id of the party's signing key (the member RxLedger's own export writes);
 * - `rxl:signature`: the base64 Ed25519 signature (docs/PROTOCOL.md §2.2) of the RxLedger event that the mapping
 *   (src/epcis/mapping) makes of this EPCIS event for the capturing party, with `keyId` set; an array of them, in
 *   the mapping's order, when it makes several (a commissioning of several lots).
 * The mapping reads the event without these two members, so signing does not change what is signed.
 */
import { SaxesParser } from 'saxes';
import { EpcisEventMapper, RXLEDGER_NAMESPACE, type EventMapping, type UnsignedEvent } from '../epcis';
import { parseEpcisXml } from '../epcis/xml';
import type { LedgerEvent } from '../protocol/event';

export const RXL_KEY_ID = 'rxl:keyId';
export const RXL_SIGNATURE = 'rxl:signature';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The event list of an EPCISDocument or an EPCISQueryDocument (what `POST /capture` accepts), or undefined. */
export function eventListOf(document: unknown): unknown[] | undefined {
  if (!isObject(document) || !isObject(document.epcisBody)) return undefined;
  const body = document.epcisBody;
  if (document.type === 'EPCISDocument' && Array.isArray(body.eventList)) return body.eventList;
  if (document.type === 'EPCISQueryDocument' && isObject(body.queryResults)) {
    const results = body.queryResults.resultsBody;
    if (isObject(results) && Array.isArray(results.eventList)) return results.eventList;
  }
  return undefined;
}

/** An EPCIS event without the signature members: what the mapping reads on both sides. */
export function unsignedForm(event: unknown): unknown {
  if (!isObject(event) || (!(RXL_SIGNATURE in event) && !(RXL_KEY_ID in event))) return event;
  const copy: Json = { ...event };
  delete copy[RXL_SIGNATURE];
  delete copy[RXL_KEY_ID];
  return copy;
}

/** The RxLedger events one EPCIS event of the document becomes for `actor`, in document order. */
export function* mapCapturedEvents(
  events: readonly unknown[],
  actor: string,
): Generator<{ eventIndex: number; raw: unknown; mapping: EventMapping }> {
  const mapper = new EpcisEventMapper({ actor });
  for (let i = 0; i < events.length; i++) {
    yield { eventIndex: i, raw: events[i], mapping: mapper.map(unsignedForm(events[i]), i) };
  }
}

export interface SignatureMembers {
  keyId: string;
  signatures: string[];
}

/** The signature members of a captured EPCIS event, or why they are missing or malformed. */
export function signatureMembers(raw: unknown): SignatureMembers | { problem: string } {
  if (!isObject(raw)) return { problem: 'not a JSON object' };
  const keyId = raw[RXL_KEY_ID];
  const signature = raw[RXL_SIGNATURE];
  if (signature === undefined) {
    return { problem: `carries no ${RXL_SIGNATURE}: the capturing party signs each event with its own key` };
  }
  if (typeof keyId !== 'string') return { problem: `${RXL_KEY_ID} (the id of the signing key) is missing` };
  const signatures = typeof signature === 'string' ? [signature] : signature;
  if (!Array.isArray(signatures) || signatures.some((s) => typeof s !== 'string')) {
    return { problem: `${RXL_SIGNATURE} is a base64 string or an array of them` };
  }
  return { keyId, signatures: signatures as string[] };
}

/** The signed RxLedger events of one mapped EPCIS event, as `POST /v1/events/batch` takes them. */
export function signedEvents(
  events: readonly UnsignedEvent[],
  members: SignatureMembers,
): { event: LedgerEvent<unknown>; signature: string }[] | { problem: string } {
  if (members.signatures.length !== events.length) {
    return {
      problem: `maps to ${events.length} RxLedger event(s) but carries ${members.signatures.length} signature(s)`,
    };
  }
  return events.map((event, i) => ({ event: { ...event, keyId: members.keyId }, signature: members.signatures[i] }));
}

/**
 * A copy of `document` in which every EPCIS event that maps to RxLedger events for `actor` carries `rxl:keyId` and
 * `rxl:signature`, made by `sign` (e.g. `(event) => signEvent(event, secretKey)` where the key is kept). Events that
 * do not map are left as they are (capture reports them).
 */
export function signCaptureDocument<D>(
  document: D,
  signer: { actor: string; keyId: string; sign(event: LedgerEvent<unknown>): string },
): D {
  const copy = structuredClone(document);
  const events = eventListOf(copy);
  if (!events) throw new Error('not an EPCISDocument or EPCISQueryDocument with an event list');
  for (const { eventIndex, mapping } of mapCapturedEvents(events, signer.actor)) {
    if (mapping.events.length === 0) continue;
    const signatures = mapping.events.map((event) => signer.sign({ ...event, keyId: signer.keyId }));
    events[eventIndex] = {
      ...(unsignedForm(events[eventIndex]) as Json),
      [RXL_KEY_ID]: signer.keyId,
      [RXL_SIGNATURE]: signatures.length === 1 ? signatures[0] : signatures,
    };
  }
  return copy;
}

const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The same for an EPCIS XML document (read by src/epcis/xml): each mapped event gets `<rxl:keyId>` and
 * `<rxl:signature>` (with `<rxl:member>` children for several) as its last elements, which the reader gives back as
 * the `rxl:keyId` and `rxl:signature` members. Everything else of the document is kept byte for byte.
 */
export function signCaptureXml(
  xml: string,
  signer: { actor: string; keyId: string; sign(event: LedgerEvent<unknown>): string },
): string {
  const { events } = parseEpcisXml(xml);
  // Where each event's end tag starts, in document order: children of EventList (and of its 1.2 extension wrapper).
  const ends: number[] = [];
  const stack: string[] = [];
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('opentag', (tag) => stack.push(tag.local ?? tag.name));
  parser.on('closetag', (tag) => {
    const local = tag.local ?? tag.name;
    const parent = stack[stack.length - 2];
    if (
      (parent === 'EventList' && local !== 'extension') ||
      (parent === 'extension' && stack[stack.length - 3] === 'EventList')
    ) {
      ends.push(xml.lastIndexOf('</', parser.position));
    }
    stack.pop();
  });
  parser.write(xml).close();
  if (ends.length !== events.length) throw new Error('the events of the document could not be located');
  const inserts: [number, string][] = [];
  for (const { eventIndex, mapping } of mapCapturedEvents(events, signer.actor)) {
    if (mapping.events.length === 0) continue;
    const signatures = mapping.events.map((event) => signer.sign({ ...event, keyId: signer.keyId }));
    const ns = `xmlns:rxl="${RXLEDGER_NAMESPACE}"`;
    const value =
      signatures.length === 1
        ? xmlText(signatures[0])
        : signatures.map((s) => `<rxl:member>${xmlText(s)}</rxl:member>`).join('');
    inserts.push([
      ends[eventIndex],
      `<rxl:keyId ${ns}>${xmlText(signer.keyId)}</rxl:keyId><rxl:signature ${ns}>${value}</rxl:signature>`,
    ]);
  }
  let signed = xml;
  for (const [at, text] of inserts.reverse()) signed = signed.slice(0, at) + text + signed.slice(at);
  return signed;
}
