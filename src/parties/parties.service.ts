import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { NotFoundError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { RunMode } from '../config/run-mode';
import { Receipt } from '../ledger/receipt';
import { KeyRecord, PartyRecord, PartyRole } from '../protocol/registry';
import { base64ToBytes, bytesToBase64 } from '../bytes';
import { keyIdOf } from '../signing/event-signing';
import { AddKeyDto, RegisterPartyDto } from './dto/party-requests.dto';
import { KeyAddBodyDto, KeyRevokeBodyDto, PartyRegisterBodyDto } from './dto/registry-bodies.dto';
import { OperatorService } from './operator.service';
import { RegistryRepository } from './registry.repository';

export interface PartyView extends PartyRecord {
  keys: KeyView[];
}

export interface KeyView {
  keyId: string;
  publicKey: string;
  addedIndex: number;
  addedAt: string;
  revokedAt: string | null;
  revokedIndex: number | null;
}

/**
 * Trading partners and their keys. Every change is an event signed with the operator's key and logged, so the
 * registry can be rebuilt from the log alone; the first entry of every log is the operator registering itself.
 */
@Injectable()
export class PartiesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PartiesService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly runMode: RunMode,
    private readonly registry: RegistryRepository,
    private readonly operator: OperatorService,
  ) {}

  /** On a new log, the operator's self-registration becomes entry 0. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.runMode.isServer) return;
    if (!(await this.registry.hasAnyParty())) {
      const body: PartyRegisterBodyDto = {
        gln: this.config.OPERATOR_GLN,
        name: this.config.OPERATOR_NAME,
        role: 'operator',
        address: { street: '-', city: '-', postalCode: '-', country: 'US' },
        publicKeys: [bytesToBase64(this.operator.publicKey)],
      };
      const result = await this.operator.trySubmit('party.register', `register:${body.gln}`, body);
      if (!result.accepted && result.error.code !== 'EVENT_ID_CONFLICT') {
        throw new Error(`could not write the operator's registration: ${result.error.code} ${result.error.message}`);
      }
      if (result.accepted) this.logger.log(`registered the operator ${body.gln} as log entry ${result.receipt.index}`);
    }
    const operatorKey = this.operator.keyId;
    const key = (await this.registry.keysOf(this.config.OPERATOR_GLN)).find((k) => k.keyId === operatorKey);
    if (!key || key.revokedAtMs !== null) {
      this.logger.error(
        `the configured operator key ${operatorKey} is not an active key of ${this.config.OPERATOR_GLN} in this log; ` +
          'registrations and key changes will be refused',
      );
    }
  }

  async register(dto: RegisterPartyDto): Promise<{ party: PartyView; receipt: Receipt }> {
    const body: PartyRegisterBodyDto = { ...dto, address: { ...dto.address } };
    const receipt = await this.operator.submit({
      type: 'party.register',
      id: `register:${dto.gln}`,
      body,
      alreadyDone: 'PARTY_ALREADY_REGISTERED',
      holder: async () => (await this.registry.party(dto.gln))?.registeredIndex,
    });
    return { party: await this.get(dto.gln), receipt };
  }

  /** `device`: a browser's device key names its device and person in the logged event (PROTOCOL §3.4). */
  async addKey(
    gln: string,
    dto: AddKeyDto,
    device?: KeyAddBodyDto['device'],
  ): Promise<{ key: KeyView; receipt: Receipt }> {
    await this.get(gln);
    const body: KeyAddBodyDto = { gln, publicKey: dto.publicKey, ...(device ? { device } : {}) };
    const keyId = keyIdOf(base64ToBytes(dto.publicKey));
    const receipt = await this.operator.submit({
      type: 'key.add',
      id: `key.add:${keyId}`,
      body,
      alreadyDone: 'KEY_ALREADY_REGISTERED',
      holder: async () => (await this.registry.key(keyId))?.addedIndex,
    });
    return { key: (await this.get(gln)).keys.find((k) => k.keyId === keyId)!, receipt };
  }

  /**
   * Revokes a key as of `revokedAt`. A repeat with the same time answers the original receipt. Without a time ("now"),
   * a key already revoked as of now or earlier answers the revocation in force: retrying "revoke now" never logs a
   * second revocation, and never fails because the first one went through.
   */
  async revokeKey(gln: string, keyId: string, revokedAt?: string): Promise<{ key: KeyView; receipt: Receipt }> {
    const party = await this.get(gln);
    if (!party.keys.some((k) => k.keyId === keyId))
      throw new NotFoundError(`party ${gln} has no key ${keyId}`, 'KEY_UNKNOWN');
    const body: KeyRevokeBodyDto = { gln, keyId, revokedAt: revokedAt ?? new Date().toISOString() };
    const at = Date.parse(body.revokedAt);
    const covers = (loggedAt: number) => (revokedAt === undefined ? loggedAt <= at : loggedAt === at);
    const receipt = await this.operator.submit({
      type: 'key.revoke',
      // The id carries the time, so a scheduled revocation can later be brought forward by a second one.
      id: `key.revoke:${keyId}:${at}`,
      body,
      alreadyDone: 'KEY_ALREADY_REVOKED',
      holder: async () => {
        const key = await this.registry.key(keyId);
        return key?.revokedAtMs != null && covers(key.revokedAtMs) ? key.revokedIndex! : undefined;
      },
      answers: (logged) => {
        const earlier = logged as KeyRevokeBodyDto;
        return earlier.gln === gln && earlier.keyId === keyId && covers(Date.parse(earlier.revokedAt));
      },
    });
    return { key: (await this.get(gln)).keys.find((k) => k.keyId === keyId)!, receipt };
  }

  async get(gln: string): Promise<PartyView> {
    const party = await this.registry.party(gln);
    if (!party) throw new NotFoundError(`party ${gln} is not registered`, 'PARTY_UNKNOWN');
    return { ...party, keys: (await this.registry.keysOf(gln)).map(keyView) };
  }

  async list(role?: PartyRole): Promise<PartyRecord[]> {
    return this.registry.list(role);
  }

  /** Parties by GLN (for transaction information: names and addresses of sellers and buyers). */
  async find(gln: string): Promise<PartyRecord | undefined> {
    return this.registry.party(gln);
  }
}

function keyView(key: KeyRecord): KeyView {
  return {
    keyId: key.keyId,
    publicKey: bytesToBase64(key.publicKey),
    addedIndex: key.addedIndex,
    addedAt: new Date(key.addedAtMs).toISOString(),
    revokedAt: key.revokedAtMs === null ? null : new Date(key.revokedAtMs).toISOString(),
    revokedIndex: key.revokedIndex,
  };
}
