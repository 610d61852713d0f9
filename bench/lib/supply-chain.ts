import { createHash, createPrivateKey, createPublicKey, KeyObject, sign as nodeSign } from 'node:crypto';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { makeGtin14, makeSscc } from '../../src/gs1/identifiers';
import { LedgerEvent, SignedEvent } from '../../src/protocol/event';
import { containerCode } from '../../src/protocol/item-code';
import { PartyRole } from '../../src/protocol/registry';
import { keyIdOf, signedEventBytes, signEvent } from '../../src/signing/event-signing';
import { HttpClient } from './http-load';
import { BENCH_SECRETS } from './server';

/** DER prefix of an Ed25519 PKCS#8 private key (RFC 8410 §7); the 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** DSCSA transaction information carried by every ship event of the benchmarks. */
export const BENCH_TRANSACTION = {
  date: '2026-11-20',
  shipmentDate: '2026-11-20',
  purchaseOrder: 'PO-BENCH',
  invoice: 'INV-BENCH',
};

export const BENCH_PRODUCT = {
  name: 'Benchmarkol',
  strength: '10 mg',
  dosageForm: 'tablet',
  containerSize: '30 tablets',
};

/** A signed event with its request body already serialized: nothing left to do in a timed loop but send it. */
export interface PreparedEvent {
  signed: SignedEvent<object>;
  /** JSON of `signed` (the body of POST /v1/events). */
  json: string;
}

/**
 * A registered trading partner with its Ed25519 key and API token. It signs through OpenSSL (Node's crypto):
 * Ed25519 is deterministic, so that is byte for byte the signature @noble/curves gives, about ten times faster;
 * the constructor checks it once, so a difference fails the benchmark instead of skewing it.
 */
export class BenchParty {
  readonly keyId: string;
  private readonly key: KeyObject;
  private counter = 0;

  constructor(
    readonly gln: string,
    readonly role: PartyRole,
    readonly seed: Buffer,
    readonly token: string,
  ) {
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    this.keyId = keyIdOf(publicKeyOf(seed));
    const probe: LedgerEvent<object> = {
      id: 'probe',
      type: 'probe',
      actor: gln,
      keyId: this.keyId,
      time: '0',
      body: {},
    };
    if (nodeSign(null, signedEventBytes(probe), this.key).toString('base64') !== signEvent(probe, seed)) {
      throw new Error('OpenSSL and @noble/curves disagree on an Ed25519 signature');
    }
  }

  /** Signs an event of this party (ids `<type>-<gln>-<n>`, unique per party). */
  event(type: string, body: object, time = new Date().toISOString()): PreparedEvent {
    const event: LedgerEvent<object> = {
      id: `${type}-${this.gln}-${++this.counter}`,
      type,
      actor: this.gln,
      keyId: this.keyId,
      time,
      body,
    };
    const signed = { event, signature: nodeSign(null, signedEventBytes(event), this.key).toString('base64') };
    return { signed, json: JSON.stringify(signed) };
  }

  get authorization(): string {
    return `Bearer ${this.token}`;
  }
}

export function publicKeyOf(seed: Buffer): Buffer {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32);
}

/** A deterministic seed per benchmark party (SHA-256 of a label: 32 bytes, a valid Ed25519 seed): reproducible runs. */
function partySeed(gln: string): Buffer {
  return createHash('sha256').update(`rxledger-bench/party/${gln}`).digest();
}

export interface BatchAnswer {
  accepted: number;
  refused: number;
  results: (
    { accepted: true; receipt: { index: number } } | { accepted: false; error: { code: string; message: string } }
  )[];
}

/** The set-up calls a benchmark makes through the real API: parties, tokens, prefixes, products, bulk events. */
export class BenchNetwork {
  private glns = 0;
  private ssccs = 0;

  constructor(
    readonly client: HttpClient,
    /** A 7-digit GS1 company prefix for the benchmark's manufacturer(s). */
    private readonly glnPrefix = '0614141',
  ) {}

  async post(path: string, authorization: string, body: string | object): Promise<unknown> {
    const response = await this.client.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = response.body.toString('utf8');
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 500)}`);
    }
    return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  }

  /** Registers a party (the operator's signed registration) and issues it an API token. */
  async register(role: PartyRole, name: string): Promise<BenchParty> {
    const gln = appendCheckDigit(`${this.glnPrefix}${String(++this.glns).padStart(12 - this.glnPrefix.length, '0')}`);
    const seed = partySeed(gln);
    const operator = `Bearer ${BENCH_SECRETS.operatorToken}`;
    await this.post('/v1/parties', operator, {
      gln,
      name,
      role,
      address: { street: '1 Bench Way', city: 'Benchville', postalCode: '12345', country: 'US' },
      publicKeys: [publicKeyOf(seed).toString('base64')],
    });
    const issued = (await this.post(`/v1/parties/${gln}/tokens`, operator, { label: 'bench' })) as { token: string };
    return new BenchParty(gln, role, seed, issued.token);
  }

  /** The operator grants `prefix` to a manufacturer (a logged event). */
  async grantPrefix(manufacturer: BenchParty, prefix: string): Promise<void> {
    await this.post(`/v1/manufacturers/${manufacturer.gln}/prefixes`, `Bearer ${BENCH_SECRETS.operatorToken}`, {
      prefix,
    });
  }

  /** Registers the product with item reference `itemReference` under `prefix`; returns its GTIN-14. */
  async registerProduct(manufacturer: BenchParty, prefix: string, itemReference: number): Promise<string> {
    const gtin = makeGtin14('0', prefix, String(itemReference).padStart(12 - prefix.length, '0'));
    await this.event(manufacturer, manufacturer.event('product.register', { gtin, ...BENCH_PRODUCT }));
    return gtin;
  }

  /** A fresh container code (SSCC) under `prefix`. */
  newContainer(prefix: string): string {
    return containerCode(makeSscc('0', prefix, String(++this.ssccs).padStart(16 - prefix.length, '0')));
  }

  /** POST /v1/events; the event must be accepted. */
  async event(party: BenchParty, event: PreparedEvent): Promise<void> {
    await this.post('/v1/events', party.authorization, event.json);
  }

  /** POST /v1/events/batch in requests of `perRequest`, one after the other; every event must be accepted. */
  async events(party: BenchParty, events: PreparedEvent[], perRequest = 500): Promise<void> {
    for (let i = 0; i < events.length; i += perRequest) {
      const answer = (await this.post(
        '/v1/events/batch',
        party.authorization,
        batchBody(events.slice(i, i + perRequest)),
      )) as BatchAnswer;
      assertAllAccepted(answer);
    }
  }

  /** Asks for a checkpoint covering everything logged so far; resolves once it is signed. */
  async checkpointNow(): Promise<void> {
    const response = await this.client.request({
      path: '/v1/log/checkpoint',
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_SECRETS.operatorToken}` },
    });
    if (response.status !== 200) throw new Error(`POST /v1/log/checkpoint: ${response.status}`);
  }
}

/** The body of POST /v1/events/batch, from events whose JSON is ready. */
export function batchBody(events: readonly PreparedEvent[]): string {
  return `{"events":[${events.map((e) => e.json).join(',')}]}`;
}

export function assertAllAccepted(answer: BatchAnswer): void {
  if (answer.refused > 0) {
    const first = answer.results.find((r) => !r.accepted) as { error: { code: string; message: string } };
    throw new Error(`${answer.refused} event(s) refused, first: ${first.error.code} ${first.error.message}`);
  }
}
