import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Piscina from 'piscina';
import { AppConfig } from '../config/app-config';
import { verifyStrictNodeAsync } from '../signing/ed25519-node';
import { seal, Sealed, SealTask } from './event-seal';

/** The compiled worker beside this file (`dist/src/ledger/intake.worker.js`). */
export const INTAKE_WORKER_FILE = path.join(__dirname, 'intake.worker.js');
/** Injection token of another worker file (tests running TypeScript sources use the built one). */
export const INTAKE_WORKER = 'rxledger:intake-worker-file';

/** Most events one worker task seals: a batch of 500 is spread over the threads, a lone event is one task. */
const TASK_EVENTS = 64;

/**
 * Where signed events are sealed (`seal`: canonical JSON, hash, signature): on the main thread, verification on
 * libuv's pool (INTAKE_WORKERS=0), or on a piscina pool of INTAKE_WORKERS worker threads (docs/OPERATIONS.md; the
 * A/B behind the default is in docs/BENCHMARKS.md "Issue 12 §2"). The answers are the same either way.
 */
@Injectable()
export class IntakePool implements OnModuleDestroy {
  private readonly logger = new Logger(IntakePool.name);
  private readonly pool?: Piscina;

  constructor(config: AppConfig, @Optional() @Inject(INTAKE_WORKER) filename: string = INTAKE_WORKER_FILE) {
    const threads = config.INTAKE_WORKERS;
    if (threads === 0) return;
    // Run from TypeScript sources (ts-jest), there is no compiled worker: the main thread seals.
    if (!fs.existsSync(filename)) {
      this.logger.warn(
        `INTAKE_WORKERS=${threads} but ${filename} does not exist: events are sealed on the main thread`,
      );
      return;
    }
    this.pool = new Piscina({ filename, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  }

  /** Worker threads sealing events (0: the main thread does). */
  get threads(): number {
    return this.pool ? this.pool.options.maxThreads : 0;
  }

  /** Seals each task; in the order given. */
  async sealAll(tasks: SealTask[]): Promise<Sealed[]> {
    if (!this.pool || tasks.length === 0) return Promise.all(tasks.map((task) => seal(task, verifyStrictNodeAsync)));
    const size = Math.min(TASK_EVENTS, Math.ceil(tasks.length / this.threads));
    const slices: Promise<Sealed[]>[] = [];
    for (let i = 0; i < tasks.length; i += size)
      slices.push(this.pool.run(tasks.slice(i, i + size)) as Promise<Sealed[]>);
    return (await Promise.all(slices)).flat();
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }
}
