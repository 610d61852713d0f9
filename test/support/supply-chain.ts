import { INestApplication } from '@nestjs/common';
import { createPrivateKey, KeyObject, randomBytes, randomUUID, sign as nodeSign } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApp, createLogger } from '../../src/app.factory';
import { makeGtin14, makeSscc } from '../../src/gs1/identifiers';
import { LedgerEvent } from '../../src/protocol/event';
import { containerCode, parseItemCode, unitCode } from '../../src/protocol/item-code';
import { bytesToBase64 } from '../../src/bytes';
import { signedEventBytes } from '../../src/signing/event-signing';
import { CustodyRepository } from '../../src/supply-chain/custody.repository';
import { newParty, TestApp, TestParty } from './test-app';

let prefixCounter = 0;

/** A manufacturer with a granted company prefix and a registered product (GTIN) under it. */
export class TestManufacturer extends TestParty {
  prefix!: string;
  private ssccCounter = 0;
  private productCounter = 0;

  gtin(itemReference = 1): string {
    return makeGtin14('0', this.prefix, String(itemReference).padStart(12 - this.prefix.length, '0'));
  }

  /** A fresh SSCC under this manufacturer's prefix, as an item code. */
  newContainerCode(): string {
    this.ssccCounter++;
    return containerCode(makeSscc('0', this.prefix, String(this.ssccCounter).padStart(16 - this.prefix.length, '0')));
  }

  nextItemReference(): number {
    return ++this.productCounter;
  }
}

export async function newManufacturer(t: TestApp): Promise<TestManufacturer> {
  const party = await newParty(t, 'manufacturer', 'Acme Pharma');
  const m = new TestManufacturer(party.gln, party.role, party.secretKey, party.token);
  prefixCounter++;
  m.prefix = `03${String(process.pid % 100).padStart(2, '0')}${String(prefixCounter).padStart(3, '0')}`;
  const granted = await t.http
    .post(`/v1/manufacturers/${m.gln}/prefixes`)
    .set('Authorization', `Bearer ${t.operatorToken}`)
    .send({ prefix: m.prefix });
  if (granted.status !== 201) throw new Error(`prefix grant failed: ${JSON.stringify(granted.body)}`);
  return m;
}

export const productDetails = {
  name: 'Amoxicillin',
  strength: '500 mg',
  dosageForm: 'capsule',
  containerSize: '100 capsules',
};

/** Posts one signed event; returns the response (expects nothing). */
export async function post(t: TestApp, party: TestParty, type: string, body: object, wait = false) {
  return t.http
    .post(`/v1/events${wait ? '?wait=true' : ''}`)
    .set(...party.auth)
    .send(party.event(type, body));
}

/** Posts and insists on acceptance; returns the receipt. */
export async function accept(t: TestApp, party: TestParty, type: string, body: object, wait = false) {
  const response = await post(t, party, type, body, wait);
  if (response.status !== 201) {
    throw new Error(`${type} by ${party.role} refused: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as {
    index: number;
    leafHash: string;
    checkpoint?: string;
    inclusionProof?: { treeSize: number; hashes: string[] };
  };
}

export async function registerProduct(t: TestApp, m: TestManufacturer): Promise<string> {
  const gtin = m.gtin(m.nextItemReference());
  await accept(t, m, 'product.register', { gtin, ...productDetails });
  return gtin;
}

export function serials(count: number, prefix = 'SN'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(6, '0')}`);
}

export function units(gtin: string, list: string[]): string[] {
  return list.map((serial) => unitCode(gtin, serial));
}

export const transaction = { date: '2026-11-20', shipmentDate: '2026-11-20', purchaseOrder: 'PO-1', invoice: 'INV-1' };

export async function item(t: TestApp, code: string) {
  const repo = t.app.get(CustodyRepository);
  const [found] = await repo.itemsWithContents(repo.db, [code]).then((all) => all.filter((i) => i.code === code));
  return found;
}

export async function newTradingPartners(t: TestApp) {
  const manufacturer = await newManufacturer(t);
  const distributor = await newParty(t, 'distributor', 'Big Wholesale');
  const pharmacy = await newParty(t, 'dispenser', 'Corner Pharmacy');
  const regulator = await newParty(t, 'regulator', 'FDA');
  return { manufacturer, distributor, pharmacy, regulator };
}

// ---- Looking under the API: read-model snapshots, verification records, fast signing ----

/** The read-model tables the supply-chain rules write, each with the order that makes a snapshot stable. */
const READ_MODEL_TABLES: Record<string, string> = {
  company_prefix: 'prefix',
  product: 'gtin',
  lot: 'gtin, lot',
  item: 'code',
  shipment: 'id',
  alert: 'opened_idx, seq',
};

/** A raw connection to the test app's database (snapshots, verification records); the caller ends it. */
export async function connectDb(t: TestApp): Promise<Client> {
  const client = new Client({ connectionString: t.databaseUrl });
  await client.connect();
  return client;
}

/** The number of committed log entries, as GET /v1/health reports it. */
export async function logSize(t: TestApp): Promise<number> {
  const health = await t.http.get('/v1/health');
  if (health.status !== 200) throw new Error(`health: ${health.status} ${JSON.stringify(health.body)}`);
  return health.body.log.entries as number;
}

export interface LedgerSnapshot {
  logEntries: number;
  tables: Record<string, unknown[]>;
}

/** Every row of the supply-chain read model and the log size: what a refused event must leave as it was. */
export async function snapshot(t: TestApp, db: Client): Promise<LedgerSnapshot> {
  const tables: Record<string, unknown[]> = {};
  for (const [table, order] of Object.entries(READ_MODEL_TABLES)) {
    tables[table] = (await db.query(`SELECT * FROM ${table} ORDER BY ${order}`)).rows;
  }
  return { logEntries: await logSize(t), tables };
}

export interface ExpectedRefusal {
  status: number;
  code: string;
  /** The offending items `error.details.items` must name, in any order; omitted: the refusal names no items. */
  items?: string[];
}

type Answer = { status: number; body: { error?: { code: string; details?: { items?: string[]; count?: number } } } };

/** Checks the coded error of a refusal and the items it names (exactly those, each once). */
export function expectRefusal(response: Answer, expected: ExpectedRefusal): void {
  const error = response.body.error;
  expect({ status: response.status, code: error?.code }).toEqual({ status: expected.status, code: expected.code });
  if (expected.items) {
    expect([...(error?.details?.items ?? [])].sort()).toEqual([...expected.items].sort());
    expect(error?.details?.count).toBe(expected.items.length);
  } else {
    expect(error?.details?.items).toBeUndefined();
  }
}

/** Runs `submit`, expects it refused as described, and that the read model and the log did not change at all. */
export async function expectRefusedWithoutChange<R extends Answer>(
  t: TestApp,
  db: Client,
  submit: () => Promise<R>,
  expected: ExpectedRefusal,
): Promise<R> {
  const before = await snapshot(t, db);
  const response = await submit();
  expectRefusal(response, expected);
  expect(await snapshot(t, db)).toEqual(before);
  return response;
}

/**
 * Records a verification of a unit by `requester`, as the verification service will (its HTTP endpoints are
 * not written yet): one row in the append-only `verification` table.
 */
export async function recordVerification(
  db: Client,
  requester: string,
  code: string,
  { verified = true, at = new Date() }: { verified?: boolean; at?: Date } = {},
): Promise<void> {
  const ref = parseItemCode(code);
  if (ref.kind !== 'unit') throw new Error(`${code} is not a unit`);
  await db.query(
    `INSERT INTO verification (id, at, requester, channel, code, gtin, request, verified, reasons, suspicious, answer)
     VALUES ($1, $2, $3, 'rich', $4, $5, $6, $7, $8, $9, $10)`,
    [
      randomUUID(),
      at,
      requester,
      code,
      ref.gtin,
      JSON.stringify({ gtin: ref.gtin, serial: ref.serial, context: 'dscsaSaleableReturn' }),
      verified,
      verified ? [] : ['No_match_GTIN_Serial'],
      !verified,
      JSON.stringify({ verified }),
    ],
  );
}

/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410 §7); the 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const openSslKeys = new Map<string, { key: KeyObject; keyId: string }>();

