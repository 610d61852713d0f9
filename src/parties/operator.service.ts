import { HttpStatus, Injectable } from '@nestjs/common';
import { Principal } from '../auth/principal';
import { AppError } from '../common/app-error';
import { AppConfig } from '../config/app-config';
import { Secrets } from '../config/secrets';
import { canonicalJson } from '../canonical-json';
import { IntakeService } from '../ledger/intake.service';
import { LogService } from '../ledger/log.service';
import { IntakeResult, Receipt } from '../ledger/receipt';
import { LedgerEvent, SignedEvent } from '../protocol/event';
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
    private readonly log: LogService,
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
    return (await this.signAndSubmit(type, id, body)).result;
  }

  /** Signs and submits; returns the signed event with intake's result (to hand the event on as it was logged). */
  async signAndSubmit(
    type: string,
    id: string,
    body: object,
  ): Promise<{ signed: SignedEvent<object>; result: IntakeResult }> {
    const event: LedgerEvent<object> = {
      id,
      type,
      actor: this.gln,
      keyId: this.keyId,
      time: new Date().toISOString(),
      // Drop undefined optional fields: the signed bytes are those of the JSON that is sent.
      body: plain(body),
    };
    const signed = { event, signature: signEvent(event, this.secrets.operatorSeed) };
    const [result] = await this.intake.submit(this.principal, [signed]);
    return { signed, result };
  }

  /**
   * Signs and submits a request, safe to retry (docs/PROTOCOL.md §3.3): the event's time is chosen anew on every
   * attempt, so a repeat cannot be recognised by its bytes (§5.2); it is recognised by its content instead. When the
   * request's event id, or its natural key (`holder`), is already taken by a logged event that `answers` the request,
   * the answer is that event's receipt, `duplicate: true`. Only other content is a conflict: `alreadyDone`, 409.
   */
  async submit(request: OperatorRequest): Promise<Receipt> {
    const { type, id, body, alreadyDone } = request;
    const result = await this.trySubmit(type, id, body);
    if (result.accepted) return result.receipt;
    const { code, message, details } = result.error;
    const conflict = code === 'EVENT_ID_CONFLICT';
    const index = conflict
      ? (details as { index: number }).index
      : code === alreadyDone
        ? await request.holder?.()
        : undefined;
    if (index !== undefined) {
      const logged = await this.log.entry(index, this.principal);
      const event = logged.event as LedgerEvent<object>;
      const answers = request.answers ?? ((earlier: object) => canonicalJson(earlier) === canonicalJson(plain(body)));
      if (event.actor === this.gln && event.type === type && answers(event.body)) {
        return {
          index: logged.index,
          leafHash: logged.leafHash,
          eventId: event.id,
          actor: event.actor,
          acceptedAt: logged.acceptedAt,
          duplicate: true,
        };
      }
    }
    if (conflict) throw new AppError(alreadyDone, message, HttpStatus.CONFLICT, details);
    throw new AppError(code, message, result.status, details);
  }
}

/** A request the operator logs as an event it signs (see OperatorService.submit). */
export interface OperatorRequest {
  type: string;
  /** Deterministic: a repeat of the request builds the same id. */
  id: string;
  body: object;
  /** The code of a real conflict: the id or the natural key is taken by other content. */
  alreadyDone: string;
  /** When a rule refuses the event as `alreadyDone`: the index of the logged event holding its natural key, if any. */
  holder?: () => Promise<number | undefined>;
  /** Whether a logged body of the same type satisfies the request; default: the same body (RFC 8785). */
  answers?: (logged: object) => boolean;
}

/** The JSON that is signed: undefined optional fields dropped. */
function plain(body: object): object {
  return JSON.parse(JSON.stringify(body)) as object;
}
