/**
 * Where the CPU went during a measured window, from /proc (Linux): the whole machine (/proc/stat) and
 * per process group — the bench/service node processes, the PostgreSQL backends, redis-server. Process
 * counters are sampled once a second and accumulated per pid, so short-lived PostgreSQL backends are
 * counted too. Also RSS sampling (VmRSS, VmHWM) of given pids.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 is the Linux default */
}

function machineTicks(): { busy: number; total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total, steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

function processTicks(pid: number): { comm: string; ticks: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    // fields after comm: state(0) … utime(11) stime(12)
    return { comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

export type Group = 'lienthong' | 'postgres' | 'redis' | 'other';

export interface CpuReport {
  seconds: number;
  /** Busy share of the whole machine over the window (1 = every core busy). */
  machineBusy: number | null;
  /** Share of the window the hypervisor gave this machine's CPUs to someone else. */
  steal: number | null;
  cores: number;
  /** CPU seconds per group, and per watched pid (by name). */
  groups: Record<Group, number>;
  processes: Record<string, number>;
}

/** Accumulates CPU per process group during a window. `watched` names the lienthong pids. */
export class CpuMeter {
  private readonly first = new Map<number, { comm: string; ticks: number }>();
  private readonly last = new Map<number, { comm: string; ticks: number }>();
  private readonly startMachine = machineTicks();
  private readonly start = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly watched: Map<number, string>) {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), 1_000);
    this.timer.unref();
  }

  /** Adds a pid to the lienthong group (a process spawned after the meter started). */
  watch(pid: number, name: string): void {
    this.watched.set(pid, name);
  }

  private sample(initial: boolean): void {
    let pids: number[];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return;
    }
    for (const pid of pids) {
      const t = processTicks(pid);
      if (!t) continue;
      if (!this.first.has(pid)) this.first.set(pid, initial ? t : { comm: t.comm, ticks: 0 });
      this.last.set(pid, t);
    }
  }

  stop(): CpuReport {
    clearInterval(this.timer);
    this.sample(false);
    const seconds = (Date.now() - this.start) / 1000;
    const endMachine = machineTicks();
    const groups: Record<Group, number> = { lienthong: 0, postgres: 0, redis: 0, other: 0 };
    const processes: Record<string, number> = {};
    for (const [pid, last] of this.last) {
      const first = this.first.get(pid);
      const used = (last.ticks - (first?.ticks ?? 0)) / ticksPerSecond;
      if (used <= 0) continue;
      const name = this.watched.get(pid);
      let group: Group = 'other';
      if (name) group = 'lienthong';
      else if (last.comm === 'postgres' || last.comm.startsWith('postgres')) group = 'postgres';
      else if (last.comm.startsWith('redis-server')) group = 'redis';
      groups[group] += used;
      if (name) processes[name] = (processes[name] ?? 0) + used;
    }
    const cores = cpuCount();
    let machineBusy: number | null = null;
    let steal: number | null = null;
    if (this.startMachine && endMachine && endMachine.total > this.startMachine.total) {
      const total = endMachine.total - this.startMachine.total;
      machineBusy = (endMachine.busy - this.startMachine.busy) / total;
      steal = (endMachine.steal - this.startMachine.steal) / total;
    }
    return { seconds, machineBusy, steal, cores, groups, processes };
  }
}

export function cpuCount(): number {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length || 1;
  } catch {
    return 1;
  }
}

/** A one-line summary: "node 0.92 cores, postgres 0.61, redis 0.05 (machine 81% busy)". */
export function describeCpu(r: CpuReport): string {
  const per = (s: number) => (s / r.seconds).toFixed(2);
  const procs = Object.entries(r.processes)
    .map(([n, s]) => `${n} ${per(s)}`)
    .join(', ');
  return (
    `lienthong ${per(r.groups.lienthong)} cores${procs && Object.keys(r.processes).length > 1 ? ` (${procs})` : ''}, postgres ${per(r.groups.postgres)}, ` +
    `redis ${per(r.groups.redis)}, other ${per(r.groups.other)}` +
    (r.machineBusy === null ? '' : ` — machine ${(r.machineBusy * 100).toFixed(0)}% busy of ${r.cores} cores`) +
    (r.steal ? `, ${(r.steal * 100).toFixed(0)}% stolen by the hypervisor` : '')
  );
}

/** VmRSS and VmHWM (peak) of a pid, bytes. */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Resets a process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0; the process must be ours). */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS of pids every `everyMs`; `stop()` returns each pid's max sample and the timeline. */
export function rssSampler(pids: number[], everyMs = 20): { stop(): Map<number, number>; timeline(pid: number): Array<[number, number]> } {
  const max = new Map<number, number>();
  const series = new Map<number, Array<[number, number]>>();
  const tick = () => {
    const now = Date.now();
    for (const pid of pids) {
      const m = memoryOf(pid);
      if (m && !Number.isNaN(m.rss)) {
        max.set(pid, Math.max(max.get(pid) ?? 0, m.rss));
        let s = series.get(pid);
        if (!s) series.set(pid, (s = []));
        s.push([now, m.rss]);
      }
    }
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return max;
    },
    timeline: (pid) => series.get(pid) ?? [],
  };
}

/** The highest sample of a timeline within [from, to] (ms epoch). */
export function peakBetween(timeline: Array<[number, number]>, from: number, to: number): number {
  let peak = NaN;
  for (const [t, v] of timeline) if (t >= from && t <= to) peak = Number.isNaN(peak) ? v : Math.max(peak, v);
  return peak;
}
