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
    const receipt = await this.operator.submit(
      'party.register',
      `register:${dto.gln}`,
      body,
      'PARTY_ALREADY_REGISTERED',
    );
    return { party: await this.get(dto.gln), receipt };
  }

  async addKey(gln: string, dto: AddKeyDto): Promise<{ key: KeyView; receipt: Receipt }> {
    await this.get(gln);
    const body: KeyAddBodyDto = { gln, publicKey: dto.publicKey };
    const keyId = keyIdOf(base64ToBytes(dto.publicKey));
    const receipt = await this.operator.submit('key.add', `key.add:${keyId}`, body, 'KEY_ALREADY_REGISTERED');
    return { key: (await this.get(gln)).keys.find((k) => k.keyId === keyId)!, receipt };
  }

  async revokeKey(gln: string, keyId: string, revokedAt?: string): Promise<{ key: KeyView; receipt: Receipt }> {
    const party = await this.get(gln);
    if (!party.keys.some((k) => k.keyId === keyId))
      throw new NotFoundError(`party ${gln} has no key ${keyId}`, 'KEY_UNKNOWN');
    const body: KeyRevokeBodyDto = { gln, keyId, revokedAt: revokedAt ?? new Date().toISOString() };
    // The id carries the time, so a scheduled revocation can later be brought forward by a second one.
    const id = `key.revoke:${keyId}:${Date.parse(body.revokedAt)}`;
    const receipt = await this.operator.submit('key.revoke', id, body, 'KEY_ALREADY_REVOKED');
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
