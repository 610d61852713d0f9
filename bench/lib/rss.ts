import * as fs from 'node:fs';

/** Memory of a process from /proc/<pid>/status, in MiB (Linux only; undefined elsewhere or once it has exited). */
export function processMemory(pid: number): { rssMiB: number; peakRssMiB: number } | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/**
 * Polls VmRSS of a process and keeps the highest value seen. VmHWM (the kernel's own high-water mark) covers the
 * whole life of the process; the sampler covers only the window between start() and stop(), e.g. one load phase.
 */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private peak = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 50,
  ) {}

  start(): this {
    this.peak = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops sampling and returns the peak RSS seen, in MiB. */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.peak;
  }

  private sample(): void {
    const memory = processMemory(this.pid);
    if (memory && memory.rssMiB > this.peak) this.peak = memory.rssMiB;
  }
}
