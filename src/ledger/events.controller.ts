import { Body, Controller, HttpStatus, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { LargeBody } from '../auth/request-body';
import { AppError, ValidationError } from '../common/app-error';
import { validatePlain } from '../common/validation';
import { AppConfig } from '../config/app-config';
import { DATABASE_UNAVAILABLE, DatabaseUnavailableError } from '../database/database-unavailable';
import { EventBatchDto, SignedEventDto } from './dto/signed-event.dto';
import { WaitQuery } from './dto/log-queries.dto';
import { IntakeService } from './intake.service';
import { LedgerError } from './ledger.errors';
import { LogService } from './log.service';
import { Receipt } from './receipt';

/** How long `?wait=true` waits for a checkpoint before answering without the proof. */
const WAIT_MS = 10_000;

/**
 * Signed events are validated by intake, field by field, on the JSON exactly as received (the signature covers
 * those bytes). The bodies are therefore typed `Record<string, unknown>`: the global ValidationPipe leaves such
 * a parameter alone instead of deep-copying thousands of events through class-transformer. The DTO classes
 * still describe them in the OpenAPI document.
 */
type RawJson = Record<string, unknown>;

/**
 * `?wait`, validated as `WaitQuery` exactly as the global pipe would (the pipe has already applied the stored-text
 * rule to every query). Taken raw so that the common request, with no query, skips class-transformer and
 * class-validator (issue 12 §2: a one-event request paid that set-up, a batch member a five-hundredth of it).
 */
function waitOf(query: RawJson): boolean {
  return Object.keys(query).length > 0 && validatePlain(WaitQuery, query).wait === true;
}

/** The OpenAPI entry of `?wait` (the parameter is read raw, see `waitOf`). */
const WAIT_QUERY = {
  name: 'wait',
  required: false,
  type: Boolean,
  description: 'wait until the event is in a signed checkpoint; the receipt then carries the proof',
} as const;

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly config: AppConfig,
    private readonly intake: IntakeService,
    private readonly log: LogService,
  ) {}

  @Post()
  @Auth()
  @LargeBody()
  @ApiOperation({ summary: 'Submit one signed event; 201 with its receipt (200 if it was already logged)' })
  @ApiBody({ type: SignedEventDto })
  @ApiQuery(WAIT_QUERY)
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: RawJson,
    @Query() query: RawJson,
    @Res({ passthrough: true }) response: Response,
  ): Promise<Receipt> {
    const wait = waitOf(query);
    const [result] = await this.intake.submit(principal, [dto]);
    if (!result.accepted)
      throw new AppError(result.error.code, result.error.message, result.status, result.error.details);
    response.status(result.receipt.duplicate ? HttpStatus.OK : HttpStatus.CREATED);
    return wait ? (await this.log.attachProofs([result.receipt], WAIT_MS))[0] : result.receipt;
  }

  @Post('batch')
  @Auth()
  @LargeBody()
  @ApiOperation({
    summary: 'Submit many signed events, applied in order; each gets a receipt or a coded refusal',
  })
  @ApiBody({ type: EventBatchDto })
  @ApiQuery(WAIT_QUERY)
  async submitBatch(@CurrentPrincipal() principal: Principal, @Body() dto: RawJson, @Query() query: RawJson) {
    const wait = waitOf(query);
    if (typeof dto !== 'object' || dto === null) {
      throw new ValidationError([{ field: '(body)', rule: 'isObject', message: 'a batch is a JSON object {events}' }]);
    }
    const events = dto.events;
    const extra = Object.keys(dto).filter((key) => key !== 'events');
    if (extra.length > 0) {
      throw new ValidationError(
        extra.map((field) => ({ field, rule: 'whitelistValidation', message: `${field} is not an allowed field` })),
      );
    }
    if (!Array.isArray(events) || events.length === 0) {
      throw new ValidationError([
        { field: 'events', rule: 'arrayMinSize', message: 'events must be a non-empty array' },
      ]);
    }
    if (events.length > this.config.MAX_BATCH_EVENTS) {
      throw new LedgerError(
        'BATCH_TOO_LARGE',
        `a batch holds at most ${this.config.MAX_BATCH_EVENTS} events; this one has ${events.length}`,
      );
    }
    const results = await this.intake.submit(principal, events);
    const receipts = results.flatMap((r) => (r.accepted ? [r.receipt] : []));
    // Nothing logged because the database is away: the request as a whole is a 503 with Retry-After, so a client
    // that reads only the status sends the same batch again (refusals of the other events come back then).
    const away = results.some((r) => !r.accepted && r.error.code === DATABASE_UNAVAILABLE);
    if (receipts.length === 0 && away) throw new DatabaseUnavailableError('no event of the batch could be logged');
    const proven = wait ? await this.log.attachProofs(receipts, WAIT_MS) : receipts;
    // Pair receipts by position, not by index: the same event twice in a batch has one index but two receipts
    // (the first `duplicate: false`, the second `duplicate: true`).
    let next = 0;
    return {
      accepted: receipts.length,
      refused: results.length - receipts.length,
      results: results.map((r) =>
        r.accepted
          ? { accepted: true, receipt: proven[next++] }
          : { accepted: false, eventId: r.eventId, error: r.error },
      ),
    };
  }
}
