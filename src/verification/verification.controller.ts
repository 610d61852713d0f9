import { Controller, Get, Headers, Param, Query } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { AuthError, ValidationError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Gs1Error } from '../gs1/errors';
import { parseYymmdd } from '../gs1/expiry';
import { normalizeGtin, validateGtin14, validateLot, validateSerial } from '../gs1/identifiers';
import { DSCSA_PRODUCT_IDENTIFIER, parseProductCode, ProductCode } from '../gs1/product-code';
import { PageQuery } from '../supply-chain/dto/view-queries.dto';
import { PartiesService } from '../parties/parties.service';
import { ConnectivityQuery, LightweightPath, LightweightQuery, RichVerifyQuery } from './dto/verify-query.dto';
import { lightweightData, VERSION_FORM, VERSION_HEADER } from './lightweight';
import { Asked } from './verdict';
import { VerificationError } from './verification.errors';
import { VerificationService } from './verification.service';

const REQUESTERS = ['manufacturer', 'distributor', 'dispenser', 'regulator'] as const;

@ApiTags('verification')
@Controller('v1/verify')
export class VerificationController {
  constructor(
    private readonly config: AppConfig,
    private readonly verification: VerificationService,
    private readonly parties: PartiesService,
  ) {}

  @Get()
  @Auth(...REQUESTERS)
  @ApiOperation({
    summary: 'Verify a package from whatever the scanner typed: verdict, reasons, product, status and log evidence',
  })
  rich(@CurrentPrincipal() requester: Principal, @Query() query: RichVerifyQuery) {
    const asked = askedFromQuery(query);
    return this.verification.verify(requester, asked, 'rich', { ...query });
  }

  @Get('alerts')
  @Auth('manufacturer', 'regulator')
  @ApiOperation({
    summary:
      'Suspicious verifications (unknown serial, mismatch, already dispensed, custody mismatch, illegitimate), one per ' +
      'scan: a manufacturer sees those of its products, a regulator all. Grouped per unit, filtered, keyset-paged and ' +
      'triaged: GET /v1/alerts (PROTOCOL.md §8.6)',
  })
  alerts(@CurrentPrincipal() requester: Principal, @Query() page: PageQuery) {
    return this.verification.suspicious(requester.role === 'regulator' ? null : requester.gln, page.limit, page.offset);
  }

  @Get('checkConnectivity')
  @Auth(...REQUESTERS)
  @ApiHeader({ name: VERSION_HEADER, required: false, description: 'the IG release the requester speaks, e.g. 1.3.0' })
  @ApiOperation({
    summary:
      'GS1 Lightweight Messaging: connectivity check (echoes corrUUID, names the responder: of the GTIN when given)',
  })
  async checkConnectivity(
    @CurrentPrincipal() requester: Principal,
    @Query() query: ConnectivityQuery,
    @Headers(VERSION_HEADER.toLowerCase()) version: string | string[] | undefined,
  ) {
    checkVersion(version);
    await this.requireRequester(requester, query.reqGLN);
    let responderGLN = this.config.OPERATOR_GLN;
    if (query.gtin !== undefined) {
      const manufacturer = await this.verification.responderOf(query.gtin);
      if (!manufacturer)
        throw new VerificationError('PRODUCT_UNKNOWN', `no manufacturer registered GTIN ${query.gtin}`);
      responderGLN = manufacturer;
    }
    return {
      verificationTimestamp: new Date().toISOString(),
      responderGLN,
      corrUUID: query.corrUUID ?? randomUUID(),
      data: { verified: true },
    };
  }

  @Get('gtin/:gtin/lot/:lot/ser/:serial')
  @Auth(...REQUESTERS)
  @ApiHeader({ name: VERSION_HEADER, required: false, description: 'the IG release the requester speaks, e.g. 1.3.0' })
  @ApiOperation({ summary: 'GS1 US Lightweight Messaging Standard verification request (what VRS clients send)' })
  async lightweight(
    @CurrentPrincipal() requester: Principal,
    @Param() path: LightweightPath,
    @Query() query: LightweightQuery,
    @Headers(VERSION_HEADER.toLowerCase()) version: string | string[] | undefined,
  ) {
    checkVersion(version);
    await this.requireRequester(requester, query.reqGLN);
    const asked = gs1Fields(() => ({
      gtin: validateGtin14(path.gtin),
      serial: validateSerial(path.serial),
      lot: validateLot(path.lot),
      ...expiryOf(query.exp),
    }));
    const answer = await this.verification.verify(requester, asked, 'lightweight', { ...path, ...query });
    return {
      verificationTimestamp: answer.verifiedAt,
      responderGLN: answer.product?.manufacturer.gln ?? this.config.OPERATOR_GLN,
      corrUUID: query.corrUUID ?? randomUUID(),
      data: lightweightData(answer.reasons),
    };
  }

