import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

/** Refusals of the alert triage endpoints (docs/PROTOCOL.md §8.6, §10). */
export const ALERT_ERRORS = {
  /** No alert has that id, or none the caller may see. */
  ALERT_NOT_FOUND: HttpStatus.NOT_FOUND,
  /**
   * The action may not be taken in the alert's state (acknowledge an acknowledged or closed alert, close a closed
   * one, reopen an open one, assign a closed one, assign to whom it is already assigned); `details: { field, rule,
   * state, allowedFrom }`.
   */
  ALERT_TRANSITION_REFUSED: HttpStatus.CONFLICT,
} as const;

export type AlertErrorCode = keyof typeof ALERT_ERRORS;

export class AlertError extends AppError {
  constructor(code: AlertErrorCode, message: string, details?: unknown) {
    super(code, message, ALERT_ERRORS[code], details);
  }
}
