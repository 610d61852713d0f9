/**
 * A thin HTTP client for the RxLedger API (docs/PROTOCOL.md), on the global `fetch`: no Node APIs, so the CLI,
 * scripts and a browser share it. It moves bytes and JSON and turns the server's error body
 * `{ "error": { "code", "message", "details" } }` into a `LedgerHttpError`; it trusts nothing it receives.
 * Verifying checkpoints and proofs is the caller's job, with the pure `checkpoint` and `merkle` libraries.
 */
import type { Receipt } from '../ledger/receipt';
import { tilePath, TILE_WIDTH } from '../merkle/tiles';
import type { SignedEvent } from '../protocol/event';

export type { Receipt };

export interface LedgerClientOptions {
  /** Base URL of the server, e.g. `https://ledger.example.com` (a path prefix is kept). */
  url: string;
  /** API token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface ErrorBody {
  code: string;
  message: string;
  details?: unknown;
}

export type BatchItemResult =
  { accepted: true; receipt: Receipt } | { accepted: false; eventId?: string; error: ErrorBody };

export interface BatchResponse {
  accepted: number;
  refused: number;
  results: BatchItemResult[];
}

export interface InclusionProofResponse {
  leafIndex: number;
  treeSize: number;
  /** Standard base64. */
  leafHash: string;
  hashes: string[];
  checkpoint?: string;
}

export interface ConsistencyProofResponse {
  from: number;
  to: number;
  hashes: string[];
  checkpoint?: string;
}

/** The server answered with an error status. */
export class LedgerHttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string,
    readonly serverMessage: string,
    readonly details?: unknown,
  ) {
    super(`${method} ${path}: HTTP ${status} ${code}: ${serverMessage}`);
    this.name = 'LedgerHttpError';
  }
}

/** The server could not be reached, or answered with something that is not the API. */
export class LedgerConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerConnectionError';
  }
}

export class LedgerClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: LedgerClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new LedgerConnectionError(`"${options.url}" is not a URL (expected e.g. http://localhost:3000)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new LedgerConnectionError(`"${options.url}" is not an http:// or https:// URL`);
    }
    this.base = url.href.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  get url(): string {
    return this.base;
  }

  /** POST /v1/events/batch: the events in order; each gets a receipt or a coded refusal. */
  postBatch(events: SignedEvent<unknown>[], options: { wait?: boolean } = {}): Promise<BatchResponse> {
    return this.json('POST', `/v1/events/batch${options.wait ? '?wait=true' : ''}`, { events });
  }

  /** POST /v1/events: one event; a refusal is thrown as a `LedgerHttpError`. */
  postEvent(event: SignedEvent<unknown>, options: { wait?: boolean } = {}): Promise<Receipt> {
    return this.json('POST', `/v1/events${options.wait ? '?wait=true' : ''}`, event);
  }

  /** GET /v1/log/checkpoint: the latest checkpoint, a signed note (unverified). */
  checkpoint(): Promise<string> {
    return this.text('GET', '/v1/log/checkpoint');
  }

  /** GET /v1/log/vkey: the log's verifier key as the server states it (trust on first use). */
  async verifierKey(): Promise<string> {
    return (await this.text('GET', '/v1/log/vkey')).trim();
  }

  /** GET /v1/log/proof/inclusion, by index or by leaf hash (base64), in the tree of `size` leaves. */
  inclusionProof(query: { index?: number; leafHash?: string; size?: number }): Promise<InclusionProofResponse> {
    const params = new URLSearchParams();
    if (query.index !== undefined) params.set('index', String(query.index));
    if (query.leafHash !== undefined) params.set('leafHash', query.leafHash);
    if (query.size !== undefined) params.set('size', String(query.size));
    return this.json('GET', `/v1/log/proof/inclusion?${params.toString()}`);
  }

  /** GET /v1/log/proof/consistency between the trees of `from` and `to` leaves. */
  consistencyProof(from: number, to?: number): Promise<ConsistencyProofResponse> {
    const params = new URLSearchParams({ from: String(from) });
    if (to !== undefined) params.set('to', String(to));
    return this.json('GET', `/v1/log/proof/consistency?${params.toString()}`);
  }

  /** A C2SP tlog-tiles hash tile: `width` hashes (256 for a full tile) of tile level `level`. */
  async tile(level: number, index: number, width: number = TILE_WIDTH): Promise<Uint8Array> {
    const path = `/v1/log/${tilePath(level, index, width === TILE_WIDTH ? undefined : width)}`;
    const bytes = await this.bytes('GET', path);
    if (bytes.length !== width * 32) {
      throw new LedgerConnectionError(`GET ${path}: expected ${width * 32} bytes, got ${bytes.length}`);
    }
    return bytes;
  }

  /** GET /v1/log/entries/<index>: one logged event (for the parties it names and for regulators). */
  entry(
    index: number,
  ): Promise<{ index: number; leafHash: string; acceptedAt: string; event: unknown; signature: string }> {
    return this.json('GET', `/v1/log/entries/${index}`);
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body, 'application/json');
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LedgerConnectionError(`${method} ${path}: the answer is not JSON (${snippet(text)})`);
    }
  }

  private async text(method: string, path: string): Promise<string> {
    return (await this.send(method, path, undefined, 'text/plain')).text();
  }

  private async bytes(method: string, path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.send(method, path, undefined, 'application/octet-stream')).arrayBuffer());
  }

  private async send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    if (this.options.token) headers.Authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new LedgerConnectionError(`cannot reach ${this.base} (${method} ${path}): ${networkReason(error)}`);
    }
    if (!response.ok) throw await httpError(method, path, response);
    return response;
  }
}

async function httpError(method: string, path: string, response: Response): Promise<Error> {
  const text = await response.text().catch(() => '');
  try {
    const { error } = JSON.parse(text) as { error?: Partial<ErrorBody> };
    if (error && typeof error.code === 'string') {
      return new LedgerHttpError(method, path, response.status, error.code, error.message ?? '', error.details);
    }
  } catch {
    // not the API's error body: report what came back
  }
  return new LedgerHttpError(
    method,
    path,
    response.status,
    `HTTP_${response.status}`,
    snippet(text) || response.statusText,
  );
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

function snippet(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
