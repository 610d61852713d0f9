import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { SupplyChainModule } from '../supply-chain/supply-chain.module';
import { DispenseType } from './dispense.event-type';
import { DispensersController } from './dispensers.controller';

@Module({ imports: [LedgerModule, SupplyChainModule], controllers: [DispensersController] })
export class DispensersModule implements OnModuleInit {
  constructor(private readonly types: EventTypeRegistry) {}

  onModuleInit(): void {
    this.types.register(new DispenseType());
  }
}
