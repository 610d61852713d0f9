/**
 * Export: logged RxLedger events → an EPCIS 2.0 JSON-LD document (mapping table in README.md).
 *
 * One EPCIS event per custody event. Registry and product events (party.register, key.add, key.revoke,
 * prefix.grant, product.register) have no EPCIS meaning; recall, recall-lift, quarantine, clear and illegitimate
 * have no CBV business step in the supported subset. Both kinds are skipped and reported with their reason.
 *
 * `toEpcisEvents` converts one entry at a time so that a caller can stream a large export (write the header, the
 * events as they come, the footer) with flat memory; `toEpcisDocument` builds a whole document.
 */
import { parseYymmdd } from '../gs1';
import type { CommissionBody } from '../manufacturers/dto/manufacturer-bodies.dto';
import { parseEventTime, type LedgerEvent } from '../protocol/event';
import { unitCode } from '../protocol/item-code';
import type {
  DecommissionBody,
  DestroyBody,
  DispenseBody,
  PackBody,
  ReceiveBody,
  ShipBody,
  UnpackBody,
} from '../supply-chain/dto/custody-bodies.dto';
import type { EpcisBizTransaction, EpcisDocument, EpcisEvent } from './epcis-document';
import { eventHashHex, exportedEventId } from './event-id';
import { IdentifierOptions, itemUri, locationUri, partyUri } from './identifiers';
import { EPCIS_CONTEXT, formatBizTransactionUrn, RXL, RXLEDGER_NAMESPACE, RXLEDGER_PREFIX } from './vocabulary';

/** A logged event as `GET /v1/log/entries/:index` returns it (the signature is not needed). */
export interface ExportEntry {
  index: number;
  /** When the log accepted the event (RFC 3339); becomes the EPCIS `recordTime`. */
  acceptedAt: string;
  event: LedgerEvent<unknown>;
}

export interface ExportContext extends IdentifierOptions {
  /** The document's `creationDate`; default now. */
  creationDate?: string;
}

export interface SkippedEntry {
  index: number;
  eventId: string;
  type: string;
  reason: string;
}

export interface EpcisExport {
  document: EpcisDocument;
  /** Entries with no EPCIS counterpart, in order. */
  skipped: SkippedEntry[];
}

/** Event types that only maintain the registry or the product catalogue: nothing happened to any item. */
const NOT_EPCIS = new Set(['party.register', 'key.add', 'key.revoke', 'prefix.grant', 'product.register']);

/** The `@context` of every exported document: the EPCIS 2.0 context and RxLedger's extension prefix. */
export function epcisContext(): EpcisDocument['@context'] {
  return [EPCIS_CONTEXT, { [RXLEDGER_PREFIX]: RXLEDGER_NAMESPACE }];
}

/** A whole EPCIS 2.0 document for `entries`, in their order. */
export function toEpcisDocument(entries: Iterable<ExportEntry>, context: ExportContext = {}): EpcisExport {
  const eventList: EpcisEvent[] = [];
  const skipped: SkippedEntry[] = [];
  for (const entry of entries) {
    const result = toEpcisEvents(entry, context);
    if ('skipped' in result) {
      skipped.push({ index: entry.index, eventId: entry.event.id, type: entry.event.type, reason: result.skipped });
    } else {
      eventList.push(...result.events);
    }
  }
  return {
    document: {
      '@context': epcisContext(),
      type: 'EPCISDocument',
      schemaVersion: '2.0',
      creationDate: context.creationDate ?? new Date().toISOString(),
      epcisBody: { eventList },
    },
    skipped,
  };
}

/** The EPCIS events for one logged event, or why it has none. */
export function toEpcisEvents(
  entry: ExportEntry,
  context: IdentifierOptions = {},
): { events: EpcisEvent[] } | { skipped: string } {
  const { event } = entry;
  if (NOT_EPCIS.has(event.type)) return { skipped: `${event.type} changes no item: it has no EPCIS counterpart` };
  try {
    const event1 = toEpcisEvent(entry, context);
    return event1
      ? { events: [event1] }
      : { skipped: `${event.type} has no CBV business step in RxLedger's EPCIS mapping` };
  } catch (error) {
    return { skipped: `the ${event.type} body cannot be expressed in EPCIS: ${(error as Error).message}` };
  }
}

