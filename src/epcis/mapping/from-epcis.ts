/**
 * Import: an EPCIS 2.0 JSON-LD document → unsigned RxLedger events for one importing party (mapping table in
 * README.md). Nothing is dropped in silence: an EPCIS event that cannot be mapped (or the part of one that cannot)
 * is listed in `unmapped` with the reason, and members of mapped events that carried information RxLedger does not
 * keep are listed in `ignored`.
 *
 * Every RxLedger event has one actor, the party that signs it; an importer signs with its own key, so the events of
 * a document that are visibly some other party's (by `rxl:actor`, the shipping or receiving owning party, or the
 * business location) are reported as unmapped rather than signed in that party's name.
 */
import { formatYymmdd, isGln, parseNdc, parseYymmdd, validateLot } from '../../gs1';
import type {
  CommissionBody,
  ProductRegisterBody,
  RecallBody,
  RecallLiftBody,
} from '../../manufacturers/dto/manufacturer-bodies.dto';
import { EVENT_TIME_PATTERN, type LedgerEvent, parseEventTime } from '../../protocol/event';
import { parseItemCode } from '../../protocol/item-code';
import type {
  ClearBody,
  Fda3911Dto,
  IllegitimateBody,
  QuarantineBody,
  DecommissionBody,
  DestroyBody,
  DispenseBody,
  PackBody,
  ReceiveBody,
  ShipBody,
  TransactionInfoDto,
  UnpackBody,
} from '../../supply-chain/dto/custody-bodies.dto';
import { importedEventId, sha256Hex } from '../event-id';
import { readClassUri, readGlnUri, readItemUri, type ItemReading } from '../identifiers';
import {
  CBV_MDA,
  cbvWord,
  masterDataAttribute,
  parseBizTransactionUrn,
  PRODUCT_ATTRIBUTE,
  RXL,
  RXL_ATTRIBUTE,
  RXL_BIZ_STEP,
} from '../vocabulary';

/** An event ready to be signed: `keyId` comes from the signing key. */
export type UnsignedEvent<B = Record<string, unknown>> = Omit<LedgerEvent<B>, 'keyId'>;

export interface ImportOptions {
  /** GLN of the importing party: the actor (signer) of every event produced. */
  actor: string;
  /** Recipient GLN for a shipping event that names no destination `owning_party`. */
  defaultShipTo?: string;
  /** Further GLNs (facilities, sub-locations) that stand for the importing party in business locations. */
  ownGlns?: readonly string[];
  /** GLN of the document's sender (SBDH), the manufacturer of master-data products that name none. */
  sender?: string;
  /**
   * When the importer received the goods a shipping event of the document sends it (destination owning party):
   * each such event becomes the importer's `receive` of its items at this time (RFC 3339), of the shipment the
   * shipper's `ship` of the same event names. Without it, another party's shipping event is unmapped.
   */
  receiveAt?: string;
}

export interface UnmappedEvent {
  /** Position in the document's event list, from 0. */
  eventIndex: number;
  eventID?: string;
  reason: string;
}

export interface IgnoredMembers {
  eventIndex: number;
  eventID?: string;
  /** Members whose information RxLedger does not record, e.g. `sensorElementList`, `ilmd.cbvmda:countryOfOrigin`. */
  members: string[];
}

export interface EpcisImport {
  events: UnsignedEvent[];
  /** For each of `events`, the position of the EPCIS event it came from. */
  sourceIndexes: number[];
  unmapped: UnmappedEvent[];
  ignored: IgnoredMembers[];
}

/** The input is not an EPCIS document at all (as opposed to an event that cannot be mapped). */
export class EpcisDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpcisDocumentError';
  }
}

/** RxLedger limits (see the body DTOs): larger EPCIS events cannot become one RxLedger event. */
const MAX_SERIALS_PER_COMMISSION = 100_000;
const MAX_ITEMS_PER_EVENT = 10_000;
const SHIPMENT_ID = /^[A-Za-z0-9._:/-]{1,64}$/;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const REFERENCE_MAX_LENGTH = 64;

type Json = Record<string, unknown>;

/** Raised inside the mapping of one EPCIS event: that event (or part) is unmapped for this reason. */
class Unmappable extends Error {}

function fail(reason: string): never {
  throw new Unmappable(reason);
}

interface Mapped {
  events: UnsignedEvent[];
  /** Parts of the event that could not be mapped while others were. */
  problems: string[];
  ignored: string[];
}

/** Members every mapping reads (identity, time, the what-why-where RxLedger checks) or that carry no information. */
const ALWAYS_READ = new Set([
  '@context',
  'id',
  'type',
  'eventID',
  'eventTime',
  'eventTimeZoneOffset',
  'recordTime',
  'action',
  'bizStep',
  'disposition',
  'readPoint',
  'bizLocation',
  RXL.logIndex,
  RXL.eventId,
  RXL.eventHash,
  RXL.actor,
  RXL.keyId,
]);

/** What one EPCIS event (or the header's master data) became. */
export interface EventMapping {
  events: UnsignedEvent[];
  unmapped: UnmappedEvent[];
  ignored?: IgnoredMembers;
}

/**
 * Maps the events of one EPCIS document, in order, for one importing party: `masterData` for the header's EPCClass
 * vocabulary (products), then `map` per event. Keeps only the eventIDs seen (a repeat is unmapped), so a document of
 * any length is mapped in flat memory apart from them.
 */
export class EpcisEventMapper {
  private readonly firstWithId = new Map<string, number>();

  constructor(readonly options: ImportOptions) {
    checkOptions(options);
  }

