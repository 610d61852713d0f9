import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorators';
import { CustodianViewsController } from '../supply-chain/custodian-views.controller';

/** Dispensers (pharmacies): receive, dispense, return, quarantine. Events are posted to /v1/events. */
@ApiTags('dispensers')
@Controller('v1/dispensers/me')
@Auth('dispenser')
export class DispensersController extends CustodianViewsController {}
