import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

export const REPORT_ERRORS = {
  ITEM_UNKNOWN: HttpStatus.NOT_FOUND,
  LOT_UNKNOWN: HttpStatus.NOT_FOUND,
  PRODUCT_UNKNOWN: HttpStatus.NOT_FOUND,
  PARTY_UNKNOWN: HttpStatus.NOT_FOUND,
  WINDOW_INVALID: HttpStatus.BAD_REQUEST,
  NO_CHECKPOINT: HttpStatus.SERVICE_UNAVAILABLE,
} as const;

export type ReportErrorCode = keyof typeof REPORT_ERRORS;

export class ReportError extends AppError {
  constructor(code: ReportErrorCode, message: string, details?: unknown) {
    super(code, message, REPORT_ERRORS[code], details);
  }
}