/**
 * Like `TestParty.event`, but signed through Node's OpenSSL, about ten times faster (bulk tests sign thousands).
 * Ed25519 is deterministic, so the signature is the one `signEvent` gives; that is checked once per key.
 */
export function signedFast<B extends object>(
  party: TestParty,
  type: string,
  body: B,
  overrides: Partial<LedgerEvent<B>> = {},
) {
  const seed = Buffer.from(party.secretKey).toString('hex');
  let signer = openSslKeys.get(seed);
  if (!signer) {
    const key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, party.secretKey]),
      format: 'der',
      type: 'pkcs8',
    });
    const probe = party.event('probe', {});
    if (bytesToBase64(nodeSign(null, signedEventBytes(probe.event), key)) !== probe.signature) {
      throw new Error('OpenSSL and @noble/curves disagree on an Ed25519 signature');
    }
    signer = { key, keyId: party.keyId };
    openSslKeys.set(seed, signer);
  }
  const event: LedgerEvent<B> = {
    id: `${type}-${randomBytes(8).toString('hex')}`,
    type,
    actor: party.gln,
    keyId: signer.keyId,
    time: new Date().toISOString(),
    body,
    ...overrides,
  };
  return { event, signature: bytesToBase64(nodeSign(null, signedEventBytes(event), signer.key)) };
}

export interface BatchAnswer {
  accepted: number;
  refused: number;
  results: (
    | { accepted: true; receipt: { index: number; eventId: string } }
    | { accepted: false; eventId?: string; error: { code: string } }
  )[];
}

/** POST /v1/events/batch with already signed events; insists on a 200/201 answer. */
export async function postBatch(t: TestApp, party: TestParty, events: object[]): Promise<BatchAnswer> {
  const response = await t.http
    .post('/v1/events/batch')
    .set(...party.auth)
    .send({ events });
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`batch refused: ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
  }
  return response.body as BatchAnswer;
}

// ---- Several app servers on one database, over real sockets ----

/** Starts `app` listening on a free local port; a supertest agent on its URL (requests may run in parallel). */
export async function listening(app: INestApplication): Promise<TestAgent> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return request(`http://127.0.0.1:${port}`);
}

/**
 * A second RxLedger application on `t`'s database with the same keys and configuration, as a second app server
 * behind a load balancer would be: its own intake queue and connection pool, the same sequencer.
 */
export async function peerApp(t: TestApp): Promise<INestApplication> {
  const app = await createApp(
    { config: t.config, secrets: t.secrets, databaseUrl: t.databaseUrl },
    createLogger(t.config),
  );
  await app.init();
  return app;
}

/** The events of `actor` among `eventIds` that the log holds. */
export async function loggedEventIds(db: Client, actor: string, eventIds: string[]): Promise<Set<string>> {
  const rows = await db.query<{ event_id: string }>(
    'SELECT event_id FROM log_entry WHERE actor = $1 AND event_id = ANY($2)',
    [actor, eventIds],
  );
  return new Set(rows.rows.map((row) => row.event_id));
}
