import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { GlnParam } from '../parties/dto/party-params.dto';
import { created } from '../parties/parties.controller';
import { CustodianViewsController } from '../supply-chain/custodian-views.controller';
import { GrantPrefixDto } from './dto/manufacturer-bodies.dto';
import { PrefixGrantsService } from './prefix-grants.service';

/**
 * A manufacturer's home: its company prefixes, products and recalls, besides what every custodian sees.
 * Products, commissioning, packing and recalls are signed events posted to /v1/events.
 */
@ApiTags('manufacturers')
@Controller('v1/manufacturers/me')
@Auth('manufacturer')
export class ManufacturersController extends CustodianViewsController {
  @Get('prefixes')
  prefixes(@CurrentPrincipal() me: Principal) {
    return this.views.prefixes(me.gln);
  }

  @Get('products')
  products(@CurrentPrincipal() me: Principal) {
    return this.views.products(me.gln);
  }

  @Get('recalls')
  recalls(@CurrentPrincipal() me: Principal) {
    return this.views.recalls(me.gln);
  }
}

/** The operator grants GS1 company prefixes: logged as `prefix.grant` events it signs. */
@ApiTags('manufacturers')
@Controller('v1/manufacturers')
export class PrefixGrantsController {
  constructor(private readonly grants: PrefixGrantsService) {}

  @Post(':gln/prefixes')
  @Auth('operator')
  @ApiOperation({
    summary:
      'Grant a GS1 company prefix to a manufacturer (a prefix.grant event signed by the operator); 200 for a repeat',
  })
  async grantPrefix(
    @Param() { gln }: GlnParam,
    @Body() dto: GrantPrefixDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    return created(response, await this.grants.grant(gln, dto.prefix));
  }
}
