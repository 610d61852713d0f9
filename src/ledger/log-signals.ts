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

  /** Listens again in a second, and again until it works (the database may be down for a while). */
  private reconnect(attempt = 1): void {
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      this.listen(true).catch((error: Error) => {
        // The first failure and then one line a minute, not one a second for a whole outage.
        if (attempt % 60 === 1) this.logger.warn(`notification connection not restored (${error.message}); retrying`);
        this.reconnect(attempt + 1);
      });
    }, 1000).unref();
  }

  private async listen(reconnecting = false): Promise<void> {
    const client = await this.db.connect();
    this.listener = client;
    let listening = true;
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
      // While LISTEN runs, its failure is what reconnects (one retry loop, not two).
      if (!listening) this.reconnect();
    });
    try {
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      if (this.listener === client) {
        this.listener = undefined;
        client.release(error as Error);
      }
      throw error;
    } finally {
      listening = false;
    }
    if (reconnecting) {
      // What other processes announced while this one was not listening is lost: have this process's listeners
      // look for themselves (the latest checkpoint, entries waiting for the integrator).
      this.logger.log('notification connection restored');
      this.emitter.emit('checkpoint', { kind: 'checkpoint', size: Number.MAX_SAFE_INTEGER });
      this.emitter.emit('appended', { kind: 'appended', next: Number.MAX_SAFE_INTEGER });
    }
  }
}
