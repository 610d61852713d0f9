import { IsDateTime } from '../../common/gs1.validators';
import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { KeyAddBodyDto, PartyRegisterBodyDto } from './registry-bodies.dto';

/** POST /v1/parties: what the operator sends to register a trading partner. */
export class RegisterPartyDto extends PartyRegisterBodyDto {}

/** POST /v1/parties/:gln/keys */
export class AddKeyDto extends OmitType(KeyAddBodyDto, ['gln', 'device'] as const) {}

/** POST /v1/parties/:gln/keys/:keyId/revoke */
export class RevokeKeyDto {
  @ApiPropertyOptional({ description: 'RFC 3339; default now. Events signed with the key at or after it are refused.' })
  @IsOptional()
  @IsDateTime()
  revokedAt?: string;
}

/** POST /v1/parties/:gln/tokens */
export class IssueTokenDto {
  @ApiPropertyOptional({ example: 'warehouse system' })
  @IsOptional()
  @IsString()
  @Length(0, 100)
  label?: string;
}
