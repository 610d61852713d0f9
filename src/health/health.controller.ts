import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { Database } from '../database/database';
import { CheckpointService } from '../ledger/checkpoint.service';
import { LogService } from '../ledger/log.service';

@ApiTags('health')
@Controller('v1/health')
export class HealthController {
  constructor(
    private readonly db: Database,
    private readonly log: LogService,
    private readonly checkpoints: CheckpointService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers; the log size and the age of the latest checkpoint' })
  async health(@Res({ passthrough: true }) response: Response) {
    try {
      const started = process.hrtime.bigint();
      const committed = await this.log.committedSize();
      const databaseMs = Number(process.hrtime.bigint() - started) / 1e6;
      const latest = this.checkpoints.latest();
      return {
        status: 'ok',
        database: { status: 'ok', latencyMs: Math.round(databaseMs * 100) / 100 },
        log: {
          entries: committed,
          checkpointSize: latest?.size ?? 0,
          unintegrated: committed - (latest?.size ?? 0),
          checkpointAgeMs: latest ? Date.now() - latest.createdAt.getTime() : null,
        },
      };
    } catch (error) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'unavailable', database: { status: 'down', error: (error as Error).message } };
    }
  }

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers (no database call)' })
  live() {
    return { status: 'ok' };
  }
}
