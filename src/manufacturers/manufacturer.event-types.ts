import { EventContext, EventType, IntakeBatch } from '../ledger/event-type';
import { ndcOfGtin } from '../gs1/ndc';
import { parseYymmdd } from '../gs1/expiry';
import { LedgerEvent } from '../protocol/event';
import { unitCode } from '../protocol/item-code';
import { newItem } from '../supply-chain/custody.model';
import { CustodyStore } from '../supply-chain/custody.store';
import { openAlert } from '../supply-chain/custody.event-types';
import { violation } from '../supply-chain/supply-chain.errors';
import {
  CommissionBody,
  PrefixGrantBody,
  ProductRegisterBody,
  RecallBody,
  RecallLiftBody,
} from './dto/manufacturer-bodies.dto';

/** The company prefix of `gtin` that `holder` holds, if any (a GTIN-14's prefix starts after the indicator). */
function heldPrefix(store: CustodyStore, holder: string, gtin: string): string | undefined {
  return store.prefixesOf(holder).find((prefix) => gtin.slice(1, 1 + prefix.length) === prefix);
}

export class PrefixGrantType implements EventType<PrefixGrantBody> {
  readonly type = 'prefix.grant';
  readonly body = PrefixGrantBody;
  readonly actorRoles = ['operator'] as const;

  namedParties(body: PrefixGrantBody): string[] {
    return [body.gln];
  }

  prepare(batch: IntakeBatch, body: PrefixGrantBody): void {
    batch.registry.want([body.gln], []);
    batch.store(CustodyStore).wantPrefix(body.prefix);
  }

  apply(batch: IntakeBatch, { body, index }: EventContext<PrefixGrantBody>): void {
    const store = batch.store(CustodyStore);
    if (batch.registry.party(body.gln)?.role !== 'manufacturer') {
      throw violation('PARTY_NOT_MANUFACTURER', `${body.gln} is not a registered manufacturer`);
    }
    const [clash] = store.prefixesOverlapping(body.prefix);
    if (clash) {
      throw violation(
        'PREFIX_ALREADY_GRANTED',
        clash.prefix === body.prefix
          ? `company prefix ${body.prefix} already belongs to ${clash.gln}`
          : `company prefix ${body.prefix} overlaps ${clash.prefix}, which belongs to ${clash.gln}`,
      );
    }
    store.grantPrefix(body.prefix, body.gln, index);
  }
}

export class ProductRegisterType implements EventType<ProductRegisterBody> {
  readonly type = 'product.register';
  readonly body = ProductRegisterBody;
  readonly actorRoles = ['manufacturer'] as const;

  namedParties(): string[] {
    return [];
  }

  prepare(batch: IntakeBatch, body: ProductRegisterBody, event: LedgerEvent<ProductRegisterBody>): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantPrefixesOf(event.actor);
  }

  apply(batch: IntakeBatch, { body, event, index }: EventContext<ProductRegisterBody>): void {
    const store = batch.store(CustodyStore);
    const existing = store.product(body.gtin);
    if (existing) {
      throw violation(
        'PRODUCT_ALREADY_REGISTERED',
        `GTIN ${body.gtin} is already registered (log index ${existing.registeredIndex})`,
      );
    }
    if (!heldPrefix(store, event.actor, body.gtin)) {
      throw violation('PREFIX_NOT_HELD', `${event.actor} holds no GS1 company prefix of GTIN ${body.gtin}`);
    }
    const derived = ndcOfGtin(body.gtin) ?? null;
    if (body.ndc && derived && body.ndc !== derived) {
      throw violation('NDC_MISMATCH', `GTIN ${body.gtin} carries NDC ${derived}, not ${body.ndc}`);
    }
    store.putProduct({
      gtin: body.gtin,
      ndc: body.ndc ?? derived,
      name: body.name,
      strength: body.strength,
      dosageForm: body.dosageForm,
      containerSize: body.containerSize,
      manufacturer: event.actor,
      registeredIndex: index,
    });
  }
}

export class CommissionType implements EventType<CommissionBody> {
  readonly type = 'commission';
  readonly body = CommissionBody;
  readonly actorRoles = ['manufacturer'] as const;

  namedParties(): string[] {
    return [];
  }

  weight(body: CommissionBody): number {
    return body.serials.length;
  }

