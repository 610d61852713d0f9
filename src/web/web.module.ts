import { Module } from '@nestjs/common';
import { PartiesModule } from '../parties/parties.module';
import { SupplyChainModule } from '../supply-chain/supply-chain.module';
import { WebAssets } from './web-assets';
import { WebController } from './web.controller';

/**
 * The web pages (pharmacist scan, regulator reports, public log explorer), served by the application itself from
 * the build of `web/` (`npm run build` → dist/web). See web/README.md.
 */
@Module({
  imports: [PartiesModule, SupplyChainModule],
  controllers: [WebController],
  providers: [WebAssets],
})
export class WebModule {}
