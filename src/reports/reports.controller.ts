import { Controller, Get, Query, Res } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { parseEventTime } from '../protocol/event';
import {
  ExportsQuery,
  GtinReportQuery,
  LotReportQuery,
  PartyReportQuery,
  ReportFormatQuery,
  SerialReportQuery,
} from './dto/report-queries.dto';
import { ReportsService } from './reports.service';

const EXPORTERS = ['manufacturer', 'distributor', 'dispenser', 'regulator'] as const;

const FORMATS_DOC =
  'format=bundle: the evidence bundle (application/json, docs/PROTOCOL.md §9): every event with its signature and an ' +
  'inclusion proof against one signed checkpoint, the registry events that establish every signer’s keys, the units ' +
  'with their histories; `rxledger verify-bundle` checks it offline. format=epcis: EPCIS 2.0 JSON-LD. format=csv: ' +
  'one row per unit per event with the DSCSA transaction information. format=pdf: a report for people. ' +
  'Events newer than the checkpoint are left out; the RxLedger-Events-Excluded header says how many. ' +
  'Regulators may export any scope; other parties only their own history (403 otherwise). Every export is recorded.';

/** Normalises an RFC 3339 time to UTC with milliseconds, the form the scope is recorded and bundled in. */
const utc = (time: string) => {
  const ms = parseEventTime(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString();
};

@ApiTags('reports')
@Controller('v1/reports')
@ApiProduces('application/json', 'application/ld+json', 'text/csv', 'application/pdf')
@ApiOkResponse({ description: 'The report, as an attachment, streamed' })
@ApiForbiddenResponse({ description: 'Not a regulator, and not the caller’s own history' })
@ApiNotFoundResponse({ description: 'No such serial, lot, product or party' })
@ApiServiceUnavailableResponse({ description: 'No checkpoint yet, or too many exports running (Retry-After)' })
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('serial')
  @Auth(...EXPORTERS)
  @ApiOperation({ summary: 'Provenance of one unit (GTIN + serial): its whole history', description: FORMATS_DOC })
  serial(@CurrentPrincipal() me: Principal, @Query() q: SerialReportQuery, @Res() response: Response) {
    return this.reports.export(me, { kind: 'serial', gtin: q.gtin, serial: q.serial }, q.format, response);
  }

  @Get('lot')
  @Auth(...EXPORTERS)
  @ApiOperation({ summary: 'Provenance of a lot (GTIN + lot): every unit and its history', description: FORMATS_DOC })
  lot(@CurrentPrincipal() me: Principal, @Query() q: LotReportQuery, @Res() response: Response) {
    return this.reports.export(me, { kind: 'lot', gtin: q.gtin, lot: q.lot }, q.format, response);
  }

  @Get('gtin')
  @Auth(...EXPORTERS)
  @ApiOperation({
    summary: 'Events about units of a GTIN whose event time lies in [from, to), with the units they touched',
    description: FORMATS_DOC,
  })
  gtin(@CurrentPrincipal() me: Principal, @Query() q: GtinReportQuery, @Res() response: Response) {
    const scope = { kind: 'gtin' as const, gtin: q.gtin, from: utc(q.from), to: utc(q.to) };
    return this.reports.export(me, scope, q.format, response);
  }

  @Get('party')
  @Auth(...EXPORTERS)
  @ApiOperation({
    summary: 'Events naming a party whose event time lies in [from, to), with the units they touched',
    description: FORMATS_DOC,
  })
  party(@CurrentPrincipal() me: Principal, @Query() q: PartyReportQuery, @Res() response: Response) {
    const scope = { kind: 'party' as const, gln: q.gln, from: utc(q.from), to: utc(q.to) };
    return this.reports.export(me, scope, q.format, response);
  }

  @Get('alerts')
  @Auth(...EXPORTERS)
  @ApiOperation({
    summary:
      'Open alerts and investigations (quarantine, illegitimate product, shipment discrepancies, recalls) and ' +
      'suspicious verifications, with the histories of the units they concern',
    description: FORMATS_DOC,
  })
  alerts(@CurrentPrincipal() me: Principal, @Query() q: ReportFormatQuery, @Res() response: Response) {
    return this.reports.export(me, { kind: 'alerts' }, q.format, response);
  }

  @Get('exports')
  @Auth('regulator')
  @ApiProduces('application/json')
  @ApiOkResponse({ description: 'Exports, newest first: who, when, what scope and format, how many events' })
  @ApiOperation({ summary: 'The record of every report exported (append-only)' })
  exports(@Query() q: ExportsQuery) {
    return this.reports.list(q.requester, q.limit, q.offset);
  }
}
