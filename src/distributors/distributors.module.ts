import { Module } from '@nestjs/common';
import { SupplyChainModule } from '../supply-chain/supply-chain.module';
import { DistributorsController } from './distributors.controller';

/** Distributors: their views; their events (ship, receive, pack, returns) are the shared custody events. */
@Module({ imports: [SupplyChainModule], controllers: [DistributorsController] })
export class DistributorsModule {}
