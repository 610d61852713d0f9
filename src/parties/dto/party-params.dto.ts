import { IsUUID, Matches } from 'class-validator';
import { IsGln } from '../../common/gs1.validators';
import { KEY_ID_PATTERN } from '../../protocol/event';

export class GlnParam {
  @IsGln()
  gln!: string;
}

export class KeyIdParam extends GlnParam {
  @Matches(KEY_ID_PATTERN, { message: '$property must be 16 lowercase hex characters' })
  keyId!: string;
}

export class TokenParam extends GlnParam {
  @IsUUID('4', { message: '$property must be a token id (UUID)' })
  tokenId!: string;
}
