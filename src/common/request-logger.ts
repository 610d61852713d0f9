import { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** One structured line per request (at debug level; 5xx at error level), with its duration. */
export function requestLogger(logger: LoggerService) {
  return (request: Request, response: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const entry = {
        method: request.method,
        path: request.path,
        status: response.statusCode,
        ms: Math.round(ms * 100) / 100,
      };
      if (response.statusCode >= 500) logger.error(entry, undefined, 'HTTP');
      else logger.debug?.(entry, 'HTTP');
    });
    next();
  };
}
