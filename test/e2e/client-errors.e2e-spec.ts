/**
 * Requests refused by Node's HTTP parser, before any route, still get a coded JSON refusal (docs/PROTOCOL.md §10):
 * Node alone writes a bare `431` or `400` status line with no body, which a client cannot tell from a proxy's.
 * RFC 6585 §5 (431 Request Header Fields Too Large); RFC 9112 §3 (request line).
 */
import { AddressInfo, connect } from 'node:net';
import { createTestApp, TestApp } from '../support/test-app';

describe('requests the HTTP parser refuses', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  }, 60_000);
  afterAll(() => t?.close());

  /** Sends raw bytes and reads the whole answer (the server closes the connection). */
  function raw(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  }
  const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

  it('headers over 16 KiB: 431 HEADERS_TOO_LARGE with a JSON body', async () => {
    const answer = await raw(`GET /v1/log/checkpoint HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(bodyOf(answer)).toEqual({
      error: { code: 'HEADERS_TOO_LARGE', message: expect.any(String), details: null },
    });
  });

  it('a malformed request line: 400 MALFORMED_REQUEST with a JSON body', async () => {
    const answer = await raw('GET /v1/log/checkpoint HTTP/1.1 extra\r\nHost: x\r\n\r\n');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(bodyOf(answer)).toEqual({
      error: { code: 'MALFORMED_REQUEST', message: expect.any(String), details: null },
    });
  });

  it('the server goes on answering others', async () => {
    expect((await t.http.get('/v1/health')).status).toBe(200);
  });
});
