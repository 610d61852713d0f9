/**
 * US National Drug Code ⇔ GTIN (GS1 US guideline for the pharmaceutical supply chain).
 *
 * An NDC is 10 digits in one of three labeler-product-package configurations: 4-4-2, 5-3-2 or 5-4-1. Inside a
 * GTIN-14 it sits as  indicator digit + `03` + NDC-10 (no hyphens) + check digit;  the indicator is 0 for the
 * unit of sale (the UPC-A `3` + NDC + check, zero-padded to 14) and 1..8 for packaging levels above it.
 *
 * Billing systems also use an 11-digit "NDC-11" in 5-4-2 form: the 10-digit code with a zero added at the
 * front of whichever segment was short. The configuration cannot be recovered from 10 digits alone, so
 * formatting takes it as a parameter; reading an NDC-11 works out the padded zero when only one segment
 * can hold it, and otherwise says so (or takes the configuration from the caller).
 */
import { appendCheckDigit } from './check-digit';
import { Gs1Error } from './errors';
import { normalizeGtin } from './identifiers';

export type NdcConfiguration = '4-4-2' | '5-3-2' | '5-4-1';

export const NDC_CONFIGURATIONS: readonly NdcConfiguration[] = ['4-4-2', '5-3-2', '5-4-1'];

const SEGMENTS: Record<NdcConfiguration, readonly [number, number, number]> = {
  '4-4-2': [4, 4, 2],
  '5-3-2': [5, 3, 2],
  '5-4-1': [5, 4, 1],
};

/** Index in the 11 digits of the zero that 5-4-2 adds for each configuration (front of the short segment). */
const PADDING_ZERO_INDEX: Record<NdcConfiguration, number> = { '4-4-2': 0, '5-3-2': 5, '5-4-1': 9 };

const NDC_INDICATORS = '012345678';

/** True when the GTIN (8/12/13/14 digits) carries an NDC: indicator 0..8 followed by `03`. */
export function isNdcGtin(gtin: string): boolean {
  try {
    return ndcOfGtin(gtin) !== undefined;
  } catch {
    return false; // not a valid GTIN
  }
}

/**
 * The 10-digit NDC (no hyphens) inside a GTIN, or `undefined` when the GTIN carries none (most GTINs: no exception,
 * since verification asks this of every package). Throws a `Gs1Error` only for an invalid GTIN.
 */
export function ndcOfGtin(gtin: string): string | undefined {
  const gtin14 = normalizeGtin(gtin);
  return gtin14.slice(1, 3) === '03' && NDC_INDICATORS.includes(gtin14[0]) ? gtin14.slice(3, 13) : undefined;
}

/** The 10-digit NDC (no hyphens) inside an NDC-based GTIN; a `Gs1Error` says why a GTIN carries none. */
export function gtinToNdc(gtin: string): string {
  const ndc = ndcOfGtin(gtin);
  if (ndc !== undefined) return ndc;
  const gtin14 = normalizeGtin(gtin);
  if (gtin14.slice(1, 3) !== '03') {
    throw new Gs1Error(
      'gtin',
      'format',
      `GTIN ${gtin14} does not carry an NDC: an NDC-based GTIN has 03 right after the indicator digit`,
    );
  }
  throw new Gs1Error('gtin', 'format', `GTIN ${gtin14} has indicator 9 (variable measure), which NDC GTINs never use`);
}

/**
 * The GTIN-14 for an NDC. `ndc` may be 10 digits (plain or hyphenated 4-4-2, 5-3-2, 5-4-1) or an 11-digit
 * 5-4-2 NDC (plain or hyphenated); `indicator` is 0 for the unit of sale and 1..8 for higher packaging
 * levels; `configuration` resolves an 11-digit NDC whose padding zero could be in more than one segment.
 */
export function ndcToGtin(ndc: string, indicator = '0', configuration?: NdcConfiguration): string {
  if (indicator.length !== 1 || !NDC_INDICATORS.includes(indicator)) {
    throw new Gs1Error(
      'indicator',
      'format',
      `indicator for an NDC GTIN must be one digit 0..8, not ${JSON.stringify(indicator)}`,
    );
  }
  return appendCheckDigit(`${indicator}03${parseNdc(ndc, configuration)}`);
}

/** Reads an NDC in any of the forms `ndcToGtin` accepts and returns the 10 digits without hyphens. */
export function parseNdc(ndc: string, configuration?: NdcConfiguration): string {
  const bad = /[^0-9-]/.exec(ndc);
  if (bad) {
    throw new Gs1Error(
      'ndc',
      'charset',
      `NDC may contain only digits and hyphens; found ${JSON.stringify(bad[0])} at character ${bad.index + 1}`,
    );
  }
  if (!ndc.includes('-')) {
    if (ndc.length === 10) return ndc;
    if (ndc.length === 11) return removePaddingZero(ndc, configuration);
    throw new Gs1Error('ndc', 'length', `NDC must be 10 digits (or 11 in the 5-4-2 billing form), not ${ndc.length}`);
  }
  const segments = ndc.split('-');
  const shape = segments.map((s) => s.length).join('-');
  if (segments.length !== 3 || segments.some((s) => s.length === 0)) {
    throw new Gs1Error(
      'ndc',
      'format',
      `hyphenated NDC must have three segments (labeler-product-package), not ${JSON.stringify(ndc)}`,
    );
  }
  const digits = segments.join('');
  if (digits.length === 11) {
    if (shape !== '5-4-2') {
      throw new Gs1Error('ndc', 'format', `an 11-digit NDC is written 5-4-2, not ${shape}`);
    }
    return removePaddingZero(digits, configuration);
  }
  if (digits.length !== 10 || !NDC_CONFIGURATIONS.includes(shape as NdcConfiguration)) {
    throw new Gs1Error(
      'ndc',
      'format',
      `NDC configuration ${shape} is not one of 4-4-2, 5-3-2, 5-4-1 (or 5-4-2 for 11 digits)`,
    );
  }
  if (configuration !== undefined && configuration !== shape) {
    throw new Gs1Error('ndc', 'format', `NDC ${ndc} is written ${shape}, but configuration ${configuration} was given`);
  }
  return digits;
}