  map(raw: unknown, eventIndex: number): EventMapping {
    const eventID = isObject(raw) && typeof raw.eventID === 'string' ? raw.eventID : undefined;
    const where = { eventIndex, ...(eventID !== undefined ? { eventID } : {}) };
    const result: EventMapping = { events: [], unmapped: [] };
    const unmapped = (reason: string) => result.unmapped.push({ ...where, reason });
    if (eventID !== undefined) {
      const first = this.firstWithId.get(eventID);
      if (first !== undefined) {
        unmapped(`repeats the eventID of event ${first}`);
        return result;
      }
      this.firstWithId.set(detached(eventID), eventIndex);
    }
    let mapped: Mapped;
    try {
      if (!isObject(raw)) fail('not a JSON object');
      mapped = mapEvent(raw, eventID, this.options);
    } catch (error) {
      unmapped(error instanceof Unmappable ? error.message : `cannot be read: ${(error as Error).message}`);
      return result;
    }
    result.events = mapped.events;
    mapped.problems.forEach(unmapped);
    if (mapped.ignored.length > 0) result.ignored = { ...where, members: mapped.ignored };
    return result;
  }

  /**
   * `product.register` events for the products (EPCClass vocabulary elements) of the importing party: those whose
   * manufacturer (the rxl manufacturer attribute, else the document's sender) is the importer or one of its own GLNs.
   * Other parties' products are reported in `ignored` (eventIndex -1: the header); an element of the importer that
   * lacks what a registration needs is unmapped (eventIndex -1). `time` is the document's creation date.
   */
  masterData(elements: readonly unknown[], time: string): EventMapping {
    const result: EventMapping = { events: [], unmapped: [] };
    const ignored: string[] = [];
    for (const element of elements) {
      const id = isObject(element) && typeof element.id === 'string' ? element.id : '(no id)';
      try {
        const product = productOf(element, this.options);
        if ('other' in product) ignored.push(`master data ${id}: a product of ${product.other}`);
        else {
          result.events.push({
            id: importedEventId({ masterData: element }, undefined),
            type: 'product.register',
            actor: this.options.actor,
            time,
            body: product.body as unknown as Record<string, unknown>,
          });
        }
      } catch (error) {
        const reason = error instanceof Unmappable ? error.message : (error as Error).message;
        result.unmapped.push({ eventIndex: -1, reason: `master data ${id}: ${reason}` });
      }
    }
    if (ignored.length > 0) result.ignored = { eventIndex: -1, members: ignored };
    return result;
  }
}

/**
 * A copy of `text` that holds no reference to the string it was cut from: a parser's values are often slices of the
 * chunk they were read from, and keeping one such slice (as the eventIDs seen are kept) would keep the whole chunk.
 */
function detached(text: string): string {
  return decoder.decode(encoder.encode(text));
}
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function checkOptions(options: ImportOptions): void {
  if (options.receiveAt !== undefined && Number.isNaN(parseEventTime(options.receiveAt))) {
    throw new EpcisDocumentError(
      `receiveAt must be an RFC 3339 date-time with an offset, not ${JSON.stringify(options.receiveAt)}`,
    );
  }
  const glns: [string, unknown][] = [['actor', options.actor]];
  if (options.defaultShipTo !== undefined) glns.push(['defaultShipTo', options.defaultShipTo]);
  for (const gln of options.ownGlns ?? []) glns.push(['ownGlns', gln]);
  for (const [name, gln] of glns) {
    if (typeof gln !== 'string' || !isGln(gln)) {
      throw new EpcisDocumentError(
        `${name} must be a GLN (13 digits with a valid check digit), not ${JSON.stringify(gln)}`,
      );
    }
  }
}

/** Everything one mapping needs to know about the EPCIS event being mapped. */
interface Source {
  raw: Json;
  eventID: string | undefined;
  time: string;
  action: string | undefined;
  bizStep: string | undefined;
  disposition: string | undefined;
  options: ImportOptions;
  /** Members (top-level or nested) that carried information and were not used. */
  ignored: string[];
  /** Top-level members this mapping reads besides ALWAYS_READ. */
  reads: Set<string>;
}

function mapEvent(raw: Json, eventID: string | undefined, options: ImportOptions): Mapped {
  const type = raw.type;
  if (type === 'TransformationEvent') {
    fail('a TransformationEvent (inputs turned into new outputs) has no RxLedger counterpart');
  }
  if (type === 'TransactionEvent') {
    fail('a TransactionEvent has no RxLedger counterpart: RxLedger carries transaction information on ship events');
  }
  if (type === 'AssociationEvent') fail('an AssociationEvent (assets, sensors) has no RxLedger counterpart');
  if (type !== 'ObjectEvent' && type !== 'AggregationEvent') {
    fail(`${JSON.stringify(type)} is not an EPCIS event type RxLedger maps (ObjectEvent, AggregationEvent)`);
  }
  if (raw.errorDeclaration !== undefined) {
    fail('it declares an earlier event erroneous (errorDeclaration): logged RxLedger events cannot be withdrawn');
  }
  const source: Source = {
    raw,
    eventID,
    time: eventTimeOf(raw),
    action: typeof raw.action === 'string' ? raw.action : undefined,
    bizStep: bizStepOf(raw),
    disposition: cbvWord(raw.disposition, 'disp'),
    options,
    ignored: [],
    reads: new Set(),
  };
  // A disposition outside CBV (a private vocabulary) is no reason to refuse the event, but it is not understood.
  if (raw.disposition !== undefined && source.disposition === undefined) source.ignored.push('disposition');
  const mapped = type === 'ObjectEvent' ? mapObjectEvent(source) : mapAggregationEvent(source);
  const unread = Object.keys(raw).filter((key) => !ALWAYS_READ.has(key) && !source.reads.has(key));
  return { ...mapped, ignored: [...unread, ...source.ignored] };
}

