import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DATABASE_RETRY_AFTER_S, DATABASE_UNAVAILABLE } from '../database/database-unavailable';

/** The server's port or host cannot be listened on; the message says which setting to change. */
export class CannotListenError extends Error {}

/**
 * What listens on the server's port while the application waits for its database at start-up: load balancers and
 * supervisors see a live process that is not ready (`/v1/health` 503, `/v1/health/live` 200), and clients get the
 * answer they get during any outage (503 DATABASE_UNAVAILABLE with Retry-After) instead of a refused connection.
 */
export async function listenWhileStarting(
  port: number,
  host: string,
): Promise<{
  /** The port listened on (the one the kernel chose when PORT is 0). */ port: number;
  close(): Promise<void>;
}> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0].replace(/\/+$/, '');
    const [status, body] =
      path === '/v1/health/live'
        ? [200, { status: 'ok' }]
        : path === '/v1/health'
          ? [
              503,
              {
                status: 'starting',
                problems: ['the server is starting: its database is not available yet'],
                database: { status: 'down' },
              },
            ]
          : [
              503,
              {
                error: {
                  code: DATABASE_UNAVAILABLE,
                  message: `the server is starting: its database is not available yet; try again in ${DATABASE_RETRY_AFTER_S} s`,
                },
              },
            ];
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...(status === 503 ? { 'retry-after': String(DATABASE_RETRY_AFTER_S) } : {}),
      // The application takes this port over: no client keeps a connection to this stand-in.
      connection: 'close',
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CannotListenError(`PORT=${port} on ${host} is taken by another program: set PORT to a free port`)
          : error.code === 'EACCES'
            ? new CannotListenError(`PORT=${port} on ${host} needs privileges this user lacks: set PORT above 1023`)
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? new CannotListenError(`HOST=${host} is not an address of this machine: set HOST (0.0.0.0 for all)`)
              : error,
      );
    server.once('error', refuse);
    server.listen(port, host, () => {
      server.off('error', refuse);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
