import { Agent } from 'undici';

/**
 * Outgoing HTTP to partners: global fetch over one bounded undici connection pool, with a deadline
 * per call (AbortSignal.timeout — undici's own timeouts can fire late). Global fetch keeps nock able
 * to stand in for the axis in tests.
 */
const dispatcher = new Agent({ connections: 32, keepAliveTimeout: 10_000, connect: { timeout: 5_000 } });

export class TransportError extends Error {
  constructor(
    message: string,
    /** false when trying again cannot help (the partner refused the package itself). */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export async function partnerFetch(url: string, init: RequestInit & { timeoutMs?: number }): Promise<Response> {
  const { timeoutMs = 15_000, ...rest } = init;
  try {
    // `dispatcher` is undici's extension of RequestInit, unknown to the DOM typings.
    return await fetch(url, { ...rest, signal: AbortSignal.timeout(timeoutMs), dispatcher } as unknown as RequestInit);
  } catch (error) {
    const reason = error instanceof Error ? (error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new TransportError(`${rest.method ?? 'GET'} ${url}: ${reason}`, true);
  }
}

/** Reads a JSON answer, or a TransportError naming the status and a bit of the body. */
export async function answerJson(res: Response, what: string): Promise<Record<string, unknown>> {
  const text = await res.text();
  if (!res.ok) {
    // 5xx, 408 and 429 are the partner's trouble: try again later. Other 4xx refuse the request.
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new TransportError(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`, retryable, res.status);
  }
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new TransportError(`${what}: answer is not JSON: ${text.slice(0, 200)}`, true, res.status);
  }
}
