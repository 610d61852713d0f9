/**
 * GS1 element strings: the AI-prefixed data in a GS1 DataMatrix, GS1-128, GS1 QR Code or DataBar, as a
 * scanner sends it, and the human-readable form with parentheses printed under the symbol.
 *
 * Supported AIs (GS1 General Specifications §3.2): 00 SSCC, 01 GTIN, 10 batch/lot, 11 production date,
 * 15 best before, 17 expiry, 21 serial. Any other AI is an error naming it and its position, because its
 * length is unknown and so nothing after it could be trusted.
 *
 * What reaches us from scanners:
 * - an optional symbology identifier announcing GS1 data: `]d2` DataMatrix, `]C1` GS1-128, `]Q3` QR Code,
 *   `]e0` DataBar / composite, `]J1` DotCode;
 * - the separator after a variable-length field (FNC1, transmitted as GS, 0x1D) as the control character
 *   itself, or in one of the printable spellings that keyboard-wedge setups produce (see `GS_SPELLINGS`);
 *   a GS at the very start (FNC1 in first position) or end is ignored;
 * - no separator at all, when the scanner or the text box drops the control character. Then a
 *   variable-length field may end anywhere, and we enumerate every reading of the whole string (a
 *   backtracking parse): one reading is returned, several are an `ambiguous` error listing them. A reading
 *   is never guessed.
 */
import { Gs1Error } from './errors';
import { parseYymmdd, type CenturyOptions } from './expiry';
import { validateCharset82, validateGtin14, validateSscc } from './identifiers';

export type Gs1Ai = '00' | '01' | '10' | '11' | '15' | '17' | '21';

export type Gs1FieldName = 'sscc' | 'gtin' | 'lot' | 'serial' | 'expiry' | 'productionDate' | 'bestBefore';

/** The data of one barcode, one property per AI; dates are the six digits YYMMDD as encoded. */
export type Gs1Fields = { [K in Gs1FieldName]?: string };

export interface AiDefinition {
  readonly ai: Gs1Ai;
  readonly field: Gs1FieldName;
  readonly title: string;
  /** Set for AIs with a pre-defined length, which need no separator after them. */
  readonly fixedLength?: number;
  readonly maxLength: number;
}

export const AI_DEFINITIONS: Readonly<Record<Gs1Ai, AiDefinition>> = {
  '00': { ai: '00', field: 'sscc', title: 'SSCC', fixedLength: 18, maxLength: 18 },
  '01': { ai: '01', field: 'gtin', title: 'GTIN', fixedLength: 14, maxLength: 14 },
  '10': { ai: '10', field: 'lot', title: 'lot', maxLength: 20 },
  '11': { ai: '11', field: 'productionDate', title: 'production date', fixedLength: 6, maxLength: 6 },
  '15': { ai: '15', field: 'bestBefore', title: 'best-before date', fixedLength: 6, maxLength: 6 },
  '17': { ai: '17', field: 'expiry', title: 'expiry date', fixedLength: 6, maxLength: 6 },
  '21': { ai: '21', field: 'serial', title: 'serial', maxLength: 20 },
};

export const AI_BY_FIELD: Readonly<Record<Gs1FieldName, Gs1Ai>> = {
  sscc: '00',
  gtin: '01',
  lot: '10',
  productionDate: '11',
  bestBefore: '15',
  expiry: '17',
  serial: '21',
};

/** Output order: keys, then dates, then the variable-length fields (so only one separator is needed). */
const CANONICAL_ORDER: readonly Gs1Ai[] = ['00', '01', '11', '15', '17', '10', '21'];

/** AIs that GS1 only allows together with a GTIN (Syntax Dictionary `req=01,…`). */
const NEEDS_GTIN: readonly Gs1Ai[] = ['10', '11', '15', '17', '21'];

export const GS = '\x1d';

