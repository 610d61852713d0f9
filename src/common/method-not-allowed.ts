import { HttpStatus, INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error';

/** The part of an Express 5 router layer this needs: its path matcher and, for a route, the methods it takes. */
interface Layer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

function takes(methods: Record<string, boolean | undefined>, method: string): boolean {
  const name = method.toLowerCase();
  return Boolean(methods._all || methods[name] || (name === 'head' && methods.get));
}

function allowOf(methods: Record<string, boolean | undefined>): string[] {
  const names = Object.keys(methods).filter((name) => name !== '_all' && methods[name]);
  if (methods.get && !methods.head) names.push('head');
  return names.map((name) => name.toUpperCase());
}

/**
 * A known path asked with a method none of its routes takes is `405 METHOD_NOT_ALLOWED` with an `Allow` header
 * (RFC 9110 §15.5.6; docs/PROTOCOL.md §10), not 404; `OPTIONS` on it answers 204 with `Allow`. Unknown paths go on
 * to the 404 of the framework. Runs before the routes (registered first), reading the application's route table.
 */
export function methodNotAllowed(app: INestApplication) {
  const router = () => (app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } }).router;
  return (request: Request, response: Response, next: NextFunction): void => {
    const allowed = new Set<string>();
    for (const layer of router().stack) {
      if (!layer.route) continue;
      let matched: unknown;
      try {
        matched = layer.match(request.path);
      } catch {
        continue; // a malformed %-escape: the router answers it
      }
      if (!matched) continue;
      if (takes(layer.route.methods, request.method)) return next();
      for (const method of allowOf(layer.route.methods)) allowed.add(method);
    }
    if (allowed.size === 0) return next();
    const allow = [...allowed, 'OPTIONS'].join(', ');
    response.setHeader('Allow', allow);
    if (request.method === 'OPTIONS') {
      response.status(HttpStatus.NO_CONTENT).end();
      return;
    }
    next(
      new AppError(
        'METHOD_NOT_ALLOWED',
        `${request.method} is not a method of ${request.path}; it takes ${allow}`,
        HttpStatus.METHOD_NOT_ALLOWED,
      ),
    );
  };
}
