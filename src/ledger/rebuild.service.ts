import { Injectable, Logger } from '@nestjs/common';
import { validatePlain } from '../common/validation';
import { Database } from '../database/database';
import { LedgerEvent } from '../protocol/event';
import { ApplicableEvent, applyEvent, prepareBatch } from './event-applier';
import { EventTypeRegistry } from './event-type.registry';
import { LogRepository } from './log.repository';

/** Entries read per round trip while replaying. */
const READ_CHUNK = 2_000;
/** Most work applied per batch (items touched), as in intake. */
const MAX_WEIGHT = 250_000;

export class RebuildError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`log index ${index}: ${message}`);
  }
}

export interface RebuildReport {
  entries: number;
  tables: string[];
  ms: number;
}

/**
 * Replays the whole log into empty read-model tables, through the same prepare/load/apply/flush path as intake,
 * in one transaction that holds the sequencer lock (intake waits). If any logged event is refused on replay, the
 * rebuild stops, names the index, and leaves the tables as they were.
 */
@Injectable()
export class RebuildService {
  private readonly logger = new Logger(RebuildService.name);

  constructor(
    private readonly db: Database,
    private readonly log: LogRepository,
    private readonly types: EventTypeRegistry,
  ) {}

  async rebuild(onProgress?: (done: number, total: number) => void): Promise<RebuildReport> {
    const started = Date.now();
    const tables = this.types.readModelTables();
    const entries = await this.db.transaction(async (tx) => {
      const total = (await this.log.lockSequencer(tx)).next;
      await this.log.truncate(tx, tables);
      let from = 0;
      while (from < total) {
        const rows = await this.log.entriesForReplay(tx, from, Math.min(READ_CHUNK, total - from));
        if (rows.length === 0) throw new RebuildError(from, 'entry missing');
        let group: (ApplicableEvent & { index: number; acceptedAt: Date })[] = [];
        let weight = 0;
        const applyGroup = async () => {
          if (group.length === 0) return;
          const batch = prepareBatch(this.types, group);
          await batch.load(tx);
          const named: { index: number; parties: string[] }[] = [];
          for (const e of group) {
            try {
              named.push({ index: e.index, parties: applyEvent(batch, e, e.index, e.acceptedAt) });
            } catch (error) {
              throw new RebuildError(e.index, `refused on replay: ${(error as Error).message}`);
            }
          }
          await batch.flush(tx);
          await this.log.nameParties(tx, named);
          group = [];
          weight = 0;
        };
        for (const row of rows) {
          if (row.idx !== from) throw new RebuildError(from, 'entry missing');
          const e = { ...this.parse(row.idx, row.event_json), index: row.idx, acceptedAt: row.accepted_at };
          const w = 1 + (e.type.weight?.(e.body) ?? 0);
          if (group.length > 0 && weight + w > MAX_WEIGHT) await applyGroup();
          group.push(e);
          weight += w;
          from++;
        }
        await applyGroup();
        onProgress?.(from, total);
      }
      return total;
    });
    const ms = Date.now() - started;
    this.logger.log(`rebuilt ${tables.join(', ')} from ${entries} log entries in ${ms} ms`);
    return { entries, tables, ms };
  }

  private parse(index: number, json: string): ApplicableEvent {
    const event = JSON.parse(json) as LedgerEvent<object>;
    const type = this.types.get(event.type);
    if (!type) throw new RebuildError(index, `unknown event type ${event.type}`);
    try {
      return { event, type, body: validatePlain(type.body, event.body, 'event.body') };
    } catch (error) {
      throw new RebuildError(index, `body no longer valid: ${(error as Error).message}`);
    }
  }
}
