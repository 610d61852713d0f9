import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Matches, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

export class WaitQuery {
  @ApiPropertyOptional({
    description: 'wait until the event is in a signed checkpoint; the receipt then carries the proof',
  })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  wait?: boolean;
}

export class InclusionQuery {
  @ApiPropertyOptional({ description: 'leaf index (or give leafHash)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  index?: number;

  @ApiPropertyOptional({ description: 'leaf hash, standard base64 or hex' })
  @IsOptional()
  @Matches(/^([A-Za-z0-9+/]{43}=|[0-9a-f]{64})$/, {
    message: 'leafHash must be 32 bytes as standard base64 or lowercase hex',
  })
  leafHash?: string;

  @ApiPropertyOptional({ description: 'tree size (default: the latest checkpoint)' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  size?: number;
}

export class ConsistencyQuery {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  from!: number;

  @ApiPropertyOptional({ description: 'default: the latest checkpoint' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  to?: number;
}

export class IndexParam {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  index!: number;
}
