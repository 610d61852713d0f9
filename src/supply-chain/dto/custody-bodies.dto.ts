import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsGln, IsItemCode } from '../../common/gs1.validators';

/** Most items one custody event may name (a commissioning event takes up to 100,000 serials). */
export const MAX_ITEMS_PER_EVENT = 10_000;
const SHIPMENT_ID = /^[A-Za-z0-9._:/-]{1,64}$/;

export const DECOMMISSION_REASONS = ['damaged', 'expired', 'sample', 'stolen', 'lost', 'recalled', 'other'] as const;
export const DESTROY_REASONS = ['damaged', 'expired', 'recalled', 'illegitimate', 'unsaleable', 'other'] as const;
export const ILLEGITIMATE_CLASSIFICATIONS = [
  'counterfeit',
  'diverted',
  'stolen',
  'intentionally-adulterated',
  'unfit-for-distribution',
  'fraudulent-transaction',
] as const;

class ItemsBody {
  @ApiProperty({ type: [String], example: ['(01)00361234567890(21)SN0001', '(00)106141411234567897'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS_PER_EVENT)
  @IsItemCode({ each: true })
  items!: string[];
}

/** `pack`: put units or containers into a container (an SSCC), creating it if new. */
export class PackBody {
  @ApiProperty({ example: '(00)106141411234567897' })
  @IsItemCode()
  @Matches(/^\(00\)/, { message: 'parent must be a container: (00)<SSCC-18>' })
  parent!: string;

  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS_PER_EVENT)
  @IsItemCode({ each: true })
  children!: string[];
}

/** `unpack`: take some (or, without `children`, all) items out of a container. */
export class UnpackBody {
  @IsItemCode()
  @Matches(/^\(00\)/, { message: 'parent must be a container: (00)<SSCC-18>' })
  parent!: string;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ITEMS_PER_EVENT)
  @IsItemCode({ each: true })
  children?: string[];
}

/** DSCSA transaction information that is not derived from the items and the parties. */
export class TransactionInfoDto {
  @ApiProperty({ example: '2026-11-23', description: 'transaction date' })
  @IsCalendarDate()
  date!: string;

  @ApiProperty({ example: '2026-11-23', description: 'date of shipment (if more than 24 h after the transaction)' })
  @IsCalendarDate()
  shipmentDate!: string;

  @ApiPropertyOptional({ example: 'PO-2026-1182' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  purchaseOrder?: string;

  @ApiPropertyOptional({ example: 'INV-88213' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  invoice?: string;
}

/** `ship`: from the custodian to a named party; the items (and everything in containers) go in transit. */
export class ShipBody extends ItemsBody {
  @ApiProperty({ example: 'ASN-2026-000123', description: "unique among the shipper's shipments" })
  @Matches(SHIPMENT_ID, { message: '$property must be 1 to 64 characters from A-Z a-z 0-9 . _ : / -' })
  shipmentId!: string;

  @ApiProperty({ example: '0614141000012' })
  @IsGln()
  recipient!: string;

  @ApiPropertyOptional({ enum: ['sale', 'return'], default: 'sale' })
  @IsOptional()
  @IsIn(['sale', 'return'])
  reason?: 'sale' | 'return';

  @ApiProperty({ type: TransactionInfoDto })
  @ValidateNested()
  @Type(() => TransactionInfoDto)
  transaction!: TransactionInfoDto;
}

/** `receive`: by the shipment's recipient, naming what actually arrived. */
export class ReceiveBody extends ItemsBody {
  @IsGln()
  shipper!: string;

  @Matches(SHIPMENT_ID, { message: '$property must be 1 to 64 characters from A-Z a-z 0-9 . _ : / -' })
  shipmentId!: string;
}

export class DispenseBody extends ItemsBody {}

export class DecommissionBody extends ItemsBody {
  @ApiProperty({ enum: DECOMMISSION_REASONS })
  @IsIn(DECOMMISSION_REASONS)
  reason!: (typeof DECOMMISSION_REASONS)[number];
}

export class DestroyBody extends ItemsBody {
  @ApiProperty({ enum: DESTROY_REASONS })
  @IsIn(DESTROY_REASONS)
  reason!: (typeof DESTROY_REASONS)[number];
}

export class QuarantineBody extends ItemsBody {
  @ApiProperty({ example: 'package seal broken' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class ClearBody extends ItemsBody {
  @ApiProperty({ example: 'investigation closed: product verified genuine' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class ContactDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  @IsOptional()
  @Matches(/^[0-9+() .-]{5,30}$/, { message: '$property must be a phone number' })
  phone?: string;

  @IsOptional()
  @IsEmail({}, { message: '$property must be an e-mail address' })
  email?: string;
}

/** The FDA Form 3911 fields of an illegitimate-product notification. */
export class Fda3911Dto {
  @ApiProperty({ enum: ['initial', 'follow-up', 'termination'] })
  @IsIn(['initial', 'follow-up', 'termination'])
  reportType!: 'initial' | 'follow-up' | 'termination';

  @ApiProperty({ enum: ILLEGITIMATE_CLASSIFICATIONS })
  @IsIn(ILLEGITIMATE_CLASSIFICATIONS)
  classification!: (typeof ILLEGITIMATE_CLASSIFICATIONS)[number];

  @IsString()
  @Length(1, 4000)
  description!: string;

  @ValidateNested()
  @Type(() => ContactDto)
  contact!: ContactDto;
}

export class IllegitimateBody extends ItemsBody {
  @ValidateNested()
  @Type(() => Fda3911Dto)
  report!: Fda3911Dto;
}
