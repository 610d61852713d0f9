import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * CPU time of processes from /proc (Linux), to split a phase's cost between the app server, PostgreSQL and the
 * load generator: on a 2-core machine, "events per second" alone does not say who spent the cores.
 */

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  ppid: number;
  /** utime + stime, ms. */
  ownMs: number;
  /** cutime + cstime (children that exited and were waited for), ms. */
  childrenMs: number;
}

function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces; the fields after it are fixed.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ms = (ticks: string) => (Number(ticks) * 1000) / clockTicks();
  return {
    ppid: Number(fields[1]),
    ownMs: ms(fields[11]) + ms(fields[12]),
    childrenMs: ms(fields[13]) + ms(fields[14]),
  };
}

/** CPU milliseconds (user + system) a process has used so far; NaN once it is gone. */
export function processCpuMs(pid: number): number {
  return procStat(pid)?.ownMs ?? NaN;
}

/**
 * CPU milliseconds of a process and all its children, living (their own time) and exited (the parent's
 * cutime/cstime): for PostgreSQL, the postmaster and every backend, checkpointer, WAL writer, autovacuum worker.
 */
export function processTreeCpuMs(rootPid: number): number {
  const root = procStat(rootPid);
  if (!root) return NaN;
  let total = root.ownMs + root.childrenMs;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.ppid === rootPid) total += stat.ownMs;
  }
  return total;
}

/** The postmaster of the PostgreSQL cluster in `<dataDir>/pg` (as bench/lib/postgres.ts lays it out). */
export function postmasterPid(dataDir: string): number {
  const text = fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8');
  return Number(text.split('\n')[0]);
}

export interface CpuSnapshot {
  serverMs: number;
  postgresMs: number;
  benchMs: number;
  wallMs: number;
}

export interface CpuSplit {
  /** CPU ms over the window: the app server, PostgreSQL (all its processes), this process (the load). */
  serverMs: number;
  postgresMs: number;
  benchMs: number;
  wallMs: number;
}

/** Reads the CPU clocks of the app server(s), PostgreSQL and this process. */
export function cpuSnapshot(serverPids: readonly number[], postgresPid: number): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    serverMs: serverPids.reduce((sum, pid) => sum + processCpuMs(pid), 0),
    postgresMs: processTreeCpuMs(postgresPid),
    benchMs: (usage.user + usage.system) / 1000,
    wallMs: performance.now(),
  };
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSplit {
  return {
    serverMs: after.serverMs - before.serverMs,
    postgresMs: after.postgresMs - before.postgresMs,
    benchMs: after.benchMs - before.benchMs,
    wallMs: after.wallMs - before.wallMs,
  };
}
