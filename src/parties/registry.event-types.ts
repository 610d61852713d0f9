import { EventContext, EventType, IntakeBatch } from '../ledger/event-type';
import { LedgerEvent } from '../protocol/event';
import { applyRegistryEvent, PartyRegisterBody } from '../protocol/registry';
import { base64ToBytes } from '../bytes';
import { keyIdOf } from '../signing/event-signing';
import { KeyAddBodyDto, KeyRevokeBodyDto, PartyRegisterBodyDto } from './dto/registry-bodies.dto';

/** Registry events: the pure rules in protocol/registry.ts applied to the registry store. */
abstract class RegistryEventType<B extends object> implements EventType<B> {
  abstract readonly type: string;
  abstract readonly body: new () => B;
  readonly actorRoles = ['operator'] as const;

  abstract namedParties(body: B): string[];
  protected abstract keyIds(body: B): string[];

  prepare(batch: IntakeBatch, body: B): void {
    batch.registry.want(this.namedParties(body), this.keyIds(body));
  }

  apply(batch: IntakeBatch, context: EventContext<B>): void {
    applyRegistryEvent(
      batch.registry,
      context.event as LedgerEvent<unknown>,
      context.index,
      context.acceptedAt.getTime(),
    );
  }
}

const keyIdOfBase64 = (publicKey: string) => keyIdOf(base64ToBytes(publicKey));

export class PartyRegisterType extends RegistryEventType<PartyRegisterBodyDto> {
  readonly type = 'party.register';
  readonly body = PartyRegisterBodyDto;
  namedParties(body: PartyRegisterBody): string[] {
    return [body.gln];
  }
  protected keyIds(body: PartyRegisterBody): string[] {
    return body.publicKeys.map(keyIdOfBase64);
  }
}

export class KeyAddType extends RegistryEventType<KeyAddBodyDto> {
  readonly type = 'key.add';
  readonly body = KeyAddBodyDto;
  namedParties(body: KeyAddBodyDto): string[] {
    return [body.gln];
  }
  protected keyIds(body: KeyAddBodyDto): string[] {
    return [keyIdOfBase64(body.publicKey)];
  }
}

export class KeyRevokeType extends RegistryEventType<KeyRevokeBodyDto> {
  readonly type = 'key.revoke';
  readonly body = KeyRevokeBodyDto;
  namedParties(body: KeyRevokeBodyDto): string[] {
    return [body.gln];
  }
  protected keyIds(body: KeyRevokeBodyDto): string[] {
    return [body.keyId];
  }
}
