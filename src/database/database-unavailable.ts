import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

/** The code of every answer that means "the database is away; send the same request again later". */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

/** What clients are told to wait (`Retry-After`, seconds) before trying again while the database is away. */
export const DATABASE_RETRY_AFTER_S = 5;

/**
 * The database cannot be reached or ended the session (a restart, a failover, an idle timeout, a statement that ran
 * out of time): nothing was done, and the same request may be sent again. Answered 503 with `Retry-After`.
 */
export class DatabaseUnavailableError extends AppError {
  constructor(readonly reason: unknown) {
    super(
      DATABASE_UNAVAILABLE,
      `the database is not available right now; try again in ${DATABASE_RETRY_AFTER_S} s`,
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}

/** Socket errors of a connection that cannot be made or was cut. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * SQLSTATEs of a database that is away rather than of a request it refused: class 08 (connection exception),
 * 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now), 57014 (a statement cancelled, here by
 * `statement_timeout`), 53300 (too many connections), 25006 (a read-only transaction: a standby, e.g. a demoted
 * primary after a failover).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|57014|53300|25006)$/;

/** What node-pg and pg-pool say, without a code, when a connection ends or cannot be had in time. */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/** True when `error` (or what it wraps) says the database is unreachable or ended the session. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const { code, message, cause, driverError, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    driverError?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  const wrapped = [cause, driverError, ...(Array.isArray(errors) ? errors : [])];
  return wrapped.some((inner) => inner !== undefined && isDatabaseUnavailable(inner, depth + 1));
}

/** `error` as a DatabaseUnavailableError when the database is away; otherwise `error` itself. */
export function asDatabaseUnavailable(error: unknown): unknown {
  return !(error instanceof DatabaseUnavailableError) && isDatabaseUnavailable(error)
    ? new DatabaseUnavailableError(error)
    : error;
}

/** One line for the log: what the driver said (the SQLSTATE or socket code and the message). */
export function describeReason(reason: unknown): string {
  const { code, message } = (reason ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message ? message : String(reason);
  return typeof code === 'string' ? `${code}: ${text}` : text;
}
