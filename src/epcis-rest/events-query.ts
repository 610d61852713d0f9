/**
 * The EPCIS 2.0 SimpleEventQuery as URL query parameters (EPCIS 2.0 §8.2.7.1; GS1's OpenAPI document,
 * `GET /events`): parsing (every refusal a QueryParameterException) and matching an exported EPCIS event.
 *
 * Matching is done on the EPCIS form of each logged event, the one the mapping (src/epcis/mapping) gives, so a
 * parameter means exactly what it means on the event the client receives. Some parameters also narrow the database
 * scan (times, EPCs): see EventScan.
 */
import { cbvWord, importedEventId, readClassUri, readGlnUri, readItemUri, type EpcisEvent } from '../epcis';
import { parseEventTime } from '../protocol/event';
import { EpcisRestError } from './problem';

export const DEFAULT_PER_PAGE = 30;
/** The global upper limit of `perPage` (the OpenAPI's PerPage lets a server set one the client cannot override). */
export const MAX_PER_PAGE = 1000;

/** An EPC query value: one item (its RxLedger item code), a product pattern (GTIN), or a URI we cannot read. */
type EpcMatcher = { code: string } | { gtin: string } | { uri: string };

export interface EventsQuery {
  perPage: number;
  nextPageToken?: string;
  eventTypes?: Set<string>;
  geEventTime?: number;
  ltEventTime?: number;
  geRecordTime?: number;
  ltRecordTime?: number;
  actions?: Set<string>;
  bizSteps?: Set<string>;
  dispositions?: Set<string>;
  readPoints?: Set<string>;
  bizLocations?: Set<string>;
  epc?: EpcMatcher[];
  parentID?: EpcMatcher[];
  anyEPC?: EpcMatcher[];
  eventIDs?: Set<string>;
  /** `EQ_<ext>`, `EQ_ILMD_<ext>` on extension fields: field → accepted values. */
  fieldEquals: { ilmd: boolean; field: string; values: Set<string> }[];
  /** `EXISTS_<ext>`, `EXISTS_ILMD_<ext>`. */
  fieldExists: { ilmd: boolean; field: string }[];
  /** A parameter about a member the EPCIS form of RxLedger events never has (quantities, sensors, errors, ...). */
  matchesNothing: boolean;
  descending: boolean;
  eventCountLimit?: number;
  maxEventCount?: number;
  /** The parameters that select events (all but paging), canonical, to bind a page token to its query. */
  selection: string;
}

/** Parameters on members the EPCIS events RxLedger exports never carry: they select no event (EPCIS 2.0 §8.2.7.1). */
const NEVER_PRESENT = new Set([
  'EQ_persistentDisposition_set',
  'EQ_persistentDisposition_unset',
  'EQ_transformationID',
  'MATCH_inputEPC',
  'MATCH_outputEPC',
  'MATCH_epcClass',
  'MATCH_inputEPCClass',
  'MATCH_outputEPCClass',
  'MATCH_anyEPCClass',
  'EQ_quantity',
  'GT_quantity',
  'GE_quantity',
  'LT_quantity',
  'LE_quantity',
  'EXISTS_errorDeclaration',
  'GE_errorDeclarationTime',
  'LT_errorDeclarationTime',
  'EQ_errorReason',
  'EQ_correctiveEventID',
  'GE_startTime',
  'LT_startTime',
  'GE_endTime',
  'LT_endTime',
  'EQ_type',
  'EQ_deviceID',
  'EQ_dataProcessingMethod',
  'EQ_microorganism',
  'EQ_chemicalSubstance',
  'EQ_bizRules',
  'EQ_stringValue',
  'EQ_hexBinaryValue',
  'EQ_uriValue',
  'EQ_booleanValue',
]);

