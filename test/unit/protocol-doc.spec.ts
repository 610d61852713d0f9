/**
 * docs/PROTOCOL.md must not drift from the code. Every value of its worked example (Appendix A, the fenced block after
 * each `<!-- vector:NAME -->` marker) is recomputed here with the project's own libraries, and the tables a client
 * relies on (error codes and statuses, verification reasons, event types and who signs them, the configuration in
 * docs/OPERATIONS.md) are compared with the code that defines them.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ClassConstructor } from 'class-transformer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson } from '../../src/canonical-json';
import {
  ed25519KeyId,
  formatSignerKey,
  formatVerifierKey,
  keyIdHex,
  openCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  signCheckpoint,
} from '../../src/checkpoint';
import { validatePlain } from '../../src/common/validation';
import { loadConfig } from '../../src/config/app-config';
import { isNdcGtin } from '../../src/gs1/ndc';
import { LedgerEventDto } from '../../src/ledger/dto/signed-event.dto';
import { LEDGER_ERRORS } from '../../src/ledger/ledger.errors';
import { DispenseType } from '../../src/dispensers/dispense.event-type';
import {
  CommissionType,
  PrefixGrantType,
  ProductRegisterType,
  RecallLiftType,
  RecallType,
} from '../../src/manufacturers/manufacturer.event-types';
import * as registry from '../../src/parties/registry.event-types';
import { PEOPLE_ERRORS } from '../../src/people/people.errors';
import * as custody from '../../src/supply-chain/custody.event-types';
import {
  CommissionBody,
  PrefixGrantBody,
  ProductRegisterBody,
} from '../../src/manufacturers/dto/manufacturer-bodies.dto';
import {
  consistencyProof,
  Hash,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  NodeId,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/merkle';
import { KeyAddBodyDto, KeyRevokeBodyDto, PartyRegisterBodyDto } from '../../src/parties/dto/registry-bodies.dto';
import { LedgerEvent, parseEventTime } from '../../src/protocol/event';
import { checkEvidence, Evidence } from '../../src/protocol/evidence';
import { decodeLeaf, encodeLeaf, LEAF_LENGTH } from '../../src/protocol/leaf';
import {
  applyRegistryEvent,
  checkSigner,
  genesisKey,
  MemoryRegistry,
  REGISTRY_EVENT_TYPES,
} from '../../src/protocol/registry';
import { ExportStatementType } from '../../src/reports/export-statement.event-type';
import { REPORT_ERRORS } from '../../src/reports/reports.errors';
import { CAPTURE_EVENT_ERRORS } from '../../src/epcis-rest/capture.service';
import { EPCIS_REST_ERRORS } from '../../src/epcis-rest/problem';
import { base64ToBytes, bytesToBase64, bytesToHex, concatBytes, hexToBytes, utf8 } from '../../src/bytes';
import { publicKeyOf } from '../../src/signing/ed25519';
import { verifyStrictNode } from '../../src/signing/ed25519-node';
import {
  keyIdOf,
  SIGNED_EVENT_PREFIX,
  signedEventBytes,
  signEvent,
  verifyEventSignature,
} from '../../src/signing/event-signing';
import { formatKeyFile, parseKeyFile } from '../../src/signing/key-file';
import { REASONS } from '../../src/verification/verdict';
import { VERIFICATION_ERRORS } from '../../src/verification/verification.errors';
import { ALERT_ERRORS } from '../../src/alerts/alerts.errors';
import { ALERT_KINDS } from '../../src/alerts/alert-rules';

const ROOT = path.join(__dirname, '..', '..');
const PROTOCOL = fs.readFileSync(path.join(ROOT, 'docs', 'PROTOCOL.md'), 'utf8');
const OPERATIONS = fs.readFileSync(path.join(ROOT, 'docs', 'OPERATIONS.md'), 'utf8');

/** The content of the fenced block right after `<!-- vector:NAME -->` (without its final newline). */
function vector(name: string): string {
  const match = new RegExp(`<!-- vector:${name} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(PROTOCOL);
  if (!match) throw new Error(`docs/PROTOCOL.md has no block <!-- vector:${name} -->`);
  return match[1];
}

const json = <T>(name: string): T => JSON.parse(vector(name)) as T;

/** Rows of the markdown table that follows `marker` (or the first table after `heading`), as trimmed cells. */
function tableAfter(doc: string, marker: string): string[][] {
  const start = doc.indexOf(marker);
  if (start < 0) throw new Error(`no ${marker}`);
  const lines = doc.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

const seed = (byte: number) => new Uint8Array(32).fill(byte);
const MANUFACTURER_SEED = seed(0x01);
const OPERATOR_SEED = seed(0x02);
const LOG_SEED = seed(0x03);
const ORIGIN = 'rxledger.example/log';

interface LogLine {
  index: number;
  acceptedAt: string;
  event: LedgerEvent<Record<string, unknown>>;
  signature: string;
  leafHash: string;
}

interface ProofView {
  leafIndex: number;
  treeSize: number;
  leafHash: string;
  hashes: string[];
  checkpoint?: string;
}

const log = (): LogLine[] =>
  vector('log')
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine);

/** Leaf hash of a logged event, recomputed from the event, its signature and its acceptance time. */
function leafOf(event: object, signature: string, acceptedAt: string): Uint8Array {
  return encodeLeaf({
    acceptedAtMs: Date.parse(acceptedAt),
    eventHash: sha256(signedEventBytes(event as LedgerEvent)),
    signature: base64ToBytes(signature),
  });
}

/** Complete-subtree hashes of a small in-memory tree. */
function nodeReader(leaves: Hash[]): (id: NodeId) => Hash {
  const read = (id: NodeId): Hash =>
    id.level === 0
      ? leaves[id.index]
      : nodeHash(
          read({ level: id.level - 1, index: 2 * id.index }),
          read({ level: id.level - 1, index: 2 * id.index + 1 }),
        );
  return read;
}

function rootOf(leaves: Hash[]): Hash {
  const frontier = MerkleFrontier.empty();
  leaves.forEach((leaf) => frontier.append(leaf));
  return frontier.root();
}

const logVerifier = () => parseVerifierKey(vector('vkey'));
const note = () => vector('checkpoint') + '\n';

describe('docs/PROTOCOL.md Appendix A (worked example)', () => {
  describe('A.1 keys', () => {
    it('derives the public key, key id and key file from the seed', () => {
      const secretKey = hexToBytes(vector('manufacturer-seed'));
      expect(secretKey).toEqual(MANUFACTURER_SEED);
      const publicKey = publicKeyOf(secretKey);
      expect(bytesToHex(publicKey)).toBe(vector('manufacturer-public-key-hex'));
      expect(keyIdOf(publicKey)).toBe(vector('manufacturer-key-id'));
      expect(bytesToHex(sha256(publicKey).subarray(0, 8))).toBe(vector('manufacturer-key-id'));

      expect(vector('key-file') + '\n').toBe(formatKeyFile(secretKey, { gln: '0361234000007' }));
      const parsed = parseKeyFile(vector('key-file'));
      expect(parsed.keyId).toBe(vector('manufacturer-key-id'));
      expect(parsed.secretKey).toEqual(secretKey);
    });

    it("lists the operator's and the manufacturer's keys as the seeds give them", () => {
      for (const secretKey of [OPERATOR_SEED, MANUFACTURER_SEED]) {
        const publicKey = publicKeyOf(secretKey);
        expect(PROTOCOL).toContain(`| \`${bytesToBase64(publicKey)}\` | \`${keyIdOf(publicKey)}\` |`);
      }
    });
  });

  describe('A.2 a signed event', () => {
    const event = () => json<LedgerEvent<Record<string, unknown>>>('event');

    it('gives the RFC 8785 bytes, the event hash and the signature shown', () => {
      expect(canonicalJson(event())).toBe(vector('jcs'));
      const signed = concatBytes(utf8('rxledger/event/v1\n'), utf8(vector('jcs')));
      expect(signedEventBytes(event())).toEqual(signed);
      expect(bytesToHex(sha256(signed))).toBe(vector('event-hash'));
      expect(signEvent(event(), MANUFACTURER_SEED)).toBe(vector('signature'));
      expect(event().keyId).toBe(keyIdOf(publicKeyOf(MANUFACTURER_SEED)));
    });

    it('has a signature every RxLedger verifier accepts, in the form intake requires', () => {
      const publicKey = publicKeyOf(MANUFACTURER_SEED);
      expect(verifyEventSignature(event(), vector('signature'), publicKey)).toBe(true);
      expect(verifyStrictNode(publicKey, signedEventBytes(event()), base64ToBytes(vector('signature')))).toBe(true);
      expect(vector('signature')).toMatch(/^[A-Za-z0-9+/]{85}[AQgw]==$/);
    });

    it('documents the prefix bytes', () => {
      const spaced = Array.from(SIGNED_EVENT_PREFIX, (byte) => byte.toString(16).padStart(2, '0')).join(' ');
      expect(PROTOCOL).toContain(`\`${spaced}\``);
      expect(SIGNED_EVENT_PREFIX).toHaveLength(18);
    });

    it('builds the 105-byte leaf and its leaf hash', () => {
      const acceptedAtMs = Date.parse(vector('accepted-at'));
      const leaf = encodeLeaf({
        acceptedAtMs,
        eventHash: hexToBytes(vector('event-hash')),
        signature: base64ToBytes(vector('signature')),
      });
      expect(leaf).toHaveLength(LEAF_LENGTH);
      expect(LEAF_LENGTH).toBe(105);
      expect(bytesToHex(leaf)).toBe(vector('leaf'));
      expect(decodeLeaf(leaf).acceptedAtMs).toBe(acceptedAtMs);
      expect(PROTOCOL).toContain(`\`${vector('leaf').slice(2, 18)}\` = ${acceptedAtMs} ms`);

      const hash = sha256(concatBytes(Uint8Array.of(0), leaf));
      expect(leafHash(leaf)).toEqual(hash);
      expect(bytesToHex(hash)).toBe(vector('leaf-hash-hex'));
      expect(bytesToBase64(hash)).toBe(vector('leaf-hash'));
    });
  });

  describe('A.3 the log', () => {
    const BODIES: Record<string, ClassConstructor<object>> = {
      'party.register': PartyRegisterBodyDto,
      'key.add': KeyAddBodyDto,
      'key.revoke': KeyRevokeBodyDto,
      'prefix.grant': PrefixGrantBody,
      'product.register': ProductRegisterBody,
      commission: CommissionBody,
    };

    it('ends with the event of A.2', () => {
      const entries = log();
      expect(entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
      expect(entries[4].event).toEqual(json('event'));
      expect(entries[4].signature).toBe(vector('signature'));
      expect(entries[4].acceptedAt).toBe(vector('accepted-at'));
      expect(entries[4].leafHash).toBe(vector('leaf-hash'));
    });

    it('holds events that intake would accept in this order: forms, signatures, registry rules', () => {
      const registry = new MemoryRegistry();
      const seeds = new Map([OPERATOR_SEED, MANUFACTURER_SEED].map((s) => [keyIdOf(publicKeyOf(s)), s]));
      for (const { index, acceptedAt, event, signature } of log()) {
        validatePlain(LedgerEventDto, event, 'event');
        validatePlain(BODIES[event.type], event.body, 'event.body');
        expect(parseEventTime(event.time)).toBeLessThanOrEqual(Date.parse(acceptedAt));
        const acceptedAtMs = Date.parse(acceptedAt);
        checkSigner(registry, event, acceptedAtMs);
        const publicKey = registry.key(event.keyId)?.publicKey ?? genesisKey(event);
        expect(publicKey).not.toBeNull();
        expect(verifyEventSignature(event, signature, publicKey!)).toBe(true);
        expect(signEvent(event, seeds.get(event.keyId)!)).toBe(signature);
        if ((REGISTRY_EVENT_TYPES as readonly string[]).includes(event.type)) {
          applyRegistryEvent(registry, event, index, acceptedAtMs);
        }
      }
      expect(registry.party('0361234000007')?.role).toBe('manufacturer');
    });

    it('follows the supply-chain rules of §7 for its prefix, product and commissioning', () => {
      const [, registration, grant, product, commission] = log().map((e) => e.event);
      const prefix = grant.body.prefix as string;
      const gtin = product.body.gtin as string;
      expect(grant.body.gln).toBe(registration.body.gln);
      expect(registration.body.role).toBe('manufacturer');
      expect(product.actor).toBe(registration.body.gln);
      expect(gtin.slice(1, 1 + prefix.length)).toBe(prefix);
      expect(isNdcGtin(gtin)).toBe(true);
      expect(commission.actor).toBe(product.actor);
      expect(commission.body.gtin).toBe(gtin);
    });

    it('recomputes every leaf hash, the tile and both roots', () => {
      const entries = log();
      const leaves = entries.map((e) => leafHash(leafOf(e.event, e.signature, e.acceptedAt)));
      expect(leaves.map(bytesToBase64)).toEqual(entries.map((e) => e.leafHash));
      expect(vector('tile-0')).toBe(bytesToBase64(concatBytes(...leaves)));
      expect(bytesToBase64(rootOf(leaves.slice(0, 3)))).toBe(vector('root-3'));
      expect(bytesToBase64(rootOf(leaves))).toBe(vector('root-5'));
      const [l0, l1, l2, l3] = leaves;
      expect(PROTOCOL).toContain(`MTH(0..2) = \`${bytesToBase64(nodeHash(l0, l1))}\``);
      expect(PROTOCOL).toContain(`MTH(2..4) = \`${bytesToBase64(nodeHash(l2, l3))}\``);
      expect(PROTOCOL).toContain(`MTH(0..4) = \`${bytesToBase64(nodeHash(nodeHash(l0, l1), nodeHash(l2, l3)))}\``);
    });
  });

  describe('A.4 the checkpoint', () => {
    it('gives the signer and verifier keys of the log seed', () => {
      expect(formatSignerKey(ORIGIN, LOG_SEED)).toBe(vector('log-skey'));
      const signer = parseSignerKey(vector('log-skey'));
      expect(formatVerifierKey(ORIGIN, signer.publicKey)).toBe(vector('vkey'));
      const keyId = keyIdHex(ed25519KeyId(ORIGIN, signer.publicKey));
      expect(keyId).toBe(
        bytesToHex(sha256(concatBytes(utf8(ORIGIN), Uint8Array.of(0x0a, 0x01), signer.publicKey)).slice(0, 4)),
      );
      expect(PROTOCOL).toContain(`[0..4) = \`${keyId}\``);
      expect(vector('vkey').split('+')[1]).toBe(keyId);
    });

    it('opens with the vkey and is exactly what the log key signs', () => {
      const { checkpoint } = openCheckpoint(note(), logVerifier());
      expect(checkpoint.origin).toBe(ORIGIN);
      expect(checkpoint.size).toBe(5);
      expect(bytesToBase64(checkpoint.rootHash)).toBe(vector('root-5'));
      expect(checkpoint.extensions).toEqual([]);
      const signed = signCheckpoint(
        { origin: ORIGIN, size: 5, rootHash: base64ToBytes(vector('root-5')), extensions: [] },
        parseSignerKey(vector('log-skey')),
      );
      expect(signed).toBe(note());
    });
  });

  describe('A.5 proofs and a receipt', () => {
    const leaves = () => log().map((e) => base64ToBytes(e.leafHash));
    const root = (name: string) => base64ToBytes(vector(name));

    it.each([['inclusion-4'], ['inclusion-2']])('%s is the proof the log serves, and it verifies', (name) => {
      const proof = json<ProofView>(name);
      const all = leaves();
      expect(proof.treeSize).toBe(5);
      expect(proof.leafHash).toBe(bytesToBase64(all[proof.leafIndex]));
      expect(proof.hashes).toEqual(inclusionProof(proof.leafIndex, 5, nodeReader(all)).map(bytesToBase64));
      expect(proof.checkpoint).toBe(note());
      const hashes = proof.hashes.map(base64ToBytes);
      expect(verifyInclusion(all[proof.leafIndex], proof.leafIndex, 5, hashes, root('root-5'))).toBe(true);
      expect(verifyInclusion(all[proof.leafIndex], proof.leafIndex, 5, hashes, root('root-3'))).toBe(false);
    });

    it('consistency-3-5 is the proof the log serves, and it verifies', () => {
      const proof = json<{ from: number; to: number; hashes: string[]; checkpoint: string }>('consistency-3-5');
      expect([proof.from, proof.to]).toEqual([3, 5]);
      expect(proof.hashes).toEqual(consistencyProof(3, 5, nodeReader(leaves())).map(bytesToBase64));
      expect(proof.checkpoint).toBe(note());
      expect(verifyConsistency(3, 5, proof.hashes.map(base64ToBytes), root('root-3'), root('root-5'))).toBe(true);
    });

    it('the receipt checks out against the event alone and the vkey', () => {
      const receipt = json<{
        index: number;
        leafHash: string;
        eventId: string;
        actor: string;
        acceptedAt: string;
        duplicate: boolean;
        checkpoint: string;
        inclusionProof: { treeSize: number; leafIndex: number; hashes: string[] };
      }>('receipt');
      const event = json<LedgerEvent>('event');
      expect([receipt.index, receipt.eventId, receipt.actor, receipt.duplicate]).toEqual([
        4,
        event.id,
        event.actor,
        false,
      ]);
      const leaf = leafHash(leafOf(event, vector('signature'), receipt.acceptedAt));
      expect(receipt.leafHash).toBe(bytesToBase64(leaf));
      const { checkpoint } = openCheckpoint(receipt.checkpoint, logVerifier());
      expect(receipt.inclusionProof.treeSize).toBe(checkpoint.size);
      expect(receipt.inclusionProof.leafIndex).toBe(receipt.index);
      const proof = receipt.inclusionProof.hashes.map(base64ToBytes);
      expect(verifyInclusion(leaf, receipt.index, checkpoint.size, proof, checkpoint.rootHash)).toBe(true);
    });
  });

  describe('A.6 evidence', () => {
    it('passes checkEvidence with the vkey and carries the leaf of A.2', () => {
      const evidence = json<Evidence>('evidence');
      expect(checkEvidence(evidence, vector('vkey'))).toEqual({
        ok: true,
        treeSize: 5,
        acceptedAt: vector('accepted-at'),
        eventHash: bytesToBase64(hexToBytes(vector('event-hash'))),
      });
      expect(bytesToHex(base64ToBytes(evidence.leafData))).toBe(vector('leaf'));
      expect(evidence.checkpoint).toBe(note());
    });

    it('fails checkEvidence with another log key', () => {
      const other = formatVerifierKey(ORIGIN, publicKeyOf(seed(0x04)));
      expect(checkEvidence(json<Evidence>('evidence'), other).ok).toBe(false);
    });
  });
});

