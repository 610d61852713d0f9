import * as http from 'node:http';
import { DATABASE_RETRY_AFTER_S, DATABASE_UNAVAILABLE } from '../database/database-unavailable';

/**
 * What listens on the server's port while the application waits for its database at start-up: load balancers and
 * supervisors see a live process that is not ready (`/v1/health` 503, `/v1/health/live` 200), and clients get the
 * answer they get during any outage (503 DATABASE_UNAVAILABLE with Retry-After) instead of a refused connection.
 */
export async function listenWhileStarting(port: number, host: string): Promise<{ close(): Promise<void> }> {
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
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
