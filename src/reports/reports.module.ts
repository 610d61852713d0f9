import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { PartiesModule } from '../parties/parties.module';
import { ExportStatementType } from './export-statement.event-type';
import { ReportsController } from './reports.controller';
import { ReportsRepository } from './reports.repository';
import { ReportsService } from './reports.service';

/** Provenance reports for regulators and, for their own history, for every trading partner. */
@Module({
  imports: [LedgerModule, PartiesModule],
  controllers: [ReportsController],
  providers: [ReportsService, ReportsRepository],
})
export class ReportsModule implements OnModuleInit {
  constructor(private readonly types: EventTypeRegistry) {}

  onModuleInit(): void {
    this.types.register(new ExportStatementType());
  }
}
