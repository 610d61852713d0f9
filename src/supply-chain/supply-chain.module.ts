import { Module, OnModuleInit } from '@nestjs/common';
import { EventTypeRegistry } from '../ledger/event-type.registry';
import { LedgerModule } from '../ledger/ledger.module';
import { CustodyViewsRepository } from './custody-views.repository';
import { CustodyViewsService } from './custody-views.service';
import {
  ClearType,
  DecommissionType,
  DestroyType,
  IllegitimateType,
  PackType,
  QuarantineType,
  ReceiveType,
  ShipType,
  UnpackType,
} from './custody.event-types';
import { CustodyRepository } from './custody.repository';
import { CustodyStore } from './custody.store';
import { ReceivingController } from './receiving.controller';
import { ReceivingService } from './receiving.service';

/**
 * The custody domain every role shares: items, containers, shipments and holds; the rules of the custody events
 * (pack, unpack, ship, receive, decommission, destroy, quarantine, illegitimate, clear) and the views of
 * inventory, shipments and alerts. The role modules add their own event types and views on top.
 */
@Module({
  imports: [LedgerModule],
  controllers: [ReceivingController],
  providers: [CustodyRepository, CustodyViewsRepository, CustodyViewsService, ReceivingService],
  exports: [CustodyRepository, CustodyViewsService],
})
export class SupplyChainModule implements OnModuleInit {
  constructor(
    private readonly types: EventTypeRegistry,
    private readonly repository: CustodyRepository,
  ) {}

  onModuleInit(): void {
    this.types.registerStore(CustodyStore, () => new CustodyStore(this.repository));
    this.types.registerReadModel(
      'company_prefix',
      'product',
      'lot',
      'item_record',
      'item_membership',
      'shipment',
      'alert',
    );
    this.types.register(
      new PackType(),
      new UnpackType(),
      new ShipType(),
      new ReceiveType(),
      new DecommissionType(),
      new DestroyType(),
      new QuarantineType(),
      new IllegitimateType(),
      new ClearType(),
    );
  }
}
