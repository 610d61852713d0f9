/**
 * The one error type of the GS1 library. Every failure says which field broke which rule, so that callers
 * (the verification service, the CLI, the browser's scan box) can map it to a precise message or code.
 */

/** The value that failed. `input` means the text as a whole (structure, unknown AI, ambiguity). */
export type Gs1Field =
  | 'gtin'
  | 'gln'
  | 'sscc'
  | 'serial'
  | 'lot'
  | 'expiry'
  | 'productionDate'
  | 'bestBefore'
  | 'ndc'
  | 'companyPrefix'
  | 'indicator'
  | 'input';

/** The rule that failed. */
export type Gs1Rule =
  | 'check-digit' // mod-10 check digit does not match
  | 'length' // too short, too long, or not one of the allowed lengths
  | 'charset' // a character outside the allowed set (digits, GS1 AI encodable character set 82, URI escapes)
  | 'date' // not a real calendar date, or a year the two-digit form cannot represent
  | 'format' // structure: wrong syntax, wrong order, not the expected kind of identifier
  | 'unknown-ai' // an application identifier this library does not support
  | 'duplicate' // the same AI twice with different values
  | 'missing' // a required field is absent
  | 'ambiguous'; // the input can be read more than one way; `candidates` lists them

export interface Gs1ErrorDetails {
  /** 0-based offset in the input where the problem starts, when it has one. */
  readonly position?: number;
  /** For `ambiguous`: every reading, in human-readable form (element strings) or as plain values (NDC). */
  readonly candidates?: readonly string[];
  /** For an ambiguous element string: every reading as fields (AI 01 → `gtin`, …). */
  readonly readings?: readonly Readonly<Record<string, string>>[];
}

export class Gs1Error extends Error {
  override readonly name = 'Gs1Error';
  readonly position?: number;
  readonly candidates?: readonly string[];
  readonly readings?: readonly Readonly<Record<string, string>>[];

  constructor(
    readonly field: Gs1Field,
    readonly rule: Gs1Rule,
    message: string,
    details: Gs1ErrorDetails = {},
  ) {
    super(message);
    this.position = details.position;
    this.candidates = details.candidates;
    this.readings = details.readings;
  }

  /** The same error, located at `position` (0-based) of a larger input. */
  at(position: number): Gs1Error {
    return new Gs1Error(this.field, this.rule, this.message, { ...this, position });
  }
}
