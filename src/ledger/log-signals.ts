import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { Database } from '../database/database';

const CHANNEL = 'rxledger_log';

type Signal = { kind: 'appended'; next: number } | { kind: 'checkpoint'; size: number } | { kind: 'demand' };

/**
 * News about the log between the parts of one process and, through PostgreSQL LISTEN/NOTIFY, between the
 * processes sharing a database: entries appended (wakes the integrator), a checkpoint published (wakes
 * waiting receipts, refreshes caches), a checkpoint demanded.
 */
@Injectable()
export class LogSignals implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LogSignals.name);
  private readonly emitter = new EventEmitter();
  private readonly instance = randomUUID();
  private listener?: PoolClient;
  private closed = false;

  constructor(private readonly db: Database) {
    this.emitter.setMaxListeners(0);
  }

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      await listener.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      listener.release();
    }
  }

  appended(next: number): void {
    this.emit({ kind: 'appended', next });
  }

  published(size: number): void {
    this.emit({ kind: 'checkpoint', size });
  }

  demand(): void {
    this.emit({ kind: 'demand' });
  }

  on<K extends Signal['kind']>(kind: K, handler: (signal: Extract<Signal, { kind: K }>) => void): () => void {
    this.emitter.on(kind, handler);
    return () => this.emitter.off(kind, handler);
  }

  private emit(signal: Signal): void {
    this.emitter.emit(signal.kind, signal);
    const payload = JSON.stringify({ from: this.instance, ...signal });
    this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((error: Error) => {
      if (!this.closed) this.logger.warn(`could not notify other processes: ${error.message}`);
    });
  }

  private async listen(): Promise<void> {
    const client = await this.db.connect();
    this.listener = client;
    client.on('notification', (message) => {
      if (!message.payload) return;
      try {
        const { from, ...signal } = JSON.parse(message.payload) as Signal & { from: string };
        if (from !== this.instance) this.emitter.emit(signal.kind, signal);
      } catch {
        this.logger.warn(`ignored a malformed notification on ${CHANNEL}`);
      }
    });
    client.on('error', (error) => {
      // Only for the current listener: this handler stays on the client after it is released (at shutdown, or
      // after an earlier error), and releasing it twice throws out of the event handler and kills the process.
      if (this.listener !== client) return;
      this.logger.warn(`notification connection lost (${error.message}); reconnecting`);
      this.listener = undefined;
      client.release(error);
      if (!this.closed) setTimeout(() => void this.listen().catch(() => undefined), 1000);
    });
    await client.query(`LISTEN ${CHANNEL}`);
  }
}
