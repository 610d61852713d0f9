import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { applyDecorators } from '@nestjs/common';
import { PartyRole } from '../protocol/registry';
import { Principal } from './principal';

export const PUBLIC_KEY = 'rxledger:public';
export const ROLES_KEY = 'rxledger:roles';

/** No credential needed (tiles, checkpoints, health). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** A bearer token is needed; with roles, only those roles may call (the operator only where listed). */
export const Auth = (...roles: PartyRole[]) => applyDecorators(ApiBearerAuth(), SetMetadata(ROLES_KEY, roles));

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<{ principal: Principal }>().principal,
);
