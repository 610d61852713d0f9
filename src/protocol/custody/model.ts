/** The supply-chain state the rules read and change (one row each in the read-model tables). */

export const ITEM_STATUSES = ['active', 'in_transit', 'dispensed', 'decommissioned', 'destroyed'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export type Hold = 'quarantined' | 'illegitimate';

export interface Item {
  code: string;
  kind: 'unit' | 'container';
  gtin: string | null;
  serial: string | null;
  lot: string | null;
  /** As printed (AI 17, YYMMDD; DD may be 00). */
  expiryCode: string | null;
  /** The last day the item may be used, ISO date. */
  expiry: string | null;
  status: ItemStatus;
  hold: Hold | null;
  custodian: string;
  /**
   * The parties that sold it down the chain, nearest last: a return goes to the last one, and receiving the return
   * takes it off, so a unit can be returned hop by hop up to its manufacturer.
   */
  sellers: string[];
  /** The container it is packed in. */
  parent: string | null;
  /** While in transit: the shipment key `<shipper>:<shipmentId>`. */
  shipment: string | null;
  /** Received back as a return and not yet verified by its custodian: not saleable. */
  returnPending: boolean;
  returnReceivedAt: Date | null;
  /** Custody transfers (receipts) so far. */
  transfers: number;
  /** Log index of the last event that touched it. */
  lastIndex: number;
}

/** A new item, active in its creator's custody: a unit (commissioned) or a container (packed). */
export function newItem(
  fields: Pick<Item, 'code' | 'kind' | 'custodian' | 'lastIndex'> &
    Partial<Pick<Item, 'gtin' | 'serial' | 'lot' | 'expiryCode' | 'expiry'>>,
): Item {
  // Every field written out, in one order: items made here all have one shape (a hundred thousand at a time).
  return {
    code: fields.code,
    kind: fields.kind,
    gtin: fields.gtin ?? null,
    serial: fields.serial ?? null,
    lot: fields.lot ?? null,
    expiryCode: fields.expiryCode ?? null,
    expiry: fields.expiry ?? null,
    status: 'active',
    hold: null,
    custodian: fields.custodian,
    sellers: [],
    parent: null,
    shipment: null,
    returnPending: false,
    returnReceivedAt: null,
    transfers: 0,
    lastIndex: fields.lastIndex,
  };
}

export interface Product {
  gtin: string;
  ndc: string | null;
  name: string;
  strength: string;
  dosageForm: string;
  containerSize: string;
  manufacturer: string;
  registeredIndex: number;
}

export interface Lot {
  gtin: string;
  lot: string;
  expiryCode: string;
  commissionedIndex: number;
  recalled: boolean;
  recallIndex: number | null;
  recall: Record<string, unknown> | null;
}

export interface TransactionInfo {
  date: string;
  shipmentDate: string;
  purchaseOrder?: string;
  invoice?: string;
}

export interface Shipment {
  /** `<shipper>:<shipmentId>` */
  id: string;
  shipper: string;
  shipmentId: string;
  recipient: string;
  reason: 'sale' | 'return';
  /** The top-level items shipped (units and containers, as named in the ship event). */
  items: string[];
  unitCount: number;
  transaction: TransactionInfo;
  shipIndex: number;
  shippedAt: Date;
  status: 'in_transit' | 'received';
  receiveIndex: number | null;
  receivedAt: Date | null;
  discrepancy: { missing: string[]; extra: string[] } | null;
}

export type AlertKind = 'discrepancy' | 'quarantine' | 'illegitimate' | 'recall';

export interface Alert {
  openedIndex: number;
  seq: number;
  kind: AlertKind;
  status: 'open' | 'closed';
  gtin: string | null;
  lot: string | null;
  items: string[];
  /** GLNs that see the alert (regulators see every alert). */
  parties: string[];
  details: Record<string, unknown>;
  openedAt: Date;
  closedIndex: number | null;
  closedAt: Date | null;
}

export const shipmentKey = (shipper: string, shipmentId: string) => `${shipper}:${shipmentId}`;
