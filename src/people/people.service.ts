import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyAuthFailuresError } from '../parties/tokens.service';
import { Principal } from '../auth/principal';
import { AuthError } from '../common/app-error';
import { PartiesService } from '../parties/parties.service';
import { checkPassword, hashPassword } from './passwords';
import { PeopleClock } from './people-clock';
import { AcceptInvitationDto, InviteDto, SignInDto } from './people.dto';
import { PeopleError } from './people.errors';
import { InvitationRow, PeopleRepository, PersonListRow, PersonRole, PersonRow } from './people.repository';
import { newSecret, secretHash } from './secrets';

/**
 * Wrong passwords allowed per email within SIGN_IN_WINDOW_S before a block; per client address ten times as many (a
 * pharmacy's counters may share one address).
 */
export const SIGN_IN_FAILURES_ALLOWED = 10;
const SIGN_IN_WINDOW_S = 15 * 60;
const SIGN_IN_BLOCK_S = 15 * 60;

/** An invitation is good for a week. */
export const INVITATION_MS = 7 * 24 * 3600_000;

export interface IssuedInvitation extends InvitationRow {
  /** The single-use token: shown once, in this answer only (the server keeps its hash). */
  token: string;
  /** Where the invited person accepts it (the token in the fragment: never sent in a request line or Referer). */
  link: string;
}

/** People under a party: invitations (single-use, expiring, stored hashed), acceptance, password sign-in. */
@Injectable()
export class PeopleService {
  /** Failed password sign-ins, per email (guessing one account) and per client address (guessing many). */
  private readonly failures = {
    email: limiter(SIGN_IN_FAILURES_ALLOWED),
    client: limiter(SIGN_IN_FAILURES_ALLOWED * 10),
  };

  constructor(
    private readonly people: PeopleRepository,
    private readonly parties: PartiesService,
    private readonly clock: PeopleClock,
  ) {}

  /**
   * Invites a person into `gln`. `by` is the operator (bootstrapping a party's administrator: always role
   * administrator) or a signed-in administrator of that party.
   */
  async invite(gln: string, dto: InviteDto, by: Principal): Promise<IssuedInvitation> {
    const party = await this.parties.get(gln);
    if (party.role === 'operator') throw AuthError.forbidden("the operator's own party has no people");
    const email = dto.email.trim();
    if (await this.people.emailTaken(email)) {
      throw new PeopleError('PERSON_ALREADY_EXISTS', `${email} already has an account`, { field: 'email' });
    }
    const role: PersonRole = by.kind === 'operator' ? 'administrator' : (dto.role ?? 'staff');
    const token = newSecret();
    const now = this.clock.now();
    const row = await this.people.insertInvitation({
      id: randomUUID(),
      gln,
      email,
      name: dto.name,
      role,
      tokenHash: secretHash(token),
      invitedBy: by.kind === 'party' ? (by.person?.id ?? null) : null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + INVITATION_MS),
    });
    return { ...row, token, link: `/app/signin#invite=${token}` };
  }

  /** Uses the invitation (once): the person it names exists from now on, with the password if one is given. */
  async accept(dto: AcceptInvitationDto): Promise<PersonRow> {
    const passwordHash = dto.password === undefined ? null : await hashPassword(dto.password);
    return this.people.db.transaction(async (tx) => {
      const invitation = await this.people.takeInvitation(tx, secretHash(dto.token), this.clock.now());
      if (!invitation) {
        throw new PeopleError(
          'INVITATION_INVALID',
          'this invitation is unknown, already used or expired: ask for a new one',
        );
      }
      const person = await this.people.insertPerson(tx, {
        id: randomUUID(),
        gln: invitation.gln,
        email: invitation.email,
        name: invitation.name,
        role: invitation.role,
        passwordHash,
      });
      if (!person) throw new PeopleError('PERSON_ALREADY_EXISTS', `${invitation.email} already has an account`);
      await this.people.recordAcceptance(tx, invitation.id, person.id);
      return person;
    });
  }

  /**
   * The person with this email and password; SIGN_IN_FAILED alike for an unknown email and a wrong password. After
   * SIGN_IN_FAILURES_ALLOWED failures for one email (ten times as many from one client address) within 15 minutes,
   * every attempt for it is refused (429 TOO_MANY_AUTH_FAILURES, Retry-After) for 15 minutes, right password or not.
   */
  async signIn(dto: SignInDto, client: string): Promise<PersonRow> {
    const email = dto.email.trim().toLowerCase();
    const counted = [
      { limiter: this.failures.email, key: email },
      { limiter: this.failures.client, key: client },
    ];
    for (const { limiter, key } of counted) {
      const blocked = await limiter.get(key);
      if (blocked && blocked.consumedPoints >= limiter.points) throw tooManyFailures(blocked);
    }
    const person = await this.people.personForSignIn(email);
    if (!(await checkPassword(person?.passwordHash, dto.password)) || !person) {
      for (const { limiter, key } of counted) await limiter.consume(key).catch((refused: RateLimiterRes) => refused);
      throw new PeopleError('SIGN_IN_FAILED', 'the email or the password is wrong');
    }
    const { passwordHash: _, ...row } = person;
    return row;
  }

  async directory(gln: string): Promise<{ people: PersonListRow[]; invitations: InvitationRow[] }> {
    const [people, invitations] = await Promise.all([
      this.people.listPeople(gln),
      this.people.pendingInvitations(gln, this.clock.now()),
    ]);
    return { people, invitations };
  }
}

function limiter(points: number): RateLimiterMemory {
  return new RateLimiterMemory({ points, duration: SIGN_IN_WINDOW_S, blockDuration: SIGN_IN_BLOCK_S });
}

/** The tokens' 429 (same code, Retry-After), worded for sign-in. */
function tooManyFailures(blocked: RateLimiterRes): TooManyAuthFailuresError {
  const seconds = Math.max(1, Math.ceil(blocked.msBeforeNext / 1000));
  const error = new TooManyAuthFailuresError(seconds);
  error.message = `too many failed sign-ins for this email or from this address; retry in ${seconds} s`;
  return error;
}