describe('docs/PROTOCOL.md tables match the code', () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? sources(full) : entry.name.endsWith('.ts') ? [full] : [];
    });
  const src = sources(path.join(ROOT, 'src')).map((file) => fs.readFileSync(file, 'utf8'));
  const headings = new Map(
    [...PROTOCOL.matchAll(/^## (\d+)\. (.+)$/gm)].map((match) => [Number(match[1]), match[2].toLowerCase()]),
  );

  it('has the sections the code cites, with the topics it cites them for', () => {
    const cited = new Set(src.flatMap((text) => [...text.matchAll(/PROTOCOL\.md §(\d+)/g)].map((m) => Number(m[1]))));
    expect(cited.size).toBeGreaterThan(0);
    for (const section of cited) expect(headings.has(section)).toBe(true);
    const topics: [number, string][] = [
      [2, 'signed events'],
      [3, 'registry'],
      [4, 'leaves'],
      [5, 'receipts'],
      [6, 'checkpoints'],
      [7, 'item codes'],
      [8, 'verification'],
      [9, 'evidence bundles'],
      [10, 'errors'],
      [11, 'versioning'],
    ];
    for (const [section, topic] of topics) expect(headings.get(section)).toContain(topic);
  });

  const errorRows = () => {
    const rows = new Map<string, string>();
    for (const [codes, status] of tableAfter(PROTOCOL, '<!-- table:error-codes -->')) {
      for (const code of codes.matchAll(/`([A-Z_]+)`/g)) rows.set(code[1], status);
    }
    return rows;
  };

  it('lists every ledger and registry code with its HTTP status', () => {
    const rows = errorRows();
    for (const [code, status] of Object.entries(LEDGER_ERRORS)) {
      expect([code, rows.get(code)?.match(/\d{3}/)?.[0]]).toEqual([code, String(status)]);
    }
  });

  it('lists every verification code (its status, or it among the statuses of a shared code)', () => {
    for (const [code, status] of Object.entries(VERIFICATION_ERRORS)) {
      const row = PROTOCOL.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect([code, row?.includes(String(status))]).toEqual([code, true]);
    }
  });

  it('lists every supply-chain code as 422 and every report code', () => {
    const declared = fs.readFileSync(path.join(ROOT, 'src/protocol/custody/violation.ts'), 'utf8');
    const union = /export type CustodyCode =([^;]+);/.exec(declared)![1];
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(30);
    const rows = errorRows();
    for (const code of codes) expect([code, rows.get(code)?.match(/\d{3}/)?.[0]]).toEqual([code, '422']);
    for (const code of Object.keys(REPORT_ERRORS)) expect(rows.has(code)).toBe(true);
  });

  it('lists every code the filter and the auth guard produce', () => {
    const rows = errorRows();
    for (const code of [
      'VALIDATION_FAILED',
      'MALFORMED_JSON',
      'PAYLOAD_TOO_LARGE',
      'BODY_TOO_DEEP',
      'BODY_TOO_MANY_VALUES',
      'DUPLICATE_MEMBER',
      'UNAUTHENTICATED',
      'TOO_MANY_AUTH_FAILURES',
      'FORBIDDEN',
      'INTERNAL',
      'DATABASE_UNAVAILABLE',
    ]) {
      expect(rows.has(code)).toBe(true);
    }
  });

  it('lists every alert triage code (§8.6) with its HTTP status, and the kinds in their order', () => {
    const rows = errorRows();
    for (const [code, status] of Object.entries(ALERT_ERRORS)) {
      expect([code, rows.get(code)?.match(/\d{3}/)?.[0]]).toEqual([code, String(status)]);
    }
    const section = PROTOCOL.slice(PROTOCOL.indexOf('### 8.6'), PROTOCOL.indexOf('## 9.'));
    const order = /first of its reasons in this order: ([^.]+)\./.exec(section.replace(/\n/g, ' '))![1];
    expect([...order.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1])).toEqual([...ALERT_KINDS]);
  });

  it('lists every code of people and sessions (§3.4) with its HTTP status', () => {
    const rows = errorRows();
    for (const [code, status] of Object.entries(PEOPLE_ERRORS)) {
      expect([code, rows.get(code)?.match(/\d{3}/)?.[0]]).toEqual([code, String(status)]);
    }
  });

  it('lists every code of the EPCIS REST binding (§12) with its HTTP status', () => {
    const rows = errorRows();
    for (const [code, status] of Object.entries({ ...EPCIS_REST_ERRORS, ...CAPTURE_EVENT_ERRORS })) {
      expect([code, rows.get(code)?.match(/\d{3}/)?.[0]]).toEqual([code, String(status)]);
    }
  });

  it('lists every verification reason with its severity and whether it is suspicious', () => {
    const rows = new Map(
      tableAfter(PROTOCOL, '| reason | severity | suspicious | when |').map(([code, severity, suspicious]) => [
        code.replace(/`/g, ''),
        { severity, suspicious: suspicious === 'yes' },
      ]),
    );
    expect([...rows.keys()].sort()).toEqual(Object.keys(REASONS).sort());
    for (const [code, reason] of Object.entries(REASONS)) expect(rows.get(code)).toEqual(reason);
  });

  it('describes every event type the code defines, with the roles that may sign it', () => {
    const defined = new Set(
      src.flatMap((text) => [...text.matchAll(/readonly type = '([a-z.-]+)'/g)].map((m) => m[1])),
    );
    const documented = new Map<string, string[]>();
    let previous: string[] = [];
    for (const [types, signers] of tableAfter(PROTOCOL, '| type | signed by | body |')) {
      const roles = signers === 'same' ? previous : signers.split(/,\s*/);
      previous = roles;
      for (const type of types.matchAll(/`([a-z.-]+)`/g)) documented.set(type[1], roles);
    }
    for (const type of ['party.register', 'key.add', 'key.revoke']) documented.set(type, ['operator']);
    expect([...documented.keys()].sort()).toEqual([...defined].sort());

    const types = [
      new PrefixGrantType(),
      new ProductRegisterType(),
      new CommissionType(),
      new RecallType(),
      new RecallLiftType(),
      new custody.PackType(),
      new custody.UnpackType(),
      new custody.ShipType(),
      new custody.ReceiveType(),
      new custody.DecommissionType(),
      new custody.DestroyType(),
      new custody.QuarantineType(),
      new custody.IllegitimateType(),
      new custody.ClearType(),
      new DispenseType(),
      new registry.PartyRegisterType(),
      new registry.KeyAddType(),
      new registry.KeyRevokeType(),
      new ExportStatementType(),
    ];
    for (const type of types) {
      expect([type.type, [...documented.get(type.type)!].sort()]).toEqual([type.type, [...type.actorRoles].sort()]);
    }
  });
});

describe('docs/OPERATIONS.md configuration table matches the code', () => {
  it('lists every variable with its default', () => {
    const source = fs.readFileSync(path.join(ROOT, 'src/config/app-config.ts'), 'utf8');
    const names = [.../const CONFIG_VARIABLES = \[([^\]]+)\]/.exec(source)![1].matchAll(/'([A-Z_]+)'/g)].map(
      (m) => m[1],
    );
    const rows = new Map(
      tableAfter(OPERATIONS, '<!-- table:config -->').map(([name, value]) => [name.replace(/`/g, ''), value]),
    );
    expect([...rows.keys()].sort()).toEqual([...names].sort());
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    for (const name of names) {
      const value = defaults[name];
      const documented = rows.get(name)!;
      const expected = value === undefined ? '—' : `\`${String(value)}\``;
      expect([name, documented]).toEqual([name, expected]);
    }
  });
});
