import { DomainError } from '../errors.js';

/** How much request-body work one process takes on at once (issue 11: bounded, never queued in memory). */
export interface AdmissionLimits {
  /** Bytes of request bodies being read, parsed or verified at once in this process. */
  processBytes: number;
  /** Bytes one caller (token) may have in flight in this process. */
  callerBytes: number;
  /** Requests with a body one caller may have in flight in this process, whatever their size. */
  callerRequests: number;
}

/** Seconds a refused client is asked to wait: long enough for a large body to be read and checked. */
export const ADMISSION_RETRY_AFTER_SECONDS = 2;

interface CallerLoad {
  bytes: number;
  requests: number;
}

/** A body's place in the budgets: it grows while an unannounced body is read, and is given back once. */
export interface AdmissionTicket {
  /** Holds `totalBytes` in all (no-op when it holds as much already), or throws 503 UNAVAILABLE. */
  grow(totalBytes: number): void;
  release(): void;
}

/**
 * Admission control for request bodies: every request that carries a body takes its weight — its
 * announced length, or what has been read so far when the length is not announced — from a
 * per-process and a per-caller budget before the bytes are read, and gives it back when it is
 * answered. A request that does not fit is answered 503 with Retry-After at once, so a flood of
 * large bodies costs the node neither memory nor a queue: it is refused, and an honest caller's
 * small requests still fit (they weigh little, and one caller cannot take the whole budget).
 *
 * The budget is this process's own memory, so it lives in this process; every api process behind a
 * load balancer has its own.
 */
export class Admission {
  private inFlightBytes = 0;
  private readonly callers = new Map<string, CallerLoad>();

  constructor(private readonly limits: AdmissionLimits) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value <= 0) throw new RangeError(`Admission limit ${name} must be a positive integer, got ${value}`);
    }
  }

  /** Bytes currently admitted (for metrics and tests). */
  get bytesInFlight(): number {
    return this.inFlightBytes;
  }

  /** Admits one request of `bytes` (more may follow through `grow`) for `caller`, or throws 503 UNAVAILABLE. */
  acquire(caller: string, bytes: number): AdmissionTicket {
    const load = this.callers.get(caller) ?? { bytes: 0, requests: 0 };
    if (load.requests + 1 > this.limits.callerRequests) {
      throw busy(`This caller already has ${load.requests} requests with a body in progress; wait for them to finish.`);
    }
    const first = load.requests === 0;
    this.take(load, Math.max(1, Math.ceil(bytes)), first);
    load.requests += 1;
    this.callers.set(caller, load);
    let held = Math.max(1, Math.ceil(bytes));
    let released = false;
    return {
      grow: (totalBytes) => {
        if (released || totalBytes <= held) return;
        const more = Math.ceil(totalBytes) - held;
        this.take(load, more, first && load.requests === 1);
        held += more;
      },
      release: () => {
        if (released) return;
        released = true;
        this.inFlightBytes -= held;
        load.bytes -= held;
        load.requests -= 1;
        if (load.requests === 0) this.callers.delete(caller);
      },
    };
  }

  /**
   * Takes `bytes` from both budgets. A caller's only request is held to the process budget alone,
   * so that one large honest upload (up to the body limit) always gets through on an idle node.
   */
  private take(load: CallerLoad, bytes: number, alone: boolean): void {
    if (!alone && load.bytes + bytes > this.limits.callerBytes) {
      throw busy(`This caller already has ${load.bytes} bytes of request bodies in progress.`);
    }
    if (this.inFlightBytes + bytes > this.limits.processBytes) throw busy('The node is busy reading and checking other large requests.');
    load.bytes += bytes;
    this.inFlightBytes += bytes;
  }
}

const busy = (detail: string): DomainError =>
  new DomainError('UNAVAILABLE', `${detail} Nothing was stored; try again in ${ADMISSION_RETRY_AFTER_SECONDS} s.`, {
    retryAfterSeconds: ADMISSION_RETRY_AFTER_SECONDS,
  });
