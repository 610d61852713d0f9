import { Controller, Get, HttpStatus, Logger, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { DATABASE_RETRY_AFTER_S } from '../database/database-unavailable';
import { IntegratorService } from '../ledger/integrator.service';
import { CheckpointService } from '../ledger/checkpoint.service';
import { LogService } from '../ledger/log.service';

/** An entry waiting longer than this (or 20 checkpoint intervals) for a checkpoint means integration has stalled. */
const STALL_MS = 10_000;

/**
 * What a primary without a synchronous standby does with commits: with `synchronous_standby_names` empty (Patroni's
 * non-strict mode) it acknowledges them alone; with it set (strict mode: `*`) they wait for a standby.
 */
const noSynchronousStandby = (names: string) =>
  names.trim() === ''
    ? 'the primary has no synchronous standby: commits are acknowledged on one database node only (OPERATIONS.md §11.3)'
    : 'the primary has no synchronous standby: commits wait until one is back (OPERATIONS.md §11.3)';

@ApiTags('health')
@Controller('v1/health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  /** The last health check's finding of no synchronous standby, if any (SYNCHRONOUS_STANDBY warn or required). */
  private unreplicated: string | undefined;
  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
    private readonly log: LogService,
    private readonly checkpoints: CheckpointService,
    private readonly integrator: IntegratorService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers; the log size and the age of the latest checkpoint' })
  async health(@Res({ passthrough: true }) response: Response) {
    try {
      const started = process.hrtime.bigint();
      const committed = await this.log.committedSize();
      const databaseMs = Number(process.hrtime.bigint() - started) / 1e6;
      let latest = this.checkpoints.latest();
      // This process learns of other processes' checkpoints by notification; ask the database before crying stall.
      if (committed > (latest?.size ?? 0)) latest = (await this.checkpoints.refresh()) ?? latest;
      const checkpointSize = latest?.size ?? 0;
      const unintegrated = committed - checkpointSize;
      const checkpointAgeMs = latest ? Date.now() - latest.createdAt.getTime() : null;
      const oldestWaitMs = unintegrated > 0 ? await this.log.oldestWaitMs(checkpointSize) : null;
      // An entry waiting much longer than the checkpoint interval: no process is integrating (or one halted).
      const stalled =
        oldestWaitMs !== null && oldestWaitMs > Math.max(STALL_MS, 20 * this.config.CHECKPOINT_INTERVAL_MS);
      const replication = this.config.SYNCHRONOUS_STANDBY === 'off' ? undefined : await this.replication();
      const unreplicated =
        replication?.synchronousStandbys === 0 ? [noSynchronousStandby(replication.synchronousStandbyNames)] : [];
      this.noteReplication(unreplicated[0]);
      const required = this.config.SYNCHRONOUS_STANDBY === 'required';
      const problems = [
        ...(required ? unreplicated : []),
        ...(this.integrator.isHalted
          ? [
              `integration halted, tiles and proofs withheld: ${this.integrator.haltMessage ?? 'the stored tree does not match its entries'}; run \`rxledger audit\``,
            ]
          : []),
        ...(stalled ? [`${unintegrated} entries wait for a checkpoint, the oldest for ${oldestWaitMs} ms`] : []),
      ];
      if (problems.length > 0) response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return {
        status: problems.length > 0 ? 'degraded' : 'ok',
        ...(problems.length > 0 ? { problems } : {}),
        ...(!required && unreplicated.length > 0 ? { warnings: unreplicated } : {}),
        database: {
          status: 'ok',
          latencyMs: Math.round(databaseMs * 100) / 100,
          ...(replication ? { replication } : {}),
        },
        log: {
          entries: committed,
          checkpointSize,
          unintegrated,
          oldestWaitMs,
          checkpointAgeMs,
          integratorHere: this.integrator.isIntegrator,
        },
      };
    } catch (error) {
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      this.logger.error(`health check: the database does not answer: ${(error as Error).message}`);
      return {
        status: 'unavailable',
        problems: ['the database does not answer; the process reconnects by itself'],
        database: { status: 'down' },
      };
    }
  }

  /**
   * The primary's synchronous replication, from PostgreSQL itself: `synchronous_standby_names` (Patroni sets it, and
   * empties it when no standby is left in non-strict mode) and the standbys `pg_stat_replication` lists as `sync` or
   * `quorum` and streaming. Reading `sync_state` takes `pg_monitor` (or a superuser); without it only the number of
   * replication connections is known, and a standby is counted as synchronous when the setting names any.
   */
  private async replication(): Promise<{
    synchronousStandbyNames: string;
    standbys: number;
    synchronousStandbys: number;
  }> {
    const [row] = await this.db.query<{ names: string; standbys: number; sync: number; visible: number }>(
      `SELECT current_setting('synchronous_standby_names') AS names,
              count(*)::int AS standbys,
              count(*) FILTER (WHERE sync_state IN ('sync', 'quorum') AND state = 'streaming')::int AS sync,
              count(sync_state)::int AS visible
         FROM pg_stat_replication`,
    );
    const named = row.names.trim() !== '';
    const synchronousStandbys = !named ? 0 : row.visible === row.standbys ? row.sync : row.standbys;
    return { synchronousStandbyNames: row.names, standbys: row.standbys, synchronousStandbys };
  }

  /** One log line when the primary loses its last synchronous standby, one when it has one again. */
  private noteReplication(problem: string | undefined): void {
    if (problem === this.unreplicated) return;
    const before = this.unreplicated;
    this.unreplicated = problem;
    if (problem) this.logger.warn(`${problem} (SYNCHRONOUS_STANDBY=${this.config.SYNCHRONOUS_STANDBY})`);
    else if (before) this.logger.log('the primary has a synchronous standby again');
  }

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers (no database call)' })
  live() {
    return { status: 'ok' };
  }
}
