import { Module } from '@nestjs/common';
import { BenchCeilingController, benchCeilingEnabled } from './bench-ceiling.controller';
import { CheckpointService } from './checkpoint.service';
import { EventTypeRegistry } from './event-type.registry';
import { EventsController } from './events.controller';
import { IntakePool } from './intake-pool';
import { IntakeService } from './intake.service';
import { IntegratorService } from './integrator.service';
import { LogSignals } from './log-signals';
import { LogController } from './log.controller';
import { LogRepository } from './log.repository';
import { LogService } from './log.service';
import { RebuildService } from './rebuild.service';
import { TreeService } from './tree.service';

/** The core: signed-event intake, sequencing, the Merkle log, checkpoints and proofs. */
@Module({
  // The bench's ceiling endpoint only when the bench asks for it (RXLEDGER_BENCH_CEILING=1; docs/BENCHMARKS.md).
  controllers: [EventsController, LogController, ...(benchCeilingEnabled() ? [BenchCeilingController] : [])],
  providers: [
    EventTypeRegistry,
    IntakePool,
    IntakeService,
    IntegratorService,
    CheckpointService,
    LogRepository,
    LogService,
    LogSignals,
    RebuildService,
    TreeService,
  ],
  exports: [
    EventTypeRegistry,
    IntakeService,
    LogService,
    CheckpointService,
    TreeService,
    LogRepository,
    LogSignals,
    RebuildService,
    IntegratorService,
  ],
})
export class LedgerModule {}
