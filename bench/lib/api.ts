/**
 * The bench talks to the service only through its HTTP API (API.md). Two transports:
 * - in-process: `runtime.app.request(...)` — the Hono app called without a socket, in the process that
 *   also runs the workers (the `npm start` topology, used by the single-process scenarios);
 * - loopback HTTP: `fetch` to a spawned `lienthong api` / `start` process (scale-out, large package).
 */

export interface ApiResponse {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely, as in test/acceptance
  json: any;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Api {
  readonly transport: 'in-process' | 'http';
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
}

type RequestFn = (path: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<Response>;

/** No single call may hang a scenario: past this, it fails (and the scenario reports the error). */
export const CALL_TIMEOUT_MS = 120_000;

function client(transport: Api['transport'], request: RequestFn): Api {
  return {
    transport,
    async call(method, path, options = {}) {
      const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${method} ${path}: no answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
      });
      let res: Response;
      let text: string;
      try {
        res = await Promise.race([request(path, { method, headers, signal, ...(body === undefined ? {} : { body }) }), timedOut]);
        text = await Promise.race([res.text(), timedOut]);
      } finally {
        clearTimeout(timer);
      }
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    },
  };
}

/** The Hono app of an in-process runtime. */
export function inProcessApi(app: { request(path: string, init: RequestInit): Response | Promise<Response> }): Api {
  return client('in-process', (path, init) => Promise.resolve(app.request(path, init)));
}

/** A spawned api process at `baseUrl` (loopback). */
export function httpApi(baseUrl: string): Api {
  return client('http', (path, init) => fetch(new URL(path, baseUrl), init));
}

/** Throws with the answer when the status is not the expected one. */
export function expectStatus(res: ApiResponse, expected: number, what: string): ApiResponse {
  if (res.status !== expected) throw new Error(`${what}: HTTP ${res.status} (expected ${expected}): ${res.text.slice(0, 500)}`);
  return res;
}
