/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes RxLedger signs and hashes.
 *
 * Serialization is the `canonicalize` package (ECMAScript number and string serialization, members sorted by UTF-16
 * code units). That package follows `JSON.stringify`'s habits for values JSON cannot hold: it drops `undefined`
 * members, turns them into `null` in arrays, writes `"a":undefined` for a function member, calls `toJSON` (a `Date`
 * becomes a string) and escapes lone surrogates. Every one of these would make two parties sign different bytes for
 * what they think is the same event, so `canonicalJson` first checks that the value is plain JSON data and throws a
 * `CanonicalJsonError` naming the offending path otherwise.
 */
import canonicalize from 'canonicalize';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

/** Thrown for a value that has no JCS representation; `path` points at it (`$.body.items[2]`). */
export class CanonicalJsonError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot canonicalize ${path}: ${reason}`);
    this.name = 'CanonicalJsonError';
  }
}

/** The RFC 8785 canonical form of `value`, as a string. */
export function canonicalJson(value: unknown): string {
  assertJsonData(value, '$', new Set());
  const text = canonicalize(value);
  if (typeof text !== 'string') throw new CanonicalJsonError('$', 'not serializable');
  return text;
}

/** The RFC 8785 canonical form of `value`, as UTF-8 bytes (what is hashed and signed). */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}

function assertJsonData(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      assertWellFormed(value, path);
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a finite number`);
      return;
    case 'boolean':
      return;
    case 'object':
      if (value === null) return;
      break;
    case 'undefined':
      throw new CanonicalJsonError(path, 'undefined is not a JSON value');
    case 'bigint':
      throw new CanonicalJsonError(
        path,
        'a BigInt is not a JSON number (I-JSON numbers are IEEE 754 doubles); use a string',
      );
    default:
      throw new CanonicalJsonError(path, `a ${typeof value} is not a JSON value`);
  }

  if (ancestors.has(value)) throw new CanonicalJsonError(path, 'circular reference');
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw new CanonicalJsonError(`${path}[${i}]`, 'hole in a sparse array');
      assertJsonData(value[i], `${path}[${i}]`, ancestors);
    }
  } else {
    if (!isPlainObject(value)) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new CanonicalJsonError(
        path,
        `a ${name} is not plain JSON data (convert it to an object, array or string first)`,
      );
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new CanonicalJsonError(path, 'symbol-keyed properties have no JSON form');
    }
    for (const key of Object.keys(value)) {
      const childPath = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      assertWellFormed(key, `${childPath} (member name)`);
      assertJsonData((value as Record<string, unknown>)[key], childPath, ancestors);
    }
  }
  ancestors.delete(value);
}

/** An object literal, `JSON.parse` output or `Object.create(null)`, from any realm; not a class instance. */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** RFC 8785 §3.1 requires I-JSON, whose RFC 7493 §2.1 forbids strings that are not valid Unicode (lone surrogates). */
function assertWellFormed(text: string, path: string): void {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    throw new CanonicalJsonError(path, `lone surrogate U+${unit.toString(16).toUpperCase()} at index ${i}`);
  }
}