/** The CBV business step: an event whose step is unknown says nothing RxLedger can act on. */
function bizStepOf(raw: Json): string | undefined {
  if (raw.bizStep === undefined) return undefined;
  const own = Object.entries(RXL_BIZ_STEP).find(([, uri]) => uri === raw.bizStep);
  if (own) return `rxl:${own[0]}`;
  return cbvWord(raw.bizStep, 'bizstep') ?? fail(`bizStep ${JSON.stringify(raw.bizStep)} is not a CBV business step`);
}

const MAPPED_BIZ_STEPS =
  'commissioning, shipping, receiving, dispensing, decommissioning, destroying, holding, inspecting (exceptions), ' +
  'and the rxl steps recalling, recall_lifting, clearing';

/**
 * Dispositions that say something is wrong with the items (by their CBV definitions), as the exceptions of the
 * GS1 US guideline: an inspecting or holding event with one, or a receiving event with `damaged`, puts the items on
 * hold (a `quarantine`, which raises RxLedger's quarantine alert).
 */
const EXCEPTION_DISPOSITIONS: Record<string, string> = {
  damaged: 'damaged shipment',
  mismatch_class: 'incorrect product data or lot number discrepancy (the product or lot does not match the data)',
  mismatch_instance: 'serial numbers do not match the data',
  mismatch_quantity: 'overage or shortage found after receipt (concealed)',
  no_pedigree_match: 'data not received or not matching (no pedigree match)',
  non_sellable_other: 'held: not sellable',
  non_conformant: 'not conformant',
  expired: 'expired',
  recalled: 'recalled',
  stolen: 'stolen',
};

/** `rxl:exception` values: the exceptions of the GS1 US guideline by name, for documents that say which it is. */
const EXCEPTIONS: Record<string, string> = {
  'explicit-overage': 'explicit overage',
  'explicit-shortage': 'explicit shortage',
  'concealed-overage': 'concealed overage',
  'concealed-shortage': 'concealed shortage',
  'lot-number-discrepancy': 'lot number discrepancy',
  'data-not-received': 'data not received',
  'damaged-shipment': 'damaged shipment',
  'incorrect-product-data': 'incorrect product data',
};

function mapObjectEvent(source: Source): Omit<Mapped, 'ignored'> {
  switch (source.bizStep) {
    case 'commissioning':
      requireAction(source, ['ADD']);
      return mapCommissioning(source);
    case 'shipping': {
      requireAction(source, ['OBSERVE']);
      const receipt = receiptOfShipping(source);
      if (receipt) return receipt;
      return single(source, 'ship', shipBody(source));
    }
    case 'receiving': {
      requireAction(source, ['OBSERVE']);
      const received = single(source, 'receive', receiveBody(source));
      if (source.disposition !== 'damaged') return received;
      // A damaged shipment (GS1 US guideline exceptions): received, then held.
      const id = `${importedEventId(source.raw, source.eventID)}.2`;
      const hold: QuarantineBody = { items: items(source), reason: exceptionReason(source) };
      return { events: [...received.events, unsigned(source, id, 'quarantine', hold)], problems: [] };
    }
    case 'holding':
    case 'inspecting':
      return mapHold(source);
    case 'rxl:recalling':
    case 'rxl:recallLifting':
      return mapRecall(source);
    case 'rxl:clearing': {
      requireAction(source, ['OBSERVE']);
      checkActor(source, locationEvidence(source));
      const body: ClearBody = { items: items(source), reason: textOf(source, RXL.reason) ?? 'hold cleared (EPCIS)' };
      return single(source, 'clear', body);
    }
    case 'dispensing': {
      requireAction(source, ['OBSERVE']);
      checkActor(source, locationEvidence(source));
      const body: DispenseBody = { items: items(source) };
      return single(source, 'dispense', body);
    }
    case 'decommissioning': {
      requireAction(source, ['DELETE', 'OBSERVE']);
      checkActor(source, locationEvidence(source));
      const body: DecommissionBody = {
        items: items(source),
        reason: reasonOf(source, ['damaged', 'expired', 'stolen', 'recalled']) as DecommissionBody['reason'],
      };
      return single(source, 'decommission', body);
    }
    case 'destroying': {
      requireAction(source, ['DELETE', 'OBSERVE']);
      checkActor(source, locationEvidence(source));
      const body: DestroyBody = {
        items: items(source),
        reason: reasonOf(source, ['damaged', 'expired', 'recalled']) as DestroyBody['reason'],
      };
      return single(source, 'destroy', body);
    }
    case undefined:
      return fail(`an ObjectEvent without a bizStep records nothing RxLedger can map (mapped: ${MAPPED_BIZ_STEPS})`);
    default:
      return fail(`bizStep ${source.bizStep} has no RxLedger counterpart (mapped: ${MAPPED_BIZ_STEPS})`);
  }
}

