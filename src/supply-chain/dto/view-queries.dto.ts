import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsGs1Text, IsGtin14 } from '../../common/gs1.validators';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;

export class PageQuery {
  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 100;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  offset = 0;
}

export class InventoryQuery {
  @IsOptional()
  @IsGtin14()
  gtin?: string;

  @IsOptional()
  @IsGs1Text()
  lot?: string;
}

export class ShipmentsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['in_transit', 'received'] })
  @IsOptional()
  @IsIn(['in_transit', 'received'])
  status?: 'in_transit' | 'received';
}

export class AlertsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['open', 'closed'], default: 'open' })
  @IsOptional()
  @IsIn(['open', 'closed'])
  status?: 'open' | 'closed' = 'open';

  @ApiPropertyOptional({ enum: ['discrepancy', 'quarantine', 'illegitimate', 'recall'] })
  @IsOptional()
  @IsIn(['discrepancy', 'quarantine', 'illegitimate', 'recall'])
  kind?: string;
}
