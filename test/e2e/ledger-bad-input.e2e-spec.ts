/**
 * Bad input gets a clear, coded error and changes nothing: every case checks the status, the code, that the
 * message or details name the field and the rule, and that the log did not grow (GET /v1/health → log.entries).
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { appendCheckDigit } from '../../src/gs1/check-digit';
import { LedgerEvent } from '../../src/protocol/event';
import { bytesToBase64 } from '../../src/bytes';
import { generateSecretKey, publicKeyOf } from '../../src/signing/ed25519';
import { keyIdOf, signEvent } from '../../src/signing/event-signing';
import { createTestApp, newGln, newParty, testAddress, TestApp, TestParty } from '../support/test-app';
import { registerTestEventType } from '../support/test-event-type';

type Signed = { event: LedgerEvent<object>; signature: string };

interface FieldViolation {
  field: string;
  rule: string;
  message: string;
}

/** A GLN with a wrong check digit. */
function withBadCheckDigit(gln: string): string {
  return gln.slice(0, 12) + String((Number(gln[12]) + 1) % 10);
}

/** Re-signs an event after changing it (so that only the change, not the signature, is wrong). */
function resign(event: object, secretKey: Uint8Array): Signed {
  return { event: event as LedgerEvent<object>, signature: signEvent(event as LedgerEvent<object>, secretKey) };
}