/** holding and inspecting: a quarantine, or with `rxl:fda3911` an illegitimate-product notification. */
function mapHold(source: Source): Omit<Mapped, 'ignored'> {
  requireAction(source, ['OBSERVE']);
  checkActor(source, locationEvidence(source));
  source.reads.add(RXL.fda3911).add(RXL.reason).add(RXL.exception);
  const report = source.raw[RXL.fda3911];
  if (report !== undefined) {
    if (source.bizStep !== 'holding') fail('an FDA 3911 report (rxl:fda3911) belongs on a holding event');
    const body: IllegitimateBody = { items: items(source), report: fda3911Of(report) };
    return single(source, 'illegitimate', body);
  }
  const exception = source.raw[RXL.exception];
  const named = typeof exception === 'string' && EXCEPTIONS[exception] !== undefined;
  const known = source.disposition !== undefined && EXCEPTION_DISPOSITIONS[source.disposition] !== undefined;
  if (source.bizStep === 'inspecting' && !named && !known && typeof source.raw[RXL.reason] !== 'string') {
    fail(
      `an inspecting event with disposition ${source.disposition ?? '(none)'} reports no exception ` +
        `(dispositions that do: ${Object.keys(EXCEPTION_DISPOSITIONS).join(', ')}; or rxl:exception)`,
    );
  }
  const body: QuarantineBody = { items: items(source), reason: exceptionReason(source) };
  return single(source, 'quarantine', body);
}

/** Why items are held: `rxl:reason`, else the exception (`rxl:exception`, else the disposition). */
function exceptionReason(source: Source): string {
  source.reads.add(RXL.reason).add(RXL.exception);
  const reason = textOf(source, RXL.reason);
  if (reason !== undefined) return reason.slice(0, 500);
  const exception = source.raw[RXL.exception];
  const named = typeof exception === 'string' ? EXCEPTIONS[exception] : undefined;
  const step = `EPCIS ${source.bizStep}${source.disposition !== undefined ? `, disposition ${source.disposition}` : ''}`;
  if (named !== undefined) return `${named} (${step})`;
  const byDisposition = source.disposition !== undefined ? EXCEPTION_DISPOSITIONS[source.disposition] : undefined;
  return `${byDisposition ?? 'held'} (${step})`;
}

const FDA_REPORT_TYPES = ['initial', 'follow-up', 'termination'];

function fda3911Of(value: unknown): Fda3911Dto {
  if (!isObject(value)) fail('rxl:fda3911 is not an object');
  const text = (key: string, required: boolean): string | undefined => {
    const member = (value as Json)[key];
    if (typeof member === 'string') return member;
    if (required) fail(`rxl:fda3911 has no ${key}`);
    return undefined;
  };
  const reportType = text(RXL.reportType, true)!;
  if (!FDA_REPORT_TYPES.includes(reportType))
    fail(`rxl:fda3911 ${RXL.reportType} ${reportType} is not one of ${FDA_REPORT_TYPES.join(', ')}`);
  // The classification is checked by the ledger (one list of them, in the body DTO).
  const classification = text(RXL.classification, true)!;
  const contactValue = (value as Json)[RXL.contact];
  if (!isObject(contactValue) || typeof contactValue[RXL.name] !== 'string')
    fail('rxl:fda3911 has no rxl:contact with rxl:name');
  const contact: Fda3911Dto['contact'] = { name: contactValue[RXL.name] as string };
  if (typeof contactValue[RXL.phone] === 'string') contact.phone = contactValue[RXL.phone] as string;
  if (typeof contactValue[RXL.email] === 'string') contact.email = contactValue[RXL.email] as string;
  return {
    reportType: reportType as Fda3911Dto['reportType'],
    classification: classification as Fda3911Dto['classification'],
    description: text(RXL.description, true)!,
    contact,
  };
}

/** The rxl recalling and recall_lifting steps: the lots are LGTIN classes in `rxl:epcClassList`. */
function mapRecall(source: Source): Omit<Mapped, 'ignored'> {
  requireAction(source, ['OBSERVE']);
  checkActor(source, locationEvidence(source));
  source.reads.add(RXL.epcClassList).add(RXL.reason).add(RXL.recallClass).add('epcList');
  const list = source.raw[RXL.epcClassList];
  if (!Array.isArray(list) || list.length === 0) fail('a recall names its lots in rxl:epcClassList');
  const classes = list.map((uri) => {
    try {
      if (typeof uri !== 'string') throw new Error(`${JSON.stringify(uri)} is not a string`);
      return readClassUri(uri);
    } catch (error) {
      return fail(`rxl:epcClassList: ${(error as Error).message}`);
    }
  });
  const gtin = classes[0].gtin;
  if (classes.some((c) => c.gtin !== gtin || c.lot === undefined)) fail('a recall names lots of one GTIN');
  const recall = source.bizStep === 'rxl:recalling';
  const reason = textOf(source, RXL.reason) ?? (recall ? 'recalled (EPCIS)' : 'recall lifted (EPCIS)');
  const lots = classes.map((c) => c.lot!);
  if (!recall) {
    const body: RecallLiftBody = { gtin, lots, reason };
    return single(source, 'recall-lift', body);
  }
  const body: RecallBody = { gtin, lots, reason };
  const classification = source.raw[RXL.recallClass];
  if (classification === 'I' || classification === 'II' || classification === 'III')
    body.classification = classification;
  return single(source, 'recall', body);
}

function textOf(source: Source, key: string): string | undefined {
  source.reads.add(key);
  const value = source.raw[key];
  return typeof value === 'string' ? value : undefined;
}

