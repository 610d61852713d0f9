import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsString, Matches, ValidateNested } from 'class-validator';
import { EVENT_ID_PATTERN, EVENT_TIME_PATTERN, KEY_ID_PATTERN } from '../../protocol/event';
import { IsGln } from '../../common/gs1.validators';

/** The event object inside a signed event; `body` is validated by the event type. */
export class LedgerEventDto {
  @ApiProperty({ example: 'ship-2026-000123', description: 'client-chosen id, unique per actor' })
  @Matches(EVENT_ID_PATTERN, { message: 'event.id must be 1 to 128 characters from A-Z a-z 0-9 . _ : -' })
  id!: string;

  @ApiProperty({ example: 'ship' })
  @IsString()
  type!: string;

  @ApiProperty({ example: '0614141000005', description: 'GLN of the signing party' })
  @IsGln()
  actor!: string;

  @ApiProperty({ example: '3f2a9c0d1e4b5a69', description: 'hex of the first 8 bytes of SHA-256(public key)' })
  @Matches(KEY_ID_PATTERN, { message: 'event.keyId must be 16 lowercase hex characters' })
  keyId!: string;

  @ApiProperty({ example: '2026-11-23T10:00:00.000Z' })
  // The calendar check (no 30 February) is intake's EVENT_TIME_INVALID.
  @Matches(EVENT_TIME_PATTERN, { message: 'event.time must be an RFC 3339 date-time with a time zone' })
  time!: string;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  body!: Record<string, unknown>;
}

export class SignedEventDto {
  @ApiProperty({ type: LedgerEventDto })
  @IsObject()
  event!: Record<string, unknown>;

  @ApiProperty({ description: 'Ed25519 signature over "rxledger/event/v1\\n" || JCS(event), standard base64' })
  @IsString()
  signature!: string;
}

export class EventBatchDto {
  @ApiProperty({ type: [SignedEventDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000_000)
  @ValidateNested({ each: true })
  @Type(() => SignedEventDto)
  events!: SignedEventDto[];
}
