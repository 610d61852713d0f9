import { Module } from '@nestjs/common';
import { CheckpointService } from './checkpoint.service';
import { EventTypeRegistry } from './event-type.registry';
import { EventsController } from './events.controller';
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
  controllers: [EventsController, LogController],
  providers: [
    EventTypeRegistry,
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
