import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorators';
import { CustodianViewsController } from '../supply-chain/custodian-views.controller';

/** Distributors: shipments in and out, receipts, returns. Ship and receive are signed events posted to /v1/events. */
@ApiTags('distributors')
@Controller('v1/distributors/me')
@Auth('distributor')
export class DistributorsController extends CustodianViewsController {}
