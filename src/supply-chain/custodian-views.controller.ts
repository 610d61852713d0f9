import { Get, Injectable, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { CustodyViewsService } from './custody-views.service';
import { AlertsQuery, InventoryQuery, PageQuery, ShipmentsQuery } from './dto/view-queries.dto';

/**
 * The views every custodian's home needs, under its role's path (`/v1/<role>/me/...`): what I hold, what is on
 * its way to me, returns awaiting my verification, my open alerts. Role controllers extend it.
 */
// @Injectable only so that the compiler records the constructor's parameter types for the subclasses' injection.
@Injectable()
export abstract class CustodianViewsController {
  constructor(protected readonly views: CustodyViewsService) {}

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
  @ApiOperation({ summary: 'Shipments I sent' })
  outgoing(@CurrentPrincipal() me: Principal, @Query() query: ShipmentsQuery) {
    return this.views.outgoingShipments(me.gln, query.status, query);
  }

  @Get('returns')
  @ApiOperation({ summary: 'Returned units awaiting my verification before resale' })
  returns(@CurrentPrincipal() me: Principal, @Query() page: PageQuery) {
    return this.views.pendingReturns(me.gln, page);
  }

  @Get('alerts')
  @ApiOperation({ summary: 'My alerts: recalls of lots I hold, quarantines, illegitimate product, discrepancies' })
  alerts(@CurrentPrincipal() me: Principal, @Query() query: AlertsQuery) {
    return this.views.alerts(me, query.status, query.kind, query);
  }
}
