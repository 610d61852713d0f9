import { ApiProperty } from '@nestjs/swagger';
import { IsUUID, Matches } from 'class-validator';
import { IsGln } from '../../common/gs1.validators';
import { KEY_ID_PATTERN } from '../../protocol/event';

export class GlnParam {
  @ApiProperty({ example: '0614141000012', description: 'the party’s GLN' })
  @IsGln()
  gln!: string;
}

export class KeyIdParam extends GlnParam {
  @ApiProperty({ example: '3f1c9a0be2d74c55', description: 'key id: 16 lowercase hex characters' })
  @Matches(KEY_ID_PATTERN, { message: '$property must be 16 lowercase hex characters' })
  keyId!: string;
}

export class TokenParam extends GlnParam {
  @ApiProperty({ format: 'uuid', description: 'token id' })
  @IsUUID('4', { message: '$property must be a token id (UUID)' })
  tokenId!: string;
}
