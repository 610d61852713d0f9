import { Controller, Get, HttpStatus, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { isXml, LargeBody, XmlBody } from '../auth/request-body';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { epcisContext } from '../epcis';
import { readEpcisXml } from '../epcis/xml';
import { CaptureErrorBehaviour, CaptureService } from './capture.service';
import { EpcFormat, EventsService } from './events.service';
import { parseEventsQuery } from './events-query';
import { EpcisProblemFilter, EpcisRestError, setVersionHeaders } from './problem';

const PARTIES = ['manufacturer', 'distributor', 'dispenser', 'regulator'] as const;
/** What `GET /epcis/events` can answer in, best first: JSON-LD, then plain JSON (the same document). */
const QUERY_MEDIA_TYPES = ['application/ld+json', 'application/json'];
const EPC_FORMATS: EpcFormat[] = ['No_Preference', 'Always_GS1_Digital_Link', 'Always_EPC_URN', 'Never_Translates'];

/**
 * The EPCIS 2.0 REST binding (GS1's EPCIS 2.0 OpenAPI document; docs/PROTOCOL.md §12) under `/epcis`: capture,
 * capture jobs and the events query. Refusals are RFC 7807 problems (EpcisProblemFilter); every answer carries
 * GS1-EPCIS-Version and GS1-CBV-Version.
 */
@ApiTags('epcis')
@Controller('epcis')
@UseFilters(EpcisProblemFilter)
export class EpcisRestController {
  constructor(
    private readonly capture: CaptureService,
    private readonly events: EventsService,
    private readonly config: AppConfig,
  ) {}

  @Post('capture')
  @LargeBody()
  @XmlBody()
  @Auth(...PARTIES)
  @ApiOperation({
    summary:
      'Capture an EPCIS 2.0 JSON-LD or EPCIS XML document whose events carry the party’s signatures (202 + capture job)',
  })
  async captureDocument(@CurrentPrincipal() me: Principal, @Req() request: Request, @Res() response: Response) {
    checkVersionHeaders(request);
    const behaviour = captureErrorBehaviour(request.get('GS1-Capture-Error-Behaviour'));
    const id = isXml(request)
      ? await this.capture.startXml(me, readEpcisXml(boundedBody(request, this.config.MAX_BODY_MB)), behaviour)
      : await this.capture.start(me, request.body, behaviour);
    setVersionHeaders(response);
    response.setHeader('Location', `/epcis/capture/${id}`);
    response.setHeader('GS1-Capture-Error-Behaviour', behaviour);
    response.status(HttpStatus.ACCEPTED).end();
  }

  @Get('capture/:captureID')
  @Auth(...PARTIES)
  @ApiOperation({ summary: 'A capture job of the caller: running, success, per-event errors' })
  async captureJob(
    @CurrentPrincipal() me: Principal,
    @Param('captureID') captureID: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    checkVersionHeaders(request);
    const type = request.accepts(['application/json', 'application/ld+json']);
    if (!type) throw notAcceptable(request, 'application/json');
    const job = await this.capture.job(me, captureID);
    setVersionHeaders(response);
    response.status(HttpStatus.OK).type('application/json').send(JSON.stringify(job));
  }

  @Get('events')
  @Auth(...PARTIES)
  @ApiOperation({
    summary: 'EPCIS SimpleEventQuery over the events the caller may see (EQ_bizStep, MATCH_epc, GE_eventTime, …)',
  })
  async queryEvents(@CurrentPrincipal() me: Principal, @Req() request: Request, @Res() response: Response) {
    checkVersionHeaders(request);
    const type = request.accepts(QUERY_MEDIA_TYPES);
    if (!type) throw notAcceptable(request, QUERY_MEDIA_TYPES.join(' or '));
    const epcFormatHeader = request.get('GS1-EPC-Format');
    if (epcFormatHeader !== undefined && !EPC_FORMATS.includes(epcFormatHeader as EpcFormat)) {
      throw new EpcisRestError(
        'EPCIS_QUERY_PARAMETER',
        `GS1-EPC-Format: ${JSON.stringify(epcFormatHeader)} is not one of ${EPC_FORMATS.join(', ')}`,
        { parameter: 'GS1-EPC-Format' },
      );
    }
    const epcFormat = (epcFormatHeader ?? 'Always_GS1_Digital_Link') as EpcFormat;
    const params = queryParameters(request.originalUrl);
    const query = parseEventsQuery(params);
    const page = await this.events.page(me, query, epcFormat);
    setVersionHeaders(response);
    if (epcFormatHeader !== undefined) response.setHeader('GS1-EPC-Format', epcFormat);
    if (page.nextPageToken !== undefined) {
      const next = new URLSearchParams(params.filter(([name]) => name !== 'nextPageToken'));
      next.set('nextPageToken', page.nextPageToken);
      const base = `${request.protocol}://${request.get('host') ?? 'localhost'}${request.baseUrl}${request.path}`;
      response.setHeader('Link', `<${base}?${next.toString()}>; rel="next"`);
    }
    const document = {
      '@context': epcisContext(),
      type: 'EPCISQueryDocument',
      schemaVersion: '2.0',
      creationDate: new Date().toISOString(),
      epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: page.events } } },
    };
    response.status(HttpStatus.OK).type(type).send(JSON.stringify(document));
  }
}