function toEpcisEvent(entry: ExportEntry, context: IdentifierOptions): EpcisEvent | undefined {
  const { event } = entry;
  const items = (codes: string[]) => codes.map((code) => itemUri(code, context));
  const here = { id: locationUri(event.actor, context) };
  const party = (gln: string) => partyUri(gln, context);
  const hash = eventHashHex(event);
  const base = common(entry, hash);
  const withExtensions = (epcisEvent: EpcisEvent, specific: Record<string, unknown> = {}): EpcisEvent => ({
    ...epcisEvent,
    ...specific,
    [RXL.logIndex]: entry.index,
    [RXL.eventId]: event.id,
    [RXL.eventHash]: hash,
    [RXL.actor]: event.actor,
    [RXL.keyId]: event.keyId,
  });
  switch (event.type) {
    case 'commission': {
      const body = event.body as CommissionBody;
      const expiry = parseYymmdd(body.expiry);
      const ilmd: Record<string, string> = {
        'cbvmda:lotNumber': body.lot,
        'cbvmda:itemExpirationDate': expiry.date,
      };
      if (expiry.dayOmitted) ilmd[RXL.expiry] = body.expiry;
      return withExtensions({
        type: 'ObjectEvent',
        ...base,
        action: 'ADD',
        bizStep: 'commissioning',
        disposition: 'active',
        epcList: items(body.serials.map((serial) => unitCode(body.gtin, serial))),
        readPoint: here,
        bizLocation: here,
        ilmd,
      });
    }
    case 'pack': {
      const body = event.body as PackBody;
      return withExtensions({
        type: 'AggregationEvent',
        ...base,
        action: 'ADD',
        bizStep: 'packing',
        disposition: 'in_progress',
        parentID: itemUri(body.parent, context),
        childEPCs: items(body.children),
        readPoint: here,
        bizLocation: here,
      });
    }
    case 'unpack': {
      const body = event.body as UnpackBody;
      return withExtensions({
        type: 'AggregationEvent',
        ...base,
        action: 'DELETE',
        bizStep: 'unpacking',
        parentID: itemUri(body.parent, context),
        ...(body.children ? { childEPCs: items(body.children) } : {}),
        readPoint: here,
        bizLocation: here,
      });
    }
    case 'ship': {
      const body = event.body as ShipBody;
      const transactions: EpcisBizTransaction[] = [
        { type: 'desadv', bizTransaction: formatBizTransactionUrn(event.actor, body.shipmentId) },
      ];
      // A purchase order is issued by the buyer, an invoice by the seller (CBV §8.5: the GLN names the issuer).
      if (body.transaction.purchaseOrder !== undefined) {
        transactions.push({
          type: 'po',
          bizTransaction: formatBizTransactionUrn(body.recipient, body.transaction.purchaseOrder),
        });
      }
      if (body.transaction.invoice !== undefined) {
        transactions.push({
          type: 'inv',
          bizTransaction: formatBizTransactionUrn(event.actor, body.transaction.invoice),
        });
      }
      return withExtensions(
        {
          type: 'ObjectEvent',
          ...base,
          action: 'OBSERVE',
          bizStep: 'shipping',
          disposition: body.reason === 'return' ? 'returned' : 'in_transit',
          epcList: items(body.items),
          readPoint: here,
          bizTransactionList: transactions,
          sourceList: [{ type: 'owning_party', source: party(event.actor) }],
          destinationList: [{ type: 'owning_party', destination: party(body.recipient) }],
        },
        {
          [RXL.transactionDate]: body.transaction.date,
          [RXL.shipmentDate]: body.transaction.shipmentDate,
          ...(body.reason !== undefined ? { [RXL.reason]: body.reason } : {}),
        },
      );
    }
    case 'receive': {
      const body = event.body as ReceiveBody;
      return withExtensions({
        type: 'ObjectEvent',
        ...base,
        action: 'OBSERVE',
        bizStep: 'receiving',
        disposition: 'in_progress',
        epcList: items(body.items),
        readPoint: here,
        bizLocation: here,
        bizTransactionList: [
          { type: 'desadv', bizTransaction: formatBizTransactionUrn(body.shipper, body.shipmentId) },
        ],
        sourceList: [{ type: 'owning_party', source: party(body.shipper) }],
        destinationList: [{ type: 'owning_party', destination: party(event.actor) }],
      });
    }
    case 'dispense': {
      const body = event.body as DispenseBody;
      return withExtensions({
        type: 'ObjectEvent',
        ...base,
        action: 'OBSERVE',
        bizStep: 'dispensing',
        disposition: 'dispensed',
        epcList: items(body.items),
        readPoint: here,
      });
    }
    case 'decommission':
    case 'destroy': {
      const body = event.body as DecommissionBody | DestroyBody;
      const decommission = event.type === 'decommission';
      return withExtensions(
        {
          type: 'ObjectEvent',
          ...base,
          action: 'DELETE',
          bizStep: decommission ? 'decommissioning' : 'destroying',
          disposition: decommission ? 'inactive' : 'destroyed',
          epcList: items(body.items),
          readPoint: here,
        },
        { [RXL.reason]: body.reason },
      );
    }
    default:
      return undefined;
  }
}

type CommonMembers = Pick<EpcisEvent, 'eventID' | 'eventTime' | 'eventTimeZoneOffset' | 'recordTime'>;

function common(entry: ExportEntry, eventHash: string): CommonMembers {
  const { time } = entry.event;
  const members: CommonMembers = {
    eventID: exportedEventId(eventHash),
    eventTime: time,
    eventTimeZoneOffset: time.endsWith('Z') ? '+00:00' : time.slice(-6),
  };
  // Written only when it is an RFC 3339 date-time (as the log API gives it), which EPCIS requires.
  if (!Number.isNaN(parseEventTime(entry.acceptedAt))) members.recordTime = entry.acceptedAt;
  return members;
}
