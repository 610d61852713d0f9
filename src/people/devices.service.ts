import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Principal } from '../auth/principal';
import { AuthError } from '../common/app-error';
import { Receipt } from '../ledger/receipt';
import { PartiesService } from '../parties/parties.service';
import { PeopleClock } from './people-clock';
import { RegisterDeviceDto } from './people.dto';
import { PeopleError } from './people.errors';
import { DeviceRow, PeopleRepository } from './people.repository';

export type PartyPrincipal = Extract<Principal, { kind: 'party' }>;

/**
 * Browsers' device keys (PROTOCOL §3.4): each is one of the party's signing keys, added and revoked by the operator in
 * the log (`key.add` naming the device and the person, `key.revoke`), so every event a person signs says which
 * device signed it, and a revoked device's events are refused by the registry rules (§3.2).
 */
@Injectable()
export class DevicesService {
  constructor(
    private readonly people: PeopleRepository,
    private readonly parties: PartiesService,
    private readonly clock: PeopleClock,
  ) {}

  async register(by: PartyPrincipal, dto: RegisterDeviceDto): Promise<DeviceRow & { receipt: Receipt }> {
    const id = randomUUID();
    const person = by.person?.id;
    const { key, receipt } = await this.parties.addKey(
      by.gln,
      { publicKey: dto.publicKey },
      { id, label: dto.label, ...(person ? { person } : {}) },
    );
    await this.people.insertDevice({
      id,
      gln: by.gln,
      personId: person ?? null,
      tokenId: by.tokenId ?? null,
      keyId: key.keyId,
      label: dto.label,
      addedIndex: key.addedIndex,
    });
    return { ...(await this.people.device(by.gln, id))!, receipt };
  }

  list(gln: string): Promise<DeviceRow[]> {
    return this.people.devices(gln);
  }

  /** Revokes a device's key now. A person may revoke their own devices; an administrator (or a machine) any. */
  async revoke(by: PartyPrincipal, id: string): Promise<DeviceRow & { receipt: Receipt }> {
    const device = await this.people.device(by.gln, id);
    if (!device) throw new PeopleError('DEVICE_NOT_FOUND', `party ${by.gln} has no device ${id}`);
    if (by.person && by.person.role !== 'administrator' && device.personId !== by.person.id) {
      throw new PeopleError('ROLE_REQUIRED', "only an administrator revokes another person's device");
    }
    const { key, receipt } = await this.parties.revokeKey(by.gln, device.keyId);
    await this.people.markDeviceRevoked(id, new Date(key.revokedAt ?? this.clock.now()), key.revokedIndex!);
    return { ...(await this.people.device(by.gln, id))!, receipt };
  }
}

/** The party behind a principal; the operator has no devices or people of its own. */
export function partyPrincipal(principal: Principal): PartyPrincipal {
  if (principal.kind !== 'party') throw AuthError.forbidden('this is for a party, not the operator');
  return principal;
}
