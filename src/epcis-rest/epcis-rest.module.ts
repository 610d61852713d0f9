import { Module } from '@nestjs/common';
import { LedgerModule } from '../ledger/ledger.module';
import { CaptureService } from './capture.service';
import { EpcisRestController } from './epcis-rest.controller';
import { EpcisRestRepository } from './epcis-rest.repository';
import { EventsService } from './events.service';

/** The EPCIS 2.0 REST binding (docs/PROTOCOL.md §12): capture, capture jobs, the events query. */
@Module({
  imports: [LedgerModule],
  controllers: [EpcisRestController],
  providers: [CaptureService, EventsService, EpcisRestRepository],
})
export class EpcisRestModule {}