/** Sensor-report parameter families with a unit or type in their name (EPCIS 2.0 §8.2.7.1: `GE_value_<uom>`, ...). */
const SENSOR_FAMILY =
  /^(EQ|GT|GE|LT|LE)_(value|minValue|maxValue|meanValue|sDev|percValue)(_[A-Za-z0-9]+)?$|^(GE|LT)_time$|^EQ_(sDev|percRank)$/;
/** Extension fields: a CURIE `prefix:name` (top level or in the ILMD). */
const EXTENSION_PARAMETER = /^(EQ|EXISTS)_(ILMD_)?([A-Za-z][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+)$/;
const ACTIONS = new Set(['ADD', 'OBSERVE', 'DELETE']);

function refuse(parameter: string, message: string): never {
  throw new EpcisRestError('EPCIS_QUERY_PARAMETER', `${parameter}: ${message}`, { parameter });
}

/** Pipe-delimited values (the OpenAPI's `style: pipeDelimited, explode: false`), none empty. */
function list(name: string, value: string): string[] {
  const values = value.split('|');
  if (values.some((v) => v === '')) refuse(name, 'an empty value (values are separated by |)');
  return values;
}

function time(name: string, value: string): number {
  const ms = parseEventTime(value);
  if (Number.isNaN(ms)) refuse(name, `${JSON.stringify(value)} is not an RFC 3339 date-time with an offset`);
  return ms;
}

function positiveInteger(name: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[0-9]{1,16}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    refuse(name, `${JSON.stringify(value)} is not an integer from 1 to ${max}`);
  }
  return Number(value);
}

/** A CBV word as the query may give it (bare, URN or web URI) in its bare form; other URIs as given. */
function cbv(value: string, kind: 'bizstep' | 'disp'): string {
  return cbvWord(value, kind) ?? value;
}

/** A location URI (SGLN, PGLN or Digital Link) as its GLN, else as given. */
export function locationKey(uri: string): string {
  try {
    return readGlnUri(uri);
  } catch {
    return uri;
  }
}

function epcMatcher(uri: string): EpcMatcher {
  try {
    return { code: readItemUri(uri).code };
  } catch {
    try {
      const reading = readClassUri(uri);
      if (reading.lot === undefined) return { gtin: reading.gtin };
    } catch {
      // neither an item nor a product pattern
    }
    return { uri };
  }
}

/** Item codes of exact EPCs in a MATCH_ list: what the scan can look up in the item table. */
export function exactCodes(matchers: EpcMatcher[] | undefined): string[] | undefined {
  if (!matchers || matchers.some((m) => !('code' in m))) return undefined;
  return matchers.map((m) => (m as { code: string }).code);
}

/**
 * Parses the query string. `params` are the decoded (name, value) pairs in order; a name given twice, an unknown
 * name, or a value of the wrong form is a QueryParameterException (EPCIS 2.0 §8.2.7: "the parameter name is not a
 * recognized parameter", "the value of a parameter is of the wrong type", "two or more settings for the same
 * parameter name").
 */
