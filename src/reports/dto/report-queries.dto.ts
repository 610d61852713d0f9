import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsDateTime, IsGln, IsGs1Text, IsGtin14 } from '../../common/gs1.validators';
import { PageQuery } from '../../supply-chain/dto/view-queries.dto';
import { REPORT_FORMATS, ReportFormat } from '../report-scope';

export class ReportFormatQuery {
  @ApiPropertyOptional({
    enum: REPORT_FORMATS,
    default: 'bundle',
    description:
      'bundle: evidence bundle (JSON, verifiable offline); epcis: EPCIS 2.0 JSON-LD; epcis-xml: EPCIS 1.2 XML (GS1 US DSCSA guideline); csv: one row per item per event ' +
      'with the DSCSA transaction information; pdf: a report for people',
  })
  @IsOptional()
  @IsIn(REPORT_FORMATS)
  format: ReportFormat = 'bundle';
}

export class SerialReportQuery extends ReportFormatQuery {
  @ApiProperty({ example: '00361234567890' })
  @IsGtin14()
  gtin!: string;

  @ApiProperty({ example: 'SN000001' })
  @IsGs1Text()
  serial!: string;
}

export class LotReportQuery extends ReportFormatQuery {
  @ApiProperty({ example: '00361234567890' })
  @IsGtin14()
  gtin!: string;

  @ApiProperty({ example: 'LOT-A' })
  @IsGs1Text()
  lot!: string;
}

export class TimeWindowQuery extends ReportFormatQuery {
  @ApiProperty({ example: '2026-11-01T00:00:00Z', description: 'first event time included (RFC 3339)' })
  @IsDateTime()
  from!: string;

  @ApiProperty({
    example: '2026-12-01T00:00:00Z',
    description: 'end of the window, excluded: events whose time is at or after it are outside (RFC 3339)',
  })
  @IsDateTime()
  to!: string;
}

export class GtinReportQuery extends TimeWindowQuery {
  @ApiProperty({ example: '00361234567890' })
  @IsGtin14()
  gtin!: string;
}

export class PartyReportQuery extends TimeWindowQuery {
  @ApiProperty({ example: '0614141000012' })
  @IsGln()
  gln!: string;
}

export class ExportsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'only the exports of this party' })
  @IsOptional()
  @IsGln()
  requester?: string;
}
