import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AppError, ErrorBody } from '../common/app-error';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { asDatabaseUnavailable, DATABASE_RETRY_AFTER_S, DATABASE_UNAVAILABLE } from '../database/database-unavailable';

/** The EPCIS and CBV versions this binding speaks (GS1-EPCIS-Version, GS1-CBV-Version headers). */
export const EPCIS_VERSION = '2.0.0';
export const CBV_VERSION = '2.0.0';

/** Codes of the EPCIS REST binding's own refusals (docs/PROTOCOL.md §10), with their HTTP status. */
export const EPCIS_REST_ERRORS = {
  /** A query parameter is unknown, repeated, or of the wrong form (EPCIS 2.0 §8.2.7 QueryParameterException). */
  EPCIS_QUERY_PARAMETER: HttpStatus.BAD_REQUEST,
  /** The query cannot be answered by paging through the log in order (EPCIS 2.0 §8.2.7 QueryTooComplexException). */
  EPCIS_QUERY_TOO_COMPLEX: HttpStatus.PAYLOAD_TOO_LARGE,
  /** More events match than `maxEventCount` allows (EPCIS 2.0 §8.2.7 QueryTooLargeException). */
  EPCIS_QUERY_TOO_LARGE: HttpStatus.PAYLOAD_TOO_LARGE,
  /** The captured document is not an EPCIS 2.0 document (GS1's JSON schema), or a capture header is wrong. */
  EPCIS_DOCUMENT_INVALID: HttpStatus.BAD_REQUEST,
  /** More events than one capture takes (`GS1-EPCIS-Capture-Limit`). */
  EPCIS_CAPTURE_LIMIT: HttpStatus.PAYLOAD_TOO_LARGE,
  /** No capture job of the caller has this id. */
  EPCIS_CAPTURE_JOB_UNKNOWN: HttpStatus.NOT_FOUND,
  /** The response cannot be given in any media type or EPCIS/CBV version the request accepts. */
  EPCIS_NOT_ACCEPTABLE: HttpStatus.NOT_ACCEPTABLE,
} as const;

export type EpcisRestCode = keyof typeof EPCIS_REST_ERRORS;

/** The RFC 7807 `type` GS1's OpenAPI document gives each refusal (components.responses). */
const PROBLEM_TYPES: Record<EpcisRestCode, string> = {
  EPCIS_QUERY_PARAMETER: 'epcisException:QueryParameterException',
  EPCIS_QUERY_TOO_COMPLEX: 'epcisException:QueryTooComplexException',
  EPCIS_QUERY_TOO_LARGE: 'epcisException:QueryTooLargeException',
  EPCIS_DOCUMENT_INVALID: 'epcisException:ValidationException',
  EPCIS_CAPTURE_LIMIT: 'epcisException:CaptureLimitExceededException',
  EPCIS_CAPTURE_JOB_UNKNOWN: 'epcisException:NoSuchNameException',
  EPCIS_NOT_ACCEPTABLE: 'epcisException:NotAcceptableException',
};

/** For refusals made elsewhere (the auth guard, the body reader, the database), the type by status. */
const TYPES_BY_STATUS: Record<number, string> = {
  400: 'epcisException:ValidationException',
  401: 'epcisException:SecurityException',
  403: 'epcisException:SecurityException',
  404: 'epcisException:NoSuchNameException',
  406: 'epcisException:NotAcceptableException',
  // A captured event the ledger refused (a conflicting id, a business rule): per-event errors of a capture job.
  409: 'epcisException:ValidationException',
  422: 'epcisException:ValidationException',
  413: 'epcisException:CaptureLimitExceededException',
  414: 'epcisException:QueryTooComplexException',
  415: 'epcisException:UnsupportedMediaTypeException',
};

export class EpcisRestError extends AppError {
  constructor(code: EpcisRestCode, message: string, details?: unknown) {
    super(code, message, EPCIS_REST_ERRORS[code], details);
  }
}

/**
 * An RFC 7807 problem as GS1's OpenAPI document shapes it (`type`, `title`, `status`, `detail`), which also carries
 * RxLedger's own `error` (code, message, details; docs/PROTOCOL.md §10) as an extension member: an EPCIS client reads
 * the first, an RxLedger client the second.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  error: ErrorBody['error'];
  [extension: string]: unknown;
}

export function problemOf(status: number, error: ErrorBody['error']): Problem {
  const type =
    PROBLEM_TYPES[error.code as EpcisRestCode] ?? TYPES_BY_STATUS[status] ?? 'epcisException:ImplementationException';
  return { type, title: type.replace(/^epcisException:/, ''), status, detail: error.message, error };
}

/**
 * Every refusal of the EPCIS routes, wherever it arose (guard, body reader, handler, database), as
 * `application/problem+json` with the GS1-EPCIS-Version and GS1-CBV-Version headers. The status and the RxLedger error
 * come from the application's one error filter, so codes and messages are those of every other route.
 */
@Catch()
export class EpcisProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('EPCIS');
  private readonly errors = new HttpExceptionFilter();

  catch(thrown: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const exception = asDatabaseUnavailable(thrown);
    const [status, body] = this.errors.describe(exception);
    if (status >= 500 && !(exception instanceof AppError)) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) return;
    if (body.error.code === DATABASE_UNAVAILABLE) response.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_S));
    setVersionHeaders(response);
    if (body.error.code === 'EPCIS_CAPTURE_LIMIT') {
      // components.responses.413CapturePayloadTooLarge: the limit the capture exceeded.
      response.setHeader('GS1-EPCIS-Capture-Limit', String((body.error.details as { limit: number }).limit));
    }
    response
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify(problemOf(status, body.error)));
  }
}

export function setVersionHeaders(response: Response): void {
  response.setHeader('GS1-EPCIS-Version', EPCIS_VERSION);
  response.setHeader('GS1-CBV-Version', CBV_VERSION);
}
