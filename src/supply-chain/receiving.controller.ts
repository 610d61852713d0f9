import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { ShipmentRefQuery } from './receiving.dto';
import { ReceivingService } from './receiving.service';

/** Receiving a shipment against its advance notice (the scan page's receiving mode, issue 13 §2). */
@ApiTags('receiving')
@Controller('v1/receiving')
@Auth('dispenser', 'distributor', 'manufacturer')
export class ReceivingController {
  constructor(private readonly receiving: ReceivingService) {}

  @Get('shipment')
  @ApiOperation({
    summary:
      'A shipment to (or from) me with everything it carries: the shipped items, each container with its contents',
  })
  shipment(@CurrentPrincipal() me: Principal, @Query() query: ShipmentRefQuery) {
    return this.receiving.expected(me.gln, query.shipper, query.shipmentId);
  }
}
