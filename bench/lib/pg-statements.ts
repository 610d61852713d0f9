import type { Pool } from 'pg';

export interface StatementCost {
  /** `execute`, `parse`, `bind` or `simple`, then the statement's first line. */
  statement: string;
  calls: number;
  totalMs: number;
  maxMs: number;
}

const DURATION = /duration: ([\d.]+) ms\s+(?:(parse|bind|execute) [^:]*|statement): (.*)$/;

/**
 * Where PostgreSQL spends its time, statement by statement, without pg_stat_statements (which needs a restart
 * with shared_preload_libraries): `log_min_duration_statement = 0` for the database makes every new session log
 * each statement's duration to the server log, which bench/lib/postgres.ts hands to `collector()`. Durations are
 * summed per named window (`mark`), e.g. per benchmark phase. Logging costs the server a little: use it in
 * profiling runs, not for the headline figures.
 */
export class StatementLog {
  private window: string | undefined;
  private readonly windows = new Map<string, Map<string, StatementCost>>();

  /** Turns the logging on for sessions opened from now on (the app server's pool, started afterwards). */
  async enable(pool: Pool): Promise<void> {
    const { rows } = await pool.query<{ db: string }>('SELECT current_database() AS db');
    const db = `"${rows[0].db.replace(/"/g, '""')}"`;
    await pool.query(`ALTER DATABASE ${db} SET log_min_duration_statement = 0`);
    // The bulk statements' parameters are megabytes of arrays: never log them.
    await pool.query(`ALTER DATABASE ${db} SET log_parameter_max_length = 0`);
  }

  /** Statements logged from now on count towards `name` (undefined: towards nothing). */
  mark(name: string | undefined): void {
    this.window = name;
  }

  /** The `log` callback for startBenchDatabase. */
  collector(): (message: string) => void {
    return (message) => {
      if (this.window === undefined) return;
      for (const line of message.split('\n')) {
        const match = DURATION.exec(line);
        if (!match) continue;
        const ms = Number(match[1]);
        const statement = `${match[2] ?? 'simple'}: ${match[3].trim().replace(/\s+/g, ' ').slice(0, 90)}`;
        let costs = this.windows.get(this.window);
        if (!costs) this.windows.set(this.window, (costs = new Map()));
        const cost = costs.get(statement) ?? { statement, calls: 0, totalMs: 0, maxMs: 0 };
        cost.calls++;
        cost.totalMs += ms;
        cost.maxMs = Math.max(cost.maxMs, ms);
        costs.set(statement, cost);
      }
    };
  }

  /** Per window, statements by total time, highest first. */
  summary(): [string, StatementCost[]][] {
    return [...this.windows].map(([name, costs]) => [name, [...costs.values()].sort((a, b) => b.totalMs - a.totalMs)]);
  }
}
