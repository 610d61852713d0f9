import { HttpStatus } from '@nestjs/common';

/**
 * A refusal the caller can act on: a stable string code, a human message and optional details (such as the
 * offending items). Each feature defines its codes; the global filter turns these into
 * `{ "error": { "code", "message", "details" } }` with the given HTTP status.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: HttpStatus = HttpStatus.UNPROCESSABLE_ENTITY,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** One field that broke one rule, as reported in `details` of VALIDATION_FAILED. */
export interface FieldViolation {
  field: string;
  rule: string;
  message: string;
}

export class ValidationError extends AppError {
  constructor(
    readonly violations: FieldViolation[],
    message?: string,
  ) {
    super(
      'VALIDATION_FAILED',
      message ?? violations.map((v) => v.message).join('; '),
      HttpStatus.BAD_REQUEST,
      violations,
    );
  }
}

export class AuthError extends AppError {
  static unauthenticated(message = 'a valid bearer token is required'): AuthError {
    return new AuthError('UNAUTHENTICATED', message, HttpStatus.UNAUTHORIZED);
  }
  static forbidden(message: string): AuthError {
    return new AuthError('FORBIDDEN', message, HttpStatus.FORBIDDEN);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(code, message, HttpStatus.NOT_FOUND);
  }
}
