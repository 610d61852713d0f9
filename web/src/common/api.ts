/** Calls to the RxLedger API from the pages: same origin, bearer token, coded errors. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiOptions {
  token?: string | null;
  signal?: AbortSignal;
}

async function request(
  path: string,
  { token, signal }: ApiOptions,
  accept: string,
  post?: { body: unknown; headers?: Record<string, string> },
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: post ? 'POST' : 'GET',
      headers: {
        Accept: accept,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(post ? { 'Content-Type': 'application/json', ...post.headers } : {}),
      },
      body: post ? JSON.stringify(post.body) : undefined,
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'the server could not be reached: check the network connection');
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string, options: ApiOptions = {}): Promise<T> {
  return (await request(path, options, 'application/json')).json() as Promise<T>;
}

/** A JSON body posted, its JSON answer (`headers`: e.g. a CSRF token). */
export async function postJson<T>(
  path: string,
  body: unknown,
  options: ApiOptions & { headers?: Record<string, string> } = {},
): Promise<T> {
  return (await request(path, options, 'application/json', { body, headers: options.headers })).json() as Promise<T>;
}

export async function getText(path: string, options: ApiOptions = {}): Promise<string> {
  return (await request(path, options, 'text/plain')).text();
}

/** Binary data, e.g. a log tile (C2SP tlog-tiles). */
export async function getBytes(path: string, options: ApiOptions = {}): Promise<Uint8Array> {
  return new Uint8Array(await (await request(path, options, 'application/octet-stream')).arrayBuffer());
}

/** A download: the body and the file name the server suggests. */
export async function getFile(
  path: string,
  options: ApiOptions = {},
): Promise<{ blob: Blob; filename: string | null }> {
  const response = await request(path, options, '*/*');
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  const filename = match ? decodeURIComponent(match[1] ?? match[2]) : null;
  try {
    return { blob: await response.blob(), filename };
  } catch {
    throw new ApiError(0, 'INCOMPLETE', 'the server stopped sending the file part-way (its log says why); try again');
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) {
      return new ApiError(response.status, body.error.code, body.error.message ?? body.error.code, body.error.details);
    }
  } catch {
    // not a JSON error body
  }
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `the server answered ${response.status} ${response.statusText}`,
  );
}