describe('bad input: a clear coded error, and nothing changes', () => {
  let t: TestApp;
  let a: TestParty;
  let b: TestParty;
  let reg: TestParty;

  const operator = (): [string, string] => ['Authorization', `Bearer ${t.operatorToken}`];
  const committed = async (app: TestApp = t): Promise<number> =>
    (await app.http.get('/v1/health').expect(200)).body.log.entries;

  /**
   * Runs `send`, asserts the refusal (status, code, and that `mentions` all appear in the message or the
   * details), and that the log did not grow. Returns the error body for further checks.
   */
  async function refused(
    send: () => request.Test,
    status: number,
    code: string,
    mentions: (string | RegExp)[] = [],
    app: TestApp = t,
  ): Promise<{ code: string; message: string; details?: unknown }> {
    const before = await committed(app);
    const res = await send();
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    const error = res.body.error;
    expect(typeof error.message).toBe('string');
    expect(error.message.length).toBeGreaterThan(10);
    const said = `${error.message} ${JSON.stringify(error.details ?? '')}`;
    for (const mention of mentions) {
      if (typeof mention === 'string') expect(said).toContain(mention);
      else expect(said).toMatch(mention);
    }
    // Never a stack trace or SQL in an answer.
    expect(said).not.toMatch(/\bat .+\.(ts|js):\d+|SELECT |INSERT /);
    expect(await committed(app)).toBe(before);
    return error;
  }

  /** The violation for `field` in a VALIDATION_FAILED body. */
  function violation(error: { details?: unknown }, field: string): FieldViolation | undefined {
    return (error.details as FieldViolation[] | undefined)?.find((v) => v.field === field);
  }

  const postEvent = (party: TestParty, body: unknown) => () =>
    t.http
      .post('/v1/events')
      .set(...party.auth)
      .send(body as object);
  const note = (p: TestParty, overrides: Partial<LedgerEvent<object>> = {}) =>
    p.event('test.note', { text: 'bad input test' }, overrides);

  beforeAll(async () => {
    t = await createTestApp();
    registerTestEventType(t);
    a = await newParty(t, 'manufacturer');
    b = await newParty(t, 'distributor');
    reg = await newParty(t, 'regulator');
  });
  afterAll(() => t.close());

  it('a good event is accepted (the control for every case below)', async () => {
    const before = await committed();
    await postEvent(a, note(a))().expect(201);
    expect(await committed()).toBe(before + 1);
  });

  describe('malformed requests', () => {
    it('malformed JSON → 400 MALFORMED_JSON', async () => {
      await refused(
        () =>
          t.http
            .post('/v1/events')
            .set(...a.auth)
            .set('Content-Type', 'application/json')
            .send('{"event": {"id": "x",'),
        400,
        'MALFORMED_JSON',
        ['not valid JSON'],
      );
    });

    it('a JSON body that is not an object, or an empty body → 400 VALIDATION_FAILED', async () => {
      await refused(
        () =>
          t.http
            .post('/v1/events')
            .set(...a.auth)
            .set('Content-Type', 'application/json')
            .send('[1, 2]'),
        400,
        'VALIDATION_FAILED',
        ['event'],
      );
      await refused(() => t.http.post('/v1/events').set(...a.auth), 400, 'VALIDATION_FAILED', ['event', 'signature']);
    });

    it('unknown fields in the envelope, the event and the body → 400 VALIDATION_FAILED naming each', async () => {
      const envelope = await refused(postEvent(a, { ...note(a), comment: 'hi' }), 400, 'VALIDATION_FAILED', [
        'comment',
      ]);
      expect(violation(envelope, 'comment')).toMatchObject({ rule: 'whitelistValidation' });

      const good = note(a);
      const inEvent = await refused(
        postEvent(a, resign({ ...good.event, priority: 'high' }, a.secretKey)),
        400,
        'VALIDATION_FAILED',
        ['event.priority'],
      );
      expect(violation(inEvent, 'event.priority')).toMatchObject({ rule: 'whitelistValidation' });

      const inBody = await refused(
        postEvent(a, resign({ ...good.event, body: { text: 'x', colour: 'red' } }, a.secretKey)),
        400,
        'VALIDATION_FAILED',
        ['event.body.colour'],
      );
      expect(violation(inBody, 'event.body.colour')).toMatchObject({ rule: 'whitelistValidation' });

      await refused(
        () =>
          t.http
            .post('/v1/events/batch')
            .set(...a.auth)
            .send({ events: [note(a)], atomic: true }),
        400,
        'VALIDATION_FAILED',
        ['atomic'],
      );
    });

    it('missing fields → 400 VALIDATION_FAILED naming each missing field', async () => {
      const { event, signature } = note(a);
      await refused(postEvent(a, { event }), 400, 'VALIDATION_FAILED', ['signature']);
      await refused(postEvent(a, { signature }), 400, 'VALIDATION_FAILED', ['event']);
      const withoutKeyId: Record<string, unknown> = { ...event };
      delete withoutKeyId.keyId;
      const missingKeyId = await refused(postEvent(a, { event: withoutKeyId, signature }), 400, 'VALIDATION_FAILED', [
        'event.keyId',
      ]);
      expect(violation(missingKeyId, 'event.keyId')?.message).toMatch(/16 lowercase hex/);
      const withoutTime: Record<string, unknown> = { ...event };
      delete withoutTime.time;
      await refused(postEvent(a, { event: withoutTime, signature }), 400, 'VALIDATION_FAILED', ['event.time']);
      await refused(postEvent(a, resign({ ...event, body: {} }, a.secretKey)), 400, 'VALIDATION_FAILED', [
        'event.body.text',
      ]);
    });
  });

  describe('identifiers and formats', () => {
    it('an actor GLN with a wrong check digit → 400 naming event.actor and the check digit rule', async () => {
      const error = await refused(
        postEvent(a, note(a, { actor: withBadCheckDigit(a.gln) })),
        400,
        'VALIDATION_FAILED',
        ['event.actor', 'check digit'],
      );
      expect(violation(error, 'event.actor')).toMatchObject({ rule: 'isGln' });
      await refused(postEvent(a, note(a, { actor: a.gln.slice(0, 12) })), 400, 'VALIDATION_FAILED', ['event.actor']);
    });

    it('registering a party with a wrong GLN check digit → 400 naming gln; nothing is registered', async () => {
      const gln = withBadCheckDigit(newGln());
      const error = await refused(
        () =>
          t.http
            .post('/v1/parties')
            .set(...operator())
            .send({
              gln,
              name: 'Bad Check Digit Inc.',
              role: 'distributor',
              address: testAddress,
              publicKeys: [bytesToBase64(publicKeyOf(generateSecretKey()))],
            }),
        400,
        'VALIDATION_FAILED',
        ['gln', 'check digit'],
      );
      expect(violation(error, 'gln')).toMatchObject({ rule: 'isGln' });
      expect((await t.http.get(`/v1/parties/${appendCheckDigit(gln.slice(0, 12))}`).set(...operator())).status).toBe(
        404,
      );
      // Unknown fields and bad nested fields in a registration are named too.
      await refused(
        () =>
          t.http
            .post('/v1/parties')
            .set(...operator())
            .send({
              gln: newGln(),
              name: 'Nested Inc.',
              role: 'wholesaler',
              address: { ...testAddress, country: 'USA', planet: 'Earth' },
              publicKeys: ['not a key'],
            }),
        400,
        'VALIDATION_FAILED',
        ['role', 'address.country', 'address.planet', 'publicKeys'],
      );
    });

    it('a bad keyId, a bad time format, an impossible date → 400 naming the field and rule', async () => {
      await refused(postEvent(a, note(a, { keyId: 'ABCDEF0123456789' })), 400, 'VALIDATION_FAILED', [
        'event.keyId',
        '16 lowercase hex',
      ]);
      await refused(postEvent(a, note(a, { time: '2026-01-05 10:00:00' })), 400, 'VALIDATION_FAILED', [
        'event.time',
        'RFC 3339',
      ]);
      await refused(postEvent(a, note(a, { time: '2025-02-30T10:00:00Z' })), 400, 'EVENT_TIME_INVALID', [
        '2025-02-30T10:00:00Z',
      ]);
      await refused(postEvent(a, note(a, { id: 'spaces are not allowed' })), 400, 'VALIDATION_FAILED', ['event.id']);
    });

    it('an event time beyond the allowed clock skew → 422 EVENT_TIME_IN_FUTURE; within it is accepted', async () => {
      const far = new Date(Date.now() + t.config.CLOCK_SKEW_MS + 60_000).toISOString();
      await refused(postEvent(a, note(a, { time: far })), 422, 'EVENT_TIME_IN_FUTURE', [far, 'future']);
      const near = new Date(Date.now() + t.config.CLOCK_SKEW_MS - 60_000).toISOString();
      await postEvent(a, note(a, { time: near }))().expect(201);
    });

    it('an unknown event type → 400 EVENT_TYPE_UNKNOWN listing the known types', async () => {
      const error = await refused(postEvent(a, a.event('test.nope', { text: 'x' })), 400, 'EVENT_TYPE_UNKNOWN', [
        'test.nope',
      ]);
      expect((error.details as { known: string[] }).known).toEqual(expect.arrayContaining(['test.note', 'key.add']));
    });
  });

  describe('signatures and keys', () => {
    it("B's keyId on A's event (signed by B) → 422 KEY_NOT_OWNED", async () => {
      const event = note(a, { keyId: b.keyId }).event;
      await refused(postEvent(a, resign(event, b.secretKey)), 422, 'KEY_NOT_OWNED', [b.keyId, a.gln]);
    });

    it("A's keyId with a signature made by B's key → 422 SIGNATURE_INVALID", async () => {
      const event = note(a).event;
      await refused(postEvent(a, resign(event, b.secretKey)), 422, 'SIGNATURE_INVALID', [a.keyId]);
    });

    it('an event changed after signing → 422 SIGNATURE_INVALID', async () => {
      const signed = note(a);
      await refused(
        postEvent(a, { event: { ...signed.event, body: { text: 'altered' } }, signature: signed.signature }),
        422,
        'SIGNATURE_INVALID',
      );
    });

    it('a signature that is not the base64 of 64 bytes → 400 SIGNATURE_MALFORMED', async () => {
      const { event, signature } = note(a);
      for (const bad of [
        'not base64 at all!',
        bytesToBase64(randomBytes(63)),
        bytesToBase64(randomBytes(65)),
        signature.replace(/=+$/, ''),
        signature.slice(0, -4) + '%%%=',
        // Non-canonical base64: the last character before the padding carries stray bits.
        signature.slice(0, -3) + String.fromCharCode(signature.charCodeAt(signature.length - 3) + 1) + '==',
      ]) {
        await refused(postEvent(a, { event, signature: bad }), 400, 'SIGNATURE_MALFORMED', ['base64', '64 bytes']);
      }
      await refused(postEvent(a, { event, signature: 12345 }), 400, 'VALIDATION_FAILED', ['signature']);
    });

    it('a string that is not well-formed Unicode (a lone surrogate) → 400 naming the field; nothing breaks', async () => {
      const raw = `{"event":${JSON.stringify(note(a).event).replace('"text":"', '"text":"\\ud800')},"signature":"${'A'.repeat(85)}A=="}`;
      expect(raw).toContain('\\ud800');
      const response = await t.http
        .post('/v1/events')
        .set(...a.auth)
        .set('Content-Type', 'application/json')
        .send(raw);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details[0]).toMatchObject({ field: 'event.body.text', rule: 'canonicalJson' });
    });

    it('an unregistered key → 422 KEY_UNKNOWN', async () => {
      const stranger = generateSecretKey();
      const event = note(a, { keyId: keyIdOf(publicKeyOf(stranger)) }).event;
      await refused(postEvent(a, resign(event, stranger)), 422, 'KEY_UNKNOWN', [keyIdOf(publicKeyOf(stranger))]);
    });

    it('a revoked key → 422 KEY_REVOKED', async () => {
      const p = await newParty(t, 'dispenser', 'Revoked Key Pharmacy');
      await t.http
        .post(`/v1/parties/${p.gln}/keys/${p.keyId}/revoke`)
        .set(...operator())
        .send({})
        .expect(200);
      await refused(postEvent(p, note(p)), 422, 'KEY_REVOKED', [p.keyId, 'revoked']);
    });
  });

  describe('credentials and roles', () => {
    it('no token, a wrong token, a malformed header → 401 UNAUTHENTICATED', async () => {
      await refused(() => t.http.post('/v1/events').send(note(a)), 401, 'UNAUTHENTICATED', ['Authorization']);
      await refused(
        () => t.http.post('/v1/events').set('Authorization', 'Bearer rxl_this-token-does-not-exist').send(note(a)),
        401,
        'UNAUTHENTICATED',
      );
      await refused(
        () => t.http.post('/v1/events').set('Authorization', `Basic ${a.token}`).send(note(a)),
        401,
        'UNAUTHENTICATED',
      );
    });

    it('a revoked token → 401 UNAUTHENTICATED, at once', async () => {
      const issued = await t.http
        .post(`/v1/parties/${a.gln}/tokens`)
        .set(...operator())
        .send({ label: 'to be revoked' })
        .expect(201);
      const token = issued.body.token as string;
      await t.http.post('/v1/events').set('Authorization', `Bearer ${token}`).send(note(a)).expect(201);
      await t.http
        .delete(`/v1/parties/${a.gln}/tokens/${issued.body.id}`)
        .set(...operator())
        .expect(200);
      await refused(
        () => t.http.post('/v1/events').set('Authorization', `Bearer ${token}`).send(note(a)),
        401,
        'UNAUTHENTICATED',
        ['revoked'],
      );
      // The party's other token still works.
      await postEvent(a, note(a))().expect(201);
    });

    it('a party token on an operator route → 403 FORBIDDEN; nothing is registered', async () => {
      const gln = newGln();
      await refused(
        () =>
          t.http
            .post('/v1/parties')
            .set(...a.auth)
            .send({
              gln,
              name: 'Self-registered',
              role: 'manufacturer',
              address: testAddress,
              publicKeys: [bytesToBase64(publicKeyOf(generateSecretKey()))],
            }),
        403,
        'FORBIDDEN',
        ['operator'],
      );
      await refused(
        () =>
          t.http
            .post(`/v1/parties/${a.gln}/keys`)
            .set(...a.auth)
            .send({ publicKey: bytesToBase64(publicKeyOf(generateSecretKey())) }),
        403,
        'FORBIDDEN',
      );
      await refused(
        () =>
          t.http
            .post(`/v1/parties/${b.gln}/keys/${b.keyId}/revoke`)
            .set(...a.auth)
            .send({}),
        403,
        'FORBIDDEN',
      );
      expect((await t.http.get(`/v1/parties/${gln}`).set(...operator())).status).toBe(404);
    });

    it('the caller is not the actor → 403 ACTOR_MISMATCH', async () => {
      await refused(postEvent(a, note(b)), 403, 'ACTOR_MISMATCH', [a.gln, b.gln]);
    });

    it('a registry event posted by a non-operator → 403 ACTOR_ROLE_NOT_ALLOWED', async () => {
      const body = {
        gln: newGln(),
        name: 'Sneaky Inc.',
        role: 'manufacturer',
        address: testAddress,
        publicKeys: [bytesToBase64(publicKeyOf(generateSecretKey()))],
      };
      await refused(postEvent(a, a.event('party.register', body)), 403, 'ACTOR_ROLE_NOT_ALLOWED', [
        'party.register',
        'operator',
      ]);
      await refused(
        postEvent(
          reg,
          reg.event('key.add', { gln: reg.gln, publicKey: bytesToBase64(publicKeyOf(generateSecretKey())) }),
        ),
        403,
        'ACTOR_ROLE_NOT_ALLOWED',
        ['key.add'],
      );
      expect((await t.http.get(`/v1/parties/${body.gln}`).set(...operator())).status).toBe(404);
    });

    it('a party cannot make itself operator with a key its own event introduces → 422 KEY_UNKNOWN', async () => {
      const key = generateSecretKey();
      const publicKey = bytesToBase64(publicKeyOf(key));
      const event = a.event(
        'party.register',
        { gln: a.gln, name: 'Now the operator', role: 'operator', address: testAddress, publicKeys: [publicKey] },
        { keyId: keyIdOf(publicKeyOf(key)) },
      ).event;
      await refused(postEvent(a, resign(event, key)), 422, 'KEY_UNKNOWN', ['not registered']);
      const party = await t.http
        .get(`/v1/parties/${a.gln}`)
        .set(...a.auth)
        .expect(200);
      expect(party.body.role).toBe('manufacturer');
    });
  });

  describe('in a batch', () => {
    it('bad events are refused with their own code while the good ones are accepted, in order', async () => {
      const before = await committed();
      const good = [note(a), note(a), note(a)];
      const badSignature = { ...note(a), signature: note(a).signature };
      const unknownType = a.event('test.nope', { text: 'x' });
      const unknownField = resign({ ...note(a).event, extra: 1 }, a.secretKey);
      const notActor = note(b);
      const res = await t.http
        .post('/v1/events/batch')
        .set(...a.auth)
        .send({ events: [good[0], badSignature, good[1], unknownType, unknownField, notActor, good[2]] });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ accepted: 3, refused: 4 });
      const results = res.body.results;
      expect(results.map((r: { accepted: boolean }) => r.accepted)).toEqual([
        true,
        false,
        true,
        false,
        false,
        false,
        true,
      ]);
      expect([results[0], results[2], results[6]].map((r) => r.receipt.index)).toEqual([
        before,
        before + 1,
        before + 2,
      ]);
      expect([results[0], results[2], results[6]].map((r) => r.receipt.eventId)).toEqual(good.map((g) => g.event.id));
      expect(results[1]).toMatchObject({ eventId: badSignature.event.id, error: { code: 'SIGNATURE_INVALID' } });
      expect(results[3]).toMatchObject({ eventId: unknownType.event.id, error: { code: 'EVENT_TYPE_UNKNOWN' } });
      expect(results[4]).toMatchObject({ eventId: unknownField.event.id, error: { code: 'VALIDATION_FAILED' } });
      expect(JSON.stringify(results[4].error)).toContain('events[4].event.extra');
      expect(results[5]).toMatchObject({ eventId: notActor.event.id, error: { code: 'ACTOR_MISMATCH' } });
      expect(await committed()).toBe(before + 3);
    });

    it('the same id twice in a batch with different contents: the first is logged, the second is a 409 conflict', async () => {
      const before = await committed();
      const first = note(a);
      const second = resign({ ...first.event, body: { text: 'other content' } }, a.secretKey);
      const res = await t.http
        .post('/v1/events/batch')
        .set(...a.auth)
        .send({ events: [first, second] });
      expect(res.status).toBe(201);
      expect(res.body.results[0]).toMatchObject({ accepted: true, receipt: { index: before, duplicate: false } });
      expect(res.body.results[1]).toMatchObject({
        accepted: false,
        eventId: first.event.id,
        error: { code: 'EVENT_ID_CONFLICT', details: { index: before } },
      });
      expect(await committed()).toBe(before + 1);
    });

    it('an empty batch or a malformed batch entry → 400 VALIDATION_FAILED naming it', async () => {
      await refused(
        () =>
          t.http
            .post('/v1/events/batch')
            .set(...a.auth)
            .send({ events: [] }),
        400,
        'VALIDATION_FAILED',
        ['events'],
      );
      // A malformed entry is refused on its own, naming it; the rest of the batch goes ahead.
      const mixed = await t.http
        .post('/v1/events/batch')
        .set(...a.auth)
        .send({ events: [note(a), { event: note(a).event }] });
      expect(mixed.body).toMatchObject({ accepted: 1, refused: 1 });
      expect(mixed.body.results[1].error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'events[1].signature' }],
      });
    });
  });

  describe('size limits', () => {
    let small: TestApp;
    let s: TestParty;
    beforeAll(async () => {
      small = await createTestApp({ MAX_BATCH_EVENTS: '5', MAX_BODY_MB: '1' });
      registerTestEventType(small);
      s = await newParty(small, 'manufacturer');
    });
    afterAll(() => small.close());

    it('a batch over MAX_BATCH_EVENTS → 413 BATCH_TOO_LARGE naming the limit; at the limit it is accepted', async () => {
      const six = Array.from({ length: 6 }, (_, i) => s.event('test.note', { text: `n${i}` }));
      await refused(
        () =>
          small.http
            .post('/v1/events/batch')
            .set(...s.auth)
            .send({ events: six }),
        413,
        'BATCH_TOO_LARGE',
        ['at most 5', '6'],
        small,
      );
      const before = await committed(small);
      const res = await small.http
        .post('/v1/events/batch')
        .set(...s.auth)
        .send({ events: six.slice(0, 5) });
      expect(res.status).toBe(201);
      expect(res.body.accepted).toBe(5);
      expect(await committed(small)).toBe(before + 5);
    });

    it('a body over MAX_BODY_MB → 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
      const big = s.event('test.note', { text: 'x'.repeat(1000), padding: 'y'.repeat(1_100_000) });
      await refused(
        () =>
          small.http
            .post('/v1/events')
            .set(...s.auth)
            .send(big),
        413,
        'PAYLOAD_TOO_LARGE',
        [/limit of \d+ bytes/],
        small,
      );
    });
  });
});
