import { PartyRole } from '../protocol/registry';

/** A person of a party signed in with the session cookie (docs/PROTOCOL.md §3.4). */
export interface PersonOfParty {
  id: string;
  name: string;
  /** Their role inside the party: an administrator invites staff and manages the party's devices. */
  role: 'administrator' | 'staff';
}

/**
 * Who is calling: the network operator (configured credential) or a registered party, through one of its API tokens
 * (a machine: `tokenId`) or one of its people in a session (`person`).
 */
export type Principal =
  | { kind: 'operator'; gln: string; role: 'operator' }
  | { kind: 'party'; gln: string; role: PartyRole; tokenId?: string; person?: PersonOfParty };

export const isRegulator = (principal: Principal) => principal.role === 'regulator';

/** The signed-in person behind a principal, if any. */
export const personOf = (principal: Principal | undefined): PersonOfParty | undefined =>
  principal?.kind === 'party' ? principal.person : undefined;
