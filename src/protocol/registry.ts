/**
 * The registry of trading partners and their keys, as the log defines it (docs/PROTOCOL.md §3).
 *
 * Partners and keys change only through operator-signed events in the log (`party.register`, `key.add`,
 * `key.revoke`), so anyone holding the log can rebuild which key belonged to whom at any time. These pure
 * rules are applied by the server at intake (over the database), by `audit` and by the offline bundle
 * verifier (over memory); there is no second copy of them.
 */
import { keyIdOf } from '../signing/event-signing';
import { base64ToBytes } from '../bytes';
import { publicKeyRejection } from '../signing/ed25519';
import { LedgerEvent, parseEventTime } from './event';

export const PARTY_ROLES = ['operator', 'manufacturer', 'distributor', 'dispenser', 'regulator'] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

export const REGISTRY_EVENT_TYPES = ['party.register', 'key.add', 'key.revoke'] as const;
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number];

export interface PostalAddress {
  street: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
}

export interface PartyRecord {
  gln: string;
  name: string;
  role: PartyRole;
  address: PostalAddress;
  registeredIndex: number;
}

export interface KeyRecord {
  keyId: string;
  gln: string;
  publicKey: Uint8Array;
  addedIndex: number;
  addedAtMs: number;
  /** Events signed at or after this instant (by event time or by acceptance time) are refused. */
  revokedAtMs: number | null;
  revokedIndex: number | null;
}

export interface PartyRegisterBody {
  gln: string;
  name: string;
  role: PartyRole;
  address: PostalAddress;
  /** Ed25519 public keys, standard base64 of the 32 raw bytes. */
  publicKeys: string[];
}

export interface KeyAddBody {
  gln: string;
  publicKey: string;
  /** A browser's device key (§3.4): which device of the party, and whose, holds it. Informative only. */
  device?: { id: string; label: string; person?: string };
}

export interface KeyRevokeBody {
  gln: string;
  keyId: string;
  /** RFC 3339; events signed with the key at or after this time are refused. */
  revokedAt: string;
}

/** Read and write access to the registry; the server backs it with tables, audit with memory. */
export interface RegistryState {
  party(gln: string): PartyRecord | undefined;
  key(keyId: string): KeyRecord | undefined;
  putParty(party: PartyRecord): void;
  putKey(key: KeyRecord): void;
  /** True when no party has been registered yet: only the operator's self-registration may come first. */
  isEmpty(): boolean;
}

export type RegistryCode =
  | 'ACTOR_UNKNOWN'
  | 'ACTOR_ROLE_NOT_ALLOWED'
  | 'KEY_UNKNOWN'
  | 'KEY_NOT_OWNED'
  | 'KEY_REVOKED'
  | 'KEY_INVALID'
  | 'KEY_ALREADY_REGISTERED'
  | 'KEY_ALREADY_REVOKED'
  | 'REVOCATION_TIME_INVALID'
  | 'PARTY_ALREADY_REGISTERED'
  | 'PARTY_UNKNOWN'
  | 'GENESIS_REQUIRED'
  | 'OPERATOR_ROLE_RESERVED';

export class RegistryViolation extends Error {
  constructor(
    readonly code: RegistryCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryViolation';
  }
}

/** Why `key` may not sign `event` accepted at `acceptedAtMs`, or null if it may. */
export function keyRefusal(
  key: KeyRecord | undefined,
  actor: string,
  eventTimeMs: number,
  acceptedAtMs: number,
  keyId = key?.keyId,
): RegistryViolation | null {
  if (!key) return new RegistryViolation('KEY_UNKNOWN', `key ${keyId} is not registered`);
  if (key.gln !== actor) return new RegistryViolation('KEY_NOT_OWNED', `key ${key.keyId} does not belong to ${actor}`);
  if (key.revokedAtMs !== null && (eventTimeMs >= key.revokedAtMs || acceptedAtMs >= key.revokedAtMs)) {
    return new RegistryViolation(
      'KEY_REVOKED',
      `key ${key.keyId} was revoked as of ${new Date(key.revokedAtMs).toISOString()}`,
    );
  }
  return null;
}

/**
 * Checks that the event's actor is a registered party whose key may sign it. The operator's first
 * self-registration is the one event whose key is introduced by the event itself.
 */
export function checkSigner(
  state: RegistryState,
  event: LedgerEvent<unknown>,
  acceptedAtMs: number,
): PartyRecord | null {
  if (state.isEmpty()) {
    if (!isGenesis(event)) {
      throw new RegistryViolation('GENESIS_REQUIRED', "the log's first event must be the operator's self-registration");
    }
    return null;
  }
  const actor = state.party(event.actor);
  if (!actor) throw new RegistryViolation('ACTOR_UNKNOWN', `actor ${event.actor} is not a registered party`);
  const refusal = keyRefusal(
    state.key(event.keyId),
    event.actor,
    parseEventTime(event.time),
    acceptedAtMs,
    event.keyId,
  );
  if (refusal) throw refusal;
  return actor;
}

function isGenesis(event: LedgerEvent<unknown>): boolean {
  return genesisKey(event) !== null;
}

