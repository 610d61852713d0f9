import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Principal } from '../auth/principal';
import { companyPrefixLengthFrom, toEpcisEvents, type EpcisEvent, type IdentifierOptions } from '../epcis';
import type { LedgerEvent } from '../protocol/event';
import { EpcisRestRepository } from './epcis-rest.repository';
import { EventsQuery, eventMatches, exactCodes } from './events-query';
import { EpcisRestError } from './problem';

/** Log entries one request reads at most, matching or not: a page may hold fewer than perPage events (and a Link). */
export const SCAN_BUDGET = 10_000;

/** Registry events have no EPCIS form (src/epcis/README.md): the scan skips them in SQL. */
const NO_EPCIS_FORM = [
  'party.register',
  'key.add',
  'key.revoke',
  'prefix.grant',
  'product.register',
  'export.statement',
];

/** `GS1-EPC-Format` (GS1's OpenAPI, components.schemas.GS1-EPC-Format). Absent: Always_GS1_Digital_Link. */
export type EpcFormat = 'No_Preference' | 'Always_GS1_Digital_Link' | 'Always_EPC_URN' | 'Never_Translates';

interface PageToken {
  /** The last log index this query has read. */
  after: number;
  /** Events returned by earlier pages (eventCountLimit, maxEventCount). */
  returned: number;
  /** Hash of the query's selecting parameters and the caller: a token only continues its own query. */
  query: string;
}

export interface EventsPage {
  events: EpcisEvent[];
  nextPageToken?: string;
}

/**
 * `GET /epcis/events` (docs/PROTOCOL.md §12.3): the SimpleEventQuery over the EPCIS form of the log, as the caller
 * may see it (§1: a party only the events that name it, a regulator or the operator every one), in recordTime
 * (= log index) order, a page at a time. The page token is the last index read, so a page costs one index range
 * scan whatever the page number, and pages stay stable while the log grows.
 */
@Injectable()
export class EventsService {
  constructor(private readonly repository: EpcisRestRepository) {}

  async page(principal: Principal, query: EventsQuery, epcFormat: EpcFormat): Promise<EventsPage> {
    const binding = createHash('sha256').update(`${principal.gln}\n${query.selection}`).digest('hex').slice(0, 32);
    const token = query.nextPageToken === undefined ? undefined : readToken(query.nextPageToken, binding);
    const returnedBefore = token?.returned ?? 0;
    const identifiers: IdentifierOptions =
      epcFormat === 'Always_GS1_Digital_Link'
        ? {}
        : { companyPrefixLength: companyPrefixLengthFrom(await this.repository.companyPrefixes()) };
    const wanted = Math.min(
      query.perPage,
      query.eventCountLimit === undefined ? Infinity : query.eventCountLimit - returnedBefore,
    );
    // recordTime is the acceptance time, which never decreases along the log: its range is an index range.
    const fromIndex =
      query.geRecordTime === undefined ? undefined : await this.repository.firstIndexAcceptedFrom(query.geRecordTime);
    const toIndex =
      query.ltRecordTime === undefined ? undefined : await this.repository.firstIndexAcceptedFrom(query.ltRecordTime);
    const events: EpcisEvent[] = [];
    let cursor = token?.after;
    let scanned = 0;
    let exhausted = wanted <= 0;
    const chunk = Math.min(Math.max(query.perPage * 2, 100), 1000);
    scan: while (!exhausted && scanned < SCAN_BUDGET) {
      const rows = await this.repository.scan({
        namedGln: principal.role === 'regulator' || principal.role === 'operator' ? undefined : principal.gln,
        cursor,
        descending: query.descending,
        limit: Math.min(chunk, SCAN_BUDGET - scanned),
        fromIndex,
        toIndex,
        itemCodes: exactCodes(query.epc ?? query.anyEPC ?? query.parentID),
        excludedTypes: NO_EPCIS_FORM,
      });
      for (const row of rows) {
        const entry = {
          index: row.idx,
          acceptedAt: row.accepted_at.toISOString(),
          event: JSON.parse(row.event_json) as LedgerEvent<unknown>,
        };
        const exported = toEpcisEvents(entry, identifiers);
        const matching = 'events' in exported ? exported.events.filter((e) => eventMatches(e, query)) : [];
        // The events of one log entry go on one page: the token resumes after a whole entry.
        if (events.length > 0 && events.length + matching.length > wanted) break scan;
        events.push(...matching);
        cursor = row.idx;
        scanned++;
        if (query.maxEventCount !== undefined && returnedBefore + events.length > query.maxEventCount) {
          throw new EpcisRestError(
            'EPCIS_QUERY_TOO_LARGE',
            `more than maxEventCount=${query.maxEventCount} events match`,
            { parameter: 'maxEventCount' },
          );
        }
        if (events.length >= wanted) break scan;
      }
      if (rows.length < chunk) exhausted = true;
    }
    const returned = returnedBefore + events.length;
    const limitReached = query.eventCountLimit !== undefined && returned >= query.eventCountLimit;
    if (exhausted || limitReached || cursor === undefined) return { events };
    return { events, nextPageToken: writeToken({ after: cursor, returned, query: binding }) };
  }
}

function writeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify([token.after, token.returned, token.query])).toString('base64url');
}

function readToken(text: string, binding: string): PageToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    !Number.isSafeInteger(parsed[0]) ||
    !Number.isSafeInteger(parsed[1]) ||
    parsed[0] < 0 ||
    parsed[1] < 0 ||
    typeof parsed[2] !== 'string'
  ) {
    throw new EpcisRestError('EPCIS_QUERY_PARAMETER', 'nextPageToken: not a token this server issued', {
      parameter: 'nextPageToken',
    });
  }
  if (parsed[2] !== binding) {
    throw new EpcisRestError(
      'EPCIS_QUERY_PARAMETER',
      'nextPageToken: issued for another query (or caller); repeat the query parameters of the page that gave it',
      { parameter: 'nextPageToken' },
    );
  }
  return { after: parsed[0], returned: parsed[1], query: parsed[2] };
}
