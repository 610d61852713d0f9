import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { IsGln } from '../../common/gs1.validators';

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

/** Query of the GS1 US Lightweight Messaging verification request. */
export class LightweightQuery {
  @ApiPropertyOptional({ description: 'expiry as YYMMDD' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'exp must be YYMMDD' })
  exp?: string;

  @ApiPropertyOptional({ description: 'correlation id, echoed (generated when absent)' })
  @IsOptional()
  @IsUUID('all', { message: 'corrUUID must be a UUID' })
  corrUUID?: string;

  @ApiPropertyOptional({ description: "the requester's GLN; must be the GLN of the credential" })
  @IsOptional()
  @IsGln()
  reqGLN?: string;

  @ApiPropertyOptional({ enum: ['verificationService'] })
  @IsOptional()
  @IsIn(['verificationService'])
  linkType?: string;

  @ApiPropertyOptional({
    enum: ['dscsaSaleableReturn', 'dscsaSuspect', 'dscsaIllegitimate', 'dscsaStatusCheck', 'dscsaException'],
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  context?: string;
}
