import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsGln, IsGs1Text, IsGtin14, IsYymmdd } from '../../common/gs1.validators';

/** Most serials one commissioning event may carry. */
export const MAX_SERIALS_PER_EVENT = 100_000;

/** `prefix.grant` (operator): a GS1 company prefix now belongs to a manufacturer. */
export class PrefixGrantBody {
  @IsGln()
  gln!: string;

  @ApiProperty({ example: '0361234', description: 'GS1 company prefix, 6 to 12 digits' })
  @Matches(/^\d{6,12}$/, { message: '$property must be a GS1 company prefix of 6 to 12 digits' })
  prefix!: string;
}

/** POST /v1/manufacturers/:gln/prefixes */
export class GrantPrefixDto {
  @ApiProperty({ example: '0361234', description: 'GS1 company prefix, 6 to 12 digits' })
  @Matches(/^\d{6,12}$/, { message: '$property must be a GS1 company prefix of 6 to 12 digits' })
  prefix!: string;
}

/** `product.register` (manufacturer holding the GTIN's company prefix). */
export class ProductRegisterBody {
  @ApiProperty({ example: '00361234567890' })
  @IsGtin14()
  gtin!: string;

  @ApiPropertyOptional({
    example: '3612345678',
    description: '10-digit NDC (derived from the GTIN when it carries one)',
  })
  @IsOptional()
  @Matches(/^\d{10}$/, { message: '$property must be the 10-digit NDC without hyphens' })
  ndc?: string;

  @ApiProperty({ example: 'Amoxicillin' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ example: '500 mg' })
  @IsString()
  @Length(1, 100)
  strength!: string;

  @ApiProperty({ example: 'capsule' })
  @IsString()
  @Length(1, 100)
  dosageForm!: string;

  @ApiProperty({ example: '100 capsules' })
  @IsString()
  @Length(1, 100)
  containerSize!: string;
}

/** `commission`: serials of one GTIN and lot come into existence, held by the manufacturer. */
export class CommissionBody {
  @IsGtin14()
  gtin!: string;

  @ApiProperty({ example: 'LOT2026A' })
  @IsGs1Text()
  lot!: string;

  @ApiProperty({ example: '281231', description: 'YYMMDD as printed (GS1 AI 17); DD = 00 means the end of the month' })
  @IsYymmdd()
  expiry!: string;

  @ApiProperty({ type: [String], example: ['SN0001', 'SN0002'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SERIALS_PER_EVENT)
  @IsGs1Text({ each: true })
  serials!: string[];
}

/** `recall` / `recall-lift`: by the product's manufacturer, for lots of one GTIN. */
export class RecallBody {
  @IsGtin14()
  gtin!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsGs1Text({ each: true })
  lots!: string[];

  @ApiProperty({ example: 'sub-potent: assay below specification' })
  @IsString()
  @Length(1, 1000)
  reason!: string;

  @ApiPropertyOptional({ enum: ['I', 'II', 'III'], description: 'FDA recall class' })
  @IsOptional()
  @IsIn(['I', 'II', 'III'])
  classification?: 'I' | 'II' | 'III';
}

export class RecallLiftBody {
  @IsGtin14()
  gtin!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsGs1Text({ each: true })
  lots!: string[];

  @IsString()
  @Length(1, 1000)
  reason!: string;
}
