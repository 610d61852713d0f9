import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { createApp, createLogger } from '../../src/app.factory';
import { IntakeService } from '../../src/ledger/intake.service';
import { IntegratorService } from '../../src/ledger/integrator.service';
import { LogRepository } from '../../src/ledger/log.repository';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType, testNoteType } from '../support/test-event-type';

/**
 * Issue 9 §3: the integrator never signs a root it has not checked against the entries it covers. A row changed
 * anywhere in the tree (not only on its right edge) is found when the integrator starts: no checkpoint is signed
 * again, the log and /v1/health say what was found, and no tile or proof is served.
 */

const ENTRIES = 600; // tiles 0/0 and 0/1 are full; the right edge (512 + 64 + 16 + 8) lies beyond them

interface Tamper {
  name: string;
  table: 'log_entry' | 'tree_hash';
  sql: string;
  found: RegExp;
}

const TAMPERS: Tamper[] = [
  {
    name: 'a leaf_hash inside a full tile',
    table: 'log_entry',
    sql: 'UPDATE log_entry SET leaf_hash = $1 WHERE idx = 100',
    found: /leaf_hash of entry 100 is not the hash of its leaf data/,
  },
  {
    name: "an entry's event_hash (its leaf data) inside a full tile",
    table: 'log_entry',
    sql: 'UPDATE log_entry SET event_hash = $1 WHERE idx = 300',
    found: /leaf_hash of entry 300 is not the hash of its leaf data/,
  },
  {
    name: 'a stored tile-level hash left of the right edge',
    table: 'tree_hash',
    sql: 'UPDATE tree_hash SET hash = $1 WHERE tile_level = 1 AND idx = 0',
    found: /stored hash of tree level 8 index 0 \(tile 1\/0\) does not match the entries under it/,
  },
];

