import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { CustodyViewsService } from '../supply-chain/custody-views.service';
import { AlertsQuery, InventoryQuery, PageQuery, ShipmentsQuery } from '../supply-chain/dto/view-queries.dto';

/** Distributors: shipments in and out, receipts, returns. Ship and receive are signed events posted to /v1/events. */
@ApiTags('distributors')
@Controller('v1/distributors/me')
@Auth('distributor')
export class DistributorsController {
  constructor(private readonly views: CustodyViewsService) {}

  @Get('inventory')
  @ApiOperation({ summary: 'Units I hold, by product, lot and expiry' })
  inventory(@CurrentPrincipal() me: Principal, @Query() query: InventoryQuery) {
    return this.views.inventory(me.gln, query);
  }

  @Get('shipments/incoming')
  @ApiOperation({ summary: 'Shipments to me (default: awaiting receipt)' })
  incoming(@CurrentPrincipal() me: Principal, @Query() query: ShipmentsQuery) {
    return this.views.incomingShipments(me.gln, query.status ?? 'in_transit', query);
  }

  @Get('shipments/outgoing')
  outgoing(@CurrentPrincipal() me: Principal, @Query() query: ShipmentsQuery) {
    return this.views.outgoingShipments(me.gln, query.status, query);
  }

  @Get('returns')
  @ApiOperation({ summary: 'Returned units awaiting my verification before resale' })
  returns(@CurrentPrincipal() me: Principal, @Query() page: PageQuery) {
    return this.views.pendingReturns(me.gln, page);
  }

  @Get('alerts')
  alerts(@CurrentPrincipal() me: Principal, @Query() query: AlertsQuery) {
    return this.views.alerts(me, query.status, query.kind, query);
  }
}
