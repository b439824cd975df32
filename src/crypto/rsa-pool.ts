/**
 * A thread that makes RSA signatures with the vault's keys (rsa-thread.ts), for a server: the event
 * loop hands it the bytes to sign and goes on. Keys travel to it by message inside this process and
 * are opened there once per key; nothing outside src/crypto sees them (DESIGN.md §2).
 *
 * Why a thread of our own: `crypto.sign` with a callback runs in libuv's thread pool, which also does
 * DNS lookups, file reads and argon2 — a partner host that does not resolve could hold every
 * signature up. One thread is enough: RSA-2048 signs about 3,000 times a second on one core here.
 * A thread that stops fails the signatures it held (the job that asked retries) and is replaced.
 */
import { Worker } from 'node:worker_threads';
import { DomainError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

/** What the thread is asked: sign `data` with the key `keyId` (its PEMs come along; it keeps the opened key). */
export interface RsaRequest {
  readonly id: number;
  readonly keyId: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly data: Uint8Array;
}

/** The thread's answer. */
export type RsaReply = { readonly id: number; readonly signature: Uint8Array } | { readonly id: number; readonly error: { message: string; code?: ErrorCode } };

// The thread runs the TypeScript sources through tsx's loader, like the main thread (bin/ts-thread.js).
const LAUNCHER = new URL('../../bin/ts-thread.js', import.meta.url);
const THREAD_MODULE = new URL('./rsa-thread.ts', import.meta.url).href;
const RESTART_DELAY_MS = 1_000;

interface Pending {
  resolve(signature: Buffer): void;
  reject(error: Error): void;
}

export class RsaThread {
  private worker: Worker;
  /** False from a thread's exit until its replacement runs; requests wait in `waiting` meanwhile. */
  private alive = true;
  private readonly waiting: RsaRequest[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly logger?: Logger) {
    this.worker = this.spawn();
  }

  /** RSA-SHA256 PKCS#1 v1.5 over `data` with the key `keyId`. */
  sign(keyId: string, key: { certificatePem: string; privateKeyPem: string }, data: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the key thread is closed'));
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      const request: RsaRequest = { id, keyId, certificatePem: key.certificatePem, privateKeyPem: key.privateKeyPem, data: new Uint8Array(data) };
      if (this.alive) this.worker.postMessage(request);
      else this.waiting.push(request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    this.failAll(new Error('the key thread is closed'));
    await this.worker.terminate();
  }

  private spawn(): Worker {
    const worker = new Worker(LAUNCHER, { workerData: { module: THREAD_MODULE } });
    worker.unref(); // idle, it does not keep the process alive; with work, it does (sign)
    worker.on('message', (reply: RsaReply) => this.settle(reply));
    worker.on('error', (error) => this.logger?.error({ err: error }, 'key thread failed'));
    worker.on('exit', (code) => {
      this.alive = false;
      this.failAll(new Error(`the key thread stopped (exit code ${code}) before it answered`));
      if (this.closed) return;
      this.logger?.warn({ code, restartInMs: RESTART_DELAY_MS }, 'key thread stopped; starting another');
      setTimeout(() => {
        if (this.closed) return;
        this.worker = this.spawn();
        this.alive = true;
        if (this.pending.size > 0) this.worker.ref();
        for (const request of this.waiting.splice(0)) this.worker.postMessage(request);
      }, RESTART_DELAY_MS).unref();
    });
    return worker;
  }

  private settle(reply: RsaReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('signature' in reply) waiting.resolve(Buffer.from(reply.signature.buffer, reply.signature.byteOffset, reply.signature.byteLength));
    else waiting.reject(reply.error.code ? new DomainError(reply.error.code, reply.error.message) : new Error(reply.error.message));
  }

  /** Fails what the stopped thread held; requests made since it stopped wait for the next one. */
  private failAll(error: Error): void {
    const queued = new Set(this.waiting.map((r) => r.id));
    for (const [id, waiting] of this.pending) {
      if (queued.has(id)) continue;
      waiting.reject(error);
      this.pending.delete(id);
    }
  }
}
