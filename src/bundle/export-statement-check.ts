/**
 * The verifier's check of a bundle's export statement (docs/PROTOCOL.md §9; src/protocol/export-statement.ts): the
 * operator's signed word that binds the bundle's scope, requester, generation time, checkpoint and lists. Without it
 * nothing stops anyone holding the file from relabelling them (a serial's bundle as the alerts scope, a narrow window
 * as a wide one, a pharmacy's partial export as a regulator's) or from dropping an event from the lists.
 *
 * The lists are digested as the verifier reads them; the statement, the bundle's last member, is judged at the end.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJson } from '../canonical-json';
import { leafHash } from '../merkle/hash';
import { BUNDLE_FORMAT, ReportScope } from '../protocol/bundle';
import {
  EXPORT_STATEMENT_TYPE,
  indexLine,
  itemLine,
  ListDigest,
  ListDigester,
  pureTextHash,
  TextHash,
} from '../protocol/export-statement';
import { encodeLeaf } from '../protocol/leaf';
import { RegistryViolation } from '../protocol/registry';
import { bytesToBase64 } from '../bytes';
import { signedEventBytes } from '../signing/event-signing';
import { acceptedAtMs, bytes, ledgerEvent, logIndex, onlyMembers, record, ShapeError } from './bundle-shape';
import { KeyHistory } from './key-history';

const LISTS = ['registry', 'events', 'items'] as const;
type List = (typeof LISTS)[number];

/** The statement once its form has been checked. */
interface Statement {
  index: number;
  acceptedAtMs: number;
  event: ReturnType<typeof ledgerEvent>;
  signature: Uint8Array;
}

/** What the statement is compared with: the bundle's members as the verifier read them (null: missing or malformed). */
export interface StatementContext {
  scope: ReportScope | null;
  generatedBy: string | null;
  generatedAt: string | null;
  checkpoint: { size: number; rootHash: Uint8Array } | null;
  keys: KeyHistory;
  verifySignature: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  fail: (message: string, index?: number) => void;
}

/** The statement as verified: where it was logged and its leaf, to prove later that it was (`--statement-proof`). */
export interface VerifiedStatement {
  exportId: string;
  index: number;
  /** The statement's Merkle leaf hash (standard base64), recomputed from the bundle. */
  leafHash: string;
}

export class ExportStatementCheck {
  private readonly digests: Record<List, ListDigester>;
  private statement: Statement | null = null;
  private malformed: string | null = null;
  private seen = false;

  constructor(hash: () => TextHash = pureTextHash) {
    this.digests = {
      registry: new ListDigester(hash()),
      events: new ListDigester(hash()),
      items: new ListDigester(hash()),
    };
  }

  /** An element of `registry` or `events` (withheld or not), by its log index, in the bundle's order. */
  entry(list: 'registry' | 'events', index: number): void {
    this.digests[list].add(indexLine(index));
  }

  item(code: string, history: readonly number[]): void {
    this.digests.items.add(itemLine(code, history));
  }

  /** The bundle's `statement` member. */
  read(value: unknown): void {
    this.seen = true;
    try {
      const entry = record(value, 'statement');
      onlyMembers(entry, new Set(['index', 'acceptedAt', 'event', 'signature']), 'statement');
      this.statement = {
        index: logIndex(entry.index, 'statement.index'),
        acceptedAtMs: acceptedAtMs(entry.acceptedAt, 'statement.acceptedAt'),
        event: ledgerEvent(entry.event, 'statement.event'),
        signature: bytes(entry.signature, 64, 'statement.signature'),
      };
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      this.malformed = error.message;
    }
  }

  /** Judges the statement against the bundle; returns it when it holds. */
  judge(context: StatementContext): VerifiedStatement | null {
    const { fail } = context;
    if (!this.seen) {
      fail(
        'the bundle carries no export statement: nothing signed by the operator binds its scope, generatedBy, ' +
          'generatedAt, checkpoint and lists, so anyone holding the file may have changed them',
      );
      return null;
    }
    if (this.malformed !== null) {
      fail(`the export statement is malformed: ${this.malformed}`);
      return null;
    }
    const { index, acceptedAtMs, event, signature } = this.statement!;
    const failures = [];
    const mismatch = (message: string) => {
      failures.push(message);
      fail(message, index);
    };
    if (event.type !== EXPORT_STATEMENT_TYPE) {
      mismatch(`statement.event.type: ${JSON.stringify(event.type).slice(0, 40)} is not ${EXPORT_STATEMENT_TYPE}`);
      return null;
    }
    const { checkpoint } = context;
    if (checkpoint && index < checkpoint.size) {
      mismatch(
        `statement.index: log index ${index} is inside the bundle's checkpoint (size ${checkpoint.size}), but a ` +
          "statement is logged after its export's checkpoint",
      );
    }
    let message: Uint8Array;
    try {
      message = signedEventBytes(event);
    } catch (error) {
      mismatch(`statement.event: has no RFC 8785 form (${(error as Error).message})`);
      return null;
    }
    try {
      const signer = context.keys.signerAt(index, event, acceptedAtMs);
      if (signer.party?.role !== 'operator') {
        mismatch(
          `statement.event.actor: signed by ${event.actor}, a ${signer.party?.role ?? 'party unknown to the registry'}, not the operator`,
        );
      } else if (!context.verifySignature(signer.publicKey, message, signature)) {
        mismatch(`statement.signature: does not verify with the operator's key ${event.keyId}`);
      }
    } catch (error) {
      if (!(error instanceof RegistryViolation)) throw error;
      mismatch(
        `statement: signed by ${event.actor} with key ${event.keyId}, which the bundled key history does not allow: ${error.code}: ${error.message}`,
      );
    }
    this.compare(event.body, context, mismatch);
    if (failures.length > 0) return null;
    return {
      exportId: String(event.body.exportId),
      index,
      leafHash: bytesToBase64(leafHash(encodeLeaf({ acceptedAtMs, eventHash: sha256(message), signature }))),
    };
  }

  /** Each member of the body against what the bundle says (one failure per member that differs). */
  private compare(body: Record<string, unknown>, context: StatementContext, mismatch: (message: string) => void): void {
    const signed = (value: unknown) => {
      try {
        return canonicalJson(value);
      } catch {
        return '(not JSON)';
      }
    };
    // A member the bundle lacks, or has in a malformed or unverified form, is a failure of its own already.
    const differs = (member: string, statement: unknown, bundle: unknown, what: string) => {
      if (bundle !== null && signed(statement) !== signed(bundle)) {
        mismatch(
          `statement.event.body.${member}: the operator signed ${signed(statement).slice(0, 200)}, the bundle's ${what} is ` +
            signed(bundle).slice(0, 200),
        );
      }
    };
    differs('format', body.format, BUNDLE_FORMAT, 'format');
    differs('scope', body.scope, context.scope, 'scope');
    differs('requester', body.requester, context.generatedBy, 'generatedBy');
    differs('generatedAt', body.generatedAt, context.generatedAt, 'generatedAt');
    const checkpoint = context.checkpoint && {
      size: context.checkpoint.size,
      rootHash: bytesToBase64(context.checkpoint.rootHash),
    };
    differs('checkpoint', body.checkpoint, checkpoint, 'checkpoint');
    const lists: Record<List, ListDigest> = {
      registry: this.digests.registry.result(),
      events: this.digests.events.result(),
      items: this.digests.items.result(),
    };
    for (const list of LISTS) differs(list, body[list], lists[list], `${list} list (count and digest)`);
  }
}
