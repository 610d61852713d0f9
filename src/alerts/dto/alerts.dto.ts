import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsDateTime, IsGln, IsGs1Text, IsGtin14 } from '../../common/gs1.validators';
import { IsIntegerParam } from '../../common/validation';
import {
  ALERT_ACTIONS,
  ALERT_KINDS,
  ALERT_STATES,
  AlertAction,
  AlertKind,
  AlertSeverity,
  AlertState,
  ASSIGNEE_MAX,
  NOTE_MAX,
  SEVERITIES,
} from '../alert-rules';

/** The filters of the alert list and of its CSV export (the same ones). */
export class AlertFilterQuery {
  @ApiPropertyOptional({ enum: ALERT_KINDS, description: 'only alerts of this kind (the reason they are filed under)' })
  @IsOptional()
  @IsIn(ALERT_KINDS)
  kind?: AlertKind;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @IsOptional()
  @IsIn(SEVERITIES)
  severity?: AlertSeverity;

  @ApiPropertyOptional({ enum: ALERT_STATES })
  @IsOptional()
  @IsIn(ALERT_STATES)
  state?: AlertState;

  @ApiPropertyOptional({ description: 'only alerts this party scanned, or about its products' })
  @IsOptional()
  @IsGln()
  party?: string;

  @ApiPropertyOptional({ example: '00361234567890' })
  @IsOptional()
  @IsGtin14()
  gtin?: string;

  @ApiPropertyOptional({ description: 'the lot the log knows for the unit, or the lot the package printed' })
  @IsOptional()
  @IsGs1Text()
  lot?: string;

  @ApiPropertyOptional({ description: 'only alerts with a scan at or after this time (RFC 3339)' })
  @IsOptional()
  @IsDateTime()
  from?: string;

  @ApiPropertyOptional({ description: 'only alerts with a scan before this time (RFC 3339)' })
  @IsOptional()
  @IsDateTime()
  to?: string;
}

export class AlertListQuery extends AlertFilterQuery {
  @ApiPropertyOptional({ description: 'the `next` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @IsIntegerParam(1, 200)
  limit = 50;
}

export class AlertActionBody {
  @ApiProperty({ enum: ALERT_ACTIONS })
  @IsIn(ALERT_ACTIONS)
  action!: AlertAction;

  @ApiPropertyOptional({ description: `assign: the person or team (1 to ${ASSIGNEE_MAX} characters)` })
  @ValidateIf((body: AlertActionBody) => body.action === 'assign' || body.assignee !== undefined)
  @IsString()
  @Length(1, ASSIGNEE_MAX)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'assignee must not hold control characters (line breaks, tabs, …)' })
  assignee?: string;

  @ApiPropertyOptional({ description: `note: the text (required); other actions may carry one (1 to ${NOTE_MAX})` })
  @ValidateIf((body: AlertActionBody) => body.action === 'note' || body.note !== undefined)
  @IsString()
  @Length(1, NOTE_MAX)
  note?: string;
}