/** The request body as it arrives, at most `maxMb` MiB (the limit of every large body, §5.1), else 413. */
async function* boundedBody(request: Request, maxMb: number): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxMb * 1024 * 1024) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than the limit of ${maxMb * 1024 * 1024} bytes`,
        HttpStatus.PAYLOAD_TOO_LARGE,
      );
    }
    yield chunk;
  }
}

/** The decoded query parameters in order; `+` is kept as a plus (EPCIS times carry offsets such as +02:00). */
export function queryParameters(url: string): [string, string][] {
  const at = url.indexOf('?');
  if (at < 0) return [];
  const params: [string, string][] = [];
  for (const part of url.slice(at + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [rawName, rawValue] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    try {
      params.push([decodeURIComponent(rawName), decodeURIComponent(rawValue)]);
    } catch {
      throw new EpcisRestError('EPCIS_QUERY_PARAMETER', `${rawName}: not a percent-encoded UTF-8 parameter`, {
        parameter: rawName,
      });
    }
  }
  return params;
}

function captureErrorBehaviour(header: string | undefined): CaptureErrorBehaviour {
  if (header === undefined) return 'rollback';
  if (header === 'rollback' || header === 'proceed') return header;
  throw new EpcisRestError(
    'EPCIS_DOCUMENT_INVALID',
    `GS1-Capture-Error-Behaviour: ${JSON.stringify(header)} is rollback or proceed`,
    { parameter: 'GS1-Capture-Error-Behaviour' },
  );
}

/** A version string "2", "2.0", "2.0.0"… compared with 2.0.0 part by part. */
function compareWith200(version: string): number {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < Math.max(parts.length, 3); i++) {
    const a = parts[i] ?? 0;
    const b = i === 0 ? 2 : 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/**
 * GS1-EPCIS-Version / GS1-CBV-Version (the version the client speaks) and GS1-EPCIS-Min/-Max, GS1-CBV-Min/-Max (the
 * range it accepts): this server speaks EPCIS 2.0.0 and CBV 2.0.0 only; anything that excludes them is a 406.
 */
function checkVersionHeaders(request: Request): void {
  for (const kind of ['EPCIS', 'CBV']) {
    const exact = request.get(`GS1-${kind}-Version`);
    const min = request.get(`GS1-${kind}-Min`);
    const max = request.get(`GS1-${kind}-Max`);
    for (const [name, value] of [
      [`GS1-${kind}-Version`, exact],
      [`GS1-${kind}-Min`, min],
      [`GS1-${kind}-Max`, max],
    ] as const) {
      if (value !== undefined && !/^\d+(\.\d+)*$/.test(value)) {
        throw new EpcisRestError('EPCIS_NOT_ACCEPTABLE', `${name}: ${JSON.stringify(value)} is not a version`, {
          header: name,
        });
      }
    }
    const wrong =
      (exact !== undefined && compareWith200(exact) !== 0) ||
      (min !== undefined && compareWith200(min) > 0) ||
      (max !== undefined && compareWith200(max) < 0);
    if (wrong) {
      throw new EpcisRestError(
        'EPCIS_NOT_ACCEPTABLE',
        `this server speaks EPCIS 2.0.0 and CBV 2.0.0; the request asks for ${kind} ${exact ?? `${min ?? '…'} to ${max ?? '…'}`}`,
        { header: `GS1-${kind}-Version` },
      );
    }
  }
}

function notAcceptable(request: Request, offered: string): EpcisRestError {
  return new EpcisRestError(
    'EPCIS_NOT_ACCEPTABLE',
    `cannot answer in ${request.get('Accept') ?? '(none)'}; this resource is ${offered}`,
    { accept: request.get('Accept') ?? null },
  );
}
