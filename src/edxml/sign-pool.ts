/**
 * Where package signatures are made and checked. Checking a received package is XML work — the
 * hardening scan, DOM parses, exclusive canonicalisation, digests — far above its RSA verification.
 * Signing one of our own packages no longer is (issue 16): signPackage canonicalises the builder's
 * text in one pass without a DOM and checks its result without one (xmldsig.ts, c14n-stream.ts,
 * sign-check.ts), so the RSA signature, done on the main thread where the key is, is most of its cost
 * (a 01 status: ~0.1–0.2 ms of text work beside ~0.25 ms of RSA-2048). On a busy node both compete
 * with the event loop that serves HTTP and runs the jobs, and Node gives one process one core.
 *
 * Checking a received package — the XML steps of verifyPackage up to the model (`checkPackageXml`:
 * the hardening gate, the signature, the model parsed from the signed content) — always runs in a
 * worker thread, at every size, with a heap cap (`resourceLimits`): the bytes are untrusted, and a
 * crafted package must cost a thread at most, never the event loop or the process (issue 11). A
 * thread that runs out of memory is replaced; the tasks it held are tried once more on another, and
 * a task that brings down two threads is refused as too large.
 *
 * Signing our own packages runs in the threads too when `threads > 0` (the text work leaves the event
 * loop, at the price of two message round trips per signature); with `threads: 0` it happens in the
 * calling thread (one checking thread still starts). Packages past IN_THREAD_MAX_CHARS are
 * signed in the calling thread: handing one to a thread copies its text there and the result back
 * (a package with Vietnamese text is a two-byte string: 50 MB for a 25 MiB package), which costs
 * more memory than the event loop's pause costs time, and what we sign is our own. Large files do
 * not make a package long: they travel as payloads (`signWithPayloads`, sign-payloads.ts), the text
 * holding a placeholder for each, and are signed in a thread whatever their size — files in shared
 * memory are read there, and the package's bytes come back without a copy.
 *
 * A received package's files stay where they are in its bytes: the thread answers with where their
 * base64 lies (`checkPackageXmlLeavingRuns`), and the pool completes the result from the caller's
 * bytes (restoreElided), so a 27 MB base64 string is not made in the thread, cloned into the reply,
 * and made again here.
 *
 * The keys stay where they are: a thread computes the canonical SignedInfo and asks the main thread
 * for the RSA signature through the PackageSigner port (DESIGN.md §2: keys never leave src/crypto;
 * an HSM or a remote signer would answer the same question). The main thread passes the question
 * on to the signer's `signLater` when it has one (the vault's key thread, src/crypto/rsa-pool.ts),
 * and signs itself only otherwise. The bytes are exactly those of `signPackage` — the same function
 * body, with an asynchronous RSA step.
 */
import { Worker } from 'node:worker_threads';
import type { PackageSigner } from '../crypto/signer.js';
import { DomainError, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { DEFAULT_XML_LIMITS, type XmlLimits } from './harden.js';
import { restoreElided, type ElidedCheck } from './verify-elided.js';
import { checkPackageXml, type PackageXmlCheck, type PackageXmlOptions } from './verify-package.js';
import { signPackageWithPayloads, type Payload } from './sign-payloads.js';
import { signPackage } from './xmldsig.js';

/** Messages from the pool to a thread. */
export type ThreadRequest =
  | { type: 'sign'; id: number; xml: string; certificatePem: string }
  | { type: 'sign-payloads'; id: number; xml: string; certificatePem: string; payloads: Payload[] }
  | { type: 'rsa'; id: number; signature?: Uint8Array; error?: string }
  | { type: 'check'; id: number; bytes: Uint8Array; options: PackageXmlOptions };

/** Messages from a thread to the pool. */
export type ThreadReply =
  | { type: 'rsa'; id: number; data: Uint8Array }
  | { type: 'signed'; id: number; xml: string }
  | { type: 'signed-bytes'; id: number; bytes: Uint8Array }
  | { type: 'checked'; id: number; result: ElidedCheck }
  | { type: 'failed'; id: number; error: { message: string; code?: ErrorCode; status?: number } };

/** Signs packages (signPackage's contract) and checks received ones (checkPackageXml's). */
export interface PackageSigning {
  /** Worker threads that sign; 0 when signing happens in the calling thread. */
  readonly threads: number;
  sign(unsignedXml: string, signer: PackageSigner): Promise<string>;
  /** signPackageWithPayloads' contract: the package's bytes, its files written from theirs. */
  signWithPayloads(unsignedXml: string, payloads: readonly Payload[], signer: PackageSigner): Promise<Buffer>;
  /** checkPackageXml's contract: in a memory-capped thread, whatever the size. The bytes must not change until it settles (verifyPackage checks its private copy). */
  checkPackage(bytes: Buffer, options: PackageXmlOptions): Promise<PackageXmlCheck>;
  close(): Promise<void>;
}

/**
 * Bytes for a message to a thread. Bytes in shared memory (a body read with readBodyLimited's
 * `shared`, a large stored package or file) are read by the thread where they are, with no copy made
 * in a turn of the event loop; nothing writes to them once read. Other bytes get a copy of their own
 * for each thread they are sent to (a task is tried again on another thread if its thread dies),
 * moved there without another (added to `transfer`).
 */
function forThread(bytes: Uint8Array, transfer: ArrayBuffer[]): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}