/** A product of the master data: its registration, or the other party it belongs to. */
function productOf(element: unknown, options: ImportOptions): { body: ProductRegisterBody } | { other: string } {
  if (!isObject(element) || typeof element.id !== 'string') fail('a vocabulary element needs an id');
  let gtin: string;
  try {
    const read = readClassUri(element.id);
    if (read.lot !== undefined) fail('it names a lot, not a product');
    gtin = read.gtin;
  } catch (error) {
    if (error instanceof Unmappable) throw error;
    return fail((error as Error).message);
  }
  const attributes = new Map<string, string>();
  for (const attribute of Array.isArray(element.attributes) ? element.attributes : []) {
    if (isObject(attribute) && typeof attribute.id === 'string' && typeof attribute.attribute === 'string') {
      attributes.set(attribute.id.trim().replace(/^cbvmda:/, CBV_MDA), attribute.attribute);
    }
  }
  const manufacturer = attributes.get(RXL_ATTRIBUTE.manufacturer)?.trim() ?? options.sender;
  if (manufacturer !== undefined && manufacturer !== options.actor && !(options.ownGlns ?? []).includes(manufacturer)) {
    return { other: manufacturer };
  }
  const required = (id: string, what: string): string =>
    attributes.get(id) || fail(`GTIN ${gtin} has no ${what} (${id})`);
  const body: ProductRegisterBody = {
    gtin,
    name: required(PRODUCT_ATTRIBUTE.name, 'product name'),
    strength: required(PRODUCT_ATTRIBUTE.strength, 'strength'),
    dosageForm: required(PRODUCT_ATTRIBUTE.dosageForm, 'dosage form'),
    containerSize: required(PRODUCT_ATTRIBUTE.containerSize, 'container size (netContentDescription)'),
  };
  // Names and descriptions are kept exactly as written; identifiers and codes are read without surrounding space.
  const ndc = attributes.get(PRODUCT_ATTRIBUTE.ndc)?.trim();
  const ndcType = attributes.get(PRODUCT_ATTRIBUTE.ndcType)?.trim();
  if (
    ndc !== undefined &&
    attributes.get(RXL_ATTRIBUTE.ndcDerived)?.trim() !== 'true' &&
    (ndcType === undefined || /NDC/i.test(ndcType))
  ) {
    try {
      body.ndc = parseNdc(ndc);
    } catch (error) {
      fail(`GTIN ${gtin}: NDC ${ndc}: ${(error as Error).message}`);
    }
  }
  return { body };
}

function mapAggregationEvent(source: Source): Omit<Mapped, 'ignored'> {
  const { action, bizStep } = source;
  if (action === 'OBSERVE') {
    fail(
      'an AggregationEvent with action OBSERVE only confirms an aggregation; RxLedger records packing (ADD) and unpacking (DELETE)',
    );
  }
  if (action !== 'ADD' && action !== 'DELETE') fail(`action ${JSON.stringify(action)} is not ADD, OBSERVE or DELETE`);
  const expected = action === 'ADD' ? 'packing' : 'unpacking';
  if (bizStep !== undefined && bizStep !== expected) {
    fail(
      `an AggregationEvent ${action} with bizStep ${bizStep} has no RxLedger counterpart (mapped: ADD packing, DELETE unpacking)`,
    );
  }
  checkActor(source, locationEvidence(source));
  source.reads.add('parentID').add('childEPCs');
  const parent = parentOf(source);
  const childEPCs = source.raw.childEPCs;
  const hasChildren = Array.isArray(childEPCs) && childEPCs.length > 0;
  if (source.raw.childQuantityList !== undefined && hasChildren) source.ignored.push('childQuantityList');
  if (action === 'ADD') {
    if (!hasChildren) {
      fail(
        source.raw.childQuantityList !== undefined
          ? 'it packs only quantities (childQuantityList), no serialized items: RxLedger tracks serialized units and SSCCs'
          : 'it packs nothing: childEPCs is empty',
      );
    }
    const body: PackBody = { parent, children: readItems(childEPCs, 'childEPCs').map((item) => item.code) };
    return single(source, 'pack', body);
  }
  if (source.raw.childQuantityList !== undefined && !hasChildren) {
    fail(
      'it unpacks only quantities (childQuantityList), no serialized items: RxLedger tracks serialized units and SSCCs',
    );
  }
  const body: UnpackBody = hasChildren
    ? { parent, children: readItems(childEPCs, 'childEPCs').map((item) => item.code) }
    : { parent };
  return single(source, 'unpack', body);
}

function parentOf(source: Source): string {
  const parentID = source.raw.parentID;
  if (typeof parentID !== 'string') fail('an AggregationEvent needs a parentID (the container)');
  let code: string;
  try {
    code = readItemUri(parentID).code;
  } catch (error) {
    return fail(`parentID: ${(error as Error).message}`);
  }
  if (parseItemCode(code).kind !== 'container')
    fail(`parentID ${parentID} is not an SSCC: RxLedger containers are SSCCs`);
  return code;
}

