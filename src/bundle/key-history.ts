/**
 * The key history a bundle carries, replayed with the registry rules the server applies at intake
 * (src/protocol/registry.ts): which key could sign for which party at each log position.
 *
 * The bundle lists its registry events before its scope events, each list in log order. Registry events are
 * replayed as they arrive (each judged against the registry as it stood just before it); a scope event at index i
 * is judged against a second replay advanced to i, so a key added after i, or a revocation logged after i, has no
 * say on it, exactly as at intake.
 */
import { LedgerEvent } from '../protocol/event';
import {
  applyRegistryEvent,
  checkSigner,
  genesisKey,
  MemoryRegistry,
  PartyRecord,
  RegistryViolation,
} from '../protocol/registry';

interface Replayed {
  index: number;
  acceptedAtMs: number;
  event: LedgerEvent<unknown>;
}

export interface Signer {
  /** The actor's registry record; null for the operator's self-registration, which introduces its own key. */
  party: PartyRecord | null;
  publicKey: Uint8Array;
}

export class KeyHistory {
  /** The registry after every registry event seen so far. */
  private readonly latest = new MemoryRegistry();
  /** Registry events that the rules accepted, in list order, for the replay of scope events. */
  private readonly accepted: Replayed[] = [];
  private readonly asOf = new MemoryRegistry();
  private asOfNext = 0;

  get size(): number {
    return this.accepted.length;
  }

  /**
   * The signer of a registry event, at its place in the registry list. Throws the `RegistryViolation` intake would
   * have refused it with.
   */
  registrySigner(index: number, event: LedgerEvent<unknown>, acceptedAtMs: number): Signer {
    return signerIn(this.latest, index, event, acceptedAtMs);
  }

  /** Applies a registry event whose signer passed `registrySigner`; throws the rules' `RegistryViolation`. */
  apply(index: number, event: LedgerEvent<unknown>, acceptedAtMs: number): void {
    applyRegistryEvent(this.latest, event, index, acceptedAtMs);
    this.accepted.push({ index, acceptedAtMs, event });
  }

  /** The signer of a scope event at log index `index`, per the registry events logged before it. */
  signerAt(index: number, event: LedgerEvent<unknown>, acceptedAtMs: number): Signer {
    while (this.asOfNext < this.accepted.length && this.accepted[this.asOfNext].index < index) {
      const next = this.accepted[this.asOfNext++];
      // Accepted once by the same rules over the same sequence, so it cannot fail here.
      applyRegistryEvent(this.asOf, next.event, next.index, next.acceptedAtMs);
    }
    return signerIn(this.asOf, index, event, acceptedAtMs);
  }

  /** A party as the whole bundled registry leaves it. */
  party(gln: string): PartyRecord | undefined {
    return this.latest.party(gln);
  }

  /** The role a party had as of the last `signerAt` (for judging the parties an event names). */
  partyAsOf(gln: string): PartyRecord | undefined {
    return this.asOf.party(gln);
  }
}

function signerIn(registry: MemoryRegistry, index: number, event: LedgerEvent<unknown>, acceptedAtMs: number): Signer {
  if (registry.isEmpty()) {
    const introduced = genesisKey(event);
    if (introduced && index !== 0) {
      throw new RegistryViolation(
        'GENESIS_REQUIRED',
        `an operator self-registration is valid only as the log's first entry, not at index ${index}`,
      );
    }
    if (!introduced) {
      throw new RegistryViolation(
        'GENESIS_REQUIRED',
        "the bundle's key history does not start with the operator's self-registration (log index 0)",
      );
    }
  }
  const party = checkSigner(registry, event, acceptedAtMs);
  const publicKey = party === null ? genesisKey(event)! : registry.key(event.keyId)!.publicKey;
  return { party, publicKey };
}