export function parseEventsQuery(params: [string, string][]): EventsQuery {
  const query: EventsQuery = {
    perPage: DEFAULT_PER_PAGE,
    fieldEquals: [],
    fieldExists: [],
    matchesNothing: false,
    descending: false,
    selection: '',
  };
  const seen = new Set<string>();
  const selection: [string, string][] = [];
  let orderBy: string | undefined;
  for (const [name, value] of params) {
    if (seen.has(name)) refuse(name, 'given twice (list several values separated by |)');
    seen.add(name);
    if (name !== 'perPage' && name !== 'nextPageToken') selection.push([name, value]);
    switch (name) {
      case 'perPage':
        query.perPage = Math.min(positiveInteger(name, value), MAX_PER_PAGE);
        break;
      case 'nextPageToken':
        query.nextPageToken = value;
        break;
      case 'eventType':
        query.eventTypes = new Set(list(name, value));
        break;
      case 'GE_eventTime':
        query.geEventTime = time(name, value);
        break;
      case 'LT_eventTime':
        query.ltEventTime = time(name, value);
        break;
      case 'GE_recordTime':
        query.geRecordTime = time(name, value);
        break;
      case 'LT_recordTime':
        query.ltRecordTime = time(name, value);
        break;
      case 'EQ_action': {
        const actions = list(name, value);
        const wrong = actions.find((a) => !ACTIONS.has(a));
        if (wrong !== undefined) refuse(name, `${JSON.stringify(wrong)} is not ADD, OBSERVE or DELETE`);
        query.actions = new Set(actions);
        break;
      }
      case 'EQ_bizStep':
        query.bizSteps = new Set(list(name, value).map((v) => cbv(v, 'bizstep')));
        break;
      case 'EQ_disposition':
        query.dispositions = new Set(list(name, value).map((v) => cbv(v, 'disp')));
        break;
      // No location hierarchy is known (no Location master data), so a location's descendants are itself.
      case 'EQ_readPoint':
      case 'WD_readPoint':
        query.readPoints = union(query.readPoints, list(name, value).map(locationKey));
        break;
      case 'EQ_bizLocation':
      case 'WD_bizLocation':
        query.bizLocations = union(query.bizLocations, list(name, value).map(locationKey));
        break;
      case 'MATCH_epc':
        query.epc = list(name, value).map(epcMatcher);
        break;
      case 'MATCH_parentID':
        query.parentID = list(name, value).map(epcMatcher);
        break;
      case 'MATCH_anyEPC':
        query.anyEPC = list(name, value).map(epcMatcher);
        break;
      case 'EQ_eventID':
        query.eventIDs = new Set(list(name, value));
        break;
      case 'orderBy':
        orderBy = value;
        break;
      case 'orderDirection':
        if (value !== 'ASC' && value !== 'DESC') refuse(name, 'is ASC or DESC');
        query.descending = value === 'DESC';
        break;
      case 'eventCountLimit':
        query.eventCountLimit = positiveInteger(name, value);
        break;
      case 'maxEventCount':
        query.maxEventCount = positiveInteger(name, value);
        break;
      default: {
        if (NEVER_PRESENT.has(name) || SENSOR_FAMILY.test(name)) {
          if (value === '') refuse(name, 'has no value');
          query.matchesNothing = true;
          break;
        }
        const extension = EXTENSION_PARAMETER.exec(name);
        if (extension) {
          const [, op, ilmd, field] = extension;
          if (op === 'EQ')
            query.fieldEquals.push({ ilmd: ilmd !== undefined, field, values: new Set(list(name, value)) });
          else query.fieldExists.push({ ilmd: ilmd !== undefined, field });
          break;
        }
        refuse(name, 'is not a parameter of the EPCIS SimpleEventQuery');
      }
    }
  }
  if (orderBy !== undefined && orderBy !== 'recordTime') {
    // The log is kept, indexed and paged in acceptance order, which is recordTime order; another order would need
    // every matching event sorted before the first page.
    if (orderBy === 'eventTime' || /^[A-Za-z][A-Za-z0-9_.-]*:/.test(orderBy)) {
      throw new EpcisRestError(
        'EPCIS_QUERY_TOO_COMPLEX',
        `orderBy=${orderBy}: events are served in recordTime order only (orderBy=recordTime, orderDirection ASC or DESC)`,
        { parameter: 'orderBy' },
      );
    }
    refuse('orderBy', 'is eventTime, recordTime or an extension field');
  }
  if (query.descending && orderBy === undefined) refuse('orderDirection', 'needs orderBy');
  query.selection = JSON.stringify(selection.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return query;
}

function union(set: Set<string> | undefined, values: string[]): Set<string> {
  const result = set ?? new Set<string>();
  for (const v of values) result.add(v);
  return result;
}

function epcMatches(uri: string | undefined, matchers: EpcMatcher[]): boolean {
  if (uri === undefined) return false;
  let code: string | undefined;
  let gtin: string | undefined;
  try {
    code = readItemUri(uri).code;
    gtin = /^\(01\)(\d{14})\(21\)/.exec(code)?.[1];
  } catch {
    code = undefined;
  }
  return matchers.some((m) =>
    'code' in m ? m.code === code : 'gtin' in m ? gtin !== undefined && m.gtin === gtin : m.uri === uri,
  );
}

const anyMatches = (uris: string[] | undefined, matchers: EpcMatcher[]) =>
  (uris ?? []).some((uri) => epcMatches(uri, matchers));

/**
 * EQ_eventID: the eventID RxLedger gives the event (a UUID from its hash), or the eventID of the EPCIS event it was
 * captured or imported from, which the mapping made its RxLedger id (`epcis:<eventID>` or `epcis-h:<hash>`, with
 * `.2`, `.3` for further events of one EPCIS event): so a client finds a captured event by its own eventID.
 */
function eventIdMatches(event: EpcisEvent, eventIDs: Set<string>): boolean {
  if (eventIDs.has(event.eventID)) return true;
  const id = event['rxl:eventId'];
  if (typeof id !== 'string') return false;
  for (const eventID of eventIDs) {
    const imported = importedEventId(undefined, eventID);
    if (id === imported || (id.startsWith(`${imported}.`) && /^\d+$/.test(id.slice(imported.length + 1)))) return true;
  }
  return false;
}

/** Whether an exported EPCIS event meets every condition of the query (EPCIS 2.0 §8.2.7.1, each parameter). */
export function eventMatches(event: EpcisEvent, query: EventsQuery): boolean {
  if (query.matchesNothing) return false;
  if (query.eventTypes && !query.eventTypes.has(event.type)) return false;
  if (query.actions && !query.actions.has(event.action)) return false;
  if (query.bizSteps && (event.bizStep === undefined || !query.bizSteps.has(cbv(event.bizStep, 'bizstep')))) {
    return false;
  }
  if (
    query.dispositions &&
    (event.disposition === undefined || !query.dispositions.has(cbv(event.disposition, 'disp')))
  ) {
    return false;
  }
  if (query.readPoints && (!event.readPoint || !query.readPoints.has(locationKey(event.readPoint.id)))) return false;
  if (query.bizLocations && (!event.bizLocation || !query.bizLocations.has(locationKey(event.bizLocation.id)))) {
    return false;
  }
  if (query.epc && !(anyMatches(event.epcList, query.epc) || anyMatches(event.childEPCs, query.epc))) return false;
  if (query.parentID && !epcMatches(event.parentID, query.parentID)) return false;
  if (
    query.anyEPC &&
    !(
      epcMatches(event.parentID, query.anyEPC) ||
      anyMatches(event.epcList, query.anyEPC) ||
      anyMatches(event.childEPCs, query.anyEPC)
    )
  ) {
    return false;
  }
  if (query.eventIDs && !eventIdMatches(event, query.eventIDs)) return false;
  if (query.geEventTime !== undefined && parseEventTime(event.eventTime) < query.geEventTime) return false;
  if (query.ltEventTime !== undefined && parseEventTime(event.eventTime) >= query.ltEventTime) return false;
  const recordTime = event.recordTime === undefined ? NaN : parseEventTime(event.recordTime);
  if (query.geRecordTime !== undefined && !(recordTime >= query.geRecordTime)) return false;
  if (query.ltRecordTime !== undefined && !(recordTime < query.ltRecordTime)) return false;
  for (const { ilmd, field, values } of query.fieldEquals) {
    const value = ilmd ? event.ilmd?.[field] : event[field as `${string}:${string}`];
    if (!values.has(typeof value === 'string' ? value : JSON.stringify(value))) return false;
  }
  for (const { ilmd, field } of query.fieldExists) {
    const value = ilmd ? event.ilmd?.[field] : event[field as `${string}:${string}`];
    if (value === undefined) return false;
  }
  return true;
}
