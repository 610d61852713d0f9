/**
 * Text the log stores faithfully (docs/PROTOCOL.md §2.1): the one check, run on every signed event and every request
 * before any transaction, of what PostgreSQL's `text` and `jsonb` refuse or alter.
 *
 * - U+0000: `text` refuses the character ("invalid byte sequence"), `jsonb` its escape `\u0000` ("unsupported
 *   Unicode escape sequence"): accepted, it would fail its own transaction, or, inside `event_json`, every report
 *   that reads the event as `jsonb`.
 * - A lone surrogate (UTF-16 U+D800 to U+DFFF not in a pair): `jsonb` refuses its escape, `text` stores U+FFFD
 *   instead. RFC 8785 (through I-JSON) refuses it too.
 *
 * Numbers need no rule: `jsonb` holds every finite IEEE 754 double exactly (it may write it differently, e.g.
 * 1e+21 as 1000000000000000000000, which parses back to the same double), and no event field is a number.
 * Times have theirs: `eventTimeError` in ./event.
 */

/** The rule a string broke, as named in an error's `details`. */
export type StoredTextRule = 'noNulCharacter' | 'wellFormedUnicode';

export interface StoredTextViolation {
  /**
   * Where, from `path` down: `event.body.reason`, `event.body.items[3]`, `event.body["a b"] (member name)`; from an
   * empty `path`, `label` or `[2]`.
   */
  field: string;
  rule: StoredTextRule;
  message: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first string (value or member name) in `value` that the database cannot store as it is, or null. */
export function storedTextViolation(value: unknown, path: string): StoredTextViolation | null {
  // Iterative: a deeply nested request must not overflow the stack here.
  const pending: [unknown, string][] = [[value, path]];
  while (pending.length > 0) {
    const [current, at] = pending.pop()!;
    if (typeof current === 'string') {
      const violation = textViolation(current, at);
      if (violation) return violation;
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], `${at}[${i}]`]);
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i];
        const plain = /^[A-Za-z_$][\w$]*$/.test(key);
        const child = plain ? (at ? `${at}.${key}` : key) : `${at}[${JSON.stringify(key)}]`;
        const violation = textViolation(key, `${child} (member name)`);
        if (violation) return violation;
        pending.push([(current as Record<string, unknown>)[key], child]);
      }
    }
  }
  return null;
}

function textViolation(text: string, field: string): StoredTextViolation | null {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    return {
      field,
      rule: 'noNulCharacter',
      message: `${field} holds U+0000 (at index ${nul}), which the log cannot store`,
    };
  }
  const lone = LONE_SURROGATE.exec(text);
  if (lone) {
    const unit = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return {
      field,
      rule: 'wellFormedUnicode',
      message: `${field} holds a lone surrogate U+${unit} (at index ${lone.index}): not Unicode text`,
    };
  }
  return null;
}
