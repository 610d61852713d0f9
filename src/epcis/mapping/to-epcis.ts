/**
 * The mapping RxLedger → EPCIS (table in README.md), independent of the encoding: EPCIS events in the shape of
 * EPCIS 2.0 JSON-LD, which the JSON-LD export writes as they are, the EPCIS 1.2 XML writer (../xml) renders as XML
 * and the REST binding serves. One EPCIS event per item or lot event; `product.register` becomes master data
 * (`toMasterData`); registry events (party.register, key.add, key.revoke, prefix.grant) have no EPCIS meaning and
 * are skipped with their reason.
 *
 * `toEpcisEvents` converts one entry at a time so that a caller can stream a large export (write the header, the
 * events as they come, the footer) with flat memory.
 */
import { ndcOfGtin, parseYymmdd } from '../../gs1';
import type {
  CommissionBody,
  ProductRegisterBody,
  RecallBody,
  RecallLiftBody,
} from '../../manufacturers/dto/manufacturer-bodies.dto';
import { parseEventTime, type LedgerEvent } from '../../protocol/event';
import { unitCode } from '../../protocol/item-code';
import type {
  ClearBody,
  DecommissionBody,
  Fda3911Dto,
  IllegitimateBody,
  QuarantineBody,
  DestroyBody,
  DispenseBody,
  PackBody,
  ReceiveBody,
  ShipBody,
  UnpackBody,
} from '../../supply-chain/dto/custody-bodies.dto';
import type {
  EpcisAttribute,
  EpcisBizTransaction,
  EpcisDocument,
  EpcisEvent,
  EpcisVocabularyElement,
} from '../epcis-document';
import { eventHashHex, exportedEventId } from '../event-id';
import { IdentifierOptions, itemUri, locationUri, lotClassUri, partyUri, productClassUri } from '../identifiers';
import { formatBizTransactionUrn, PRODUCT_ATTRIBUTE, RXL, RXL_ATTRIBUTE, RXL_BIZ_STEP } from '../vocabulary';

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

/** Event types that only maintain the registry: nothing happened to any item or product. */
const NOT_EPCIS = new Set(['party.register', 'key.add', 'key.revoke', 'prefix.grant']);

/**
 * The master data of a `product.register`: an EPCClass vocabulary element with the product attributes the GS1 US
 * guideline names (NDC as additionalTradeItemIdentification of type US_FDA_NDC, regulatedProductName,
 * dosageFormType, strengthDescription, netContentDescription), the registering manufacturer (rxl attribute) and,
 * when the body gave no NDC, an rxl attribute saying the NDC was derived from the GTIN. Undefined for other events.
 */
export function toMasterData(
  entry: ExportEntry,
  context: IdentifierOptions & { partyName?(gln: string): string | undefined } = {},
): EpcisVocabularyElement | undefined {
  if (entry.event.type !== 'product.register') return undefined;
  const body = entry.event.body as ProductRegisterBody;
  const ndc = body.ndc ?? ndcOfGtin(body.gtin);
  const attributes: EpcisAttribute[] = [];
  if (ndc !== undefined) {
    attributes.push(
      { id: PRODUCT_ATTRIBUTE.ndc, attribute: ndc },
      { id: PRODUCT_ATTRIBUTE.ndcType, attribute: 'US_FDA_NDC' },
    );
  }
  attributes.push({ id: PRODUCT_ATTRIBUTE.name, attribute: body.name });
  const manufacturerName = context.partyName?.(entry.event.actor);
  if (manufacturerName !== undefined)
    attributes.push({ id: PRODUCT_ATTRIBUTE.manufacturerName, attribute: manufacturerName });
  attributes.push(
    { id: PRODUCT_ATTRIBUTE.dosageForm, attribute: body.dosageForm },
    { id: PRODUCT_ATTRIBUTE.strength, attribute: body.strength },
    { id: PRODUCT_ATTRIBUTE.containerSize, attribute: body.containerSize },
    { id: RXL_ATTRIBUTE.manufacturer, attribute: entry.event.actor },
  );
  if (body.ndc === undefined && ndc !== undefined) attributes.push({ id: RXL_ATTRIBUTE.ndcDerived, attribute: 'true' });
  return { id: productClassUri(body.gtin, context), attributes };
}

/** The EPCIS events for one logged event, or why it has none. */
export function toEpcisEvents(
  entry: ExportEntry,
  context: IdentifierOptions = {},
): { events: EpcisEvent[] } | { skipped: string } {
  const { event } = entry;
  if (NOT_EPCIS.has(event.type)) return { skipped: `${event.type} changes no item: it has no EPCIS counterpart` };
  if (event.type === 'product.register') {
    return { skipped: 'product.register is master data (an EPCClass vocabulary element), not an EPCIS event' };
  }
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
          sourceList: [
            { type: 'owning_party', source: party(event.actor) },
            { type: 'location', source: locationUri(event.actor, context) },
          ],
          destinationList: [
            { type: 'owning_party', destination: party(body.recipient) },
            { type: 'location', destination: locationUri(body.recipient, context) },
          ],
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
        sourceList: [
          { type: 'owning_party', source: party(body.shipper) },
          { type: 'location', source: locationUri(body.shipper, context) },
        ],
        destinationList: [
          { type: 'owning_party', destination: party(event.actor) },
          { type: 'location', destination: locationUri(event.actor, context) },
        ],
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
    case 'recall':
    case 'recall-lift': {
      const body = event.body as RecallBody | RecallLiftBody;
      const recall = event.type === 'recall';
      return withExtensions(
        {
          type: 'ObjectEvent',
          ...base,
          action: 'OBSERVE',
          bizStep: recall ? RXL_BIZ_STEP.recalling : RXL_BIZ_STEP.recallLifting,
          ...(recall ? { disposition: 'recalled' } : {}),
          epcList: [],
          readPoint: here,
        },
        {
          [RXL.epcClassList]: body.lots.map((lot) => lotClassUri(body.gtin, lot, context)),
          [RXL.reason]: body.reason,
          ...('classification' in body && body.classification !== undefined
            ? { [RXL.recallClass]: body.classification }
            : {}),
        },
      );
    }
    case 'quarantine':
    case 'illegitimate': {
      const body = event.body as QuarantineBody | IllegitimateBody;
      const specific: Record<string, unknown> =
        'report' in body ? { [RXL.fda3911]: fda3911Members(body.report) } : { [RXL.reason]: body.reason };
      return withExtensions(
        {
          type: 'ObjectEvent',
          ...base,
          action: 'OBSERVE',
          bizStep: 'holding',
          disposition: 'non_sellable_other',
          epcList: items(body.items),
          readPoint: here,
        },
        specific,
      );
    }
    case 'clear': {
      const body = event.body as ClearBody;
      return withExtensions(
        {
          type: 'ObjectEvent',
          ...base,
          action: 'OBSERVE',
          bizStep: RXL_BIZ_STEP.clearing,
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

/** The FDA Form 3911 fields as `rxl:` members (contact details nested), in the order of the form. */
function fda3911Members(report: Fda3911Dto): Record<string, unknown> {
  const contact: Record<string, string> = { [RXL.name]: report.contact.name };
  if (report.contact.phone !== undefined) contact[RXL.phone] = report.contact.phone;
  if (report.contact.email !== undefined) contact[RXL.email] = report.contact.email;
  return {
    [RXL.reportType]: report.reportType,
    [RXL.classification]: report.classification,
    [RXL.description]: report.description,
    [RXL.contact]: contact,
  };
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
