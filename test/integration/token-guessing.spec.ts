import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { TokensRepository } from '../../src/parties/tokens.repository';
import { AUTH_FAILURES_ALLOWED, TokensService } from '../../src/parties/tokens.service';
import { createTestApp, newParty, TestApp, TestParty } from '../support/test-app';

/**
 * Issue 9 §3: guessing tokens is rate-limited per client address (429 with Retry-After and a coded body, no
 * database lookup once refused), and a flood of unknown tokens never pushes a valid token out of the cache.
 */
describe('token guessing', () => {
  let t: TestApp;
  let party: TestParty;
  let baseUrl: string;
  let lookups: jest.SpyInstance;

  beforeAll(async () => {
    t = await createTestApp();
    party = await newParty(t, 'distributor');
    const server = t.app.getHttpServer() as http.Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    lookups = jest.spyOn(t.app.get(TokensRepository), 'findActive');
  });
  afterAll(() => t?.close());

  /** GET from a given loopback address (Linux routes all of 127/8 to lo), with a bearer token. */
  const get = (from: string, token: string, path = `/v1/parties/${party.gln}`) =>
    new Promise<{ status: number; retryAfter?: string; body: { error?: { code: string; details?: unknown } } }>(
      (resolve, reject) => {
        const request = http.get(
          `${baseUrl}${path}`,
          { localAddress: from, headers: { authorization: `Bearer ${token}` }, agent: false },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode!,
                retryAfter: response.headers['retry-after'] as string | undefined,
                body: JSON.parse(text),
              }),
            );
          },
        );
        request.on('error', reject);
      },
    );
  const guess = () => `rxl_${randomBytes(32).toString('base64url')}`;

  it('a flood of unknown tokens from one address gets 429s; a valid token from another keeps working, cached', async () => {
    expect((await get('127.0.0.3', party.token)).status).toBe(200);
    lookups.mockClear();
    const statuses: number[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const answers = await Promise.all(Array.from({ length: 40 }, () => get('127.0.0.2', guess())));
      statuses.push(...answers.map((a) => a.status));
      const refused = answers.filter((a) => a.status === 429);
      for (const answer of refused) {
        expect(answer.body.error).toMatchObject({ code: 'TOO_MANY_AUTH_FAILURES' });
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60);
      }
      // The valid client, from another address, throughout the flood.
      expect((await get('127.0.0.3', party.token)).status).toBe(200);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_FAILURES_ALLOWED);
    expect(statuses.filter((s) => s === 429)).toHaveLength(400 - AUTH_FAILURES_ALLOWED);
    // Refused guesses cost no database lookup (only the first wave's 40 ran before the block), and the valid token
    // stayed cached (CACHE_MS is 5 s; the flood is shorter): 400 guesses, at most 41 lookups.
    expect(lookups.mock.calls.length).toBeLessThanOrEqual(40 + 1);
    // A blocked address is blocked on public routes given a token too, but not without one.
    expect((await get('127.0.0.2', guess(), '/v1/log/checkpoint')).status).toBe(429);
    expect((await get('127.0.0.2', party.token)).status).toBe(200);
  });

  it('unknown tokens from many addresses (each below the limit) never push a valid token out of the cache', async () => {
    const tokens = t.app.get(TokensService);
    expect(await tokens.authenticate(party.token, '10.0.0.1')).toMatchObject({ gln: party.gln });
    // Time stands still during the flood, so that only eviction, never the 5 s expiry, could cause a new lookup.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      for (let chunk = 0; chunk < 21; chunk++) {
        await Promise.all(
          Array.from({ length: 500 }, (_, i) => tokens.authenticate(guess(), `10.1.${chunk}.${i % 250}-${i}`)),
        );
      }
      lookups.mockClear();
      expect(await tokens.authenticate(party.token, '10.0.0.1')).toMatchObject({ gln: party.gln });
      expect(lookups).not.toHaveBeenCalled();
    } finally {
      clock.mockRestore();
    }
  });
});
