import { INestApplication } from '@nestjs/common';
import * as net from 'node:net';
import { createApp, createLogger } from '../../src/app.factory';
import { HttpClient } from './http-client';
import { TestApp } from './test-app';

/** Starts listening on a free local port and returns a fetch client for the app (tests that need real sockets). */
export async function listen(app: INestApplication, token?: string): Promise<HttpClient> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as net.AddressInfo;
  return new HttpClient(`http://127.0.0.1:${port}`, token);
}

/**
 * A second application process's worth of RxLedger on the same database as `t`, with the same keys and
 * configuration: what a second app server behind a load balancer would be.
 */
export async function createPeerApp(t: TestApp): Promise<INestApplication> {
  const app = await createApp(
    { config: t.config, secrets: t.secrets, databaseUrl: t.databaseUrl },
    createLogger(t.config),
  );
  await app.init();
  return app;
}
