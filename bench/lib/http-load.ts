import * as http from 'node:http';
import { LatencySummary, nowMs, Samples, summarize } from './stats';

export interface LoadRequest {
  /** Path and query, e.g. /v1/log/proof/inclusion?index=5&size=10. */
  path: string;
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
}

export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** A response kept for checking after the run (checking during the run would cost client CPU in the timed loop). */
export interface KeptResponse extends HttpResponse {
  request: LoadRequest;
}

export interface LoadResult {
  mode: 'closed-loop' | 'open-loop';
  /** Closed loop: requests in flight at all times. */
  concurrency?: number;
  /** Open loop: the target rate, requests per second. */
  targetRate?: number;
  /** Requests completed (any status) and failed (transport error or a status outside 2xx). */
  completed: number;
  failed: number;
  statuses: Record<string, number>;
  /** Transport errors by message. */
  errors: Record<string, number>;
  durationMs: number;
  /** Successful responses per second of wall time. */
  throughput: number;
  /** Latency of successful responses, ms (open loop: from the scheduled send time). */
  latency: LatencySummary;
  /** The raw latencies behind `latency`, in completion order. */
  latencies: Float64Array;
  /** Open loop: how late the client itself sent requests (a busy client shows here, not as lower latency). */
  sendLag?: LatencySummary;
  /** Open loop: sends skipped because `maxInFlight` requests were already outstanding (counted in `failed`). */
  skipped?: number;
  kept: KeptResponse[];
}

