import { PartyRecord, PartyRole } from '../registry';
import { Alert, Item, Lot, Product, Shipment } from './model';
import { CustodyViolation } from './violation';

/**
 * The supply-chain state the custody rules read and change. Intake's store (src/supply-chain/custody.store.ts)
 * implements it over rows loaded in bulk for a batch of events; the offline verifier's replay (./replay.ts) over
 * maps filled by the events of a bundle. The rules call the writes only for effects, and call `touch` (or
 * `createItem`) for every item an event acts on: that is the item's history.
 */
export interface CustodyState {
  item(code: string): Item | undefined;
  /** True if the code is already an item (a serial is commissioned once, ever). */
  exists(code: string): boolean;
  /** The items packed directly in `code`. */
  contents(code: string): Item[];
  /** Everything packed in `code`, at any depth (not the item itself). */
  descendants(code: string): Item[];
  /** The container chain above an item, nearest first. */
  ancestors(item: Item): string[];
  product(gtin: string): Product | undefined;
  lot(gtin: string, lot: string): Lot | undefined;
  /** Granted prefixes equal to `prefix`, starting it, or starting with it (GS1 prefixes never overlap). */
  prefixesOverlapping(prefix: string): { prefix: string; gln: string }[];
  /** The company prefix of `gtin` that `holder` holds, if any (a GTIN-14's prefix starts after the indicator). */
  heldPrefix(holder: string, gtin: string): string | undefined;
  shipment(id: string): Shipment | undefined;
  openAlerts(): Alert[];

  createItem(item: Item, index: number): void;
  /** Marks an item acted on by the event at `index` (its history gets that index). */
  touch(item: Item, index: number): void;
  setParent(item: Item, parent: string | null): void;
  putProduct(product: Product): void;
  putLot(lot: Lot): void;
  grantPrefix(prefix: string, gln: string, grantedIndex: number): void;
  putShipment(shipment: Shipment): void;
  putAlert(alert: Alert): void;
  /** Alerts are numbered within the event that opens them. */
  nextAlertSeq(index: number): number;
}

/** What the rules read of the registry: the parties (a shipment's recipient, a prefix's grantee). */
export interface PartyView {
  party(gln: string): Pick<PartyRecord, 'role'> | undefined;
}

/**
 * Whether the custodian of a returned item has verified it since it came back (DSCSA: saleable returns are
 * verified before resale). Verifications are not log events: the server reads its records, a bundle cannot show
 * them.
 */
export interface ReturnView {
  /** True when the item's custodian verified it cleanly after it was received back and before `before`. */
  verified(item: Item, before: Date): boolean;
}

/** One event as a rule sees it, with where it judges it. */
export interface RuleInput<B> {
  state: CustodyState;
  registry: PartyView;
  returns: ReturnView;
  type: string;
  actor: string;
  /** The signer's role (undefined for no known signer). */
  role: PartyRole | undefined;
  body: B;
  /** The log index the event has (or gets if accepted). */
  index: number;
  acceptedAt: Date;
  /** Parties the rule finds the event concerns besides those it names (e.g. a quarantined product's manufacturer). */
  alsoNamed: Set<string>;
  /**
   * A rule refuses the event. Intake throws (a refused event changes nothing: every check runs before the first
   * write). A replay records it and goes on applying the event as the log records it, so that a break is reported
   * once, where it happens.
   */
  refuse(violation: CustodyViolation): void;
  /**
   * After an `ITEM_UNKNOWN` refusal, a replay takes the unknown items as the log records them: held by the actor,
   * active (a bundle lacks the events that made items outside its scope). Intake never gets here.
   */
  adopt?(codes: string[], custodian: string, index: number): void;
}
