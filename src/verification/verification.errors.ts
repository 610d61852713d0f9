import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

/** Refusals of the verification endpoints beyond validation and the credential (docs/PROTOCOL.md §8.1, §10). */
export const VERIFICATION_ERRORS = {
  /** `reqGLN` is no registered party's GLN: the requester is not recognised. */
  REQ_GLN_UNKNOWN: HttpStatus.UNAUTHORIZED,
  /** `checkConnectivity` for a GTIN no manufacturer registered. */
  PRODUCT_UNKNOWN: HttpStatus.NOT_FOUND,
} as const;

export type VerificationErrorCode = keyof typeof VERIFICATION_ERRORS;

export class VerificationError extends AppError {
  constructor(code: VerificationErrorCode, message: string) {
    super(code, message, VERIFICATION_ERRORS[code]);
  }
}