/**
 * For the operator's self-registration (a `party.register` of role operator whose actor is the party itself),
 * the key it introduces that signed it; otherwise null. Only valid as the first entry of a log.
 */
export function genesisKey(event: LedgerEvent<unknown>): Uint8Array | null {
  const body = event.body as Partial<PartyRegisterBody>;
  if (event.type !== 'party.register' || body.role !== 'operator' || body.gln !== event.actor) return null;
  if (!Array.isArray(body.publicKeys)) return null;
  for (const key of body.publicKeys) {
    try {
      const bytes = base64ToBytes(key);
      if (keyIdOf(bytes) === event.keyId) return bytes;
    } catch {
      // not a key: ignore
    }
  }
  return null;
}

/** Applies a registry event at log index `index`. The signer must already have passed `checkSigner`. */
export function applyRegistryEvent(
  state: RegistryState,
  event: LedgerEvent<unknown>,
  index: number,
  acceptedAtMs: number,
): void {
  const genesis = state.isEmpty();
  if (!genesis) {
    const actor = state.party(event.actor);
    if (actor?.role !== 'operator') {
      throw new RegistryViolation('ACTOR_ROLE_NOT_ALLOWED', `${event.type} events are signed by the network operator`);
    }
  }
  switch (event.type as RegistryEventType) {
    case 'party.register': {
      const body = event.body as PartyRegisterBody;
      if (state.party(body.gln)) {
        throw new RegistryViolation('PARTY_ALREADY_REGISTERED', `party ${body.gln} is already registered`);
      }
      if (!genesis && body.role === 'operator') {
        throw new RegistryViolation(
          'OPERATOR_ROLE_RESERVED',
          'the operator role belongs to the party that opened the log',
        );
      }
      const keys = body.publicKeys.map((key) => newKey(state, body.gln, key, index, acceptedAtMs));
      state.putParty({
        gln: body.gln,
        name: body.name,
        role: body.role,
        address: body.address,
        registeredIndex: index,
      });
      keys.forEach((key) => state.putKey(key));
      return;
    }
    case 'key.add': {
      const body = event.body as KeyAddBody;
      if (!state.party(body.gln)) throw new RegistryViolation('PARTY_UNKNOWN', `party ${body.gln} is not registered`);
      state.putKey(newKey(state, body.gln, body.publicKey, index, acceptedAtMs));
      return;
    }
    case 'key.revoke': {
      const body = event.body as KeyRevokeBody;
      const key = state.key(body.keyId);
      if (!key || key.gln !== body.gln) {
        throw new RegistryViolation('KEY_UNKNOWN', `party ${body.gln} has no key ${body.keyId}`);
      }
      const revokedAtMs = parseEventTime(body.revokedAt);
      // A time that names no instant would revoke nothing (every comparison with NaN is false).
      if (Number.isNaN(revokedAtMs)) {
        throw new RegistryViolation(
          'REVOCATION_TIME_INVALID',
          `revokedAt ${JSON.stringify(body.revokedAt)} is not an RFC 3339 date-time`,
        );
      }
      // A revocation may be brought forward (a key found compromised before its scheduled retirement), never back.
      if (key.revokedAtMs !== null && revokedAtMs >= key.revokedAtMs) {
        throw new RegistryViolation(
          'KEY_ALREADY_REVOKED',
          `key ${body.keyId} is already revoked as of ${new Date(key.revokedAtMs).toISOString()}`,
        );
      }
      state.putKey({ ...key, revokedAtMs, revokedIndex: index });
      return;
    }
    default:
      throw new Error(`not a registry event type: ${event.type}`);
  }
}

function newKey(
  state: RegistryState,
  gln: string,
  publicKeyB64: string,
  index: number,
  acceptedAtMs: number,
): KeyRecord {
  const publicKey = base64ToBytes(publicKeyB64);
  const rejection = publicKeyRejection(publicKey);
  if (rejection) throw new RegistryViolation('KEY_INVALID', `public key is not a valid Ed25519 key (${rejection})`);
  const keyId = keyIdOf(publicKey);
  if (state.key(keyId)) throw new RegistryViolation('KEY_ALREADY_REGISTERED', `key ${keyId} is already registered`);
  return { keyId, gln, publicKey, addedIndex: index, addedAtMs: acceptedAtMs, revokedAtMs: null, revokedIndex: null };
}

/** The registry in memory, rebuilt from the log by `audit` and the offline verifier. */
export class MemoryRegistry implements RegistryState {
  private readonly parties = new Map<string, PartyRecord>();
  private readonly keys = new Map<string, KeyRecord>();
  party(gln: string): PartyRecord | undefined {
    return this.parties.get(gln);
  }
  key(keyId: string): KeyRecord | undefined {
    return this.keys.get(keyId);
  }
  putParty(party: PartyRecord): void {
    this.parties.set(party.gln, party);
  }
  putKey(key: KeyRecord): void {
    this.keys.set(key.keyId, key);
  }
  isEmpty(): boolean {
    return this.parties.size === 0;
  }
  allKeys(): KeyRecord[] {
    return [...this.keys.values()];
  }
}