function mapCommissioning(source: Source): Omit<Mapped, 'ignored'> {
  checkActor(source, locationEvidence(source));
  const ilmd = readIlmd(source);
  const readings = readItems(epcListOf(source), 'epcList');
  const problems: string[] = [];
  const containers = readings.filter((reading) => parseItemCode(reading.code).kind === 'container');
  if (containers.length > 0) {
    problems.push(
      `${containers.length} container(s) (${sample(containers.map((c) => c.code))}) are commissioned: ` +
        'RxLedger creates a container when something is first packed into it',
    );
  }
  // One `commission` per GTIN and lot (a Digital Link may carry the lot of each item; ILMD gives the rest).
  const groups = new Map<string, { gtin: string; lot?: string; expiry?: string; serials: string[] }>();
  for (const reading of readings) {
    const item = parseItemCode(reading.code);
    if (item.kind !== 'unit') continue;
    const lot = reading.lot ?? ilmd.lot;
    const expiry = reading.expiry ?? ilmd.expiry;
    const key = JSON.stringify([item.gtin, lot, expiry]);
    const group = groups.get(key) ?? { gtin: item.gtin, lot, expiry, serials: [] };
    group.serials.push(item.serial);
    groups.set(key, group);
  }
  const events: UnsignedEvent[] = [];
  const baseId = importedEventId(source.raw, source.eventID);
  for (const group of groups.values()) {
    const what = `${group.serials.length} serial(s) of GTIN ${group.gtin}`;
    if (group.lot === undefined) {
      problems.push(`${what} have no lot (ilmd cbvmda:lotNumber or /10/ in the Digital Link)`);
      continue;
    }
    if (group.expiry === undefined) {
      problems.push(
        `${what}, lot ${group.lot}, have no expiry (ilmd cbvmda:itemExpirationDate or ?17= in the Digital Link)`,
      );
      continue;
    }
    try {
      validateLot(group.lot);
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
      continue;
    }
    for (let start = 0; start < group.serials.length; start += MAX_SERIALS_PER_COMMISSION) {
      const body: CommissionBody = {
        gtin: group.gtin,
        lot: group.lot,
        expiry: group.expiry,
        serials: group.serials.slice(start, start + MAX_SERIALS_PER_COMMISSION),
      };
      const id = events.length === 0 ? baseId : `${baseId}.${events.length + 1}`;
      events.push(unsigned(source, id, 'commission', body));
    }
  }
  if (events.length === 0 && problems.length > 0) fail(problems.join('; '));
  return { events, problems };
}

/** Lot and expiry (YYMMDD) from the ILMD; other ILMD attributes are reported as ignored. */
function readIlmd(source: Source): { lot?: string; expiry?: string } {
  source.reads.add('ilmd');
  const ilmd = source.raw.ilmd;
  if (ilmd === undefined) return {};
  if (!isObject(ilmd)) fail('ilmd is not a JSON object');
  const out: { lot?: string; expiry?: string } = {};
  let date: string | undefined;
  let printed: string | undefined;
  for (const [key, value] of Object.entries(ilmd)) {
    const attribute = masterDataAttribute(key);
    if (attribute === 'lotNumber' && typeof value === 'string') out.lot = value;
    else if (attribute === 'itemExpirationDate' && typeof value === 'string') date = value;
    else if (key === RXL.expiry && typeof value === 'string') printed = value;
    else source.ignored.push(`ilmd.${key}`);
  }
  if (date !== undefined) {
    if (!ISO_DATE.test(date)) fail(`ilmd itemExpirationDate ${JSON.stringify(date)} is not a date YYYY-MM-DD`);
    out.expiry = printedExpiry(printed, date) ?? yymmdd(date);
  }
  return out;
}

/** The expiry as printed (`rxl:expiry`, e.g. YYMM00) when it is the same day as the ILMD date. */
function printedExpiry(printed: string | undefined, date: string): string | undefined {
  if (printed === undefined) return undefined;
  try {
    return parseYymmdd(printed).date === date ? printed : undefined;
  } catch {
    return undefined;
  }
}

function yymmdd(date: string): string {
  try {
    return formatYymmdd(date);
  } catch (error) {
    return fail(`ilmd itemExpirationDate: ${(error as Error).message}`);
  }
}

/**
 * The importer's receipt of a shipping event addressed to it (`receiveAt` given, destination owning party the
 * importer): the shipper is the source owning (or possessing) party, the shipment id is derived as the shipper's
 * `ship` derives it, the items are the event's. Undefined when the event is not such a shipment.
 */
function receiptOfShipping(source: Source): Omit<Mapped, 'ignored'> | undefined {
  const { receiveAt, actor, ownGlns = [] } = source.options;
  if (receiveAt === undefined) return undefined;
  const destination = partyEvidence(source, 'destinationList', 'owning_party');
  if (destination === undefined || (destination.gln !== actor && !ownGlns.includes(destination.gln))) return undefined;
  readParties(source);
  source.reads.add(RXL.transactionDate).add(RXL.shipmentDate).add(RXL.reason).add(RXL.actor);
  const shipper =
    partyEvidence(source, 'sourceList', 'owning_party')?.gln ??
    partyEvidence(source, 'sourceList', 'possessing_party')?.gln ??
    fail('a shipment addressed to the importer names no shipper (sourceList owning_party)');
  const transactions = bizTransactions(source, ['desadv', 'po', 'inv']);
  const body: ReceiveBody = {
    shipper,
    shipmentId: shipmentIdOf(transactions.desadv ?? source.eventID ?? importedEventId(source.raw, undefined)),
    items: items(source),
  };
  const id = `${importedEventId(source.raw, source.eventID)}.receipt`;
  return {
    events: [{ id, type: 'receive', actor, time: receiveAt, body: body as unknown as Record<string, unknown> }],
    problems: [],
  };
}

function shipBody(source: Source): ShipBody {
  const { raw, options } = source;
  readParties(source);
  source.reads.add(RXL.transactionDate).add(RXL.shipmentDate).add(RXL.reason);
  checkActor(
    source,
    extensionEvidence(source) ??
      partyEvidence(source, 'sourceList', 'owning_party') ??
      partyEvidence(source, 'sourceList', 'possessing_party') ??
      locationEvidence(source),
  );
  const shipped = items(source);
  const recipient =
    partyEvidence(source, 'destinationList', 'owning_party')?.gln ??
    options.defaultShipTo ??
    fail('it names no recipient: no destinationList owning_party (a default ship-to GLN can be given)');
  const transactions = bizTransactions(source, ['desadv', 'po', 'inv']);
  const shipmentId = shipmentIdOf(transactions.desadv ?? source.eventID ?? importedEventId(raw, undefined));
  const shipmentDate = isoDateMember(raw, RXL.shipmentDate) ?? localDate(source);
  const transaction: TransactionInfoDto = {
    date: isoDateMember(raw, RXL.transactionDate) ?? shipmentDate,
    shipmentDate,
  };
  if (transactions.po !== undefined) transaction.purchaseOrder = reference(transactions.po, 'purchase order');
  if (transactions.inv !== undefined) transaction.invoice = reference(transactions.inv, 'invoice');
  const body: ShipBody = { shipmentId, recipient, items: shipped, transaction };
  const reason = raw[RXL.reason];
  if (reason === 'sale' || reason === 'return') body.reason = reason;
  else if (source.disposition === 'returned') body.reason = 'return';
  return body;
}