/** One keep-alive connection pool to one server; no connection is opened per request. */
export class HttpClient {
  readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets = 64) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:') throw new Error(`only http:// is supported, got ${baseUrl}`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(spec: LoadRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          path: spec.path,
          method: spec.method ?? 'GET',
          headers: spec.headers,
          agent: this.agent,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(spec.body);
    });
  }

  /** GET and parse JSON; throws on a status outside 2xx. */
  async json<T>(path: string, headers?: http.OutgoingHttpHeaders): Promise<T> {
    const response = await this.request({ path, headers });
    if (response.status < 200 || response.status > 299) {
      throw new Error(`GET ${path}: ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
    }
    return JSON.parse(response.body.toString('utf8')) as T;
  }

  async text(path: string): Promise<string> {
    const response = await this.request({ path });
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
    return response.body.toString('utf8');
  }

  close(): void {
    this.agent.destroy();
  }
}

interface Tally {
  latencies: Samples;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  failed: number;
  completed: number;
  kept: KeptResponse[];
}

function newTally(): Tally {
  return { latencies: new Samples(), statuses: {}, errors: {}, failed: 0, completed: 0, kept: [] };
}

function record(
  tally: Tally,
  request: LoadRequest,
  outcome: HttpResponse | Error,
  latencyMs: number,
  keep: boolean,
): void {
  if (outcome instanceof Error) {
    tally.failed++;
    tally.errors[outcome.message] = (tally.errors[outcome.message] ?? 0) + 1;
    return;
  }
  tally.completed++;
  tally.statuses[outcome.status] = (tally.statuses[outcome.status] ?? 0) + 1;
  if (outcome.status >= 200 && outcome.status <= 299) tally.latencies.push(latencyMs);
  else tally.failed++;
  // Failures are always worth a look; successes only when sampled.
  if (keep || (outcome.status > 299 && tally.kept.length < 1000)) tally.kept.push({ ...outcome, request });
}

export interface ClosedLoopOptions {
  concurrency: number;
  /** Stop sending after this long... */
  durationMs: number;
  /** ...or after this many requests, whichever comes first. */
  maxRequests?: number;
  /** The i-th request (i counts from 0 across all workers). */
  next: (i: number) => LoadRequest;
  /** Keep the i-th response for checking afterwards. */
  keep?: (i: number) => boolean;
}

/**
 * Closed loop: `concurrency` workers, each sending its next request as soon as its previous one is answered. It
 * finds the maximum throughput; its latencies are those of a server kept exactly that busy.
 */
export async function closedLoop(client: HttpClient, options: ClosedLoopOptions): Promise<LoadResult> {
  const tally = newTally();
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const started = nowMs();
  const deadline = started + options.durationMs;
  let issued = 0;
  const worker = async () => {
    while (issued < maxRequests && nowMs() < deadline) {
      const i = issued++;
      const request = options.next(i);
      const sent = nowMs();
      let outcome: HttpResponse | Error;
      try {
        outcome = await client.request(request);
      } catch (error) {
        outcome = error as Error;
      }
      record(tally, request, outcome, nowMs() - sent, options.keep?.(i) ?? false);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const durationMs = nowMs() - started;
  return {
    mode: 'closed-loop',
    concurrency: options.concurrency,
    ...finish(tally, durationMs),
  };
}

export interface OpenLoopOptions {
  /** Requests per second, sent on a fixed schedule whatever the server does. */
  rate: number;
  durationMs: number;
  next: (i: number) => LoadRequest;
  keep?: (i: number) => boolean;
  /** Bound on outstanding requests; a send that would exceed it is skipped and counted as failed. Default 10,000. */
  maxInFlight?: number;
}

/**
 * Open loop: request i is due at start + i / rate, and its latency is measured from that due time, not from when
 * it was actually sent. A stalled server (or client) therefore shows up in the latencies of every request that
 * should have been sent meanwhile, instead of silently lowering the rate ("coordinated omission").
 */
export async function openLoop(client: HttpClient, options: OpenLoopOptions): Promise<LoadResult> {
  const tally = newTally();
  const sendLag = new Samples();
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const maxInFlight = options.maxInFlight ?? 10_000;
  let inFlight = 0;
  let skipped = 0;
  let scheduled = 0;
  const started = nowMs();
  const outstanding: Promise<void>[] = [];

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = nowMs();
      while (scheduled < total && started + scheduled * interval <= now) {
        const i = scheduled++;
        const due = started + i * interval;
        if (inFlight >= maxInFlight) {
          skipped++;
          tally.failed++;
          continue;
        }
        const request = options.next(i);
        sendLag.push(nowMs() - due);
        inFlight++;
        outstanding.push(
          client.request(request).then(
            (response) => {
              inFlight--;
              record(tally, request, response, nowMs() - due, options.keep?.(i) ?? false);
            },
            (error: Error) => {
              inFlight--;
              record(tally, request, error, nowMs() - due, false);
            },
          ),
        );
      }
      if (scheduled >= total) return resolve();
      setTimeout(tick, Math.max(0, started + scheduled * interval - nowMs()));
    };
    tick();
  });
  await Promise.all(outstanding);
  const durationMs = nowMs() - started;
  return {
    mode: 'open-loop',
    targetRate: options.rate,
    ...finish(tally, durationMs),
    sendLag: summarize(sendLag.toArray()),
    skipped,
  };
}

function finish(tally: Tally, durationMs: number) {
  const latencies = tally.latencies.toArray();
  return {
    completed: tally.completed,
    failed: tally.failed,
    statuses: tally.statuses,
    errors: tally.errors,
    durationMs,
    throughput: (latencies.length * 1000) / durationMs,
    latency: summarize(latencies),
    latencies,
    kept: tally.kept,
  };
}

/**
 * One result from several runs of the same load (e.g. rounds interleaved with other loads, so that a change in
 * the machine's background load hits every load alike): counts and latencies pooled, throughput over the summed
 * durations.
 */
export function combineResults(results: readonly LoadResult[]): LoadResult {
  if (results.length === 0) throw new Error('nothing to combine');
  const sum = (pick: (r: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  const merge = (pick: (r: LoadResult) => Record<string, number>) => {
    const merged: Record<string, number> = {};
    for (const r of results) for (const [key, n] of Object.entries(pick(r))) merged[key] = (merged[key] ?? 0) + n;
    return merged;
  };
  const latencies = new Float64Array(sum((r) => r.latencies.length));
  let at = 0;
  for (const r of results) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  const durationMs = sum((r) => r.durationMs);
  const openLoop = results[0].mode === 'open-loop';
  return {
    ...results[0],
    completed: sum((r) => r.completed),
    failed: sum((r) => r.failed),
    statuses: merge((r) => r.statuses),
    errors: merge((r) => r.errors),
    durationMs,
    throughput: (latencies.length * 1000) / durationMs,
    latency: summarize(latencies),
    latencies,
    // Send lags cannot be pooled from summaries; a single open-loop run keeps its own.
    sendLag: results.length === 1 ? results[0].sendLag : undefined,
    skipped: openLoop ? sum((r) => r.skipped ?? 0) : undefined,
    kept: results.flatMap((r) => r.kept),
  };
}
