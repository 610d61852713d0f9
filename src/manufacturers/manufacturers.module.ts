import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { PartiesModule } from '../parties/parties.module';
import { SupplyChainModule } from '../supply-chain/supply-chain.module';
import {
  CommissionType,
  PrefixGrantType,
  ProductRegisterType,
  RecallLiftType,
  RecallType,
} from './manufacturer.event-types';
import { ManufacturersController, PrefixGrantsController } from './manufacturers.controller';
import { PrefixGrantsService } from './prefix-grants.service';

/** Manufacturers: company prefixes, products, commissioning, recalls. */
@Module({
  imports: [LedgerModule, PartiesModule, SupplyChainModule],
  controllers: [ManufacturersController, PrefixGrantsController],
  providers: [PrefixGrantsService],
})
export class ManufacturersModule implements OnModuleInit {
  constructor(private readonly types: EventTypeRegistry) {}

  onModuleInit(): void {
    this.types.register(
      new PrefixGrantType(),
      new ProductRegisterType(),
      new CommissionType(),
      new RecallType(),
      new RecallLiftType(),
    );
  }
}
