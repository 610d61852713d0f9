import { Injectable } from '@nestjs/common';

/**
 * The time sessions, invitations and WebAuthn ceremonies are judged by. The wall clock, plus an offset that tests set
 * (`advance`) to see an expiry happen without waiting for it.
 */
@Injectable()
export class PeopleClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
