import { PartyRole } from '../protocol/registry';

/** Who is calling: the network operator (configured credential) or a registered party (API token). */
export type Principal =
  | { kind: 'operator'; gln: string; role: 'operator' }
  | { kind: 'party'; gln: string; role: PartyRole; tokenId: string };

export const isRegulator = (principal: Principal) => principal.role === 'regulator';
