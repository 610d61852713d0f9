import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { Receipt } from '../ledger/receipt';
import { AuthError, ValidationError } from '../common/app-error';
import { PARTY_ROLES, PartyRole } from '../protocol/registry';
import { AddKeyDto, IssueTokenDto, RegisterPartyDto, RevokeKeyDto } from './dto/party-requests.dto';
import { GlnParam, KeyIdParam, TokenParam } from './dto/party-params.dto';
import { PartiesService } from './parties.service';
import { TokensService } from './tokens.service';

@ApiTags('parties')
@Controller('v1/parties')
export class PartiesController {
  constructor(
    private readonly parties: PartiesService,
    private readonly tokens: TokensService,
  ) {}

  @Post()
  @Auth('operator')
  @ApiOperation({
    summary: 'Register a trading partner (a party.register event signed by the operator); 200 for a repeat',
  })
  async register(@Body() dto: RegisterPartyDto, @Res({ passthrough: true }) response: Response) {
    return created(response, await this.parties.register(dto));
  }

  @Get()
  @Auth()
  @ApiQuery({ name: 'role', required: false, enum: PARTY_ROLES })
  list(@Query('role') role?: string) {
    if (role !== undefined && !PARTY_ROLES.includes(role as PartyRole)) {
      throw new ValidationError([
        { field: 'role', rule: 'isIn', message: `role must be one of ${PARTY_ROLES.join(', ')}` },
      ]);
    }
    return this.parties.list(role as PartyRole | undefined);
  }

  @Get(':gln')
  @Auth()
  get(@Param() { gln }: GlnParam) {
    return this.parties.get(gln);
  }

  @Post(':gln/keys')
  @Auth('operator')
  @ApiOperation({ summary: "Add a public key to a partner (key rotation's first step); 200 for a repeat" })
  async addKey(@Param() { gln }: GlnParam, @Body() dto: AddKeyDto, @Res({ passthrough: true }) response: Response) {
    return created(response, await this.parties.addKey(gln, dto));
  }

  @Post(':gln/keys/:keyId/revoke')
  @HttpCode(200)
  @Auth('operator')
  @ApiOperation({ summary: 'Revoke a key as of a time: events it signs at or after then are refused' })
  revokeKey(@Param() { gln, keyId }: KeyIdParam, @Body() dto: RevokeKeyDto) {
    return this.parties.revokeKey(gln, keyId, dto.revokedAt);
  }

  @Post(':gln/tokens')
  @Auth('operator')
  @ApiOperation({
    summary: 'Issue an API token for a partner; the token is shown in this response only. Each call issues a new one',
  })
  async issueToken(@Param() { gln }: GlnParam, @Body() dto: IssueTokenDto) {
    await this.parties.get(gln);
    return this.tokens.issue(gln, dto.label);
  }

  @Get(':gln/tokens')
  @Auth()
  listTokens(@Param() { gln }: GlnParam, @CurrentPrincipal() principal: Principal) {
    if (principal.kind !== 'operator' && principal.gln !== gln)
      throw AuthError.forbidden("only the operator sees another party's tokens");
    return this.tokens.list(gln);
  }

  @Delete(':gln/tokens/:tokenId')
  @Auth('operator')
  @ApiOperation({ summary: 'Revoke an API token' })
  revokeToken(@Param() { gln, tokenId }: TokenParam) {
    return this.tokens.revoke(gln, tokenId);
  }
}

/** 201 for what the request logged, 200 for a repeat answered with the original receipt (docs/PROTOCOL.md §3.3). */
export function created<T extends { receipt: Receipt }>(response: Response, answer: T): T {
  response.status(answer.receipt.duplicate ? HttpStatus.OK : HttpStatus.CREATED);
  return answer;
}
