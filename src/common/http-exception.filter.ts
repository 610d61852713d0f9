import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, ErrorBody } from './app-error';
import {
  asDatabaseUnavailable,
  DATABASE_RETRY_AFTER_S,
  DATABASE_UNAVAILABLE,
  DatabaseUnavailableError,
  describeReason,
} from '../database/database-unavailable';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * The one place errors become HTTP responses: `{ "error": { "code", "message", "details" } }`.
 * Internal errors are logged with their stack and answered with a generic message, never with SQL or stacks.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // The database away (a restart, a failover), wherever the request met it: 503 DATABASE_UNAVAILABLE.
    const exception = asDatabaseUnavailable(thrown);
    const [status, body] = this.describe(exception);
    if (exception instanceof AppError) {
      // A coded answer (e.g. 503 EXPORTS_BUSY) is an expected condition: one line, no stack.
      const reason = exception instanceof DatabaseUnavailableError ? ` (${describeReason(exception.reason)})` : '';
      if (status >= 500) this.logger.warn(`${status} ${exception.code}: ${exception.message}${reason}`);
      if (exception.code === DATABASE_UNAVAILABLE && !response.headersSent) {
        response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
      }
    } else if (status >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) return;
    response.status(status).json(body);
  }

  /** The status and body of a thrown value (also used by the EPCIS REST binding's RFC 7807 filter). */
  describe(exception: unknown): [number, ErrorBody] {
    if (exception instanceof AppError) return [exception.status, exception.toBody()];
    // Nest (platform-express 12) wraps body-parser's errors in an HttpException whose `cause` is the original.
    const parserError = (exception instanceof HttpException ? exception.cause : exception) as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') {
      return [HttpStatus.BAD_REQUEST, body('MALFORMED_JSON', 'the request body is not valid JSON')];
    }
    if (parserError?.type === 'entity.too.large') {
      return [
        HttpStatus.PAYLOAD_TOO_LARGE,
        body('PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${parserError.limit} bytes`),
      ];
    }
    // body-parser's other refusals (a charset it cannot decode, a body cut short, a wrong Content-Length).
    if (typeof parserError?.type === 'string' && parserError.status && parserError.status < 500) {
      const status = parserError.status;
      return [
        status,
        body(CODES_BY_STATUS[status] ?? `HTTP_${status}`, `the request body was refused (${parserError.type})`),
      ];
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = CODES_BY_STATUS[status] ?? `HTTP_${status}`;
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : typeof (response as { message?: unknown }).message === 'string'
            ? (response as { message: string }).message
            : exception.message;
      return [status, body(code, message)];
    }
    return [
      HttpStatus.INTERNAL_SERVER_ERROR,
      body('INTERNAL', 'internal error; the operator has the details in the log'),
    ];
  }
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