function receiveBody(source: Source): ReceiveBody {
  readParties(source);
  checkActor(
    source,
    extensionEvidence(source) ??
      partyEvidence(source, 'destinationList', 'owning_party') ??
      partyEvidence(source, 'destinationList', 'possessing_party') ??
      locationEvidence(source),
  );
  const received = items(source);
  const { desadv } = bizTransactions(source, ['desadv']);
  if (desadv === undefined) {
    fail('it names no despatch advice (bizTransaction of type desadv), so the shipment it receives is unknown');
  }
  const shipper =
    partyEvidence(source, 'sourceList', 'owning_party')?.gln ??
    partyEvidence(source, 'sourceList', 'possessing_party')?.gln ??
    parseBizTransactionUrn(desadv)?.gln ??
    fail(
      'it names no shipper: no sourceList owning_party, and the desadv is not a urn:epcglobal:cbv:bt:<GLN>:… of the shipper',
    );
  return { shipper, shipmentId: shipmentIdOf(desadv), items: received };
}

/** Ship and receive read the parties (owning, possessing) and the business transactions; locations are not kept. */
function readParties(source: Source): void {
  source.reads.add('bizTransactionList').add('sourceList').add('destinationList');
  for (const list of ['sourceList', 'destinationList'] as const) {
    const entries = source.raw[list];
    if (!Array.isArray(entries)) continue;
    // A location that is a party's own GLN (as RxLedger's export writes: the party's registered site) says nothing
    // the party does not; any other location is information RxLedger does not keep.
    const partyGlns = new Set(
      (['owning_party', 'possessing_party'] as const).flatMap((t) => partyEvidence(source, list, t)?.gln ?? []),
    );
    const key = list === 'sourceList' ? 'source' : 'destination';
    entries.forEach((entry, i) => {
      const type = isObject(entry) ? cbvWord(entry.type, 'sdt') : undefined;
      if (type === 'owning_party' || type === 'possessing_party') return;
      if (
        type === 'location' &&
        isObject(entry) &&
        typeof entry[key] === 'string' &&
        partyGlns.has(glnOrNone(entry[key]))
      ) {
        return;
      }
      source.ignored.push(`${list}[${isObject(entry) && typeof entry.type === 'string' ? entry.type : i}]`);
    });
  }
}

function glnOrNone(uri: string): string {
  try {
    return readGlnUri(uri);
  } catch {
    return '';
  }
}

/** The business transactions of the wanted types (first of each); the others are reported as ignored. */
function bizTransactions<T extends string>(source: Source, wanted: readonly T[]): Partial<Record<T, string>> {
  const list = source.raw.bizTransactionList;
  const found: Partial<Record<T, string>> = {};
  if (list === undefined) return found;
  if (!Array.isArray(list)) fail('bizTransactionList is not an array');
  list.forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.bizTransaction !== 'string')
      fail(`bizTransactionList[${i}] has no bizTransaction`);
    const type = cbvWord(entry.type, 'btt');
    if (type !== undefined && (wanted as readonly string[]).includes(type) && found[type as T] === undefined) {
      found[type as T] = entry.bizTransaction;
    } else {
      source.ignored.push(`bizTransactionList[${typeof entry.type === 'string' ? entry.type : i}]`);
    }
  });
  return found;
}

/**
 * A shipment id from a despatch advice (or, failing one, the event id): the id part of a CBV
 * `urn:epcglobal:cbv:bt:<GLN>:<id>` or the whole URI when it is a valid shipment id, otherwise a hash of it.
 * Ship and receive derive it the same way, so both name the same shipment.
 */
function shipmentIdOf(uri: string): string {
  const id = parseBizTransactionUrn(uri)?.id;
  if (id !== undefined && SHIPMENT_ID.test(id)) return id;
  if (SHIPMENT_ID.test(uri)) return uri;
  return `epcis-h:${sha256Hex(uri).slice(0, 40)}`;
}

/** A purchase order or invoice number from its business transaction URI. */
function reference(uri: string, what: string): string {
  const id = parseBizTransactionUrn(uri)?.id ?? uri;
  if (id.length > REFERENCE_MAX_LENGTH)
    fail(`the ${what} reference ${uri} is longer than ${REFERENCE_MAX_LENGTH} characters`);
  return id;
}

function reasonOf(source: Source, fromDisposition: readonly string[]): string {
  source.reads.add(RXL.reason);
  const reason = source.raw[RXL.reason];
  if (typeof reason === 'string') return reason;
  return source.disposition !== undefined && fromDisposition.includes(source.disposition)
    ? source.disposition
    : 'other';
}

interface Evidence {
  gln: string;
  where: string;
}

function extensionEvidence(source: Source): Evidence | undefined {
  const actor = source.raw[RXL.actor];
  return typeof actor === 'string' ? { gln: actor, where: RXL.actor } : undefined;
}

