import { Injectable } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Secrets } from '../config/secrets';
import { IntakeService } from '../ledger/intake.service';
import { IntakeResult, Receipt } from '../ledger/receipt';
import { LedgerEvent } from '../protocol/event';
import { publicKeyOf } from '../signing/ed25519';
import { keyIdOf, signEvent } from '../signing/event-signing';

/**
 * The network operator as a signer: builds events the operator administers (partner registrations, key changes,
 * company-prefix grants), signs them with the operator's key and submits them through ordinary intake.
 */
@Injectable()
export class OperatorService {
  readonly gln: string;
  readonly publicKey: Uint8Array;
  readonly principal: Principal;

  constructor(
    config: AppConfig,
    private readonly secrets: Secrets,
    private readonly intake: IntakeService,
  ) {
    this.gln = config.OPERATOR_GLN;
    this.publicKey = publicKeyOf(secrets.operatorSeed);
    this.principal = { kind: 'operator', gln: this.gln, role: 'operator' };
  }

  get keyId(): string {
    return keyIdOf(this.publicKey);
  }

  /** Signs and submits; returns intake's result as is. */
  async trySubmit(type: string, id: string, body: object): Promise<IntakeResult> {
    const event: LedgerEvent<object> = {
      id,
      type,
      actor: this.gln,
      keyId: this.keyId,
      time: new Date().toISOString(),
      // Drop undefined optional fields: the signed bytes are those of the JSON that is sent.
      body: JSON.parse(JSON.stringify(body)) as object,
    };
    const [result] = await this.intake.submit(this.principal, [
      { event, signature: signEvent(event, this.secrets.operatorSeed) },
    ]);
    return result;
  }

  /**
   * Signs and submits; throws the refusal as an AppError. An event id already used (the operator's ids are
   * deterministic, e.g. `register:<gln>`) becomes `alreadyDone`.
   */
  async submit(type: string, id: string, body: object, alreadyDone: string): Promise<Receipt> {
    const result = await this.trySubmit(type, id, body);
    if (!result.accepted) {
      const code = result.error.code === 'EVENT_ID_CONFLICT' ? alreadyDone : result.error.code;
      throw new AppError(code, result.error.message, result.status, result.error.details);
    }
    return result.receipt;
  }
}
