/**
 * The verdict on one scanned package, from what the log says about it. Pure: the same inputs always give the
 * same reasons, so the rules read as a table and are tested directly.
 */

export type Severity = 'red' | 'amber';

export const REASONS = {
  UNKNOWN_GTIN: { severity: 'red', suspicious: true },
  UNKNOWN_SERIAL: { severity: 'red', suspicious: true },
  LOT_MISMATCH: { severity: 'red', suspicious: true },
  EXPIRY_MISMATCH: { severity: 'red', suspicious: true },
  EXPIRED: { severity: 'red', suspicious: false },
  RECALLED: { severity: 'red', suspicious: false },
  QUARANTINED: { severity: 'red', suspicious: false },
  ILLEGITIMATE: { severity: 'red', suspicious: true },
  ALREADY_DISPENSED: { severity: 'red', suspicious: true },
  DECOMMISSIONED: { severity: 'red', suspicious: false },
  DESTROYED: { severity: 'red', suspicious: true },
  CUSTODY_MISMATCH: { severity: 'amber', suspicious: true },
  EXPIRING_SOON: { severity: 'amber', suspicious: false },
} as const satisfies Record<string, { severity: Severity; suspicious: boolean }>;

export type ReasonCode = keyof typeof REASONS;

export interface Reason {
  code: ReasonCode;
  severity: Severity;
  message: string;
  details?: Record<string, unknown>;
}

export type Verdict = 'genuine' | 'caution' | 'not_genuine';

/** What was asked: the product identifier as scanned. */
export interface Asked {
  gtin: string;
  serial: string;
  lot?: string;
  /** YYMMDD as printed; DD may be 00. */
  expiryCode?: string;
  /** The last valid day (ISO), derived from expiryCode. */
  expiry?: string;
}

/** Where a unit is in its life: `in_transit` while shipped and not yet received; the last three are final. */
export type ItemStatus = 'active' | 'in_transit' | 'dispensed' | 'decommissioned' | 'destroyed';

/** What the log says (null fields where the GTIN or serial is unknown). */
export interface Known {
  productKnown: boolean;
  item: {
    lot: string;
    expiryCode: string;
    expiry: string;
    status: ItemStatus;
    hold: 'quarantined' | 'illegitimate' | null;
    custodian: string;
    /** While in transit: the party it is addressed to. */
    inTransitTo: string | null;
    recalled: boolean;
    /** When it reached its current status (the time of its last event). */
    statusSince: Date;
  } | null;
}

/** Within this many days of expiry a package is flagged (amber). */
export const EXPIRING_SOON_DAYS = 30;

export function judge(asked: Asked, known: Known, requester: { gln: string; role: string }, now: Date): Reason[] {
  const reasons: Reason[] = [];
  const add = (code: ReasonCode, message: string, details?: Record<string, unknown>) =>
    reasons.push({ code, severity: REASONS[code].severity, message, ...(details ? { details } : {}) });
  if (!known.productKnown) {
    add('UNKNOWN_GTIN', `GTIN ${asked.gtin} is not a product registered by any manufacturer`);
    return reasons;
  }
  const item = known.item;
  if (!item) {
    add('UNKNOWN_SERIAL', `serial ${asked.serial} of GTIN ${asked.gtin} was never commissioned`);
    return reasons;
  }
  if (asked.lot !== undefined && asked.lot !== item.lot) {
    add('LOT_MISMATCH', `the package says lot ${asked.lot}; this serial belongs to lot ${item.lot}`);
  }
  if (asked.expiryCode !== undefined && !sameExpiry(asked, item)) {
    add('EXPIRY_MISMATCH', `the package says expiry ${asked.expiryCode}; this serial expires ${item.expiryCode}`);
  }
  const today = now.toISOString().slice(0, 10);
  if (item.expiry < today) {
    add('EXPIRED', `expired on ${item.expiry}`, { expiry: item.expiry });
  } else if (daysBetween(today, item.expiry) <= EXPIRING_SOON_DAYS) {
    add('EXPIRING_SOON', `expires on ${item.expiry}`, { expiry: item.expiry });
  }
  if (item.recalled) add('RECALLED', 'the lot is recalled by its manufacturer');
  if (item.hold === 'quarantined') add('QUARANTINED', 'quarantined as suspect product under investigation');
  if (item.hold === 'illegitimate') add('ILLEGITIMATE', 'confirmed illegitimate product (FDA 3911)');
  if (item.status === 'dispensed') {
    add(
      'ALREADY_DISPENSED',
      `dispensed on ${item.statusSince.toISOString()}: another package with this serial is a clone`,
      {
        dispensedAt: item.statusSince.toISOString(),
      },
    );
  }
  if (item.status === 'decommissioned') add('DECOMMISSIONED', 'decommissioned: taken out of the supply chain');
  if (item.status === 'destroyed') add('DESTROYED', 'recorded as destroyed: this package should not exist');
  const holds =
    item.custodian === requester.gln || (item.status === 'in_transit' && item.inTransitTo === requester.gln);
  if (item.status !== 'dispensed' && !holds && requester.role !== 'regulator') {
    add('CUSTODY_MISMATCH', 'the log says another party holds this package');
  }
  return reasons;
}

export function verdictOf(reasons: Reason[]): Verdict {
  if (reasons.some((r) => r.severity === 'red')) return 'not_genuine';
  return reasons.length > 0 ? 'caution' : 'genuine';
}

export function isSuspicious(reasons: Reason[]): boolean {
  return reasons.some((r) => REASONS[r.code].suspicious);
}

function sameExpiry(asked: Asked, item: { expiryCode: string; expiry: string }): boolean {
  if (asked.expiryCode === item.expiryCode) return true;
  // "281200" and "281231" name the same last day.
  return asked.expiry !== undefined && asked.expiry === item.expiry;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000);
}
