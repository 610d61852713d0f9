import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsObject, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PUBLIC_KEY_PATTERN } from '../parties/dto/registry-bodies.dto';
import { PERSON_ROLES, PersonRole } from './people.repository';

/** Shortest password taken (NIST SP 800-63B asks at least 8; a counter's shared screen argues for more). */
export const PASSWORD_MIN = 12;

/** POST /app/invitations, POST /v1/parties/:gln/invitations */
export class InviteDto {
  @ApiProperty({ example: 'pat@pharmacy.example' })
  @IsEmail()
  @Length(3, 254)
  email!: string;

  @ApiProperty({ example: 'Pat Doe' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiPropertyOptional({
    enum: PERSON_ROLES,
    description: 'default staff (the operator always invites an administrator)',
  })
  @IsOptional()
  @IsIn(PERSON_ROLES)
  role?: PersonRole;
}

/** POST /app/invitations/accept */
export class AcceptInvitationDto {
  @ApiProperty({ description: 'the invitation token from the link' })
  @IsString()
  @Length(10, 200)
  token!: string;

  @ApiPropertyOptional({ description: `at least ${PASSWORD_MIN} characters; omit to use a passkey only` })
  @IsOptional()
  @IsString()
  @Length(PASSWORD_MIN, 256)
  password?: string;
}

/** POST /app/signin */
export class SignInDto {
  @ApiProperty()
  @IsString()
  @Length(1, 254)
  email!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password!: string;
}

/** POST /app/passkeys/…: the answer to a WebAuthn ceremony started with …/options. */
export class PasskeyResponseDto {
  @ApiProperty({ description: 'the ceremony id the options came with' })
  @IsString()
  @Length(10, 100)
  ceremony!: string;

  @ApiProperty({ description: 'the browser’s PublicKeyCredential as JSON (@simplewebauthn/browser)' })
  @IsObject()
  response!: Record<string, unknown>;
}

/** POST /app/devices */
export class RegisterDeviceDto {
  @ApiProperty({ description: 'the browser’s Ed25519 public key, standard base64 of its 32 bytes' })
  @Matches(PUBLIC_KEY_PATTERN, { message: '$property must be the standard base64 of a 32-byte Ed25519 public key' })
  publicKey!: string;

  @ApiProperty({ example: 'front counter' })
  @IsString()
  @Length(1, 100)
  label!: string;
}

export class DeviceParam {
  @ApiProperty({ format: 'uuid', description: 'device id' })
  @IsUUID()
  id!: string;
}
