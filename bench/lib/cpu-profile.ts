import * as fs from 'node:fs';
import * as path from 'node:path';

/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a summary needs. */
interface CpuProfile {
  /** Microseconds on the monotonic clock (the clock of process.hrtime). */
  startTime: number;
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  /** file:line, shortened to the part after node_modules/ or dist/. */
  where: string;
  area: string;
  selfMs: number;
  /** Time on the stack (self and callees; a function counted once per sample however deep it recurses). */
  totalMs: number;
}

export interface CpuProfileSummary {
  /** Sampled time, idle excluded, ms. */
  totalMs: number;
  idleMs: number;
  /** Functions by self time, highest first. */
  top: FunctionCost[];
  /**
   * Functions by total (inclusive) time, highest first. Self time alone misleads where the main thread is preempted
   * inside a call (a wake-up of another thread: `verifyOneShot`, `writev` on a busy machine); totals show what a
   * request's layers cost with their callees.
   */
  inclusive: FunctionCost[];
  /** Self time by area (a package, a folder of src/, node core, GC, native code), highest first. */
  byArea: { area: string; selfMs: number }[];
}

/** The area a function belongs to, from its script URL. */
function areaOf(name: string, url: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native (V8/libuv/OpenSSL, outside JS)';
  if (url === '') return 'JS builtins (JSON, RegExp, ...)';
  if (url.startsWith('node:')) return `node core (${url.slice(5).split('/')[0]})`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const src = url.lastIndexOf('/dist/src/');
  if (src >= 0) return `src/${url.slice(src + '/dist/src/'.length).split('/')[0]}`;
  return url;
}

function shortWhere(url: string, line: number): string {
  if (url === '') return '';
  const cut = Math.max(url.lastIndexOf('/node_modules/') + 1, url.lastIndexOf('/dist/') + 1, 0);
  return `${url.slice(cut).replace(/^file:\/\//, '')}:${line + 1}`;
}

/** Now on the clock of `.cpuprofile` timestamps (CLOCK_MONOTONIC, µs), to mark windows of a profile. */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time per function and per area over every `.cpuprofile` in `dir`; only samples taken within the
 * window(s) [fromUs, toUs) (see `profileClockUs`) when given.
 */
export function summarizeCpuProfiles(
  dir: string,
  window?: { fromUs: number; toUs: number } | readonly { fromUs: number; toUs: number }[],
): CpuProfileSummary {
  const windows = window === undefined ? undefined : 'fromUs' in window ? [window] : window;
  const costs = new Map<string, FunctionCost>();
  let idleMs = 0;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      if (windows && !windows.some((w) => at >= w.fromUs && at < w.toUs)) continue;
      const node = byId.get(profile.samples[i]);
      if (!node) continue;
      // The delta before the next sample is the time this one stood for.
      const deltaMs = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
      if (node.callFrame.functionName === '(idle)') {
        idleMs += deltaMs;
        continue;
      }
      const costOf = (frame: CpuProfile['nodes'][number]['callFrame']): FunctionCost => {
        const named = frame.functionName || '(anonymous)';
        const key = `${named}@${frame.url}:${frame.lineNumber}`;
        let cost = costs.get(key);
        if (!cost) {
          cost = {
            name: named,
            where: shortWhere(frame.url, frame.lineNumber),
            area: areaOf(named, frame.url),
            selfMs: 0,
            totalMs: 0,
          };
          costs.set(key, cost);
        }
        return cost;
      };
      costOf(node.callFrame).selfMs += deltaMs;
      const onStack = new Set<FunctionCost>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const frame = byId.get(id)!.callFrame;
        if (frame.functionName === '(root)') continue;
        onStack.add(costOf(frame));
      }
      for (const cost of onStack) cost.totalMs += deltaMs;
    }
  }
  const top = [...costs.values()].filter((cost) => cost.selfMs > 0).sort((a, b) => b.selfMs - a.selfMs);
  const inclusive = [...costs.values()].sort((a, b) => b.totalMs - a.totalMs);
  const areas = new Map<string, number>();
  for (const cost of top) areas.set(cost.area, (areas.get(cost.area) ?? 0) + cost.selfMs);
  return {
    totalMs: top.reduce((sum, cost) => sum + cost.selfMs, 0),
    idleMs,
    top,
    inclusive,
    byArea: [...areas].map(([area, selfMs]) => ({ area, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
  };
}
