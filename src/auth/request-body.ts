import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { json } from 'body-parser';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';
import { AppError } from '../common/app-error';
import { countMembers, findDuplicateMember } from '../protocol/json-members';

export const LARGE_BODY_KEY = 'rxledger:large-body';

/**
 * The route takes a large JSON body: a commissioning of 100,000 serials, a batch of 10,000 events. Every other
 * route takes at most `SMALL_BODY` (operator, registry and verification requests are a few kilobytes).
 */
export const LargeBody = () => SetMetadata(LARGE_BODY_KEY, true);

export const XML_BODY_KEY = 'rxledger:xml-body';

/** The route also takes an XML body (`application/xml`, `text/xml`, `+xml`), which it reads itself as a stream. */
export const XmlBody = () => SetMetadata(XML_BODY_KEY, true);

/** The bounds a JSON request body must keep before it is parsed. */
export interface BodyLimits {
  bytes: number;
  /** Array elements plus object members, counted over the whole document. */
  values: number;
}

export const SMALL_BODY: BodyLimits = { bytes: 1024 * 1024, values: 10_000 };
/** Values of a large body: a batch of 10,000 events of a few dozen values each, or 100,000 serials, with room. */
export const LARGE_BODY_VALUES = 2_000_000;
/** Deepest nesting of arrays and objects: an event in a batch is about 6 levels deep. */
export const MAX_BODY_DEPTH = 32;

/**
 * Reads and parses the JSON request body, after the guards: an unauthenticated or unauthorised caller is answered
 * before a byte of its body is read (Node then discards the rest of it), so it costs neither memory nor a parse.
 * Body-parser reads the body up to the route's byte limit; before `JSON.parse`, one linear scan of the bytes
 * refuses a body nested deeper than MAX_BODY_DEPTH or holding more values than the route allows (a 60 MB
 * `[{},{},...]` would otherwise become 20 million objects). A body that is not `application/json` is a 415.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly small = parser(SMALL_BODY);
  private readonly large: ReturnType<typeof parser>;

  constructor(
    private readonly reflector: Reflector,
    maxBodyBytes: number,
  ) {
    this.large = parser({ bytes: maxBodyBytes, values: LARGE_BODY_VALUES });
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (hasBody(request)) {
      const targets = [context.getHandler(), context.getClass()];
      // An XML body is left unread for a route that reads it itself, streamed (still after the guards).
      if (isXml(request) && this.reflector.getAllAndOverride<boolean>(XML_BODY_KEY, targets)) return next.handle();
      if (!isJson(request)) {
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `the request body must be application/json, not ${request.headers['content-type'] ?? 'untyped'}`,
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        );
      }
      const large = this.reflector.getAllAndOverride<boolean>(LARGE_BODY_KEY, [
        context.getHandler(),
        context.getClass(),
      ]);
      const parse = large ? this.large : this.small;
      await new Promise<void>((resolve, reject) =>
        parse(request, http.getResponse<Response>(), (error?: unknown) => (error ? reject(error) : resolve())),
      );
      const scanned = (request as ScannedRequest)[SCANNED];
      delete (request as ScannedRequest)[SCANNED];
      if (scanned) checkDuplicateMembers(request.body, scanned.members, scanned.bytes);
    }
    return next.handle();
  }
}

const SCANNED = Symbol('rxledger:scanned-body');
type ScannedRequest = Request & { [SCANNED]?: { members: number; bytes: Uint8Array } };

function parser(limits: BodyLimits) {
  return json({
    limit: limits.bytes,
    type: () => true,
    verify: (request, _response, bytes) => {
      const members = checkJsonShape(bytes, limits.values, MAX_BODY_DEPTH);
      (request as ScannedRequest)[SCANNED] = { members, bytes };
    },
  });
}

/**
 * Refuses (400 DUPLICATE_MEMBER, naming it) a body in which an object repeats a member name (RFC 7493 §2.3):
 * `JSON.parse` keeps the last, other readers the first (src/protocol/json-members.ts). `members` is what the shape
 * scan counted in the text; the parsed value holds fewer exactly when a name was repeated, and only then is the text
 * walked again to name the member.
 */
export function checkDuplicateMembers(value: unknown, members: number, bytes: Uint8Array): void {
  if (countMembers(value) === members) return;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const member = findDuplicateMember(text) ?? '(unknown)';
  throw new AppError(
    'DUPLICATE_MEMBER',
    `the request body repeats the member ${member}: JSON readers disagree on which of the two counts, so neither does`,
    HttpStatus.BAD_REQUEST,
    { member },
  );
}

function hasBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

export function isXml(request: Request): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/xml' || type === 'text/xml' || /^application\/[a-z0-9.+-]*\+xml$/.test(type);
}

function isJson(request: Request): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Refuses (400) JSON text nested deeper than `maxDepth` or holding more than `maxValues` array elements and object
 * members, in one pass over the bytes without building anything. Syntax is left to `JSON.parse`: a malformed text
 * only has to not crash the scan. Returns the number of object members (a `:` outside strings each), for
 * `checkDuplicateMembers`.
 */
export function checkJsonShape(bytes: Uint8Array, maxValues: number, maxDepth: number): number {
  let depth = 0;
  let values = 0;
  let members = 0;
  let inString = false;
  let opened = false;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    if (inString) {
      // Jump to the closing quote natively: one not preceded by an odd number of backslashes.
      let end = buffer.indexOf(QUOTE, i);
      while (end > 0 && escaped(bytes, end)) end = buffer.indexOf(QUOTE, end + 1);
      if (end < 0) return members;
      i = end;
      inString = false;
      continue;
    }
    const c = bytes[i];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    if (opened) {
      opened = false;
      if (c !== CLOSE_ARRAY && c !== CLOSE_OBJECT) values++;
    }
    if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) {
        throw new AppError(
          'BODY_TOO_DEEP',
          `the request body nests arrays and objects deeper than ${maxDepth} levels`,
          HttpStatus.BAD_REQUEST,
          { maxDepth },
        );
      }
      opened = true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === COMMA) {
      values++;
    } else if (c === COLON) {
      members++;
    }
    if (values > maxValues) {
      throw new AppError(
        'BODY_TOO_MANY_VALUES',
        `the request body holds more than ${maxValues} array elements and object members`,
        HttpStatus.PAYLOAD_TOO_LARGE,
        { maxValues },
      );
    }
  }
  return members;
}

/** Whether the byte at `at` is escaped: preceded by an odd number of backslashes. */
function escaped(bytes: Uint8Array, at: number): boolean {
  let backslashes = 0;
  while (at - backslashes - 1 >= 0 && bytes[at - backslashes - 1] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}
