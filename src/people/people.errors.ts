import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/app-error';

/** Refusals of people, sessions and device keys (docs/PROTOCOL.md §3.4, §10). */
export const PEOPLE_ERRORS = {
  /** The session cookie names a session past its idle or absolute expiry: sign in again. */
  SESSION_EXPIRED: HttpStatus.UNAUTHORIZED,
  /** A state-changing request made with the session cookie lacks the session's X-CSRF-Token, or has another. */
  CSRF_TOKEN_INVALID: HttpStatus.FORBIDDEN,
  /** The signed-in person lacks the person role (administrator) this needs, or the caller is no person at all. */
  ROLE_REQUIRED: HttpStatus.FORBIDDEN,
  /** Wrong email or password, or an unknown passkey: the same answer for both, so sign-in tells no one who exists. */
  SIGN_IN_FAILED: HttpStatus.UNAUTHORIZED,
  /** An invitation token that is unknown, already used or past its expiry. */
  INVITATION_INVALID: HttpStatus.GONE,
  /** The email already belongs to a person (of any party). */
  PERSON_ALREADY_EXISTS: HttpStatus.CONFLICT,
  /** A WebAuthn ceremony that is unknown, expired, or whose response does not verify. */
  PASSKEY_INVALID: HttpStatus.BAD_REQUEST,
  /** The party has no device (browser key) with that id. */
  DEVICE_NOT_FOUND: HttpStatus.NOT_FOUND,
} as const;

export type PeopleErrorCode = keyof typeof PEOPLE_ERRORS;

export class PeopleError extends AppError {
  constructor(code: PeopleErrorCode, message: string, details?: unknown) {
    super(code, message, PEOPLE_ERRORS[code], details);
  }
}
