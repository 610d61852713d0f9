import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { GlnParam } from '../parties/dto/party-params.dto';
import { OperatorService } from '../parties/operator.service';
import { CustodyViewsService } from '../supply-chain/custody-views.service';
import { AlertsQuery, InventoryQuery } from '../supply-chain/dto/view-queries.dto';
import { GrantPrefixDto, PrefixGrantBody } from './dto/manufacturer-bodies.dto';

/**
 * Manufacturers: company prefixes (granted by the operator), products, inventory, recalls and alerts.
 * Products, commissioning, packing and recalls are signed events posted to /v1/events.
 */
@ApiTags('manufacturers')
@Controller('v1/manufacturers')
export class ManufacturersController {
  constructor(
    private readonly views: CustodyViewsService,
    private readonly operator: OperatorService,
  ) {}

  @Post(':gln/prefixes')
  @Auth('operator')
  @ApiOperation({
    summary: 'Grant a GS1 company prefix to a manufacturer (a prefix.grant event signed by the operator)',
  })
  async grantPrefix(@Param() { gln }: GlnParam, @Body() dto: GrantPrefixDto) {
    const body: PrefixGrantBody = { gln, prefix: dto.prefix };
    const receipt = await this.operator.submit(
      'prefix.grant',
      `prefix.grant:${dto.prefix}`,
      body,
      'PREFIX_ALREADY_GRANTED',
    );
    return { gln, prefix: dto.prefix, receipt };
  }

  @Get('me/prefixes')
  @Auth('manufacturer')
  prefixes(@CurrentPrincipal() me: Principal) {
    return this.views.prefixes(me.gln);
  }

  @Get('me/products')
  @Auth('manufacturer')
  products(@CurrentPrincipal() me: Principal) {
    return this.views.products(me.gln);
  }

  @Get('me/inventory')
  @Auth('manufacturer')
  @ApiOperation({ summary: 'Units I hold, by product, lot and expiry' })
  inventory(@CurrentPrincipal() me: Principal, @Query() query: InventoryQuery) {
    return this.views.inventory(me.gln, query);
  }

  @Get('me/recalls')
  @Auth('manufacturer')
  recalls(@CurrentPrincipal() me: Principal) {
    return this.views.recalls(me.gln);
  }

  @Get('me/alerts')
  @Auth('manufacturer')
  alerts(@CurrentPrincipal() me: Principal, @Query() query: AlertsQuery) {
    return this.views.alerts(me, query.status, query.kind, query);
  }
}
