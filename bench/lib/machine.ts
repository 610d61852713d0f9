import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  memTotalGiB: number;
  memAvailableGiB: number;
  loadAverage1m: number;
  kernel: string;
}

/** What the figures were measured on: they mean little without it (2 shared cores here). */
export function machineInfo(): MachineInfo {
  let cpus = os.availableParallelism();
  try {
    cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cpus;
  } catch {
    // nproc missing: keep Node's own count.
  }
  return {
    cpus,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    memTotalGiB: round(os.totalmem() / 2 ** 30, 1),
    memAvailableGiB: round(os.freemem() / 2 ** 30, 1),
    loadAverage1m: round(os.loadavg()[0], 2),
    kernel: `${os.type()} ${os.release()}`,
  };
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}
