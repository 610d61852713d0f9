import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateNested,
} from 'class-validator';
import { IsGln, IsDateTime } from '../../common/gs1.validators';
import { KEY_ID_PATTERN } from '../../protocol/event';
import { PARTY_ROLES, PartyRole } from '../../protocol/registry';

export const PUBLIC_KEY_PATTERN = /^[A-Za-z0-9+/]{43}=$/;
const PUBLIC_KEY_MESSAGE = '$property must be the standard base64 of a 32-byte Ed25519 public key';

export class PostalAddressDto {
  @ApiProperty({ example: '100 Main Street' })
  @IsString()
  @Length(1, 200)
  street!: string;

  @ApiProperty({ example: 'Springfield' })
  @IsString()
  @Length(1, 100)
  city!: string;

  @ApiPropertyOptional({ example: 'IL' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  region?: string;

  @ApiProperty({ example: '62701' })
  @IsString()
  @Length(1, 20)
  postalCode!: string;

  @ApiProperty({ example: 'US', description: 'ISO 3166-1 alpha-2' })
  @Matches(/^[A-Z]{2}$/, { message: '$property must be an ISO 3166-1 alpha-2 country code such as US' })
  country!: string;
}

/** Body of a `party.register` event (signed by the operator). */
export class PartyRegisterBodyDto {
  @ApiProperty({ example: '0614141000005' })
  @IsGln()
  gln!: string;

  @ApiProperty({ example: 'Acme Pharma Inc.' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: PARTY_ROLES })
  @IsIn(PARTY_ROLES)
  role!: PartyRole;

  @ApiProperty({ type: PostalAddressDto })
  @ValidateNested()
  @Type(() => PostalAddressDto)
  address!: PostalAddressDto;

  @ApiProperty({ type: [String], description: 'Ed25519 public keys, standard base64' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(16)
  @Matches(PUBLIC_KEY_PATTERN, { each: true, message: PUBLIC_KEY_MESSAGE })
  publicKeys!: string[];
}

/** A `key.add` of a browser's device key names the device and the person whose browser holds it (PROTOCOL §3.4). */
export class KeyDeviceDto {
  @IsUUID()
  id!: string;

  @IsString()
  @Length(1, 100)
  label!: string;

  @IsOptional()
  @IsUUID()
  person?: string;
}

/** Body of a `key.add` event. */
export class KeyAddBodyDto {
  @IsGln()
  gln!: string;

  @Matches(PUBLIC_KEY_PATTERN, { message: PUBLIC_KEY_MESSAGE })
  publicKey!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => KeyDeviceDto)
  device?: KeyDeviceDto;
}

/** Body of a `key.revoke` event. */
export class KeyRevokeBodyDto {
  @IsGln()
  gln!: string;

  @Matches(KEY_ID_PATTERN, { message: '$property must be 16 lowercase hex characters' })
  keyId!: string;

  @IsDateTime()
  revokedAt!: string;
}
