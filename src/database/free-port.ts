import * as net from 'node:net';

/** Whether a server could listen on `port` of localhost now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Ports below Linux's default ephemeral range (32768-60999). */
const FIRST = 20_000;
const COUNT = 12_000;

/**
 * A localhost port nobody listens on now, for a server to take a moment later (or on every later start). It is
 * drawn below Linux's ephemeral range: the ports the kernel hands out by itself (the local port of any client
 * connection, any `listen(0)`) could otherwise take it in between, or hold it at a later start.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = FIRST + Math.floor(Math.random() * COUNT);
    if (await portIsFree(port)) return port;
  }
}
