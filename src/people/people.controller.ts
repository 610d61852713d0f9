import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { GlnParam } from '../parties/dto/party-params.dto';
import { PartiesService } from '../parties/parties.service';
import { TooManyAuthFailuresError } from '../parties/tokens.service';
import { DevicesService, PartyPrincipal, partyPrincipal } from './devices.service';
import { PasskeysService } from './passkeys.service';
import {
  AcceptInvitationDto,
  DeviceParam,
  InviteDto,
  PasskeyResponseDto,
  RegisterDeviceDto,
  SignInDto,
} from './people.dto';
import { PeopleError } from './people.errors';
import { PeopleRepository, PersonRow } from './people.repository';
import { PeopleService } from './people.service';
import { SessionsService } from './sessions.service';

/**
 * People, their sessions, passkeys and browsers' device keys (PROTOCOL §3.4). The pages call these with the session
 * cookie (and its CSRF token); the operator bootstraps a party's first administrator with its token.
 */
@ApiTags('people')
@Controller()
export class PeopleController {
  constructor(
    private readonly people: PeopleService,
    private readonly repository: PeopleRepository,
    private readonly sessions: SessionsService,
    private readonly passkeys: PasskeysService,
    private readonly devices: DevicesService,
    private readonly parties: PartiesService,
  ) {}

  @Post('v1/parties/:gln/invitations')
  @Auth('operator')
  @ApiOperation({ summary: "Invite a party's administrator (the operator bootstraps each party's first person)" })
  inviteAdministrator(@Param() { gln }: GlnParam, @Body() dto: InviteDto, @CurrentPrincipal() operator: Principal) {
    return this.people.invite(gln, dto, operator);
  }

  @Post('app/invitations')
  @Auth()
  @ApiOperation({ summary: 'An administrator invites a person into their party (single-use link, 7 days)' })
  invite(@Body() dto: InviteDto, @CurrentPrincipal() principal: Principal) {
    const admin = administrator(principal);
    return this.people.invite(admin.gln, dto, admin);
  }

  @Get('app/invitations')
  @Auth()
  @ApiOperation({ summary: "The party's pending invitations (for administrators)" })
  async invitations(@CurrentPrincipal() principal: Principal) {
    return (await this.people.directory(administrator(principal).gln)).invitations;
  }

  @Get('app/directory')
  @Auth()
  @ApiOperation({ summary: "The party's people (with their verification counts) and pending invitations" })
  directory(@CurrentPrincipal() principal: Principal) {
    return this.people.directory(administrator(principal).gln);
  }

  @Post('app/invitations/accept')
  @Public()
  @ApiOperation({ summary: 'Accept an invitation (optionally setting a password); signs the new person in' })
  async accept(
    @Body() dto: AcceptInvitationDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    return this.signedIn(await this.people.accept(dto), request, response);
  }

  @Post('app/session')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Sign in with email and password: sets the session cookie and answers the CSRF token' })
  async signIn(@Body() dto: SignInDto, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    try {
      return this.signedIn(await this.people.signIn(dto, request.ip ?? 'unknown'), request, response);
    } catch (error) {
      if (error instanceof TooManyAuthFailuresError) response.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
  }

  @Delete('app/session')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: 'Sign out: the session is revoked on the server and its cookies cleared' })
  async signOut(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    // Needs the CSRF token like any state change made with the cookie (a forged sign-out is a nuisance too).
    await this.sessions.authenticate(request).catch((error: Error) => {
      if (error instanceof PeopleError && error.code === 'CSRF_TOKEN_INVALID') throw error;
    });
    await this.sessions.end(request);
    this.sessions.clearCookies(request, response);
  }

  @Post('app/passkeys/options')
  @HttpCode(200)
  @Auth()
  @ApiOperation({ summary: 'Options for registering a passkey for the signed-in person' })
  async passkeyOptions(@CurrentPrincipal() principal: Principal, @Req() request: Request) {
    const person = await this.personOf(principal);
    return this.passkeys.registrationOptions(person, request);
  }

  @Get('app/passkeys')
  @Auth()
  @ApiOperation({ summary: "The signed-in person's passkeys (credential id, transports, when added)" })
  async listPasskeys(@CurrentPrincipal() principal: Principal) {
    return this.repository.passkeysListed((await this.personOf(principal)).id);
  }

  @Post('app/passkeys')
  @Auth()
  @ApiOperation({ summary: "Register the browser's answer as a passkey of the signed-in person" })
  async registerPasskey(
    @Body() dto: PasskeyResponseDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: Request,
  ) {
    const person = await this.personOf(principal);
    return this.passkeys.register(person.id, dto.ceremony, dto.response, request);
  }

  @Post('app/session/passkey/options')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Options for signing in with a passkey (any passkey of this site: no email asked)' })
  passkeySignInOptions(@Req() request: Request) {
    return this.passkeys.authenticationOptions(request);
  }

  @Post('app/session/passkey')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: 'Sign in with a passkey: sets the session cookie and answers the CSRF token' })
  async passkeySignIn(
    @Body() dto: PasskeyResponseDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const personId = await this.passkeys.authenticate(dto.ceremony, dto.response, request);
    return this.signedIn((await this.repository.person(personId))!, request, response);
  }

  @Post('app/devices')
  @Auth()
  @ApiOperation({
    summary: "Register this browser's Ed25519 public key as a key of the party (operator-signed key.add naming it)",
  })
  registerDevice(@Body() dto: RegisterDeviceDto, @CurrentPrincipal() principal: Principal) {
    return this.devices.register(partyPrincipal(principal), dto);
  }

  @Get('app/devices')
  @Auth()
  @ApiOperation({ summary: "The party's devices: key, label, person, when added and revoked (log indexes)" })
  listDevices(@CurrentPrincipal() principal: Principal) {
    return this.devices.list(partyPrincipal(principal).gln);
  }

  @Delete('app/devices/:id')
  @Auth()
  @ApiOperation({ summary: "Revoke a device's key now (operator-signed key.revoke): its later events are refused" })
  revokeDevice(@Param() { id }: DeviceParam, @CurrentPrincipal() principal: Principal) {
    return this.devices.revoke(partyPrincipal(principal), id);
  }

  private async signedIn(person: PersonRow, request: Request, response: Response) {
    const session = await this.sessions.start(person.id);
    this.sessions.setCookies(request, response, session);
    const party = await this.parties.get(person.gln);
    return {
      person: { id: person.id, name: person.name, email: person.email, role: person.role },
      party: { gln: party.gln, name: party.name, role: party.role },
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt.toISOString(),
    };
  }

  private async personOf(principal: Principal): Promise<PersonRow> {
    const person = principal.kind === 'party' ? principal.person : undefined;
    if (!person) throw new PeopleError('ROLE_REQUIRED', 'this is for a signed-in person, not an API token');
    return (await this.repository.person(person.id))!;
  }
}

/** The caller, when a signed-in administrator of their party; ROLE_REQUIRED otherwise. */
function administrator(principal: Principal): PartyPrincipal {
  if (principal.kind !== 'party' || principal.person?.role !== 'administrator') {
    throw new PeopleError(
      'ROLE_REQUIRED',
      "this needs a signed-in administrator of the party (person role 'administrator')",
    );
  }
  return principal;
}
