import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

/** Refusal codes of signed-event intake and the log. Feature rules add their own codes through `RuleViolation`. */
export const LEDGER_ERRORS = {
  EVENT_TYPE_UNKNOWN: HttpStatus.BAD_REQUEST,
  EVENT_TIME_INVALID: HttpStatus.BAD_REQUEST,
  EVENT_NOT_STORABLE: HttpStatus.UNPROCESSABLE_ENTITY,
  EVENT_TIME_IN_FUTURE: HttpStatus.UNPROCESSABLE_ENTITY,
  EVENT_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  BATCH_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  ACTOR_MISMATCH: HttpStatus.FORBIDDEN,
  ACTOR_UNKNOWN: HttpStatus.FORBIDDEN,
  ACTOR_ROLE_NOT_ALLOWED: HttpStatus.FORBIDDEN,
  SIGNATURE_INVALID: HttpStatus.UNPROCESSABLE_ENTITY,
  SIGNATURE_MALFORMED: HttpStatus.BAD_REQUEST,
  KEY_UNKNOWN: HttpStatus.UNPROCESSABLE_ENTITY,
  KEY_NOT_OWNED: HttpStatus.UNPROCESSABLE_ENTITY,
  KEY_REVOKED: HttpStatus.UNPROCESSABLE_ENTITY,
  EVENT_ID_CONFLICT: HttpStatus.CONFLICT,
  KEY_INVALID: HttpStatus.BAD_REQUEST,
  KEY_ALREADY_REGISTERED: HttpStatus.CONFLICT,
  KEY_ALREADY_REVOKED: HttpStatus.CONFLICT,
  REVOCATION_TIME_INVALID: HttpStatus.BAD_REQUEST,
  PARTY_ALREADY_REGISTERED: HttpStatus.CONFLICT,
  PARTY_UNKNOWN: HttpStatus.NOT_FOUND,
  GENESIS_REQUIRED: HttpStatus.CONFLICT,
  OPERATOR_ROLE_RESERVED: HttpStatus.FORBIDDEN,
  ENTRY_NOT_FOUND: HttpStatus.NOT_FOUND,
  TREE_SIZE_INVALID: HttpStatus.BAD_REQUEST,
  INDEX_OUT_OF_RANGE: HttpStatus.BAD_REQUEST,
  TILE_PATH_INVALID: HttpStatus.BAD_REQUEST,
  TILE_NOT_FOUND: HttpStatus.NOT_FOUND,
  NO_CHECKPOINT: HttpStatus.SERVICE_UNAVAILABLE,
  TREE_FAULT: HttpStatus.SERVICE_UNAVAILABLE,
} as const;

export type LedgerErrorCode = keyof typeof LEDGER_ERRORS;

export class LedgerError extends AppError {
  constructor(code: LedgerErrorCode, message: string, details?: unknown) {
    super(code, message, LEDGER_ERRORS[code], details);
  }
}

/**
 * A business rule refused an event. Codes are feature-defined (`SERIAL_ALREADY_COMMISSIONED`, `NOT_CUSTODIAN`,
 * `KEY_REVOKED`, ...); `details.items` names the offending items where there are any.
 */
export class RuleViolation extends AppError {
  constructor(code: string, message: string, details?: unknown, status: HttpStatus = HttpStatus.UNPROCESSABLE_ENTITY) {
    super(code, message, status, details);
  }
}
