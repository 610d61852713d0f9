import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsGs1Text, IsGtin14 } from '../../common/gs1.validators';
import { IsIntegerParam } from '../../common/validation';

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsIntegerParam(1, 1000)
  limit = 100;

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsOptional()
  @IsIntegerParam(0)
  offset = 0;
}

export class InventoryQuery {
  @ApiPropertyOptional({ example: '00361234567890', description: 'only units of this GTIN' })
  @IsOptional()
  @IsGtin14()
  gtin?: string;

  @ApiPropertyOptional({ example: 'LOT2026A', description: 'only units of this lot' })
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
