/**
 * The export statement (docs/PROTOCOL.md §9): the operator's signed word on what an evidence bundle holds and for
 * whom it was made. It binds the bundle's scope, requester, generation time and checkpoint, and its three lists (the
 * registry's and the events' log indexes, the items with their histories) through a count and a SHA-256 digest each.
 *
 * The server logs it, as an operator-signed `export.statement` event, once the lists have been streamed, and ends the
 * bundle with it (member `statement`); its inclusion comes in a checkpoint after the bundle's own, and is proven later
 * against the log (`rxledger verify-bundle --statement-proof`). Pure: the server builds the digests with it, the
 * offline verifier recomputes them with it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToBase64, utf8 } from '../bytes';
import { BUNDLE_FORMAT, ReportScope } from './bundle';
import { LedgerEvent } from './event';

export const EXPORT_STATEMENT_TYPE = 'export.statement';

/**
 * A list of the bundle as the statement binds it: how many elements, and the SHA-256 (standard base64) of the UTF-8
 * text made of one line per element, in the bundle's order, each ended by a line feed (see `indexLine`, `itemLine`).
 */
export interface ListDigest {
  count: number;
  sha256: string;
}

/** Body of an `export.statement` event (signed by the operator). */
export interface ExportStatementBody {
  /** The export's id: the `RxLedger-Export-Id` header, and the id of its record in GET /v1/reports/exports. */
  exportId: string;
  format: typeof BUNDLE_FORMAT;
  scope: ReportScope;
  /** GLN of the party that asked for the export: the bundle's `generatedBy`. */
  requester: string;
  /** The bundle's `generatedAt`. */
  generatedAt: string;
  /** The bundle's checkpoint: its tree size and root hash (standard base64). */
  checkpoint: { size: number; rootHash: string };
  registry: ListDigest;
  events: ListDigest;
  items: ListDigest;
}

/** The bundle's last member: the logged statement, as its registry events are carried but without an inclusion proof. */
export interface StatementEntry {
  /** Log index of the statement: at or beyond the bundle's checkpoint size. */
  index: number;
  acceptedAt: string;
  event: LedgerEvent<ExportStatementBody>;
  /** Ed25519 signature by the operator's key, standard base64. */
  signature: string;
}

/** The line of a registry or scope event: its log index in decimal (a withheld event's too). */
export const indexLine = (index: number): string => String(index);

/** The line of an item: its JSON, `{"code":…,"history":[…]}`, with no white space (its RFC 8785 form). */
export const itemLine = (code: string, history: readonly number[]): string => JSON.stringify({ code, history });

/** SHA-256 fed with text. */
export interface TextHash {
  update(text: string): void;
  digest(): Uint8Array;
}

/** SHA-256 in pure JavaScript (the browser's and the SDK's); the server passes Node's. */
export function pureTextHash(): TextHash {
  const hash = sha256.create();
  return {
    update: (text) => void hash.update(utf8(text)),
    digest: () => hash.digest(),
  };
}

/** Hashed this many characters at a time: one hash call per element would cost more than the hashing. */
const CHUNK = 64 * 1024;

/** Builds a `ListDigest` one element at a time, in the bundle's order: memory stays flat however long the list. */
export class ListDigester {
  private pending: string[] = [];
  private pendingLength = 0;
  private count = 0;

  constructor(private readonly hash: TextHash = pureTextHash()) {}

  add(line: string): void {
    this.pending.push(line, '\n');
    this.pendingLength += line.length + 1;
    this.count++;
    if (this.pendingLength >= CHUNK) this.flush();
  }

  result(): ListDigest {
    this.flush();
    return { count: this.count, sha256: bytesToBase64(this.hash.digest()) };
  }

  private flush(): void {
    if (this.pendingLength === 0) return;
    this.hash.update(this.pending.join(''));
    this.pending = [];
    this.pendingLength = 0;
  }
}
