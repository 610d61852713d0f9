import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { createApp, createLogger } from '../../src/app.factory';
import { formatSignerKey } from '../../src/checkpoint';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { Secrets } from '../../src/config/secrets';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { LedgerEvent } from '../../src/protocol/event';
import { PartyRole } from '../../src/protocol/registry';
import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf, signEvent } from '../../src/signing/event-signing';
import { createTestDatabase, testDataDir } from './postgres';

export interface TestApp {
  app: INestApplication;
  http: TestAgent;
  config: AppConfig;
  secrets: Secrets;
  databaseUrl: string;
  operatorToken: string;
  close(): Promise<void>;
}

/**
 * A whole RxLedger application on a database of its own (real PostgreSQL), ready for supertest; on `database` when
 * given (a migrated database the caller owns).
 */
export async function createTestApp(env: Record<string, string> = {}, database?: string): Promise<TestApp> {
  const databaseUrl = database ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: testDataDir(),
    CHECKPOINT_INTERVAL_MS: '20',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'text',
    ...env,
  });
  const operatorToken = `rxo_test_${randomBytes(16).toString('hex')}`;
  const secrets = new Secrets(formatSignerKey(config.LOG_ORIGIN, randomBytes(32)), randomBytes(32), operatorToken);
  const app = await createApp({ config, secrets, databaseUrl }, createLogger(config));
  await app.init();
  return {
    app,
    http: request(app.getHttpServer()),
    config,
    secrets,
    databaseUrl,
    operatorToken,
    close: () => app.close(),
  };
}

let glnCounter = 0;
/** A fresh valid GLN (distinct within a test run). */
export function newGln(): string {
  glnCounter++;
  const body = `1${String(process.pid % 1000).padStart(3, '0')}${String(Date.now() % 1e4).padStart(4, '0')}${String(glnCounter).padStart(4, '0')}`;
  return appendCheckDigit(body.slice(0, 12));
}

/** A party as the tests drive it: its GLN, one signing key and an API token. */
export class TestParty {
  constructor(
    readonly gln: string,
    readonly role: PartyRole,
    public secretKey: Uint8Array,
    readonly token: string,
  ) {}

  get publicKey(): Uint8Array {
    return publicKeyOf(this.secretKey);
  }

  get keyId(): string {
    return keyIdOf(this.publicKey);
  }

  /** Builds and signs an event of this party. */
  event<B extends object>(type: string, body: B, overrides: Partial<LedgerEvent<B>> = {}) {
    const event: LedgerEvent<B> = {
      id: `${type}-${randomBytes(8).toString('hex')}`,
      type,
      actor: this.gln,
      keyId: this.keyId,
      time: new Date().toISOString(),
      body,
      ...overrides,
    };
    return { event, signature: signEvent(event, this.secretKey) };
  }

  get auth(): [string, string] {
    return ['Authorization', `Bearer ${this.token}`];
  }
}

export const testAddress = { street: '1 Test Way', city: 'Testville', postalCode: '12345', country: 'US' };

/** Registers a party through the operator API and issues it a token. */
export async function newParty(t: TestApp, role: PartyRole, name = `Test ${role}`): Promise<TestParty> {
  const secretKey = generateSecretKey();
  const gln = newGln();
  const registered = await t.http
    .post('/v1/parties')
    .set('Authorization', `Bearer ${t.operatorToken}`)
    .send({ gln, name, role, address: testAddress, publicKeys: [bytesToBase64(publicKeyOf(secretKey))] });
  if (registered.status !== 201) throw new Error(`registering ${role} failed: ${JSON.stringify(registered.body)}`);
  const token = await t.http
    .post(`/v1/parties/${gln}/tokens`)
    .set('Authorization', `Bearer ${t.operatorToken}`)
    .send({ label: 'tests' });
  if (token.status !== 201) throw new Error(`issuing a token failed: ${JSON.stringify(token.body)}`);
  return new TestParty(gln, role, secretKey, token.body.token);
}
