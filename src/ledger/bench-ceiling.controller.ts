import { Body, Controller, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { LargeBody } from '../auth/request-body';

/**
 * The environment variable that mounts {@link BenchCeilingController}. `npm run bench:ingest` sets it on the server it
 * spawns; it is never set in production (docs/BENCHMARKS.md), and without it the route does not exist (404).
 */
export const BENCH_CEILING_ENV = 'RXLEDGER_BENCH_CEILING';

/** Whether this process mounts the bench's ceiling endpoint. */
export const benchCeilingEnabled = (): boolean => process.env[BENCH_CEILING_ENV] === '1';

/**
 * The ceiling of the one-event phase of bench:ingest (issue 12 §2): a trivial authenticated POST. It pays what every
 * request pays (HTTP, the bearer-token guard, the body read and JSON shape checks of a one-event POST, the answer)
 * and nothing of intake (no validation, canonicalisation, signature verification or transaction).
 */
@ApiExcludeController()
@Controller('v1/bench')
export class BenchCeilingController {
  @Post('ceiling')
  @Auth()
  @LargeBody()
  ceiling(@CurrentPrincipal() principal: Principal, @Body() body: Record<string, unknown>) {
    return {
      ok: true,
      party: principal.kind,
      fields: typeof body === 'object' && body !== null ? Object.keys(body).length : 0,
    };
  }
}
