/**
 * The GS1 US Lightweight Messaging Standard for DSCSA verification (Implementation Guideline, release 1.3): the
 * values of its request and answer, and the answer computed from the verdict's reasons. Pure, like the verdict.
 * docs/PROTOCOL.md §8.1 is the table this implements.
 */
import type { Asked, Reason, ReasonCode } from './verdict';

/** The IG's `linkType` (GS1 Digital Link link type of a verification service). */
export const LINK_TYPE = 'verificationService';

/**
 * The IG's `context` values: why the requester verifies (a saleable return, a suspect or illegitimate product
 * investigation, a status check, an exception).
 */
export const CONTEXTS = [
  'dscsaSaleableReturn',
  'dscsaSuspect',
  'dscsaIllegitimate',
  'dscsaStatusCheck',
  'dscsaException',
] as const;

/** The request header naming the IG release the requester speaks, e.g. `1.3.0`. */
export const VERSION_HEADER = 'GS1US-Version';
export const VERSION_FORM = /^\d{1,3}\.\d{1,3}(\.\d{1,3})?$/;

/** `data.verificationFailureReason`, spelled as the IG spells it. */
export const FAILURE_REASONS = [
  'Manufacturer_policy',
  'No_match_GTIN_Serial',
  'No_match_GTIN_Serial_Lot_Expiry',
  'No_match_GTIN_Serial_Lot',
  'No_match_GTIN_Serial_Expiry',
  'No_reason_provided',
  'Not_for_re-distribution',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** `data.additionalInfo`, spelled as the IG spells it. */
export const ADDITIONAL_INFO = ['Expired', 'ExpirationExtended', 'Recalled', 'Suspect', 'Illegitimate'] as const;
export type AdditionalInfo = (typeof ADDITIONAL_INFO)[number];

export interface LightweightData {
  verified: boolean;
  verificationFailureReason?: FailureReason;
  additionalInfo?: AdditionalInfo;
}

/** Reasons that make a package whose identifier matches one not to be distributed: it is suspect. */
const NOT_FOR_REDISTRIBUTION: ReasonCode[] = ['ILLEGITIMATE', 'QUARANTINED', 'ALREADY_DISPENSED', 'DESTROYED'];

/** The one `additionalInfo` given, the most serious first. */
const ADDITIONAL: [AdditionalInfo, ReasonCode[]][] = [
  ['Illegitimate', ['ILLEGITIMATE']],
  ['Suspect', ['QUARANTINED', 'ALREADY_DISPENSED', 'DESTROYED']],
  ['Recalled', ['RECALLED']],
  ['Expired', ['EXPIRED']],
];

/**
 * `verified` says whether the product identifier is one the manufacturer assigned (GTIN, serial, and the lot and
 * expiry asked) and the package may be distributed; `additionalInfo` says what else the log knows about a package
 * whose GTIN and serial matched. An expired or recalled package that matches is `verified: true` with
 * `Expired`/`Recalled`: `No_reason_provided` would tell the requester the identifier did not match.
 */
export function lightweightData(reasons: Reason[]): LightweightData {
  const codes = new Set(reasons.map((r) => r.code));
  if (codes.has('UNKNOWN_GTIN') || codes.has('UNKNOWN_SERIAL')) {
    return { verified: false, verificationFailureReason: 'No_match_GTIN_Serial' };
  }
  const info = ADDITIONAL.find(([, causes]) => causes.some((c) => codes.has(c)));
  const additional = info ? { additionalInfo: info[0] } : {};
  const failure = failureReason(codes);
  return failure
    ? { verified: false, verificationFailureReason: failure, ...additional }
    : { verified: true, ...additional };
}

function failureReason(codes: Set<ReasonCode>): FailureReason | undefined {
  const lot = codes.has('LOT_MISMATCH');
  const expiry = codes.has('EXPIRY_MISMATCH');
  if (lot && expiry) return 'No_match_GTIN_Serial_Lot_Expiry';
  if (lot) return 'No_match_GTIN_Serial_Lot';
  if (expiry) return 'No_match_GTIN_Serial_Expiry';
  if (NOT_FOR_REDISTRIBUTION.some((c) => codes.has(c))) return 'Not_for_re-distribution';
  if (codes.has('DECOMMISSIONED')) return 'Manufacturer_policy';
  return undefined;
}

/** What a Lightweight Messaging request said about the requester and the request, beyond the identifier. */
export interface RequestFacts {
  reqGLN?: string;
  corrUUID?: string;
  ctrlPossessAtt?: string;
}

/**
 * Whether a verification releases a saleable return (DSCSA: a returned package is verified before it is resold):
 * a clean answer (nothing but `EXPIRING_SOON`) to a complete request, one that asked the lot and the expiry (so
 * both were compared), named its requester (`reqGLN`) and its correlation id (`corrUUID`), and did not say the
 * requester lacks possession or control (`ctrlPossessAtt=false`).
 */
export function releasesReturn(reasons: Reason[], asked: Asked, request: RequestFacts): boolean {
  const clean = reasons.every((r) => r.code === 'EXPIRING_SOON');
  const complete =
    asked.lot !== undefined &&
    asked.expiryCode !== undefined &&
    !!request.reqGLN &&
    !!request.corrUUID &&
    request.ctrlPossessAtt !== 'false';
  return clean && complete;
}