/** The message that sends a received package to a checking thread (see forThread). */
export function checkRequest(id: number, bytes: Buffer, options: PackageXmlOptions): { message: ThreadRequest; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  return { message: { type: 'check', id, bytes: forThread(bytes, transfer), options }, transfer };
}

/**
 * Threads that sign and check (`threads`), or one that only checks (`threads: 0`). `heapMb`
 * overrides each thread's heap cap (default: threadHeapMb(limits)).
 */
export function createSigning(options: { threads: number; limits?: Partial<XmlLimits>; logger?: Logger; heapMb?: number }): PackageSigning {
  return new SigningPool(Math.max(0, options.threads), options.limits, options.logger, options.heapMb ?? threadHeapMb(options.limits));
}

/**
 * Everything in the calling thread: for the CLI and offline tools, which check files their user
 * chose, one at a time. A server uses createSigning.
 */
export function inlineSigning(limits?: Partial<XmlLimits>): PackageSigning {
  return {
    threads: 0,
    sign: async (xml, signer) => signPackage(xml, signer, limits),
    signWithPayloads: (xml, payloads, signer) => signPackageWithPayloads(xml, payloads, asyncSigner(signer), limits),
    checkPackage: async (bytes, options) => checkPackageXml(bytes, options),
    close: async () => undefined,
  };
}

/** The port as signPackageWithPayloads takes it (the RSA step is synchronous here). */
const asyncSigner = (signer: PackageSigner) => ({ certificatePem: signer.certificatePem, sign: async (data: Buffer) => signer.sign(data) });

/** The message that sends a package with its files to a signing thread (see forThread). */
export function signPayloadsRequest(id: number, xml: string, payloads: readonly Payload[], certificatePem: string): { message: ThreadRequest; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const sent = payloads.map(({ placeholder, content }) => ({ placeholder, content: forThread(content, transfer) }));
  return { message: { type: 'sign-payloads', id, xml, certificatePem, payloads: sent }, transfer };
}

// The threads run the TypeScript sources through tsx's loader, like the main thread (bin/ts-thread.js).
const LAUNCHER = new URL('../../bin/ts-thread.js', import.meta.url);
const THREAD_MODULE = new URL('./sign-thread.ts', import.meta.url).href;

/** Packages longer than this (characters) are signed in the calling thread (see the top of this file). */
export const IN_THREAD_MAX_CHARS = 2 * 1024 * 1024;

/** A thread that has not answered a task within this time is stopped and replaced (the task fails). */
export const THREAD_TASK_TIMEOUT_MS = 60_000;
const RESTART_BACKOFF_MS = [0, 1_000, 5_000, 30_000];

/**
 * The heap a thread may use: room for the largest accepted package about twelve times over (its
 * text, the DOM, the canonical form, the model) and never less than 256 MiB. A package that needs
 * more is refused, and only its thread is lost.
 */
export function threadHeapMb(limits: Partial<XmlLimits> | undefined): number {
  const maxBytes = limits?.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  return Math.max(256, Math.ceil((12 * maxBytes) / (1024 * 1024)));
}

