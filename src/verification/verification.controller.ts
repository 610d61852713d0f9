import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { AuthError, ValidationError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Gs1Error } from '../gs1/errors';
import { parseYymmdd } from '../gs1/expiry';
import { normalizeGtin, validateLot, validateSerial } from '../gs1/identifiers';
import { DSCSA_PRODUCT_IDENTIFIER, parseProductCode, ProductCode } from '../gs1/product-code';
import { PageQuery } from '../supply-chain/dto/view-queries.dto';
import { LightweightQuery, RichVerifyQuery } from './dto/verify-query.dto';
import { Asked, Reason } from './verdict';
import { VerificationService } from './verification.service';

const REQUESTERS = ['manufacturer', 'distributor', 'dispenser', 'regulator'] as const;

@ApiTags('verification')
@Controller('v1/verify')
export class VerificationController {
  constructor(
    private readonly config: AppConfig,
    private readonly verification: VerificationService,
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
      'Suspicious verifications (unknown serial, mismatch, already dispensed, custody mismatch, illegitimate): a manufacturer sees those of its products, a regulator all',
  })
  alerts(@CurrentPrincipal() requester: Principal, @Query() page: PageQuery) {
    return this.verification.suspicious(requester.role === 'regulator' ? null : requester.gln, page.limit, page.offset);
  }

  @Get('checkConnectivity')
  @Auth(...REQUESTERS)
  @ApiOperation({ summary: 'GS1 Lightweight Messaging: connectivity check (echoes corrUUID, names the responder)' })
  checkConnectivity(@CurrentPrincipal() requester: Principal, @Query() query: LightweightQuery) {
    requireRequester(requester, query.reqGLN);
    return {
      verificationTimestamp: new Date().toISOString(),
      responderGLN: this.config.OPERATOR_GLN,
      corrUUID: query.corrUUID ?? randomUUID(),
      data: { verified: true },
    };
  }

  @Get('gtin/:gtin/lot/:lot/ser/:serial')
  @Auth(...REQUESTERS)
  @ApiOperation({ summary: 'GS1 US Lightweight Messaging Standard verification request (what VRS clients send)' })
  async lightweight(
    @CurrentPrincipal() requester: Principal,
    @Param('gtin') gtin: string,
    @Param('lot') lot: string,
    @Param('serial') serial: string,
    @Query() query: LightweightQuery,
  ) {
    requireRequester(requester, query.reqGLN);
    const asked = gs1Fields(() => ({
      gtin: normalizeGtin(gtin),
      serial: validateSerial(serial),
      lot: validateLot(lot),
      ...expiryOf(query.exp),
    }));
    const answer = await this.verification.verify(requester, asked, 'lightweight', { gtin, lot, serial, ...query });
    return {
      verificationTimestamp: answer.verifiedAt,
      responderGLN: answer.product?.manufacturer.gln ?? this.config.OPERATOR_GLN,
      corrUUID: query.corrUUID ?? randomUUID(),
      data: lightweightData(answer.reasons),
    };
  }
}

/** The requester named in reqGLN must be the party the credential belongs to. */
function requireRequester(requester: Principal, reqGLN: string | undefined): void {
  if (reqGLN !== undefined && reqGLN !== requester.gln) {
    throw AuthError.forbidden(`reqGLN ${reqGLN} is not the GLN of this credential (${requester.gln})`);
  }
}

/**
 * The Lightweight Messaging answer. `verified` says whether the product identifier is one the manufacturer
 * assigned and the package may be used; a recall alone keeps `verified: true` with `additionalInfo: "recalled"`.
 */
export function lightweightData(reasons: Reason[]): {
  verified: boolean;
  verificationFailureReason?: string;
  additionalInfo?: string;
} {
  const codes = new Set(reasons.map((r) => r.code));
  const recalled = codes.has('RECALLED') ? { additionalInfo: 'recalled' } : {};
  if (codes.has('UNKNOWN_GTIN') || codes.has('UNKNOWN_SERIAL')) {
    return { verified: false, verificationFailureReason: 'No_match_GTIN_Serial', ...recalled };
  }
  if (codes.has('LOT_MISMATCH') && codes.has('EXPIRY_MISMATCH')) {
    return { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot_Expiry', ...recalled };
  }
  if (codes.has('LOT_MISMATCH'))
    return { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Lot', ...recalled };
  if (codes.has('EXPIRY_MISMATCH')) {
    return { verified: false, verificationFailureReason: 'No_match_GTIN_Serial_Expiry', ...recalled };
  }
  const failing = reasons.filter((r) => r.severity === 'red' && r.code !== 'RECALLED');
  if (failing.length > 0) return { verified: false, verificationFailureReason: 'No_reason_provided', ...recalled };
  return { verified: true, ...recalled };
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

function expiryOf(exp: string | undefined): Pick<Asked, 'expiryCode' | 'expiry'> {
  if (exp === undefined) return {};
  return { expiryCode: exp, expiry: parseYymmdd(exp).date };
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