/**
 * Accepted spellings of the GS separator, and why:
 * - `\x1d` the control character itself (ISO/IEC 15424 transmission of FNC1 as a data separator);
 * - `<GS>` how GS1 documents and verifier reports print it, and what several wedge drivers type;
 * - `{GS}` and `^]` (caret notation for Ctrl+], what terminals echo for 0x1D);
 * - the literal escapes `\x1d`, `\x1D`, `\u001d`, `\u001D` that logs, JSON dumps and scanner apps emit;
 * - `␝` (U+241D SYMBOL FOR GROUP SEPARATOR) that some apps display and copy instead of the control character.
 * All but `<GS>` contain a character outside set 82, so they can never be part of a value. `<GS>` is made of
 * set-82 characters: a serial or lot containing the text `<GS>` cannot be carried in an element string here
 * (formatting refuses it). `~1` and a bare `^` are not accepted: neither is a transmission convention.
 */
export const GS_SPELLINGS: readonly string[] = [
  GS,
  '<GS>',
  '{GS}',
  '^]',
  '\\x1d',
  '\\x1D',
  '\\u001d',
  '\\u001D',
  '\u241d',
];

/** Symbology identifiers (ISO/IEC 15424) that announce GS1 application identifier data. */
export const GS1_SYMBOLOGY_IDENTIFIERS: readonly string[] = [']d2', ']C1', ']Q3', ']e0', ']J1'];

export interface ElementStringParseOptions extends CenturyOptions {
  /**
   * Fields the barcode is known to carry (e.g. the four of a DSCSA product identifier). A reading without
   * them is rejected, which also settles most GS-lost ambiguities.
   */
  readonly require?: readonly Gs1FieldName[];
}

export interface ElementStringFormatOptions extends CenturyOptions {
  /** Separator after a variable-length field that is not last: one of `GS_SPELLINGS`, or '' (none). */
  readonly gs?: string;
  /** Symbology identifier to start with, one of `GS1_SYMBOLOGY_IDENTIFIERS`; none by default. */
  readonly symbologyIdentifier?: string;
}

export function isSupportedAi(ai: string): ai is Gs1Ai {
  return Object.prototype.hasOwnProperty.call(AI_DEFINITIONS, ai);
}

function label(def: AiDefinition): string {
  return `(${def.ai}) ${def.title}`;
}

/** Validates one AI value (check digit, length, character set, date) and returns it. */
export function validateAiValue(ai: Gs1Ai, value: string, options: CenturyOptions = {}): string {
  const def = AI_DEFINITIONS[ai];
  switch (def.field) {
    case 'gtin':
      return validateGtin14(value, label(def));
    case 'sscc':
      return validateSscc(value, label(def));
    case 'lot':
    case 'serial':
      return validateCharset82(def.field, label(def), value, def.maxLength);
    default:
      parseYymmdd(value, { field: def.field, label: label(def), currentYear: options.currentYear });
      return value;
  }
}

function isValidAiValue(ai: Gs1Ai, value: string, options: CenturyOptions): boolean {
  try {
    validateAiValue(ai, value, options);
    return true;
  } catch {
    return false;
  }
}

/** The combination rules: dates, lot and serial need a GTIN; required fields must be present. */
function combinationError(fields: Gs1Fields, required: readonly Gs1FieldName[] = []): Gs1Error | undefined {
  if (fields.gtin === undefined) {
    for (const ai of NEEDS_GTIN) {
      const def = AI_DEFINITIONS[ai];
      if (fields[def.field] !== undefined) {
        return new Gs1Error('gtin', 'missing', `${label(def)} is only valid together with a GTIN (01)`);
      }
    }
  }
  for (const field of required) {
    if (fields[field] === undefined) {
      const def = AI_DEFINITIONS[AI_BY_FIELD[field]];
      return new Gs1Error(field, 'missing', `${label(def)} is required but not present`);
    }
  }
  if (Object.keys(fields).length === 0) return new Gs1Error('input', 'missing', 'no GS1 data found');
  return undefined;
}

/** Validates every present field and the combination rules; throws the first `Gs1Error`. */
export function validateFields(fields: Gs1Fields, options: ElementStringParseOptions = {}): Gs1Fields {
  for (const ai of CANONICAL_ORDER) {
    const value = fields[AI_DEFINITIONS[ai].field];
    if (value !== undefined) validateAiValue(ai, value, options);
  }
  const error = combinationError(fields, options.require);
  if (error) throw error;
  return fields;
}