/** The GLN of the first party of `type` in a source or destination list; a party that is no GLN is an error. */
function partyEvidence(
  source: Source,
  list: 'sourceList' | 'destinationList',
  type: 'owning_party' | 'possessing_party',
): Evidence | undefined {
  const entries = source.raw[list];
  if (entries === undefined) return undefined;
  if (!Array.isArray(entries)) fail(`${list} is not an array`);
  const key = list === 'sourceList' ? 'source' : 'destination';
  const entry = entries.find((e) => isObject(e) && cbvWord(e.type, 'sdt') === type) as Json | undefined;
  if (entry === undefined) return undefined;
  if (typeof entry[key] !== 'string') fail(`${list} ${type} has no ${key}`);
  try {
    return { gln: readGlnUri(entry[key] as string), where: `${list} ${type}` };
  } catch (error) {
    return fail(`${list} ${type}: ${(error as Error).message}`);
  }
}

/** `rxl:actor`, else the GLN of the business location, else of the read point (when they are GLN identifiers). */
function locationEvidence(source: Source): Evidence | undefined {
  const extension = extensionEvidence(source);
  if (extension) return extension;
  for (const key of ['bizLocation', 'readPoint'] as const) {
    const id = member(source.raw[key], 'id');
    if (typeof id !== 'string') continue;
    try {
      return { gln: readGlnUri(id), where: key };
    } catch {
      // not a GLN identifier: it says nothing about the party
    }
  }
  return undefined;
}

function checkActor(source: Source, evidence: Evidence | undefined): void {
  if (evidence === undefined) return;
  const { actor, ownGlns = [] } = source.options;
  if (evidence.gln !== actor && !ownGlns.includes(evidence.gln)) {
    fail(`it is ${evidence.gln}'s event (${evidence.where}), not the importing party ${actor}'s`);
  }
}

function requireAction(source: Source, allowed: readonly string[]): void {
  if (source.action === undefined || !allowed.includes(source.action)) {
    fail(
      `bizStep ${source.bizStep} with action ${source.action ?? '(none)'} has no RxLedger counterpart ` +
        `(expected ${allowed.join(' or ')})`,
    );
  }
}

function epcListOf(source: Source): unknown[] {
  source.reads.add('epcList');
  const { epcList, quantityList } = source.raw;
  const hasQuantities = Array.isArray(quantityList) && quantityList.length > 0;
  if (!Array.isArray(epcList) || epcList.length === 0) {
    fail(
      hasQuantities
        ? 'it names only quantities (quantityList), no serialized items: RxLedger tracks serialized units and SSCCs'
        : 'it names no items (epcList is empty)',
    );
  }
  return epcList;
}

function items(source: Source): string[] {
  const list = readItems(epcListOf(source), 'epcList').map((item) => item.code);
  if (list.length > MAX_ITEMS_PER_EVENT)
    fail(`${list.length} items: one RxLedger event names at most ${MAX_ITEMS_PER_EVENT}`);
  return list;
}

/** Every identifier read as an item; any that is not one makes the whole event unmapped. */
function readItems(list: unknown, name: string): ItemReading[] {
  if (!Array.isArray(list)) fail(`${name} is not an array`);
  const readings: ItemReading[] = [];
  const bad: string[] = [];
  for (const uri of list) {
    try {
      if (typeof uri !== 'string') throw new Error(`${JSON.stringify(uri)} is not a string`);
      readings.push(readItemUri(uri));
    } catch (error) {
      bad.push((error as Error).message);
    }
  }
  if (bad.length > 0) fail(`${bad.length} of ${list.length} ${name} identifier(s) name no item: ${sample(bad)}`);
  return readings;
}

function single(source: Source, type: string, body: object): Omit<Mapped, 'ignored'> {
  if (source.raw.quantityList !== undefined) source.ignored.push('quantityList');
  return { events: [unsigned(source, importedEventId(source.raw, source.eventID), type, body)], problems: [] };
}

function unsigned(source: Source, id: string, type: string, body: object): UnsignedEvent {
  return { id, type, actor: source.options.actor, time: source.time, body: body as Record<string, unknown> };
}

function eventTimeOf(raw: Json): string {
  const time = raw.eventTime;
  if (typeof time !== 'string') fail('it has no eventTime');
  if (!Number.isNaN(parseEventTime(time))) return time;
  if (!EVENT_TIME_PATTERN.test(time) && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(time)) {
    // A date-time without an offset: the event's own time zone offset completes it.
    const withOffset = `${time}${typeof raw.eventTimeZoneOffset === 'string' ? raw.eventTimeZoneOffset : ''}`;
    if (!Number.isNaN(parseEventTime(withOffset))) return withOffset;
  }
  return fail(`eventTime ${JSON.stringify(time)} is not an RFC 3339 date-time with a time zone`);
}

/** The calendar date of the event where it happened (eventTime shifted by eventTimeZoneOffset). */
function localDate(source: Source): string {
  const declared = source.raw.eventTimeZoneOffset;
  const offset =
    typeof declared === 'string' && /^[+-]\d{2}:\d{2}$/.test(declared)
      ? declared
      : source.time.endsWith('Z')
        ? '+00:00'
        : source.time.slice(-6);
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return new Date(Date.parse(source.time) + minutes * 60_000).toISOString().slice(0, 10);
}

function isoDateMember(raw: Json, key: string): string | undefined {
  const value = raw[key];
  return typeof value === 'string' && ISO_DATE.test(value) ? value : undefined;
}

function sample(values: string[]): string {
  return values.length <= 3 ? values.join('; ') : `${values.slice(0, 3).join('; ')}; …`;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function member(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}