describe('the integrator checks the whole tree before it signs', () => {
  let t: TestApp;
  let party: TestParty;
  let restarted: INestApplication | undefined;
  const errors: string[] = [];

  beforeEach(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    party = await newParty(t, 'distributor');
    const registry = await t.app.get(LogRepository).committedSize();
    const events = Array.from({ length: ENTRIES - registry }, (_, i) =>
      party.event(testNoteType.type, { text: `n${i}` }),
    );
    const results = await t.app
      .get(IntakeService)
      .submit({ kind: 'party', gln: party.gln, role: party.role, tokenId: 'tree-check' }, events);
    expect(results.every((r) => r.accepted)).toBe(true);
    expect(await checkpointSize()).toBe(ENTRIES);
    await t.close();
    errors.length = 0;
  });
  afterEach(() => restarted?.close());

  async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** Asks the running app for a checkpoint covering everything; returns its size. */
  async function checkpointSize(app: INestApplication = t.app): Promise<number> {
    const res = await request(app.getHttpServer())
      .post('/v1/log/checkpoint')
      .set('Authorization', `Bearer ${t.operatorToken}`);
    expect(res.status).toBe(200);
    return Number(res.text.split('\n')[1]);
  }

  const storedCheckpointSize = () =>
    admin(async (c) => Number((await c.query('SELECT max(tree_size) AS size FROM checkpoint')).rows[0].size));

  /** The same database, keys and configuration as before: the server restarted. */
  async function restart(): Promise<request.Agent> {
    const logger = createLogger(t.config);
    const error = logger.error.bind(logger);
    logger.error = (message: unknown, ...rest: unknown[]) => {
      errors.push(String(message));
      error(message, ...rest);
    };
    restarted = await createApp({ config: t.config, secrets: t.secrets, databaseUrl: t.databaseUrl }, logger);
    await restarted.init();
    registerTestEventType({ ...t, app: restarted });
    return request.agent(restarted.getHttpServer());
  }

  it('a clean log is checked at start-up and the server goes on signing', async () => {
    const http = await restart();
    const posted = await http
      .post('/v1/events')
      .set(...party.auth)
      .send(party.event(testNoteType.type, { text: 'after restart' }));
    expect(posted.status).toBe(201);
    expect(await checkpointSize(restarted)).toBe(ENTRIES + 1);
    expect((await http.get('/v1/log/proof/inclusion?index=100')).status).toBe(200);
    expect((await http.get('/v1/health')).body.status).toBe('ok');
  });

  it.each(TAMPERS)(
    '$name: no checkpoint is signed, the fault is reported, nothing of the tree is served',
    async (tamper) => {
      await admin(async (c) => {
        await c.query(`ALTER TABLE ${tamper.table} DISABLE TRIGGER ${tamper.table}_append_only`);
        try {
          expect((await c.query(tamper.sql, [randomBytes(32)])).rowCount).toBe(1);
        } finally {
          await c.query(`ALTER TABLE ${tamper.table} ENABLE TRIGGER ${tamper.table}_append_only`);
        }
      });
      const http = await restart();

      // /v1/health says what was found, once the start-up check has run.
      let health = await http.get('/v1/health');
      for (let i = 0; i < 200 && health.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        health = await http.get('/v1/health');
      }
      expect(health.status).toBe(503);
      expect(health.body.problems.join('\n')).toMatch(tamper.found);
      expect(errors.join('\n')).toMatch(tamper.found);

      // Intake goes on, but no checkpoint covers the new event: the integrator does not sign over a bad tree.
      const posted = await http
        .post('/v1/events')
        .set(...party.auth)
        .send(party.event(testNoteType.type, { text: 'after tamper' }));
      expect(posted.status).toBe(201);
      expect(await restarted!.get(IntegratorService).integrate()).toBeUndefined();
      expect(await storedCheckpointSize()).toBe(ENTRIES);

      // Tiles and proofs that would not verify are withheld: 503 TREE_FAULT.
      for (const path of [
        '/v1/log/proof/inclusion?index=5',
        '/v1/log/proof/inclusion?index=599&size=600',
        '/v1/log/proof/consistency?from=10&to=600',
        '/v1/log/tile/0/000',
        '/v1/log/tile/1/000.p/2',
      ]) {
        const res = await http.get(path);
        expect([path, res.status, res.body.error?.code]).toEqual([path, 503, 'TREE_FAULT']);
      }
    },
  );

  it('a leaf_hash changed while the server runs: the first proof over it is withheld, and signing stops', async () => {
    const http = await restart();
    const posted = await http
      .post('/v1/events')
      .set(...party.auth)
      .send(party.event(testNoteType.type, { text: 'after restart' }));
    expect(posted.status).toBe(201);
    expect(await checkpointSize(restarted)).toBe(ENTRIES + 1);
    await admin(async (c) => {
      await c.query('ALTER TABLE log_entry DISABLE TRIGGER log_entry_append_only');
      try {
        await c.query('UPDATE log_entry SET leaf_hash = $1 WHERE idx = 100', [randomBytes(32)]);
      } finally {
        await c.query('ALTER TABLE log_entry ENABLE TRIGGER log_entry_append_only');
      }
    });
    const proof = await http.get('/v1/log/proof/inclusion?index=101');
    expect([proof.status, proof.body.error?.code]).toEqual([503, 'TREE_FAULT']);
    expect((await http.get('/v1/log/proof/inclusion?index=5')).status).toBe(503);
    const health = await http.get('/v1/health');
    expect(health.status).toBe(503);
    expect(health.body.problems.join('\n')).toMatch(/entry 101 an inclusion proof that does not verify/);
    expect(errors.join('\n')).toMatch(/entry 101 an inclusion proof that does not verify/);
    await http
      .post('/v1/events')
      .set(...party.auth)
      .send(party.event(testNoteType.type, { text: 'after tamper' }));
    expect(await restarted!.get(IntegratorService).integrate()).toBeUndefined();
    expect(await storedCheckpointSize()).toBe(ENTRIES + 1);
  });
});