function orderedAis(fields: Gs1Fields): Gs1Ai[] {
  return CANONICAL_ORDER.filter((ai) => fields[AI_DEFINITIONS[ai].field] !== undefined);
}

function humanReadable(fields: Gs1Fields): string {
  return orderedAis(fields)
    .map((ai) => `(${ai})${escapeHumanReadableValue(fields[AI_DEFINITIONS[ai].field] as string)}`)
    .join('');
}

/**
 * `(01)09506000134352(17)261231(10)LOT1(21)ABC`: keys, dates, lot, serial. A value containing text like
 * `(21)` gets its parenthesis escaped (`\(21)`), as in GS1's bracketed syntax, so it cannot read as an AI.
 */
export function formatHumanReadable(fields: Gs1Fields, options: CenturyOptions = {}): string {
  validateFields(fields, options);
  return humanReadable(fields);
}

/**
 * The element string a scanner would send: AIs in canonical order, `gs` after a variable-length field that
 * is not last, optionally led by a symbology identifier.
 */
export function formatElementString(fields: Gs1Fields, options: ElementStringFormatOptions = {}): string {
  validateFields(fields, options);
  const gs = options.gs ?? GS;
  if (gs !== '' && !GS_SPELLINGS.includes(gs)) {
    throw new Gs1Error('input', 'format', `separator ${JSON.stringify(gs)} is not one of the accepted GS spellings`);
  }
  const symbologyIdentifier = options.symbologyIdentifier ?? '';
  if (symbologyIdentifier !== '' && !GS1_SYMBOLOGY_IDENTIFIERS.includes(symbologyIdentifier)) {
    throw new Gs1Error('input', 'format', `${symbologyIdentifier} is not a GS1 symbology identifier`);
  }
  const ais = orderedAis(fields);
  let out = symbologyIdentifier;
  ais.forEach((ai, index) => {
    const def = AI_DEFINITIONS[ai];
    const value = fields[def.field] as string;
    if (value.includes('<GS>')) {
      throw new Gs1Error(
        def.field,
        'ambiguous',
        `${label(def)} contains the text <GS>, which scanners also use to spell the separator`,
      );
    }
    out += ai + value;
    if (def.fixedLength === undefined && index < ais.length - 1) out += gs;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing scanner data

interface Prepared {
  /** The data with every separator spelling turned into GS and the symbology identifier removed. */
  readonly text: string;
  /** origin[i]: offset in the caller's input of text[i]; origin[text.length] is the input's length. */
  readonly origin: readonly number[];
}

function prepare(input: string): Prepared {
  let start = 0;
  if (input.startsWith(']')) {
    const id = input.slice(0, 3);
    if (!GS1_SYMBOLOGY_IDENTIFIERS.includes(id)) {
      throw new Gs1Error(
        'input',
        'format',
        `symbology identifier ${id} does not announce GS1 data (expected ${GS1_SYMBOLOGY_IDENTIFIERS.join(', ')})`,
        { position: 0 },
      );
    }
    start = 3;
  }
  let text = '';
  const origin: number[] = [];
  for (let i = start; i < input.length;) {
    const spelling = GS_SPELLINGS.find((s) => input.startsWith(s, i));
    origin.push(i);
    if (spelling) {
      text += GS;
      i += spelling.length;
    } else {
      text += input[i];
      i += 1;
    }
  }
  origin.push(input.length);
  // A GS in first position stands for the FNC1 that marks GS1 data; a trailing one ends nothing.
  let first = 0;
  let last = text.length;
  while (first < last && text[first] === GS) first++;
  while (last > first && text[last - 1] === GS) last--;
  return { text: text.slice(first, last), origin: origin.slice(first, last + 1) };
}

function readAi(text: string, pos: number, origin: readonly number[]): AiDefinition {
  const ai = text.slice(pos, pos + 2);
  const at = origin[pos];
  if (!/^[0-9]{2}$/.test(ai)) {
    throw new Gs1Error(
      'input',
      'format',
      `expected an application identifier at character ${at + 1}, found ${JSON.stringify(text.slice(pos, pos + 4))}`,
      { position: at },
    );
  }
  if (!isSupportedAi(ai)) {
    throw new Gs1Error(
      'input',
      'unknown-ai',
      `unknown or unsupported application identifier ${JSON.stringify(text.slice(pos, pos + 4))}… at character ${at + 1} (supported: ${CANONICAL_ORDER.join(', ')})`,
      { position: at },
    );
  }
  return AI_DEFINITIONS[ai];
}

function record(fields: Gs1Fields, def: AiDefinition, value: string, position: number): void {
  const previous = fields[def.field];
  if (previous !== undefined && previous !== value) {
    throw new Gs1Error(def.field, 'duplicate', `${label(def)} appears twice, as ${previous} and as ${value}`, {
      position,
    });
  }
  fields[def.field] = value;
}

function withPosition(error: unknown, position: number): unknown {
  return error instanceof Gs1Error ? error.at(position) : error;
}

/** The standard reading: a variable-length field runs to the next GS or the end. */
function parseWithSeparators(prepared: Prepared, options: ElementStringParseOptions): Gs1Fields {
  const { text, origin } = prepared;
  const fields: Gs1Fields = {};
  let pos = 0;
  while (pos < text.length) {
    if (text[pos] === GS) {
      pos++;
      continue;
    }
    const def = readAi(text, pos, origin);
    const valueStart = pos + 2;
    const nextGs = text.indexOf(GS, valueStart);
    const fieldEnd = nextGs === -1 ? text.length : nextGs;
    let end = fieldEnd;
    if (def.fixedLength !== undefined) {
      end = valueStart + def.fixedLength;
      if (end > fieldEnd) {
        const found = fieldEnd - valueStart;
        throw new Gs1Error(
          def.field,
          'length',
          `${label(def)} must be ${def.fixedLength} characters, but only ${found} come before ${nextGs === -1 ? 'the end' : 'a separator'}`,
          { position: origin[valueStart] },
        );
      }
    }
    const value = text.slice(valueStart, end);
    try {
      validateAiValue(def.ai, value, options);
    } catch (error) {
      throw withPosition(error, origin[valueStart]);
    }
    record(fields, def, value, origin[pos]);
    pos = end;
  }
  const error = combinationError(fields, options.require);
  if (error) throw error;
  return fields;
}

const MAX_READINGS = 8;

/** Every reading of a string without separators, up to MAX_READINGS. */
function readingsWithoutSeparators(text: string, options: ElementStringParseOptions): Gs1Fields[] {
  const readings: Gs1Fields[] = [];
  const walk = (pos: number, fields: Gs1Fields): void => {
    if (readings.length >= MAX_READINGS) return;
    if (pos === text.length) {
      if (!combinationError(fields, options.require)) readings.push(fields);
      return;
    }
    const ai = text.slice(pos, pos + 2);
    if (!isSupportedAi(ai)) return;
    const def = AI_DEFINITIONS[ai];
    if (fields[def.field] !== undefined) return;
    const valueStart = pos + 2;
    const shortest = def.fixedLength ?? 1;
    const longest = Math.min(def.fixedLength ?? def.maxLength, text.length - valueStart);
    for (let length = shortest; length <= longest; length++) {
      const value = text.slice(valueStart, valueStart + length);
      if (isValidAiValue(ai, value, options)) walk(valueStart + length, { ...fields, [def.field]: value });
    }
  };
  walk(0, {});
  return readings;
}

/**
 * Picks the single reading or explains why there is none. `standard` is the reading (or error) with
 * separators taken at face value; `alternatives` the readings of the backtracking parse.
 */
function decide(standard: { fields: Gs1Fields } | { error: unknown }, alternatives: readonly Gs1Fields[]): Gs1Fields {
  const readings = new Map<string, Gs1Fields>();
  for (const reading of 'fields' in standard ? [standard.fields, ...alternatives] : alternatives) {
    readings.set(JSON.stringify(canonical(reading)), canonical(reading));
  }
  if (readings.size === 1) return [...readings.values()][0];
  if (readings.size === 0) throw 'error' in standard ? standard.error : new Gs1Error('input', 'format', 'no reading');
  const all = [...readings.values()];
  const candidates = all.map(humanReadable);
  const count = alternatives.length >= MAX_READINGS ? `at least ${candidates.length}` : String(candidates.length);
  const why = 'there are no separators (GS) between the fields, as when a scanner drops them';
  throw new Gs1Error(
    'input',
    'ambiguous',
    `${why}, so the data can be read ${count} ways: ${candidates.join(' or ')}`,
    {
      candidates,
      readings: all,
    },
  );
}

/** The fields in canonical AI order, without absent ones (stable JSON and equality). */
function canonical(fields: Gs1Fields): Gs1Fields {
  const out: Gs1Fields = {};
  for (const ai of orderedAis(fields)) out[AI_DEFINITIONS[ai].field] = fields[AI_DEFINITIONS[ai].field];
  return out;
}

function attempt(parse: () => Gs1Fields): { fields: Gs1Fields } | { error: unknown } {
  try {
    return { fields: parse() };
  } catch (error) {
    return { error };
  }
}

/**
 * Parses scanner data (see the module comment for the accepted forms) into fields, validating check
 * digits, dates, lengths, character set, duplicates and the GTIN requirement of dates, lot and serial.
 */
export function parseElementString(input: string, options: ElementStringParseOptions = {}): Gs1Fields {
  const prepared = prepare(input);
  if (prepared.text.length === 0) throw new Gs1Error('input', 'missing', 'no GS1 data found');
  const standard = attempt(() => parseWithSeparators(prepared, options));
  if (prepared.text.includes(GS)) {
    if ('error' in standard) throw standard.error;
    return standard.fields;
  }
  return decide(standard, readingsWithoutSeparators(prepared.text, options));
}

// ---------------------------------------------------------------------------------------------------------
// Human-readable form

/** An `(AI)` marker, with the spaces printed around it; `\(` is an escaped parenthesis, not a marker. */
const MARKER = /\s*(?<!\\)\((\d{2,4})\)\s*/g;
/** A `(digits)` inside a value, which must be escaped so that it does not read as a marker. */
const MARKER_LIKE = /\((?=\d{2,4}\))/g;

function escapeHumanReadableValue(value: string): string {
  return value.replace(MARKER_LIKE, '\\(');
}

function unescapeHumanReadableValue(value: string): string {
  return value.replace(/\\\(/g, '(');
}

/**
 * Parses the human-readable form `(01)09506000134352(17)261231(10)LOT1(21)ABC`, in any AI order, with
 * spaces around the parentheses allowed. As in GS1's bracketed syntax, every `(digits)` starts a new
 * field; a value that really contains such text has its parenthesis escaped as `\(`
 * (`formatHumanReadable` does this).
 */
export function parseHumanReadable(input: string, options: ElementStringParseOptions = {}): Gs1Fields {
  const text = input.trimEnd();
  const markers = [...text.matchAll(MARKER)];
  if (markers.length === 0 || markers[0].index !== 0) {
    throw new Gs1Error(
      'input',
      'format',
      'human-readable form must start with an application identifier in parentheses',
      {
        position: 0,
      },
    );
  }
  const fields: Gs1Fields = {};
  markers.forEach((marker, index) => {
    const ai = marker[1];
    if (!isSupportedAi(ai)) {
      throw new Gs1Error(
        'input',
        'unknown-ai',
        `unknown or unsupported application identifier (${ai}) at character ${marker.index + 1} (supported: ${CANONICAL_ORDER.join(', ')})`,
        { position: marker.index },
      );
    }
    const def = AI_DEFINITIONS[ai];
    const valueStart = marker.index + marker[0].length;
    const valueEnd = index + 1 < markers.length ? markers[index + 1].index : text.length;
    const value = unescapeHumanReadableValue(text.slice(valueStart, valueEnd));
    try {
      validateAiValue(def.ai, value, options);
    } catch (error) {
      throw withPosition(error, valueStart);
    }
    record(fields, def, value, marker.index);
  });
  const error = combinationError(fields, options.require);
  if (error) throw error;
  return fields;
}
