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

/** Most events one worker task seals: a batch of 500 is spread over the threads. */
const TASK_EVENTS = 64;

interface Waiting {
  tasks: SealTask[];
  resolve: (sealed: Sealed[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Where signed events are sealed (`seal`: canonical JSON, hash, signature): on the main thread, verification on
 * libuv's pool (INTAKE_WORKERS=0), or on a piscina pool of INTAKE_WORKERS worker threads (docs/OPERATIONS.md; the
 * A/B behind the default is in docs/BENCHMARKS.md "Issue 12 §2"). The answers are the same either way.
 */
@Injectable()
export class IntakePool implements OnModuleDestroy {
  private readonly logger = new Logger(IntakePool.name);
  private readonly pool?: Piscina;
  /** Requests' tasks gathered in this turn of the event loop, sent together (see `sealAll`). */
  private waiting: Waiting[] = [];

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

  /**
   * Seals each task; in the order given. With worker threads, the tasks of every request read in the same turn of the
   * event loop go to the threads together (`setImmediate`: after the turn's ready sockets), so concurrent one-event
   * requests share a hand-off to a thread as the events of a batch do, instead of paying one wake-up each.
   */
  sealAll(tasks: SealTask[]): Promise<Sealed[]> {
    if (!this.pool || tasks.length === 0) return Promise.all(tasks.map((task) => seal(task, verifyStrictNodeAsync)));
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.send());
      this.waiting.push({ tasks, resolve, reject });
    });
  }

  private send(): void {
    const waiting = this.waiting;
    this.waiting = [];
    const tasks = waiting.flatMap((w) => w.tasks);
    const size = Math.min(TASK_EVENTS, Math.ceil(tasks.length / this.threads));
    const slices: Promise<Sealed[]>[] = [];
    for (let i = 0; i < tasks.length; i += size)
      slices.push(this.pool!.run(tasks.slice(i, i + size)) as Promise<Sealed[]>);
    Promise.all(slices).then(
      (sealed) => {
        const all = sealed.flat();
        let at = 0;
        for (const w of waiting) w.resolve(all.slice(at, (at += w.tasks.length)));
      },
      (error: unknown) => waiting.forEach((w) => w.reject(error)),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool?.destroy();
  }
}
