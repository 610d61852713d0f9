import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over its 16 KiB limit, a malformed request
 * line, a client too slow to send its headers) are answered like every other refusal, with a coded JSON body
 * (docs/PROTOCOL.md §10), where Node by itself writes a bare status line. The connection is closed afterwards, as
 * Node does: after such an error the bytes that follow cannot be trusted to start a request.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, code, message] = refusal(error.code);
    const body = JSON.stringify({ error: { code, message, details: null } });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

function refusal(parserCode: string | undefined): [number, string, string, string] {
  switch (parserCode) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        431,
        'Request Header Fields Too Large',
        'HEADERS_TOO_LARGE',
        'the request line and headers exceed 16 KiB',
      ];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'REQUEST_TIMEOUT', 'the request was not received in time'];
    default:
      return [400, 'Bad Request', 'MALFORMED_REQUEST', 'the request is not well-formed HTTP/1.1'];
  }
}
