/** Verification reasons in words, shared by the scan page and the regulator's alert list. */
import type { ReasonCode } from '../../../src/verification/verdict';

/** What a pharmacist calls each reason, before the server's specifics. */
export const REASON_TITLES: Record<ReasonCode, string> = {
  UNKNOWN_GTIN: 'Unknown product',
  UNKNOWN_SERIAL: 'Unknown serial number',
  LOT_MISMATCH: 'Lot does not match',
  EXPIRY_MISMATCH: 'Expiry does not match',
  EXPIRED: 'Expired',
  RECALLED: 'Recalled',
  QUARANTINED: 'Quarantined',
  ILLEGITIMATE: 'Illegitimate product',
  ALREADY_DISPENSED: 'Already dispensed',
  DECOMMISSIONED: 'Decommissioned',
  DESTROYED: 'Recorded as destroyed',
  CUSTODY_MISMATCH: 'Not recorded as held by you',
  EXPIRING_SOON: 'Expiring soon',
};
