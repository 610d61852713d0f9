import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

export const REPORT_ERRORS = {
  ITEM_UNKNOWN: HttpStatus.NOT_FOUND,
  LOT_UNKNOWN: HttpStatus.NOT_FOUND,
  PRODUCT_UNKNOWN: HttpStatus.NOT_FOUND,
  PARTY_UNKNOWN: HttpStatus.NOT_FOUND,
  WINDOW_INVALID: HttpStatus.BAD_REQUEST,
  NO_CHECKPOINT: HttpStatus.SERVICE_UNAVAILABLE,
  /** Intake of an `export.statement` (docs/PROTOCOL.md §9) that no export could have made. */
  EXPORT_STATEMENT_INVALID: HttpStatus.UNPROCESSABLE_ENTITY,
} as const;

export type ReportErrorCode = keyof typeof REPORT_ERRORS;

export class ReportError extends AppError {
  constructor(code: ReportErrorCode, message: string, details?: unknown) {
    super(code, message, REPORT_ERRORS[code], details);
  }
}
