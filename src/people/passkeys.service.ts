import { Injectable } from '@nestjs/common';
import {
  AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { Request } from 'express';
import { PersonOfParty } from '../auth/principal';
import { PeopleClock } from './people-clock';
import { PeopleError } from './people.errors';
import { PeopleRepository } from './people.repository';
import { isHttps, newSecret, secretHash } from './secrets';

/** A ceremony's challenge is good for five minutes. */
const CEREMONY_MS = 5 * 60_000;

/**
 * Passkeys (WebAuthn) through @simplewebauthn/server. The relying party is the origin the page was served from: its
 * host name is the RP ID (a passkey made on rxledger.example works there only), its origin the one the browser must
 * have signed. Sign-in asks for a discoverable credential (no email first): nobody learns who has an account.
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly people: PeopleRepository,
    private readonly clock: PeopleClock,
  ) {}

  /** Options for `navigator.credentials.create` for a signed-in person, and the ceremony id to answer with. */
  async registrationOptions(person: PersonOfParty & { email: string }, request: Request) {
    const existing = await this.people.passkeysOf(person.id);
    const options = await generateRegistrationOptions({
      rpName: 'RxLedger',
      rpID: relyingParty(request).rpID,
      userName: person.email,
      userDisplayName: person.name,
      userID: new TextEncoder().encode(person.id),
      attestationType: 'none',
      excludeCredentials: existing.map((k) => ({ id: k.credentialId, transports: transports(k.transports) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const ceremony = await this.remember(options.challenge, 'register', person.id);
    return { ceremony, options };
  }

  async register(personId: string, ceremony: string, response: Record<string, unknown>, request: Request) {
    const challenge = await this.people.takeChallenge(secretHash(ceremony), 'register', this.clock.now());
    if (!challenge || challenge.personId !== personId) throw invalid('the ceremony is unknown or expired');
    const { origin, rpID } = relyingParty(request);
    const result = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification: false,
    }).catch((error: Error) => {
      throw invalid(error.message);
    });
    if (!result.verified) throw invalid('the passkey did not verify');
    const { credential } = result.registrationInfo;
    await this.people.insertPasskey({
      credentialId: credential.id,
      personId,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
    });
    return { credentialId: credential.id };
  }

  async authenticationOptions(request: Request) {
    const options = await generateAuthenticationOptions({
      rpID: relyingParty(request).rpID,
      allowCredentials: [],
      userVerification: 'preferred',
    });
    const ceremony = await this.remember(options.challenge, 'authenticate', null);
    return { ceremony, options };
  }

  /** The person whose passkey answered the challenge; SIGN_IN_FAILED for a passkey nobody has. */
  async authenticate(ceremony: string, response: Record<string, unknown>, request: Request): Promise<string> {
    const challenge = await this.people.takeChallenge(secretHash(ceremony), 'authenticate', this.clock.now());
    if (!challenge) throw invalid('the ceremony is unknown or expired');
    const answer = response as unknown as AuthenticationResponseJSON;
    const passkey = typeof answer.id === 'string' ? await this.people.passkey(answer.id) : undefined;
    if (!passkey) throw new PeopleError('SIGN_IN_FAILED', 'this passkey belongs to no account here');
    const { origin, rpID } = relyingParty(request);
    const result = await verifyAuthenticationResponse({
      response: answer,
      expectedChallenge: challenge.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: passkey.counter,
        transports: transports(passkey.transports),
      },
      requireUserVerification: false,
    }).catch((error: Error) => {
      throw invalid(error.message);
    });
    if (!result.verified) throw new PeopleError('SIGN_IN_FAILED', 'the passkey did not verify');
    await this.people.setPasskeyCounter(passkey.credentialId, result.authenticationInfo.newCounter);
    return passkey.personId;
  }

  private async remember(challenge: string, purpose: 'register' | 'authenticate', personId: string | null) {
    const ceremony = newSecret();
    await this.people.insertChallenge({
      idHash: secretHash(ceremony),
      challenge,
      purpose,
      personId,
      expiresAt: new Date(this.clock.now().getTime() + CEREMONY_MS),
    });
    return ceremony;
  }
}

/** The origin the request was made to (HTTPS or not, see `isHttps`; the Host header) and its host name. */
function relyingParty(request: Request): { origin: string; rpID: string } {
  const origin = `${isHttps(request) ? 'https' : 'http'}://${request.get('host') ?? 'localhost'}`;
  return { origin, rpID: new URL(origin).hostname };
}

type Transport = NonNullable<
  Parameters<typeof generateRegistrationOptions>[0]['excludeCredentials']
>[number]['transports'];
const transports = (stored: string[]) => stored as Transport;

const invalid = (message: string) => new PeopleError('PASSKEY_INVALID', `passkey: ${message}`);
