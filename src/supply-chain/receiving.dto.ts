import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { IsGln } from '../common/gs1.validators';

/** `?shipper=<GLN>&shipmentId=<id>`: a shipment is named by its shipper and the shipper's id for it (PROTOCOL §7.2). */
export class ShipmentRefQuery {
  @ApiProperty({ example: '0614141000012' })
  @IsGln()
  shipper!: string;

  @ApiProperty({ example: 'ASN-2026-000123' })
  @Matches(/^[A-Za-z0-9._:/-]{1,64}$/, { message: '$property must be 1 to 64 characters from A-Z a-z 0-9 . _ : / -' })
  shipmentId!: string;
}
