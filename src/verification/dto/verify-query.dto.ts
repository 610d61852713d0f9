import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsEmail, IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsGln, IsGtin14 } from '../../common/gs1.validators';
import { CONTEXTS, LINK_TYPE } from '../lightweight';

/** A telephone number as people write one: 4 to 20 digits, optionally a leading +, spaces, ( ) . - between. */
const TELEPHONE = /^(?=(?:\D*\d){4,20}\D*$)\+?[\d ().-]{4,40}$/;

/** GET /v1/verify: a scanned code as typed by a scanner, or the product identifier's fields. */
export class RichVerifyQuery {
  @ApiPropertyOptional({
    description:
      'what the scanner typed or a person entered: GS1 element string (with or without ]d2, GS as 0x1D, <GS>, \\x1d, or lost), human-readable (01)…(21)…, GS1 Digital Link URI, or EPC URN',
    example: ']d2010036123456789021SN0001\u001d17291231\u001d10LOT-A',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  code?: string;

  @ApiPropertyOptional({ example: '00361234567890' })
  @IsOptional()
  @IsString()
  gtin?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  serial?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  lot?: string;

  @ApiPropertyOptional({ description: 'expiry YYMMDD' })
  @IsOptional()
  @IsString()
  exp?: string;
}

/**
 * What every GS1 US Lightweight Messaging request may carry besides the product identifier (IG 1.3): who asks and
 * why. See docs/PROTOCOL.md §8.1.
 */
export class LightweightRequester {
  @ApiProperty({ description: "the requester's GLN: the GLN of the credential", example: '0614141000029' })
  @IsDefined({ message: 'reqGLN is required' })
  @IsGln()
  reqGLN!: string;

  @ApiPropertyOptional({ description: 'correlation id, echoed (generated when absent)' })
  @IsOptional()
  @IsUUID('all', { message: 'corrUUID must be a UUID' })
  corrUUID?: string;

  @ApiPropertyOptional({ enum: [LINK_TYPE] })
  @IsOptional()
  @IsIn([LINK_TYPE], { message: `linkType must be ${LINK_TYPE}` })
  linkType?: string;

  @ApiPropertyOptional({ enum: CONTEXTS, description: 'why the requester verifies' })
  @IsOptional()
  @IsIn(CONTEXTS, { message: `context must be one of ${CONTEXTS.join(', ')}` })
  context?: (typeof CONTEXTS)[number];

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'the requester attests that it is in possession or control of the package',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'ctrlPossessAtt must be true or false' })
  ctrlPossessAtt?: 'true' | 'false';

  @ApiPropertyOptional({ description: "the requester's contact e-mail address" })
  @IsOptional()
  @Length(3, 254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email?: string;

  @ApiPropertyOptional({ description: "the requester's contact telephone number", example: '+1 609 555 0100' })
  @IsOptional()
  @Matches(TELEPHONE, { message: 'telephone must be a telephone number (digits, optionally +, spaces, ( ) . -)' })
  telephone?: string;
}

/** Query of the GS1 US Lightweight Messaging verification request. */
export class LightweightQuery extends LightweightRequester {
  @ApiPropertyOptional({ description: 'expiry as YYMMDD (DD may be 00); needed to release a saleable return' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'exp must be YYMMDD' })
  exp?: string;
}

/** Path of the verification request: GTIN-14, lot and serial as the package carries them. */
export class LightweightPath {
  @ApiProperty({ example: '00361234567890' })
  @IsGtin14()
  gtin!: string;

  @ApiProperty({ example: 'LOT-A' })
  @IsString()
  lot!: string;

  @ApiProperty({ example: 'SN0001' })
  @IsString()
  serial!: string;
}

/** Query of the connectivity check: a lookup directory routes on the GTIN. */
export class ConnectivityQuery extends LightweightRequester {
  @ApiPropertyOptional({ description: 'GTIN-14 whose responder is checked', example: '00361234567890' })
  @IsOptional()
  @IsGtin14()
  gtin?: string;
}
