/**
 * GS1 Digital Link URIs (GS1 Digital Link Standard: URI Syntax 1.2+):
 *   https://{any host}{optional path prefix}/01/{gtin}[/10/{lot}][/21/{serial}]?17={yymmdd}
 *   https://{any host}{optional path prefix}/00/{sscc}
 *
 * Parsing follows the GS1 Barcode Syntax Engine: the primary key is found by walking `/AI/value` pairs back
 * from the end of the path, so any host and any prefix before the key work; key qualifiers must come in
 * the standard order (10 before 21); values are percent-decoded; a fragment is ignored. Also accepted:
 * - the convenience names of the 1.0/1.1 standard still used by the GS1 US Lightweight Messaging Standard
 *   (`/gtin/`, `/lot/`, `/ser/`, `/sscc/`, `?exp=`), deprecated by GS1 since 1.2 and never written here;
 * - GTIN-8/12/13 in the path, normalised to GTIN-14 (GS1's engine allows this as an option).
 * Query parameters other than the dates 11, 15 and 17 (`exp`) are ignored: they are not part of the
 * identity (link types, contexts, other data attributes). A key or key qualifier in the query is an error.
 *
 * Formatting writes the canonical form: numeric AIs, GTIN-14, only unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`) left as they are and everything else percent-encoded with upper-case hex.
 */
import { Gs1Error } from './errors';
import type { CenturyOptions } from './expiry';
import {
  AI_DEFINITIONS,
  validateAiValue,
  validateFields,
  type ElementStringParseOptions,
  type Gs1Ai,
  type Gs1Fields,
} from './element-string';
import { normalizeGtin } from './identifiers';

export const DEFAULT_DIGITAL_LINK_STEM = 'https://id.gs1.org';

export interface DigitalLink {
  /** Scheme, host and any path prefix before the primary key, without a trailing slash. */
  readonly stem: string;
  readonly fields: Gs1Fields;
}

const PATH_ALIASES: Readonly<Record<string, Gs1Ai>> = { gtin: '01', sscc: '00', lot: '10', ser: '21' };
const QUERY_ALIASES: Readonly<Record<string, Gs1Ai>> = { exp: '17' };
const PRIMARY_KEYS: readonly Gs1Ai[] = ['01', '00'];
/** Key qualifiers allowed after each primary key, in the order the standard requires. */
const QUALIFIERS: Readonly<Partial<Record<Gs1Ai, readonly Gs1Ai[]>>> = { '01': ['10', '21'], '00': [] };
const QUERY_AIS: readonly Gs1Ai[] = ['11', '15', '17'];

const SCHEME = /^https?:\/\//i;

export function isDigitalLinkUri(input: string): boolean {
  return SCHEME.test(input);
}

function pathAi(segment: string): Gs1Ai | undefined {
  if (Object.prototype.hasOwnProperty.call(PATH_ALIASES, segment)) return PATH_ALIASES[segment];
  if (Object.prototype.hasOwnProperty.call(AI_DEFINITIONS, segment)) return segment as Gs1Ai;
  return undefined;
}

