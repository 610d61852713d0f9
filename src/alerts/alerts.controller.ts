import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { AlertsService } from './alerts.service';
import { AlertActionBody, AlertFilterQuery, AlertListQuery } from './dto/alerts.dto';

const VIEWERS = ['manufacturer', 'distributor', 'dispenser', 'regulator'] as const;

/** Verification alerts to triage (issue 13 §4, docs/PROTOCOL.md §8.6). */
@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Auth(...VIEWERS)
  @ApiOperation({
    summary:
      'Verification alerts, repeated scans of one unit grouped (count, first and last seen), with severity and triage ' +
      'state; filtered; newest first, keyset-paged (`next`). A regulator sees all; a party those of its own scans ' +
      '(a manufacturer also of its products)',
  })
  list(@CurrentPrincipal() me: Principal, @Query() query: AlertListQuery) {
    return this.alerts.list(me, query, query.cursor, query.limit);
  }

  @Get('csv')
  @Auth(...VIEWERS)
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'The filtered alert list (every page) as CSV, streamed: the same fields as the list' })
  csv(@CurrentPrincipal() me: Principal, @Query() query: AlertFilterQuery, @Res() response: Response) {
    return this.alerts.exportCsv(me, query, response);
  }

  @Get(':id')
  @Auth(...VIEWERS)
  @ApiOperation({ summary: 'One alert: its latest scans, and for a regulator its triage history and allowed actions' })
  get(@CurrentPrincipal() me: Principal, @Param('id') id: string) {
    return this.alerts.get(me, id);
  }

  @Post(':id/actions')
  @Auth('regulator')
  @ApiOperation({
    summary:
      'Acknowledge, assign, note, close or reopen an alert (appended to its history with who and when); refused ' +
      'with ALERT_TRANSITION_REFUSED when its state does not allow the action',
  })
  act(@CurrentPrincipal() me: Principal, @Param('id') id: string, @Body() body: AlertActionBody) {
    return this.alerts.act(me, id, body);
  }
}