interface Task {
  /** Builds the message for the thread (again, when the task is tried on another thread). */
  request: (id: number) => { message: ThreadRequest; transfer?: ArrayBuffer[] };
  /** Present for a signature: the port the thread's RSA requests go to. */
  signer?: PackageSigner;
  /** Threads this task was on when they stopped. */
  lostThreads: number;
  resolve: (value: never) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  tasks: Map<number, Task>;
  /** False from the thread's exit until its replacement is started. */
  alive: boolean;
  startedAt: number;
  /** Why the thread stopped, when it said so ('error' comes before 'exit'). */
  failure?: Error;
}

class SigningPool implements PackageSigning {
  private readonly slots: Slot[] = [];
  /** Tasks waiting for a thread while none is running (between a thread's exit and its replacement). */
  private readonly pending: Task[] = [];
  private nextId = 1;
  private closed = false;
  /** Threads that stopped soon after they started, in a row: the restart waits longer each time. */
  private quickExits = 0;

  constructor(
    readonly threads: number,
    private readonly limits: Partial<XmlLimits> | undefined,
    private readonly logger: Logger | undefined,
    private readonly heapMb: number,
  ) {
    for (let i = 0; i < Math.max(1, threads); i++) this.slots.push(this.spawn());
  }

  sign(unsignedXml: string, signer: PackageSigner): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the signing pool is closed'));
    // Our own packages: in the calling thread when it is configured so, when the package is large,
    // or while no thread runs (the work is done here rather than not at all).
    if (this.threads === 0 || unsignedXml.length > IN_THREAD_MAX_CHARS || !this.slots.some((s) => s.alive)) {
      return Promise.resolve().then(() => signPackage(unsignedXml, signer, this.limits));
    }
    return this.submit<string>(signer, (id) => ({ message: { type: 'sign', id, xml: unsignedXml, certificatePem: signer.certificatePem } }));
  }

  signWithPayloads(unsignedXml: string, payloads: readonly Payload[], signer: PackageSigner): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('the signing pool is closed'));
    // The text is small (the files are not in it), so a thread takes it whatever the files' size.
    if (this.threads === 0 || !this.slots.some((s) => s.alive)) return signPackageWithPayloads(unsignedXml, payloads, asyncSigner(signer), this.limits);
    return this.submit<Buffer>(signer, (id) => signPayloadsRequest(id, unsignedXml, payloads, signer.certificatePem));
  }

  checkPackage(bytes: Buffer, options: PackageXmlOptions): Promise<PackageXmlCheck> {
    if (this.closed) return Promise.reject(new Error('the signing pool is closed'));
    // The thread leaves the files' base64 where it is in the bytes; it is put in here, from them.
    return this.submit<ElidedCheck>(undefined, (id) => checkRequest(id, bytes, options)).then((result) => restoreElided(result, bytes));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.pending.splice(0)) task.reject(new Error('the signing pool is closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private submit<T>(signer: PackageSigner | undefined, request: Task['request']): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.dispatch({ request, ...(signer ? { signer } : {}), lostThreads: 0, resolve: resolve as (value: never) => void, reject });
    });
  }

  /** To the running thread with the fewest tasks, or to the waiting list while none runs. */
  private dispatch(task: Task): void {
    const alive = this.slots.filter((s) => s.alive);
    if (alive.length === 0) {
      this.pending.push(task);
      return;
    }
    const slot = alive.reduce((a, b) => (b.tasks.size < a.tasks.size ? b : a));
    const id = this.nextId++;
    task.timer = setTimeout(() => {
      this.logger?.error({ taskId: id, timeoutMs: THREAD_TASK_TIMEOUT_MS }, 'signing thread did not answer; stopping it');
      void slot.worker.terminate();
    }, THREAD_TASK_TIMEOUT_MS);
    task.timer.unref();
    if (slot.tasks.size === 0) slot.worker.ref();
    slot.tasks.set(id, task);
    try {
      const { message, transfer } = task.request(id);
      slot.worker.postMessage(message, transfer);
    } catch (error) {
      this.settle(slot, id);
      task.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private spawn(): Slot {
    const worker = new Worker(LAUNCHER, {
      workerData: { module: THREAD_MODULE, limits: this.limits },
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb, maxYoungGenerationSizeMb: 32 },
    });
    const slot: Slot = { worker, tasks: new Map(), alive: true, startedAt: Date.now() };
    // An idle pool does not keep the process alive; a thread with work does (see dispatch()).
    worker.unref();
    worker.on('message', (message: ThreadReply) => this.onReply(slot, message));
    worker.on('error', (error) => {
      slot.failure = error;
      this.logger?.error({ err: error }, 'signing thread failed');
    });
    // A reply that cannot be read belongs to no known task: stop the thread, its tasks fail, a new one starts.
    worker.on('messageerror', (error) => {
      this.logger?.error({ err: error }, 'unreadable message from a signing thread; stopping it');
      void worker.terminate();
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    for (const task of this.pending.splice(0)) queueMicrotask(() => this.dispatch(task));
    return slot;
  }

  /**
   * A thread stopped. A thread checks one package at a time, in the order they were sent, so the
   * oldest task it held is the one it was working on: that task is charged with the loss and tried
   * once more, after the others, which were only waiting and are sent on as they were. A task
   * charged twice is refused — as too large when the thread ran out of memory. A thread that ran
   * out of memory was working and is replaced at once; threads that keep failing at start are
   * restarted ever later.
   */
  private onExit(slot: Slot, code: number): void {
    slot.alive = false;
    const outOfMemory = (slot.failure as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
    const ids = [...slot.tasks.keys()].sort((a, b) => a - b);
    const tasks = ids.map((id) => {
      const task = slot.tasks.get(id)!;
      this.settle(slot, id);
      return task;
    });
    const [working, ...waiting] = tasks;
    if (working) working.lostThreads += 1;
    for (const task of working ? [...waiting, working] : waiting) {
      if (this.closed) task.reject(new Error('the signing pool is closed'));
      else if (task.lostThreads < 2) this.dispatch(task);
      else if (outOfMemory) {
        task.reject(new DomainError('PAYLOAD_TOO_LARGE', `Checking this package needs more than the ${this.heapMb} MiB one package may use; nothing was stored.`));
      } else task.reject(new Error(`the signing thread stopped (exit code ${code}) before it answered`));
    }
    if (this.closed) return;
    this.quickExits = !outOfMemory && Date.now() - slot.startedAt < 10_000 ? this.quickExits + 1 : 0;
    const delay = RESTART_BACKOFF_MS[Math.min(this.quickExits, RESTART_BACKOFF_MS.length - 1)]!;
    this.logger?.warn({ code, outOfMemory, restartInMs: delay }, 'signing thread stopped; starting another');
    setTimeout(() => {
      const index = this.slots.indexOf(slot);
      if (index >= 0 && !this.closed) this.slots[index] = this.spawn();
    }, delay).unref();
  }

  private onReply(slot: Slot, message: ThreadReply): void {
    const task = slot.tasks.get(message.id);
    if (!task) return;
    if (message.type === 'rsa') {
      const failed = (error: unknown): ThreadRequest => ({ type: 'rsa', id: message.id, error: error instanceof Error ? error.message : String(error) });
      const signer = task.signer;
      if (signer?.signLater) {
        // The key thread signs; this thread only passes the bytes on and the signature back.
        signer.signLater(Buffer.from(message.data)).then(
          (signature) => slot.worker.postMessage({ type: 'rsa', id: message.id, signature } satisfies ThreadRequest),
          (error: unknown) => slot.worker.postMessage(failed(error)),
        );
        return;
      }
      let answer: ThreadRequest;
      try {
        if (!signer) throw new Error('a verification asked for a signature');
        answer = { type: 'rsa', id: message.id, signature: signer.sign(Buffer.from(message.data)) };
      } catch (error) {
        answer = failed(error);
      }
      slot.worker.postMessage(answer);
      return;
    }
    this.settle(slot, message.id);
    if (message.type === 'signed') task.resolve(message.xml as never);
    else if (message.type === 'signed-bytes') task.resolve(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength) as never);
    else if (message.type === 'checked') task.resolve(message.result as never);
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
}
