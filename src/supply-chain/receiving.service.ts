import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/app-error';
import { Shipment, shipmentKey } from '../protocol/custody/model';
import { CustodyRepository } from './custody.repository';

/** One thing a shipment carries: a top-level item of its ship event, or something packed inside one. */
export interface ExpectedItem {
  code: string;
  kind: 'unit' | 'container';
  /** The shipped container it is packed in (directly); null for the items the ship event names. */
  container: string | null;
  gtin: string | null;
  serial: string | null;
  lot: string | null;
  expiry: string | null;
  /** The product's name, for units. */
  product: string | null;
  /** For a container: the units inside it at any depth. */
  units?: number;
}

export interface ExpectedShipment {
  shipment: Shipment;
  /** The ship event's items first (in its order), each followed by its contents; `container` links them. */
  items: ExpectedItem[];
  unitCount: number;
}

/**
 * Receiving against the advance notice (issue 13 §2): what a shipment to me carries, containers with their
 * contents, so the receiving page can count what arrived (read through the custody repository's functions).
 */
@Injectable()
export class ReceivingService {
  constructor(private readonly custody: CustodyRepository) {}

  async expected(gln: string, shipper: string, shipmentId: string): Promise<ExpectedShipment> {
    const db = this.custody.db;
    const [shipment] = await this.custody.shipments(db, [shipmentKey(shipper, shipmentId)]);
    // Another party's shipment reads as none: its existence is not told.
    if (!shipment || (shipment.recipient !== gln && shipment.shipper !== gln)) {
      throw new NotFoundError(`${shipper} has no shipment ${shipmentId} addressed to you`);
    }
    const found = await this.custody.itemsWithContents(db, shipment.items);
    const gtins = [...new Set(found.map((item) => item.gtin).filter((g): g is string => g !== null))];
    const names = new Map((await this.custody.products(db, gtins)).map((p) => [p.gtin, p.name]));
    const byCode = new Map(found.map((item) => [item.code, item]));
    const children = new Map<string, string[]>();
    const top = new Set(shipment.items);
    for (const item of found) {
      if (top.has(item.code) || item.parent === null) continue;
      children.set(item.parent, [...(children.get(item.parent) ?? []), item.code]);
    }
    const unitsIn = (code: string): number =>
      (children.get(code) ?? []).reduce((sum, c) => sum + (byCode.get(c)?.kind === 'unit' ? 1 : unitsIn(c)), 0);
    const items: ExpectedItem[] = [];
    const add = (code: string, container: string | null) => {
      const item = byCode.get(code);
      if (!item) return;
      items.push({
        code,
        kind: item.kind,
        container,
        gtin: item.gtin,
        serial: item.serial,
        lot: item.lot,
        expiry: item.expiry,
        product: item.gtin ? (names.get(item.gtin) ?? null) : null,
        ...(item.kind === 'container' ? { units: unitsIn(code) } : {}),
      });
      for (const child of [...(children.get(code) ?? [])].sort()) add(child, code);
    };
    for (const code of shipment.items) add(code, null);
    return { shipment, items, unitCount: items.filter((item) => item.kind === 'unit').length };
  }
}