function removePaddingZero(ndc11: string, configuration?: NdcConfiguration): string {
  const dropAt = (c: NdcConfiguration) =>
    ndc11.slice(0, PADDING_ZERO_INDEX[c]) + ndc11.slice(PADDING_ZERO_INDEX[c] + 1);
  const ndc542 = `${ndc11.slice(0, 5)}-${ndc11.slice(5, 9)}-${ndc11.slice(9)}`;
  if (configuration !== undefined) {
    if (ndc11[PADDING_ZERO_INDEX[configuration]] !== '0') {
      throw new Gs1Error(
        'ndc',
        'format',
        `NDC-11 ${ndc542} cannot come from a ${configuration} NDC: the padded segment does not start with 0`,
      );
    }
    return dropAt(configuration);
  }
  const possible = NDC_CONFIGURATIONS.filter((c) => ndc11[PADDING_ZERO_INDEX[c]] === '0');
  if (possible.length === 0) {
    throw new Gs1Error('ndc', 'format', `NDC-11 ${ndc542} has no padding zero: none of its segments starts with 0`);
  }
  if (possible.length > 1) {
    const candidates = possible.map((c) => formatNdc(dropAt(c), c));
    throw new Gs1Error(
      'ndc',
      'ambiguous',
      `NDC-11 ${ndc542} could be any of ${candidates.join(', ')}: more than one segment starts with 0; give the NDC-10 or its configuration`,
      { candidates },
    );
  }
  return dropAt(possible[0]);
}

/** Hyphenates a 10-digit NDC in the given configuration. */
export function formatNdc(ndc10: string, configuration: NdcConfiguration): string {
  const digits = parseNdc10(ndc10);
  const [a, b] = SEGMENTS[configuration];
  return `${digits.slice(0, a)}-${digits.slice(a, a + b)}-${digits.slice(a + b)}`;
}

/** The 11-digit 5-4-2 billing form (hyphenated) of a 10-digit NDC in the given configuration. */
export function toNdc11(ndc10: string, configuration: NdcConfiguration): string {
  const digits = parseNdc10(ndc10);
  const at = PADDING_ZERO_INDEX[configuration];
  const ndc11 = `${digits.slice(0, at)}0${digits.slice(at)}`;
  return `${ndc11.slice(0, 5)}-${ndc11.slice(5, 9)}-${ndc11.slice(9)}`;
}

function parseNdc10(ndc10: string): string {
  if (ndc10.replace(/-/g, '').length !== 10) {
    throw new Gs1Error('ndc', 'length', `expected a 10-digit NDC, not ${JSON.stringify(ndc10)}`);
  }
  return parseNdc(ndc10);
}

/**
 * The configurations a 10-digit NDC may be written in. 21 CFR 207.33: the labeler code (FDA-assigned) is 4 or 5
 * digits and the labeler picks the product/package split, so 10 digits alone do not tell; a GS1 US company prefix of
 * an NDC labeler is `03` + its labeler code (6 digits for a 4-digit labeler, 7 for a 5-digit one), which settles
 * the labeler's length (`labelerDigits`) and, for a 4-digit labeler, the configuration (4-4-2).
 */
export function ndcConfigurationsOf(labelerDigits?: number): NdcConfiguration[] {
  if (labelerDigits === 4) return ['4-4-2'];
  if (labelerDigits === 5) return ['5-3-2', '5-4-1'];
  return [...NDC_CONFIGURATIONS];
}

/** The labeler code's length from the GS1 company prefix an NDC GTIN was issued under, when that is `03` + it. */
export function labelerDigitsOfPrefix(companyPrefix: string): 4 | 5 | undefined {
  if (!companyPrefix.startsWith('03')) return undefined;
  return companyPrefix.length === 6 ? 4 : companyPrefix.length === 7 ? 5 : undefined;
}

/**
 * An NDC as people read it, labeler-product-package with hyphens (FDA's form on labels): in `configuration` when
 * known; an NDC already hyphenated as it is; otherwise every form the digits may take ("0361-2345-67 or …"), since
 * guessing one would show a pharmacist an NDC the label may not carry.
 */
export function describeNdc(ndc: string, configuration?: NdcConfiguration | NdcConfiguration[]): string {
  if (ndc.includes('-')) return ndc;
  const forms = Array.isArray(configuration) ? configuration : configuration ? [configuration] : NDC_CONFIGURATIONS;
  return forms.map((c) => formatNdc(ndc, c)).join(' or ');
}
