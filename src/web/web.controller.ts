import { Controller, Get, HttpStatus, Param, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { AppError, NotFoundError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { PartiesService } from '../parties/parties.service';
import { CustodyViewsService } from '../supply-chain/custody-views.service';
import { AlertsQuery } from '../supply-chain/dto/view-queries.dto';
import { PageName, PAGES, WebAssets, WebFile } from './web-assets';

/**
 * Pages: the same scripts everywhere, no inline code, so the policy allows scripts and styles from this origin
 * only. The camera is allowed for the scan page's DataMatrix reader; photos arrive as blob: URLs.
 */
const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Permissions-Policy': 'camera=(self), microphone=(), geolocation=()',
};

@ApiTags('web')
@Controller()
export class WebController {
  constructor(
    private readonly files: WebAssets,
    private readonly parties: PartiesService,
    private readonly views: CustodyViewsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiExcludeEndpoint()
  home(@Req() request: Request, @Res() response: Response): void {
    this.sendPage('index', request, response);
  }

  /** Who the bearer token or the session cookie belongs to: the pages show it after sign-in. */
  @Get('app/session')
  @Auth()
  @ApiOperation({
    summary: 'The caller: GLN, role and name of the party, and the signed-in person (the pages show it after sign-in)',
  })
  async session(@CurrentPrincipal() principal: Principal) {
    if (principal.kind === 'operator')
      return { gln: principal.gln, role: principal.role, name: this.config.OPERATOR_NAME };
    const party = await this.parties.get(principal.gln);
    return {
      gln: principal.gln,
      role: principal.role,
      name: party.name,
      ...(principal.person ? { person: principal.person } : {}),
    };
  }

  /** The regulator page's alert list: every party's alerts (the role endpoints show a party only its own). */
  @Get('app/alerts')
  @Auth('regulator')
  @ApiOperation({
    summary: 'Custody alerts of every party (quarantine, illegitimate, discrepancy, recall), for regulators',
  })
  alerts(@CurrentPrincipal() regulator: Principal, @Query() query: AlertsQuery) {
    return this.views.alerts(regulator, query.status, query.kind, query);
  }

  @Get('app/assets/:file')
  @Public()
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Req() request: Request, @Res() response: Response): void {
    const found = this.files.asset(file);
    if (!found) throw new NotFoundError(`no such file: /app/assets/${file}`);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Cache-Control', found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    send(found, request, response);
  }

  @Get('app/:page')
  @Public()
  @ApiExcludeEndpoint()
  page(@Param('page') page: string, @Req() request: Request, @Res() response: Response): void {
    if (!(PAGES as readonly string[]).includes(page) || page === 'index')
      throw new NotFoundError(`no such page: /app/${page}`);
    this.sendPage(page as PageName, request, response);
  }

  private sendPage(name: PageName, request: Request, response: Response): void {
    const found = this.files.page(name);
    if (!found) {
      throw new AppError(
        'PAGES_NOT_BUILT',
        `the web pages are not built: run \`npm run build\` (looked in ${this.files.dir})`,
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    for (const [header, value] of Object.entries(PAGE_SECURITY_HEADERS)) response.setHeader(header, value);
    // Revalidated on every load (a 304 costs a round trip, no bytes), so a new build is picked up at once.
    response.setHeader('Cache-Control', 'no-cache');
    send(found, request, response);
  }
}

/** Sends a file with its ETag (304 when the browser has it) in the best encoding the browser accepts. */
function send(file: WebFile, request: Request, response: Response): void {
  response.setHeader('ETag', file.etag);
  response.setHeader('Vary', 'Accept-Encoding');
  response.setHeader('Content-Type', file.type);
  if (request.headers['if-none-match'] === file.etag) {
    response.status(304).end();
    return;
  }
  const accepted = acceptedEncodings(request.headers['accept-encoding']);
  let body = file.body;
  if (file.brotli && accepted.has('br')) {
    response.setHeader('Content-Encoding', 'br');
    body = file.brotli;
  } else if (file.gzip && accepted.has('gzip')) {
    response.setHeader('Content-Encoding', 'gzip');
    body = file.gzip;
  }
  response.setHeader('Content-Length', body.length);
  response.status(200).end(request.method === 'HEAD' ? undefined : body);
}

/** Encodings named in Accept-Encoding without `q=0`. */
function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) accepted.add(name);
  }
  return accepted;
}
