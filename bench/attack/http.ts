/**
 * HTTP for the attack: an `Api` (bench/lib/api.ts) over undici with its own connection pool, for the
 * honest client, and the hostile sender — a streamed body that stops as soon as the server answers
 * or closes, with a deadline. A "lying" Content-Length (a small length followed by far more bytes)
 * cannot be sent through an HTTP client, so that one goes over a plain socket.
 */
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { Api, ApiResponse } from '../lib/api.js';
import { CHUNK, type Body } from './payloads.js';

/** An `Api` over undici on `dispatcher` (a pool of its own), every call bounded by `timeoutMs`. */
export function undiciApi(baseUrl: string, dispatcher: Dispatcher, timeoutMs: number): Api {
  return {
    transport: 'http',
    async call(method, path, options = {}): Promise<ApiResponse> {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await request(new URL(path, baseUrl), {
        method: method as Dispatcher.HttpMethod,
        headers,
        ...(body === undefined ? {} : { body }),
        dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, text, json };
    },
  };
}

/**
 * How a hostile request ended: an HTTP status, or
 * - `reset`: the connection closed or was reset before any answer;
 * - `no answer`: nothing came back before the deadline (then the harness hung up);
 * - `refused`: nothing listens any more (the node is down);
 * - `closed`: (lying Content-Length only) the server closed the connection once bytes past the
 *   announced length came in — the right answer to a broken framing, so a clean one.
 */
export type Outcome = number | 'reset' | 'no answer' | 'refused' | 'closed';

export interface HostileRequest {
  /** Row of the report, e.g. "json 200 MB · clerk". */
  kind: string;
  /** Finer detail kept in the JSON file (spelling, route, length mode). */
  detail: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Body;
  /**
   * How the length travels: `chunked` (no Content-Length), `declared` (the true Content-Length),
   * `lying` (Content-Length 1,024, then every byte of the body anyway — over a raw socket).
   */
  length: 'chunked' | 'declared' | 'lying';
}

export interface HostileResult {
  kind: string;
  detail: string;
  outcome: Outcome;
  /** Problem `code` of the answer, when it had one. */
  code?: string;
  startedAt: number;
  ms: number;
  /** Body bytes the harness handed to the socket before it stopped. */
  sentBytes: number;
  error?: string;
}

/** Clean answers to hostile requests: any 4xx, or 503 (shed load). */
export function isClean(o: Outcome): boolean {
  if (o === 'closed') return true;
  return typeof o === 'number' && ((o >= 400 && o < 500) || o === 503);
}

function errorOutcome(error: unknown, deadlineHit: boolean): Outcome {
  if (deadlineHit) return 'no answer';
  const e = error as { code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'refused';
  return 'reset';
}

/** The problem `code` of an answer (read loosely: the body may be cut, or chunk-framed on a raw socket). */
function problemCode(text: string): string | undefined {
  return /"code"\s*:\s*"([A-Z_]{1,60})"/.exec(text)?.[1];
}

/**
 * Sends one hostile request: streams its body until the server answers, closes, or `deadline`
 * (ms epoch) passes, reads at most 4 KiB of the answer, and hangs up.
 */
export async function sendHostile(baseUrl: string, dispatcher: Dispatcher, req: HostileRequest, deadline: number): Promise<HostileResult> {
  if (req.length === 'lying') return sendLying(baseUrl, req, deadline);
  const startedAt = Date.now();
  const controller = new AbortController();
  let deadlineHit = false;
  const timer = setTimeout(() => {
    deadlineHit = true;
    controller.abort(new Error('deadline'));
  }, Math.max(0, deadline - startedAt));
  let stop = false;
  let sentBytes = 0;
  const source = req.body;
  async function* stream(): AsyncGenerator<Buffer> {
    if (!source) return;
    for (const chunk of source.chunks()) {
      if (stop) return;
      sentBytes += chunk.length;
      yield chunk;
    }
  }
  const headers: Record<string, string> = { ...req.headers };
  if (source && req.length === 'declared') headers['content-length'] = String(source.bytes);
  const result = (outcome: Outcome, extra: Partial<HostileResult> = {}): HostileResult => ({
    kind: req.kind,
    detail: req.detail,
    outcome,
    startedAt,
    ms: Date.now() - startedAt,
    sentBytes,
    ...extra,
  });
  try {
    const res = await request(new URL(req.path, baseUrl), {
      method: req.method as Dispatcher.HttpMethod,
      headers,
      ...(source ? { body: Readable.from(stream(), { objectMode: false, highWaterMark: 4 * CHUNK }) } : {}),
      dispatcher,
      signal: controller.signal,
      // A connection of its own (never reused): a reset is then about this request, not a previous one.
      reset: true,
    });
    stop = true;
    const status = res.statusCode;
    let text = '';
    try {
      for await (const chunk of res.body) {
        text += (chunk as Buffer).toString('utf8');
        if (text.length > 4096) break;
      }
    } catch {
      /* the answer's status is what counts; its body may be cut when we hang up */
    }
    const code = problemCode(text);
    return result(status, code ? { code } : {});
  } catch (error) {
    stop = true;
    return result(errorOutcome(error, deadlineHit), { error: String((error as Error)?.message ?? error).slice(0, 200) });
  } finally {
    stop = true;
    clearTimeout(timer);
    // Drop the connection if the upload is still going (the server answered early).
    controller.abort();
  }
}

/** Content-Length: 1024, then the whole body: what the server makes of the bytes past the length. */
function sendLying(baseUrl: string, req: HostileRequest, deadline: number): Promise<HostileResult> {
  const url = new URL(baseUrl);
  const startedAt = Date.now();
  return new Promise<HostileResult>((resolve) => {
    let sentBytes = 0;
    let answer = '';
    let finished = false;
    let answered = false;
    let pastAnnounced = false;
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const done = (outcome: Outcome, extra: Partial<HostileResult> = {}) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: req.kind, detail: req.detail, outcome, startedAt, ms: Date.now() - startedAt, sentBytes, ...extra });
    };
    const timer = setTimeout(() => done('no answer'), Math.max(0, deadline - startedAt));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const head = answer.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      if (m && head >= 0 && !answered) {
        // Give the body a moment to arrive for its problem code, then hang up.
        answered = true;
        const status = Number(m[1]);
        setTimeout(() => {
          const code = problemCode(answer.slice(head + 4));
          done(status, code ? { code } : {});
        }, 20);
      }
    });
    const cut = () => (pastAnnounced ? 'closed' : 'reset');
    socket.on('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : cut(), { error: error.message }));
    // A moment for an answer that came with the close to be read first.
    socket.on('close', () => setTimeout(() => done(cut()), 25));
    socket.once('connect', () => {
      const lines = [`${req.method} ${req.path} HTTP/1.1`, `Host: ${url.host}`, 'Content-Length: 1024', 'Connection: keep-alive'];
      for (const [k, v] of Object.entries(req.headers)) lines.push(`${k}: ${v}`);
      const chunks = req.body?.chunks();
      // The 1,024 announced bytes first, then half a second for the server to answer them; only then
      // the rest (a write that fails on a socket the server closed would hide the answer it sent).
      const firstParts: Buffer[] = [];
      let firstBytes = 0;
      while (chunks && firstBytes < 1024) {
        const next = chunks.next();
        if (next.done) break;
        firstParts.push(next.value);
        firstBytes += next.value.length;
      }
      const first = Buffer.concat(firstParts);
      let pending: Buffer | undefined = first.length > 1024 ? first.subarray(1024) : undefined;
      const announced = first.subarray(0, 1024);
      sentBytes += announced.length;
      socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), announced]));
      const pump = () => {
        if (!chunks) return;
        pastAnnounced = true;
        while (!finished && answer === '') {
          let value = pending;
          pending = undefined;
          if (!value) {
            const next = chunks.next();
            if (next.done) return;
            value = next.value;
          }
          sentBytes += value.length;
          if (!socket.write(value)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      setTimeout(pump, 500);
    });
  });
}
