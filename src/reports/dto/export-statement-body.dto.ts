import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsDateTime, IsGln } from '../../common/gs1.validators';
import { BUNDLE_FORMAT, ReportScope } from '../../protocol/bundle';
import { ExportStatementBody, ListDigest } from '../../protocol/export-statement';

const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
const SHA256_MESSAGE = '$property must be the standard base64 of a 32-byte SHA-256 digest';

export class ListDigestDto implements ListDigest {
  @ApiProperty({ example: 1200 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  count!: number;

  @ApiProperty({ description: 'SHA-256 of the list’s lines (docs/PROTOCOL.md §9), standard base64' })
  @Matches(SHA256_BASE64, { message: SHA256_MESSAGE })
  sha256!: string;
}

export class StatementCheckpointDto {
  @ApiProperty({ example: 1234 })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  size!: number;

  @ApiProperty({ description: 'the checkpoint’s root hash, standard base64' })
  @Matches(SHA256_BASE64, { message: SHA256_MESSAGE })
  rootHash!: string;
}

/** Body of an `export.statement` event (signed by the operator; src/protocol/export-statement.ts). */
export class ExportStatementBodyDto implements ExportStatementBody {
  @ApiProperty({ description: 'the export’s id (RxLedger-Export-Id)' })
  @IsUUID()
  exportId!: string;

  @ApiProperty({ example: BUNDLE_FORMAT })
  @IsIn([BUNDLE_FORMAT])
  format!: typeof BUNDLE_FORMAT;

  @ApiProperty({ description: 'the bundle’s scope, as it carries it' })
  @IsObject()
  scope!: ReportScope;

  @ApiProperty({ example: '0614141000005', description: 'GLN of the party the bundle was made for' })
  @IsGln()
  requester!: string;

  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' })
  @IsDateTime()
  generatedAt!: string;

  @ApiProperty({ type: StatementCheckpointDto })
  @ValidateNested()
  @Type(() => StatementCheckpointDto)
  checkpoint!: StatementCheckpointDto;

  @ApiProperty({ type: ListDigestDto, description: 'the log indexes of the bundle’s registry events' })
  @ValidateNested()
  @Type(() => ListDigestDto)
  registry!: ListDigestDto;

  @ApiProperty({ type: ListDigestDto, description: 'the log indexes of the bundle’s events (withheld ones too)' })
  @ValidateNested()
  @Type(() => ListDigestDto)
  events!: ListDigestDto;

  @ApiProperty({ type: ListDigestDto, description: 'the bundle’s items with their histories' })
  @ValidateNested()
  @Type(() => ListDigestDto)
  items!: ListDigestDto;
}