function decode(raw: string, what: string, isQuery: boolean): string {
  try {
    return decodeURIComponent(isQuery ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    throw new Gs1Error('input', 'format', `${what} has a malformed percent-escape: ${JSON.stringify(raw)}`);
  }
}

/** Parses a GS1 Digital Link URI into its stem and fields, validating every value. */
export function parseDigitalLink(uri: string, options: ElementStringParseOptions = {}): DigitalLink {
  const scheme = SCHEME.exec(uri);
  if (!scheme) throw new Gs1Error('input', 'format', 'a GS1 Digital Link URI starts with https:// or http://');
  const withoutFragment = uri.split('#', 1)[0];
  const queryAt = withoutFragment.indexOf('?');
  const beforeQuery = queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt);
  const query = queryAt === -1 ? '' : withoutFragment.slice(queryAt + 1);
  const slash = beforeQuery.indexOf('/', scheme[0].length);
  const authority = beforeQuery.slice(scheme[0].length, slash === -1 ? undefined : slash);
  if (authority.length === 0 || /[\s\\]/.test(authority)) {
    throw new Gs1Error('input', 'format', 'the URI has no valid host');
  }
  const segments = slash === -1 ? [] : beforeQuery.slice(slash + 1).split('/');
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop(); // one trailing slash

  // Walk /AI/value pairs back from the end until the primary key.
  let keyIndex = -1;
  for (let i = segments.length - 2; i >= 0; i -= 2) {
    const ai = pathAi(segments[i]);
    if (ai === undefined) {
      if (/^[0-9]{2,4}$/.test(segments[i])) {
        throw new Gs1Error(
          'input',
          'unknown-ai',
          `unknown or unsupported application identifier /${segments[i]}/ in the URI path`,
        );
      }
      break;
    }
    if (PRIMARY_KEYS.includes(ai)) {
      keyIndex = i;
      break;
    }
  }
  if (keyIndex === -1) {
    throw new Gs1Error(
      'input',
      'format',
      'the URI path has no GS1 primary key (/01/{gtin} or /00/{sscc}) followed only by /AI/value pairs',
    );
  }
  const prefix = segments.slice(0, keyIndex).join('/');
  const stem = `${scheme[0]}${authority}${prefix === '' ? '' : `/${prefix}`}`;

  const fields: Gs1Fields = {};
  const key = pathAi(segments[keyIndex]) as Gs1Ai;
  const allowed = QUALIFIERS[key] ?? [];
  let lastQualifier = -1;
  for (let i = keyIndex; i < segments.length; i += 2) {
    const ai = pathAi(segments[i]) as Gs1Ai;
    const def = AI_DEFINITIONS[ai];
    let value = decode(segments[i + 1], `/${segments[i]}/`, false);
    if (i > keyIndex) {
      const order = allowed.indexOf(ai);
      if (order === -1) {
        throw new Gs1Error(
          'input',
          'format',
          `(${ai}) ${def.title} is not a key qualifier of (${key}) ${AI_DEFINITIONS[key].title} in a Digital Link path`,
        );
      }
      if (order <= lastQualifier) {
        throw new Gs1Error(
          'input',
          'format',
          `key qualifiers must appear in the order ${allowed.map((a) => `/${a}/`).join(', ')}`,
        );
      }
      lastQualifier = order;
    }
    if (ai === '01') value = normalizeGtin(value, '(01) GTIN');
    fields[def.field] = validateAiValue(ai, value, options);
  }

  for (const parameter of query.split('&')) {
    if (parameter === '') continue;
    const equals = parameter.indexOf('=');
    const name = decode(equals === -1 ? parameter : parameter.slice(0, equals), 'query parameter name', true);
    const ai: string | undefined = Object.prototype.hasOwnProperty.call(QUERY_ALIASES, name)
      ? QUERY_ALIASES[name]
      : name;
    if (PRIMARY_KEYS.includes(ai as Gs1Ai) || ai === '10' || ai === '21') {
      throw new Gs1Error('input', 'format', `(${ai}) belongs in the URI path, not in the query string`);
    }
    if (!QUERY_AIS.includes(ai as Gs1Ai)) continue;
    const def = AI_DEFINITIONS[ai as Gs1Ai];
    const value = decode(equals === -1 ? '' : parameter.slice(equals + 1), `query parameter ${name}`, true);
    if (fields[def.field] !== undefined) {
      throw new Gs1Error(def.field, 'duplicate', `(${def.ai}) ${def.title} appears more than once in the query string`);
    }
    fields[def.field] = validateAiValue(def.ai, value, options);
  }
  validateFields(fields, options);
  return { stem, fields };
}

/**
 * Percent-encodes everything but RFC 3986 unreserved characters, as GS1's reference engine does. Values
 * are validated first, so every character is ASCII (set 82).
 */
function encodeValue(value: string): string {
  return value.replace(
    /[^A-Za-z0-9\-._~]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function validateStem(stem: string): string {
  const trimmed = stem.endsWith('/') ? stem.slice(0, -1) : stem;
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(trimmed)) {
    throw new Gs1Error(
      'input',
      'format',
      `Digital Link stem must be http(s)://host[/path] without query or fragment, not ${JSON.stringify(stem)}`,
    );
  }
  return trimmed;
}

/**
 * Writes a GS1 Digital Link URI on `stem` (default https://id.gs1.org): GTIN with lot and serial in the
 * path and dates in the query, or an SSCC on its own.
 */
export function formatDigitalLink(
  fields: Gs1Fields,
  options: CenturyOptions & { readonly stem?: string } = {},
): string {
  validateFields(fields, options);
  const stem = validateStem(options.stem ?? DEFAULT_DIGITAL_LINK_STEM);
  if (fields.sscc !== undefined) {
    if (Object.keys(fields).some((k) => k !== 'sscc' && fields[k as keyof Gs1Fields] !== undefined)) {
      throw new Gs1Error('input', 'format', 'a Digital Link has one primary key: format the SSCC on its own');
    }
    return `${stem}/00/${fields.sscc}`;
  }
  let uri = `${stem}/01/${fields.gtin}`;
  if (fields.lot !== undefined) uri += `/10/${encodeValue(fields.lot)}`;
  if (fields.serial !== undefined) uri += `/21/${encodeValue(fields.serial)}`;
  const query = QUERY_AIS.filter((ai) => fields[AI_DEFINITIONS[ai].field] !== undefined).map(
    (ai) => `${ai}=${fields[AI_DEFINITIONS[ai].field]}`,
  );
  return query.length > 0 ? `${uri}?${query.join('&')}` : uri;
}
