import * as fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __RXLEDGER_PG__?: { server: { stop(): Promise<void> }; dataDir: string } })
    .__RXLEDGER_PG__;
  if (!state) return;
  await state.server.stop();
  fs.rmSync(state.dataDir, { recursive: true, force: true });
}
