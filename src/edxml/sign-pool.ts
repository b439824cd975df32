/**
 * Where package signatures are made and checked. Signing a package is mostly XML work — parsing,
 * exclusive canonicalisation, digests, and the fail-closed self-verification of the result — and
 * only ~5 % RSA; checking a received one is the same XML work. On a busy node it competes with the
 * event loop that serves HTTP and runs the jobs, and Node gives one process one core.
 * `createSigning({ threads: n })` moves it to n worker threads; `threads: 0` does it in the calling
 * thread.
 *
 * Verification in a thread is step 2 of verifyPackage only (the signature profile and the
 * cryptographic check, `verifyXmlSignature`); the hardening gate runs first on the caller's side
 * too, and the model and the certificate check stay with the caller (DESIGN.md §5).
 *
 * The keys stay where they are: a thread computes the canonical SignedInfo and asks the main thread
 * for the RSA signature through the PackageSigner port (DESIGN.md §2: keys never leave src/crypto;
 * an HSM or a remote signer would answer the same question). The bytes are exactly those of
 * `signPackage` — the same function body, with an asynchronous RSA step.
 */
import { Worker } from 'node:worker_threads';
import type { PackageSigner } from '../crypto/signer.js';
import { DomainError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import type { XmlLimits } from './harden.js';
import { signPackage, verifyXmlSignature, type VerifyXmlSignatureOptions, type XmlSignatureResult } from './xmldsig.js';

/** Messages from the pool to a thread. */
export type ThreadRequest =
  | { type: 'sign'; id: number; xml: string; certificatePem: string }
  | { type: 'rsa'; id: number; signature?: Uint8Array; error?: string }
  | { type: 'verify'; id: number; text: string; options: VerifyXmlSignatureOptions };

/** Messages from a thread to the pool. */
export type ThreadReply =
  | { type: 'rsa'; id: number; data: Uint8Array }
  | { type: 'signed'; id: number; xml: string }
  | { type: 'verified'; id: number; result: XmlSignatureResult }
  | { type: 'failed'; id: number; error: { message: string; code?: ErrorCode; status?: number } };

/** Signs packages (signPackage's contract), here or in a pool of threads. */
export interface PackageSigning {
  /** Worker threads in use; 0 when signing happens in the calling thread. */
  readonly threads: number;
  sign(unsignedXml: string, signer: PackageSigner): Promise<string>;
  /** verifyXmlSignature's contract. */
  verify(text: string, options: VerifyXmlSignatureOptions): Promise<XmlSignatureResult>;
  close(): Promise<void>;
}

export function createSigning(options: { threads: number; limits?: Partial<XmlLimits>; logger?: Logger }): PackageSigning {
  if (options.threads <= 0) return inlineSigning(options.limits);
  return new SigningPool(options.threads, options.limits, options.logger);
}

/** Signing in the calling thread. */
export function inlineSigning(limits?: Partial<XmlLimits>): PackageSigning {
  return {
    threads: 0,
    sign: async (xml, signer) => signPackage(xml, signer, limits),
    verify: async (text, options) => verifyXmlSignature(text, options),
    close: async () => undefined,
  };
}

// The threads run the TypeScript sources through tsx's loader, like the main thread (bin/ts-thread.js).
const LAUNCHER = new URL('../../bin/ts-thread.js', import.meta.url);
const THREAD_MODULE = new URL('./sign-thread.ts', import.meta.url).href;

/**
 * Packages longer than this (characters) are signed and verified in the calling thread: handing one
 * to a thread copies its text there and the result back (a package with Vietnamese text is a
 * two-byte string: 50 MB for a 25 MiB package), which costs more memory than the event loop's pause
 * costs time. Documents with large attachments are few; statuses and ordinary documents are small.
 */
export const IN_THREAD_MAX_CHARS = 2 * 1024 * 1024;

/** A thread that has not answered a task within this time is stopped and replaced (the task fails). */
export const THREAD_TASK_TIMEOUT_MS = 60_000;
const RESTART_BACKOFF_MS = [0, 1_000, 5_000, 30_000];

interface Task {
  /** Present for a signature: the port the thread's RSA requests go to. */
  signer?: PackageSigner;
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
  /** False from the thread's exit until its replacement is started. */
  alive: boolean;
  startedAt: number;
}

class SigningPool implements PackageSigning {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads that stopped soon after they started, in a row: the restart waits longer each time. */
  private quickExits = 0;

  constructor(
    readonly threads: number,
    private readonly limits: Partial<XmlLimits> | undefined,
    private readonly logger: Logger | undefined,
  ) {
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn());
  }

  sign(unsignedXml: string, signer: PackageSigner): Promise<string> {
    return this.submit<string>(
      unsignedXml.length,
      signer,
      (id) => ({ type: 'sign', id, xml: unsignedXml, certificatePem: signer.certificatePem }),
      () => signPackage(unsignedXml, signer, this.limits),
    );
  }

  verify(text: string, options: VerifyXmlSignatureOptions): Promise<XmlSignatureResult> {
    return this.submit<XmlSignatureResult>(text.length, undefined, (id) => ({ type: 'verify', id, text, options }), () => verifyXmlSignature(text, options));
  }

  /** To a thread — or `inline` here for a package past IN_THREAD_MAX_CHARS, or while no thread runs. */
  private submit<T>(chars: number, signer: PackageSigner | undefined, request: (id: number) => ThreadRequest, inline: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the signing pool is closed'));
    const alive = this.slots.filter((s) => s.alive);
    // No thread running (they keep failing to start): the work is done here rather than not at all.
    if (chars > IN_THREAD_MAX_CHARS || alive.length === 0) return Promise.resolve().then(inline);
    const slot = alive.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.logger?.error({ taskId: id, timeoutMs: THREAD_TASK_TIMEOUT_MS }, 'signing thread did not answer; stopping it');
        void slot.worker.terminate();
      }, THREAD_TASK_TIMEOUT_MS);
      timer.unref();
      if (slot.tasks.size === 0) slot.worker.ref();
      slot.tasks.set(id, { ...(signer ? { signer } : {}), resolve: resolve as (value: never) => void, reject, timer });
      try {
        slot.worker.postMessage(request(id));
      } catch (error) {
        this.settle(slot, id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(LAUNCHER, { workerData: { module: THREAD_MODULE, limits: this.limits } });
    const slot: Slot = { worker, tasks: new Map(), alive: true, startedAt: Date.now() };
    // An idle pool does not keep the process alive; a thread with work does (see submit()).
    worker.unref();
    worker.on('message', (message: ThreadReply) => this.onReply(slot, message));
    worker.on('error', (error) => this.logger?.error({ err: error }, 'signing thread failed'));
    // A reply that cannot be read belongs to no known task: stop the thread, its tasks fail, a new one starts.
    worker.on('messageerror', (error) => {
      this.logger?.error({ err: error }, 'unreadable message from a signing thread; stopping it');
      void worker.terminate();
    });
    worker.on('exit', (code) => {
      slot.alive = false;
      this.failAll(slot, new Error(`the signing thread stopped (exit code ${code}) before it answered`));
      if (this.closed) return;
      this.quickExits = Date.now() - slot.startedAt < 10_000 ? this.quickExits + 1 : 0;
      const delay = RESTART_BACKOFF_MS[Math.min(this.quickExits, RESTART_BACKOFF_MS.length - 1)]!;
      this.logger?.warn({ code, restartInMs: delay }, 'signing thread stopped; starting another');
      setTimeout(() => {
        const index = this.slots.indexOf(slot);
        if (index >= 0 && !this.closed) this.slots[index] = this.spawn();
      }, delay).unref();
    });
    return slot;
  }

  private onReply(slot: Slot, message: ThreadReply): void {
    const task = slot.tasks.get(message.id);
    if (!task) return;
    if (message.type === 'rsa') {
      let answer: ThreadRequest;
      try {
        if (!task.signer) throw new Error('a verification asked for a signature');
        answer = { type: 'rsa', id: message.id, signature: task.signer.sign(Buffer.from(message.data)) };
      } catch (error) {
        answer = { type: 'rsa', id: message.id, error: error instanceof Error ? error.message : String(error) };
      }
      slot.worker.postMessage(answer);
      return;
    }
    this.settle(slot, message.id);
    if (message.type === 'signed') task.resolve(message.xml as never);
    else if (message.type === 'verified') task.resolve(message.result as never);
    else {
      const { message: detail, code, status } = message.error;
      task.reject(code ? new DomainError(code, detail, status === undefined ? undefined : { status }) : new Error(detail));
    }
  }

  private settle(slot: Slot, id: number): void {
    const task = slot.tasks.get(id);
    if (task) clearTimeout(task.timer);
    slot.tasks.delete(id);
    if (slot.tasks.size === 0) slot.worker.unref();
  }

  private failAll(slot: Slot, error: Error): void {
    for (const [id, task] of slot.tasks) {
      this.settle(slot, id);
      task.reject(error);
    }
  }
}
