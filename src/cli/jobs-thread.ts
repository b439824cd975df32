/**
 * The job workers of `lienthong start`, on an event loop of their own (issue 11).
 *
 * `start` plays both roles in one process. With the workers on the main thread, every delivery
 * batch, status and archive seal ran on the loop that answers HTTP, so /healthz and the clerks'
 * requests waited behind them. Here the workers get their own thread with their own runtime — their
 * own ORM pool, queue connections and signing threads — exactly as a separate `lienthong worker`
 * process would have: everything they share with the api lives in PostgreSQL and the queue
 * backend, nothing in memory.
 *
 * Messages: the thread posts `ready` (or `failed` with the reason) once its workers run; the main
 * thread posts `close`, and the thread lets running jobs finish, closes its runtime and posts
 * `closed`.
 */
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import type { Config } from '../config.js';
import { createLogger, terminalStream, type Logger } from '../logger.js';
import { createRuntime } from '../runtime.js';

export interface JobsThreadData {
  config: Config;
  /** The main thread writes to a terminal: the thread's lines are made readable the same way. */
  pretty: boolean;
}

type FromThread = { type: 'ready'; queues: number } | { type: 'failed'; message: string } | { type: 'closed' };
type ToThread = { type: 'close' };

const LAUNCHER = new URL('../../bin/ts-thread.js', import.meta.url);
const THREAD_MODULE = new URL('./jobs-thread.ts', import.meta.url).href;
/** After an unexpected exit, the thread is started again after these pauses (the last one repeats). */
const RESTART_BACKOFF_MS = [1_000, 5_000, 30_000];

/** The main thread's handle on the jobs thread: started, restarted when it dies, closed on shutdown. */
export class JobsThread {
  private worker: Worker | undefined;
  private closing = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    private readonly data: JobsThreadData,
    private readonly logger: Logger,
  ) {}

  /** Starts the thread and resolves with its queue count once its workers run; rejects if they cannot start. */
  static async start(config: Config, logger: Logger): Promise<{ thread: JobsThread; queues: number }> {
    const thread = new JobsThread({ config, pretty: Boolean(process.stdout.isTTY) }, logger);
    const queues = await thread.spawn();
    return { thread, queues };
  }

  private spawn(): Promise<number> {
    const worker = new Worker(LAUNCHER, { workerData: { module: THREAD_MODULE, ...this.data } });
    this.worker = worker;
    let settle: { resolve: (queues: number) => void; reject: (error: Error) => void } | undefined;
    const started = new Promise<number>((resolve, reject) => (settle = { resolve, reject }));
    let exited!: () => void;
    this.exited = new Promise<void>((done) => (exited = done));
    worker.on('message', (message: FromThread) => {
      if (message.type === 'ready') {
        this.restarts = 0;
        settle?.resolve(message.queues);
      } else if (message.type === 'failed') {
        settle?.reject(new Error(message.message));
      }
    });
    worker.on('error', (error) => {
      this.logger.error({ err: error }, 'the jobs thread failed');
      settle?.reject(error);
    });
    worker.on('exit', (code) => {
      exited();
      settle?.reject(new Error(`the jobs thread exited (code ${code}) before its workers ran`));
      if (this.closing || this.worker !== worker) return;
      // Jobs are durable in the queue backend: the ones it held run again when their locks expire.
      const pause = RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)]!;
      this.restarts += 1;
      this.logger.error({ code, restartInMs: pause }, 'the jobs thread stopped; starting it again');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.closing) return;
        this.spawn().then(
          (queues) => this.logger.info({ queues }, 'the jobs thread runs again'),
          (error: unknown) => this.logger.error({ err: error }, 'the jobs thread could not start again'),
        );
      }, pause);
    });
    return started;
  }

  /** Lets running jobs finish and stops the thread. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage({ type: 'close' } satisfies ToThread);
    await this.exited;
  }
}

/** The thread's side: one runtime with the worker role, closed when the main thread asks. */
async function runThread(port: NonNullable<typeof parentPort>, data: JobsThreadData): Promise<void> {
  const { config } = data;
  const logger = createLogger(config.logLevel, { role: 'worker', thread: 'jobs' }, data.pretty ? terminalStream(process.stdout) : undefined);
  let runtime;
  try {
    runtime = await createRuntime(config, { roles: { api: false, worker: true }, migrate: false, logger });
  } catch (error) {
    port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromThread);
    port.close();
    return;
  }
  const running = runtime;
  port.on('message', (message: ToThread) => {
    if (message.type !== 'close') return;
    running
      .close()
      .catch((err: unknown) => logger.error({ err }, 'closing the jobs thread'))
      .finally(() => {
        port.postMessage({ type: 'closed' } satisfies FromThread);
        port.close();
      });
  });
  port.postMessage({ type: 'ready', queues: running.workers?.workers.length ?? 0 } satisfies FromThread);
}

if (!isMainThread && parentPort && (workerData as { module?: string } | null)?.module === THREAD_MODULE) {
  await runThread(parentPort, workerData as JobsThreadData);
}