  /**
   * The requester named in reqGLN must be the party the credential belongs to: a GLN no party holds is not
   * authenticated (401), another party's is forbidden (403).
   */
  private async requireRequester(requester: Principal, reqGLN: string): Promise<void> {
    if (reqGLN === requester.gln) return;
    if (!(await this.parties.find(reqGLN))) {
      throw new VerificationError('REQ_GLN_UNKNOWN', `reqGLN ${reqGLN} is not the GLN of any registered party`);
    }
    throw AuthError.forbidden(`reqGLN ${reqGLN} is not the GLN of this credential (${requester.gln})`);
  }
}

/** The GS1US-Version header, when sent, has the form of a release number. */
function checkVersion(version: string | string[] | undefined): void {
  if (version === undefined) return;
  if (typeof version !== 'string' || !VERSION_FORM.test(version)) {
    throw new ValidationError([
      { field: VERSION_HEADER, rule: 'matches', message: `${VERSION_HEADER} must be a release number such as 1.3.0` },
    ]);
  }
}

/** Runs GS1 parsing and turns its errors into VALIDATION_FAILED naming the field and the rule. */
function gs1Fields<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof Gs1Error) {
      throw new ValidationError([{ field: error.field, rule: error.rule, message: error.message }]);
    }
    throw error;
  }
}

/** The `exp` query parameter (YYMMDD, DD may be 00) and the last day it names; errors name `exp`. */
function expiryOf(exp: string | undefined): Pick<Asked, 'expiryCode' | 'expiry'> {
  if (exp === undefined) return {};
  try {
    return { expiryCode: exp, expiry: parseYymmdd(exp).date };
  } catch (error) {
    if (error instanceof Gs1Error)
      throw new ValidationError([{ field: 'exp', rule: error.rule, message: error.message }]);
    throw error;
  }
}

/** What to verify, from a scanned code (any form) or from separate fields. */
export function askedFromQuery(query: RichVerifyQuery): Asked {
  if (query.code !== undefined) {
    const code = gs1Fields(() => readScan(query.code!));
    if (!code.gtin || !code.serial) {
      throw new ValidationError([
        {
          field: code.gtin ? 'serial' : 'gtin',
          rule: 'missing',
          message: 'verification needs a unit: a GTIN (01) and a serial (21)',
        },
      ]);
    }
    return {
      gtin: code.gtin,
      serial: code.serial,
      ...(code.lot !== undefined ? { lot: code.lot } : {}),
      ...(code.expiry ? { expiryCode: code.expiry.yymmdd, expiry: code.expiry.date } : {}),
    };
  }
  if (query.gtin === undefined || query.serial === undefined) {
    throw new ValidationError([
      { field: 'code', rule: 'missing', message: 'give the scanned code, or at least gtin and serial' },
    ]);
  }
  return gs1Fields(() => ({
    gtin: normalizeGtin(query.gtin!),
    serial: validateSerial(query.serial!),
    ...(query.lot !== undefined ? { lot: validateLot(query.lot) } : {}),
    ...expiryOf(query.exp),
  }));
}

/**
 * A scan normally carries the whole DSCSA product identifier; reading it as such also settles most scans
 * whose GS separators were lost. A code with only GTIN and serial (a Digital Link, an EPC URN) is read as is.
 */
function readScan(input: string): ProductCode {
  try {
    return parseProductCode(input, { require: DSCSA_PRODUCT_IDENTIFIER });
  } catch (error) {
    if (error instanceof Gs1Error && error.rule === 'missing')
      return parseProductCode(input, { require: ['gtin', 'serial'] });
    throw error;
  }
}
