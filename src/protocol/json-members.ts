/**
 * Duplicate member names in JSON text (RFC 8259 §4: "the names within an object SHOULD be unique"; I-JSON, RFC 7493
 * §2.3: MUST). `JSON.parse` keeps the last of two same-named members silently, while other JSON tools keep the first
 * or refuse: `{"lot":"FAKE","lot":"LOT-A"}` would show different content to different readers. RxLedger refuses such
 * text wherever it reads JSON from others: request bodies (src/auth/request-body.ts) and evidence bundles
 * (src/bundle/bundle-stream.ts).
 *
 * The check costs almost nothing on the way every body already goes: a scan of the text counts the members (one
 * `:` outside strings each), `countMembers` counts those of the parsed value; they differ exactly when a name was
 * repeated in some object (the parse kept one member for two). Only then does `findDuplicateMember` walk the text
 * to name the member. Names are compared decoded (`"lot"` and `"l\u006ft"` are the same name). Pure.
 */

/** Object members of a parsed JSON value, counted over the whole value. */
export function countMembers(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const next = stack.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Array.isArray(next)) {
      for (const element of next) if (typeof element === 'object' && element !== null) stack.push(element);
    } else {
      for (const key in next) {
        count++;
        const member = (next as Record<string, unknown>)[key];
        if (typeof member === 'object' && member !== null) stack.push(member);
      }
    }
  }
  return count;
}

/** Members (`:` outside strings) in JSON text; for a text that is not JSON the answer means nothing. */
export function countMembersInText(text: string): number {
  let count = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === 0x3a) count++;
    i++;
  }
  return count;
}

/**
 * The path of the first member whose name its object already holds (`events[3].event.body.lot`), or null. `text`
 * must be JSON (parsed once already); a text that is not is answered null.
 */
export function findDuplicateMember(text: string): string | null {
  const frames: { names: Set<string> | null; path: string; index: number }[] = [];
  let i = 0;
  const n = text.length;
  let pendingName: string | null = null;
  const pathOfValue = (): string => {
    const top = frames[frames.length - 1];
    if (!top) return '$';
    if (top.names === null) return `${top.path}[${top.index}]`;
    return memberPath(top.path, pendingName ?? '');
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      const path = pathOfValue();
      frames.push({ names: c === 0x7b ? new Set() : null, path, index: 0 });
      pendingName = null;
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      frames.pop();
      i++;
    } else if (c === 0x2c) {
      const top = frames[frames.length - 1];
      if (top && top.names === null) top.index++;
      i++;
    } else if (c === 0x22) {
      const end = stringEnd(text, i);
      const top = frames[frames.length - 1];
      // A string directly in an object, not after a colon, is a member name.
      if (top && top.names !== null && pendingName === null) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, end)) as string;
        } catch {
          return null;
        }
        if (top.names.has(name)) return memberPath(top.path, name);
        top.names.add(name);
        pendingName = name;
      }
      i = end;
    } else {
      i++;
    }
    // A comma or the end of a container ends the pending member (a value that is itself a container cleared it).
    if (c === 0x2c || c === 0x7d || c === 0x5d) pendingName = null;
  }
  return null;
}

/** `a.b`, or `a["odd name"]` when the name is not a plain identifier. */
function memberPath(path: string, name: string): string {
  const step = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
  return path === '$' ? (step.startsWith('.') ? step.slice(1) : `$${step}`) : `${path}${step}`;
}

/** The index just after the string that starts (with its quote) at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end > 0) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return end + 1;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}