  prepare(batch: IntakeBatch, body: CommissionBody, event: LedgerEvent<CommissionBody>): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantPrefixesOf(event.actor);
    store.wantLots(body.gtin, [body.lot]);
    store.wantAbsent(body.serials.map((serial) => unitCode(body.gtin, serial)));
  }

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<CommissionBody>): void {
    const store = batch.store(CustodyStore);
    const product = store.product(body.gtin);
    if (!product) throw violation('PRODUCT_UNKNOWN', `GTIN ${body.gtin} is not a registered product`);
    if (product.manufacturer !== event.actor || !heldPrefix(store, event.actor, body.gtin)) {
      throw violation('PREFIX_NOT_HELD', `only the holder of GTIN ${body.gtin}'s company prefix may commission it`);
    }
    const codes = body.serials.map((serial) => unitCode(body.gtin, serial));
    const seen = new Set<string>();
    const repeated = codes.filter((code) => (seen.has(code) ? true : (seen.add(code), false)));
    if (repeated.length > 0) {
      throw violation('DUPLICATE_ITEMS', 'the event lists a serial more than once', [...new Set(repeated)]);
    }
    const taken = codes.filter((code) => store.exists(code));
    if (taken.length > 0) {
      throw violation(
        'SERIAL_ALREADY_COMMISSIONED',
        `${taken.length} serial(s) were commissioned before; a serial is commissioned once, ever`,
        taken,
      );
    }
    const lot = store.lot(body.gtin, body.lot);
    if (lot && lot.expiryCode !== body.expiry) {
      throw violation(
        'EXPIRY_MISMATCH',
        `lot ${body.lot} was commissioned with expiry ${lot.expiryCode}, not ${body.expiry}`,
      );
    }
    // The century of a two-digit year is resolved against the time of acceptance, so a rebuild decades later
    // computes the same date.
    const expiry = parseYymmdd(body.expiry, { currentYear: acceptedAt.getUTCFullYear() }).date;
    if (!lot) {
      store.putLot({
        gtin: body.gtin,
        lot: body.lot,
        expiryCode: body.expiry,
        commissionedIndex: index,
        recalled: false,
        recallIndex: null,
        recall: null,
      });
    }
    body.serials.forEach((serial, i) => {
      store.createItem(
        newItem({
          code: codes[i],
          kind: 'unit',
          gtin: body.gtin,
          serial,
          lot: body.lot,
          expiryCode: body.expiry,
          expiry,
          custodian: event.actor,
          lastIndex: index,
        }),
        index,
      );
    });
  }
}

abstract class LotEventType<B extends RecallBody | RecallLiftBody> implements EventType<B> {
  abstract readonly type: string;
  abstract readonly body: new () => B;
  readonly actorRoles = ['manufacturer'] as const;

  namedParties(): string[] {
    return [];
  }

  prepare(batch: IntakeBatch, body: B): void {
    const store = batch.store(CustodyStore);
    store.wantProducts([body.gtin]);
    store.wantLots(body.gtin, body.lots);
    store.wantOpenAlerts([], [body.gtin]);
  }

  protected lots(batch: IntakeBatch, body: B, actor: string) {
    const store = batch.store(CustodyStore);
    const product = store.product(body.gtin);
    if (!product) throw violation('PRODUCT_UNKNOWN', `GTIN ${body.gtin} is not a registered product`);
    if (product.manufacturer !== actor) {
      throw violation(
        'NOT_MANUFACTURER',
        `only ${product.manufacturer}, the manufacturer of ${body.gtin}, may do this`,
      );
    }
    const unknown = body.lots.filter((lot) => !store.lot(body.gtin, lot));
    if (unknown.length > 0)
      throw violation('LOT_UNKNOWN', `no units of lot(s) ${unknown.join(', ')} were commissioned`);
    if (new Set(body.lots).size !== body.lots.length) throw violation('DUPLICATE_ITEMS', 'a lot is listed twice');
    return body.lots.map((lot) => store.lot(body.gtin, lot)!);
  }

  abstract apply(batch: IntakeBatch, context: EventContext<B>): void;
}

export class RecallType extends LotEventType<RecallBody> {
  readonly type = 'recall';
  readonly body = RecallBody;

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<RecallBody>): void {
    const store = batch.store(CustodyStore);
    const lots = this.lots(batch, body, event.actor);
    const already = lots.filter((l) => l.recalled);
    if (already.length > 0) {
      throw violation('LOT_ALREADY_RECALLED', `lot(s) ${already.map((l) => l.lot).join(', ')} are already recalled`);
    }
    for (const lot of lots) {
      const recall = { reason: body.reason, ...(body.classification ? { classification: body.classification } : {}) };
      store.putLot({ ...lot, recalled: true, recallIndex: index, recall });
      openAlert(store, index, acceptedAt, 'recall', [], [event.actor], recall, { gtin: body.gtin, lot: lot.lot });
    }
  }
}

export class RecallLiftType extends LotEventType<RecallLiftBody> {
  readonly type = 'recall-lift';
  readonly body = RecallLiftBody;

  apply(batch: IntakeBatch, { body, event, index, acceptedAt }: EventContext<RecallLiftBody>): void {
    const store = batch.store(CustodyStore);
    const lots = this.lots(batch, body, event.actor);
    const notRecalled = lots.filter((l) => !l.recalled);
    if (notRecalled.length > 0) {
      throw violation('LOT_NOT_RECALLED', `lot(s) ${notRecalled.map((l) => l.lot).join(', ')} are not recalled`);
    }
    const lifted = new Set(body.lots);
    for (const lot of lots)
      store.putLot({ ...lot, recalled: false, recallIndex: index, recall: { lifted: body.reason } });
    for (const alert of store.openAlerts()) {
      if (
        alert.kind === 'recall' &&
        alert.gtin === body.gtin &&
        alert.lot &&
        lifted.has(alert.lot) &&
        alert.openedIndex < index
      ) {
        store.putAlert({ ...alert, status: 'closed', closedIndex: index, closedAt: acceptedAt });
      }
    }
  }
}
