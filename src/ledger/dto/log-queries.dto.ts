import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { IsIntegerParam } from '../../common/validation';

const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/** Indexes and tree sizes: 0 … 2^53 − 1 in form; the log then refuses what its tree does not have (§6.4). */
const INDEX = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

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
  @ApiPropertyOptional({ ...INDEX, description: 'leaf index (or give leafHash)' })
  @IsOptional()
  @IsIntegerParam(0)
  index?: number;

  @ApiPropertyOptional({ description: 'leaf hash, standard base64 or hex' })
  @IsOptional()
  @Matches(/^([A-Za-z0-9+/]{43}=|[0-9a-f]{64})$/, {
    message: 'leafHash must be 32 bytes as standard base64 or lowercase hex',
  })
  leafHash?: string;

  @ApiPropertyOptional({
    ...INDEX,
    description: 'tree size, 1 … the latest checkpoint’s (default: the latest); others are TREE_SIZE_INVALID',
  })
  @IsOptional()
  @IsIntegerParam(0)
  size?: number;
}

export class ConsistencyQuery {
  @ApiProperty({ ...INDEX, description: 'the older tree size' })
  @IsIntegerParam(0)
  from!: number;

  @ApiPropertyOptional({ ...INDEX, description: 'the newer tree size, at most the latest checkpoint’s (default)' })
  @IsOptional()
  @IsIntegerParam(0)
  to?: number;
}

export class IndexParam {
  @ApiProperty({ ...INDEX, description: 'leaf index' })
  @IsIntegerParam(0)
  index!: number;
}

/** A page of the stored checkpoints, newest first, keyset by tree size (the table's primary key serves it). */
export class CheckpointsQuery {
  @ApiPropertyOptional({ ...INDEX, description: 'only checkpoints of a smaller tree (the previous page’s last size)' })
  @IsOptional()
  @IsIntegerParam(0)
  before?: number;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsIntegerParam(1, 1000)
  limit = 100;
}
