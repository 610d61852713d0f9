/**
 * Reads an evidence bundle's JSON text piece by piece, so that a bundle of a 100,000-unit lot (tens of megabytes) is
 * verified without ever holding it whole: the top-level members are handed over one at a time, and the members that
 * are long lists (`registry`, `events`, `items`) one element at a time, each element parsed on its own.
 *
 * Only the top-level object and those lists are scanned here; every value handed over is parsed by `JSON.parse`, so
 * what is accepted is exactly JSON, and a value in which an object repeats a member name is refused (reported and
 * skipped: `JSON.parse` would keep the last, other readers the first). A member or element that is not JSON is reported and skipped; text that is not an
 * object of members at all stops the reading with a `BundleSyntaxError`. Pure (no Node APIs): text chunks in, values out.
 */

import { countMembers, findDuplicateMember } from '../protocol/json-members';

export interface BundleSink {
  member(name: string, value: unknown): void;
  startList(name: string): void;
  element(name: string, position: number, value: unknown): void;
  /** A member or list element whose text is not JSON; reading goes on with the next one. */
  malformed(path: string, reason: string): void;
}

/** The text is not a JSON object of the bundle's shape; `path` says where (e.g. `events[12]`), `offset` is a character offset. */
export class BundleSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${path}: ${reason} (at character ${offset})`);
    this.name = 'BundleSyntaxError';
  }
}

type State =
  | 'start'
  | 'first-key'
  | 'key'
  | 'colon'
  | 'value'
  | 'after-member'
  | 'first-element'
  | 'element'
  | 'after-element'
  | 'done';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

export class BundleJsonSplitter {
  private state: State = 'start';
  private consumed = 0;
  private key = '';
  private readonly members = new Set<string>();
  private position = 0;
  private capturing: 'key' | 'member' | 'element' | null = null;
  private parts: string[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  private primitive = false;
  /** Object members (a `:` outside strings each) of the value being captured: see src/protocol/json-members.ts. */
  private colons = 0;

  constructor(
    private readonly sink: BundleSink,
    private readonly lists: ReadonlySet<string>,
  ) {}

  write(chunk: string): void {
    const n = chunk.length;
    let i = 0;
    let segment = 0;
    while (i < n) {
      if (this.capturing) {
        const end = this.scan(chunk, i);
        if (end < 0) {
          this.parts.push(chunk.slice(segment));
          break;
        }
        this.parts.push(chunk.slice(segment, end));
        this.completeCapture(this.consumed + end);
        i = end;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (WHITESPACE.has(c) || (c === 0xfeff && this.consumed + i === 0)) {
        i++;
        continue;
      }
      const at = this.consumed + i;
      switch (this.state) {
        case 'start':
          if (c !== 0x7b) throw this.error('$', at, 'a bundle is a JSON object');
          this.state = 'first-key';
          i++;
          break;
        case 'first-key':
        case 'key':
          if (c === 0x7d && this.state === 'first-key') {
            this.state = 'done';
            i++;
          } else if (c === QUOTE) {
            this.begin('key');
            segment = i;
          } else {
            throw this.error('$', at, 'expected a member name');
          }
          break;
        case 'colon':
          if (c !== 0x3a) throw this.error(this.key, at, "expected ':' after the member name");
          this.state = 'value';
          i++;
          break;
        case 'value':
          if (c === 0x5b && this.lists.has(this.key)) {
            this.sink.startList(this.key);
            this.position = 0;
            this.state = 'first-element';
            i++;
          } else {
            this.begin('member');
            segment = i;
          }
          break;
        case 'after-member':
          if (c === 0x2c) this.state = 'key';
          else if (c === 0x7d) this.state = 'done';
          else throw this.error(this.key, at, "expected ',' or '}' after the member");
          i++;
          break;
        case 'first-element':
        case 'element':
          if (c === 0x5d && this.state === 'first-element') {
            this.state = 'after-member';
            i++;
          } else {
            this.begin('element');
            segment = i;
          }
          break;
        case 'after-element':
          if (c === 0x2c) this.state = 'element';
          else if (c === 0x5d) this.state = 'after-member';
          else throw this.error(`${this.key}[${this.position - 1}]`, at, "expected ',' or ']' after the element");
          i++;
          break;
        case 'done':
          throw this.error('$', at, 'text after the end of the bundle');
      }
    }
    this.consumed += n;
  }

  /** The text has ended: everything must be complete. */
  end(): void {
    if (this.capturing && this.primitive) {
      this.completeCapture(this.consumed);
    }
    if (this.state !== 'done' || this.capturing) {
      const where =
        this.state === 'start' ? '$' : this.capturing === 'element' ? `${this.key}[${this.position}]` : this.key || '$';
      throw this.error(where, this.consumed, 'the text ends before the bundle does');
    }
  }

  private begin(kind: 'key' | 'member' | 'element'): void {
    this.capturing = kind;
    this.parts = [];
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.primitive = false;
    this.colons = 0;
  }

  /** Scans the value being captured from `i`: the index just after its end, or -1 if it goes on past the chunk. */
  private scan(chunk: string, i: number): number {
    const n = chunk.length;
    if (this.parts.length === 0 && !this.inString && this.depth === 0 && !this.primitive) {
      // The first character decides what kind of value this is.
      const c = chunk.charCodeAt(i);
      if (c !== QUOTE && c !== 0x7b && c !== 0x5b) this.primitive = true;
    }
    for (let j = i; j < n; j++) {
      const c = chunk.charCodeAt(j);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 0) return j + 1;
        }
      } else if (this.primitive) {
        if (c === 0x2c || c === 0x5d || c === 0x7d || WHITESPACE.has(c)) return j;
      } else if (c === QUOTE) {
        this.inString = true;
      } else if (c === COLON) {
        this.colons++;
      } else if (c === 0x7b || c === 0x5b) {
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) return j + 1;
      }
    }
    return -1;
  }

  private completeCapture(at: number): void {
    const text = this.parts.join('');
    const kind = this.capturing;
    this.capturing = null;
    this.parts = [];
    if (kind === 'key') {
      const key = parse(text);
      if (typeof key !== 'string') throw this.error('$', at, `malformed member name ${text.slice(0, 40)}`);
      if (this.members.has(key)) throw this.error(key, at, 'the member appears twice');
      this.members.add(key);
      this.key = key;
      this.state = 'colon';
      return;
    }
    const path = kind === 'element' ? `${this.key}[${this.position}]` : this.key;
    let value = parse(text);
    if (value === INVALID) this.sink.malformed(path, `not valid JSON (at character ${at - text.length})`);
    else if (countMembers(value) !== this.colons) {
      // An object repeats a member name: JSON.parse kept the last, another reader would keep the first.
      const member = findDuplicateMember(text) ?? '(unknown)';
      const where = member.startsWith('$') ? `${path}${member.slice(1)}` : `${path}.${member}`;
      this.sink.malformed(
        where,
        'the member name appears twice in its object (RFC 7493 §2.3); JSON readers disagree on which counts',
      );
      value = INVALID;
    }
    if (kind === 'element') {
      if (value !== INVALID) this.sink.element(this.key, this.position, value);
      this.position++;
      this.state = 'after-element';
    } else {
      if (value !== INVALID) this.sink.member(this.key, value);
      this.state = 'after-member';
    }
  }

  private error(path: string, offset: number, reason: string): BundleSyntaxError {
    return new BundleSyntaxError(path, offset, reason);
  }
}

const INVALID = Symbol('invalid JSON');

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}
