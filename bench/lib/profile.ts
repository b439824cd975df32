/**
 * CPU profiles: recording one in this process over a measured window (the V8 sampling profiler through
 * `node:inspector`, the same profiler `node --cpu-prof` uses, but started after the setup and stopped
 * when the scenario's last 01 is carried), and summarising any `.cpuprofile` file — self time and
 * inclusive time per function, with TypeScript positions mapped back through tsx's source maps to
 * `file.ts:line`, and self time per area (src/…, queues, node_modules/<package>, node internals, GC).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { findSourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './service.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  hitCount?: number;
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Starts the in-process sampling profiler; `stop(file)` writes the profile and returns it. */
export async function startProfiler(intervalUs = 500): Promise<{ stop(file: string): Promise<CpuProfile> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return profile;
    },
  };
}

export interface FunctionCost {
  name: string;
  /** repo-relative `file.ts:line` (source-mapped), package path, or node internal. */
  location: string;
  area: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  wallMs: number;
  sampledMs: number;
  /** Share of the window the thread was idle (waiting on I/O). */
  idlePct: number;
  gcPct: number;
  topSelf: FunctionCost[];
  topInclusive: FunctionCost[];
  areas: Array<{ area: string; selfMs: number; selfPct: number }>;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

async function sourceMapped(url: string): Promise<((line: number, column: number) => number | undefined) | undefined> {
  if (!url.startsWith('file://') || !url.endsWith('.ts')) return undefined;
  const path = fileURLToPath(url);
  const rel = relative(REPO, path);
  // Only the service's own modules (importing them has no side effect); bench files keep raw lines.
  if (!(rel.startsWith('src/') || rel.startsWith('queues/'))) return undefined;
  try {
    await import(url);
  } catch {
    return undefined;
  }
  const map = findSourceMap(url) ?? findSourceMap(path);
  if (!map) return undefined;
  return (line, column) => {
    const entry = map.findEntry(line, column) as { originalLine?: number };
    return entry.originalLine === undefined ? undefined : entry.originalLine + 1;
  };
}

function areaOf(url: string, name: string): string {
  if (SPECIAL.has(name) && !url) return name;
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node internals';
  let path = url;
  if (url.startsWith('file://')) path = fileURLToPath(url);
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const rel = relative(REPO, path);
  if (rel.startsWith('..')) return path;
  const parts = rel.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : (parts[0] ?? rel);
}

/** `node_modules/…` from the last node_modules folder, else repo-relative, else absolute. */
export function displayPath(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm);
  const rel = relative(REPO, path);
  return rel.startsWith('..') ? path : rel;
}

/** Summarises a profile: top functions by self and inclusive time, and self time per area. */
export async function summarizeProfile(profile: CpuProfile, top = 25): Promise<ProfileSummary> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const samples = profile.samples ?? [];
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const perSampleMs = samples.length ? wallMs / samples.length : 0;

  // Resolve every distinct call frame once.
  const mappers = new Map<string, Awaited<ReturnType<typeof sourceMapped>>>();
  for (const n of profile.nodes) {
    const url = n.callFrame.url;
    if (!mappers.has(url)) mappers.set(url, await sourceMapped(url));
  }
  const keyOf = new Map<number, string>();
  const info = new Map<string, { name: string; location: string; area: string }>();
  for (const n of profile.nodes) {
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    let location: string;
    if (!cf.url) location = '';
    else {
      const mapped = mappers.get(cf.url)?.(cf.lineNumber, cf.columnNumber);
      let file = cf.url;
      if (file.startsWith('file://')) file = displayPath(fileURLToPath(file));
      location = `${file}:${mapped ?? cf.lineNumber + 1}`;
    }
    const key = `${name}@${location}`;
    keyOf.set(n.id, key);
    if (!info.has(key)) info.set(key, { name, location, area: areaOf(cf.url, name) });
  }

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const id of samples) {
    const key = keyOf.get(id)!;
    self.set(key, (self.get(key) ?? 0) + 1);
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)') idle++;
    if (name === '(garbage collector)') gc++;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur)!;
      if (!seen.has(k)) {
        seen.add(k);
        total.set(k, (total.get(k) ?? 0) + 1);
      }
    }
  }
  const n = samples.length || 1;
  const cost = (key: string): FunctionCost => {
    const i = info.get(key)!;
    const s = self.get(key) ?? 0;
    const t = total.get(key) ?? 0;
    return { ...i, selfMs: s * perSampleMs, selfPct: (100 * s) / n, totalMs: t * perSampleMs, totalPct: (100 * t) / n };
  };
  const topSelf = [...self.keys()]
    .filter((k) => !k.startsWith('(idle)'))
    .map(cost)
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top);
  // Inclusive: the service's own functions (where a change would go), plus the big library entry points.
  const topInclusive = [...total.keys()]
    .map(cost)
    .filter((c) => !SPECIAL.has(c.name) && (c.area.startsWith('src') || c.area.startsWith('queues')))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, top * 2);
  const areaSelf = new Map<string, number>();
  for (const [key, s] of self) {
    const a = info.get(key)!.area;
    areaSelf.set(a, (areaSelf.get(a) ?? 0) + s);
  }
  const areas = [...areaSelf.entries()]
    .map(([area, s]) => ({ area, selfMs: s * perSampleMs, selfPct: (100 * s) / n }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { wallMs, sampledMs: samples.length * perSampleMs, idlePct: (100 * idle) / n, gcPct: (100 * gc) / n, topSelf, topInclusive, areas };
}

/** The summary as text (used by the bench and by bench/profile-report.ts). */
export function formatSummary(s: ProfileSummary, title: string): string {
  const pct = (x: number) => `${x.toFixed(1).padStart(5)}%`;
  const lines: string[] = [];
  lines.push(`${title}: ${(s.wallMs / 1000).toFixed(1)} s sampled; idle ${s.idlePct.toFixed(1)}%, GC ${s.gcPct.toFixed(1)}% (percentages of all samples of the main thread)`);
  lines.push('', 'Self time by area:');
  for (const a of s.areas.slice(0, 18)) lines.push(`  ${pct(a.selfPct)}  ${a.area}`);
  lines.push('', 'Top functions by self time:');
  for (const f of s.topSelf) lines.push(`  ${pct(f.selfPct)}  ${f.name}  ${f.location}`);
  lines.push('', 'The service’s own functions by inclusive time (self + callees):');
  for (const f of s.topInclusive) lines.push(`  ${pct(f.totalPct)}  ${f.name}  ${f.location}`);
  return lines.join('\n');
}

/** Frames of a profile, resolved once: a key per node, its display info and parent. */
async function resolveFrames(profile: CpuProfile) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const mappers = new Map<string, Awaited<ReturnType<typeof sourceMapped>>>();
  for (const n of profile.nodes) if (!mappers.has(n.callFrame.url)) mappers.set(n.callFrame.url, await sourceMapped(n.callFrame.url));
  const label = new Map<number, string>();
  for (const n of profile.nodes) {
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const file = cf.url.startsWith('file://') ? displayPath(fileURLToPath(cf.url)) : cf.url;
    const line = mappers.get(cf.url)?.(cf.lineNumber, cf.columnNumber) ?? cf.lineNumber + 1;
    label.set(n.id, cf.url ? `${name} ${file}:${line}` : name);
  }
  return { parent, label };
}

/**
 * For samples whose own (leaf) frame matches `pattern`: the `depth` frames that called it, grouped,
 * with their share of all samples. Answers "who calls writeBuffer?".
 */
export async function callersOf(profile: CpuProfile, pattern: string, depth = 4, top = 12): Promise<string[]> {
  const { parent, label } = await resolveFrames(profile);
  const counts = new Map<string, number>();
  const samples = profile.samples ?? [];
  let matched = 0;
  for (const id of samples) {
    if (!label.get(id)?.includes(pattern)) continue;
    matched++;
    const path: string[] = [];
    for (let cur = parent.get(id); cur !== undefined && path.length < depth; cur = parent.get(cur)) {
      const l = label.get(cur)!;
      if (l.startsWith('(root)')) break;
      path.push(l);
    }
    const key = path.join('\n      ← ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const n = samples.length || 1;
  return [
    `"${pattern}" as the running function: ${((100 * matched) / n).toFixed(1)}% of samples; its callers:`,
    ...[...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, c]) => `  ${((100 * c) / n).toFixed(1).padStart(5)}%  ← ${k}`),
  ];
}

/**
 * For samples with a frame matching `pattern` on the stack: where the time goes below it, grouped by
 * the frame directly under the outermost match (its direct callees) and by leaf area.
 */
export async function inside(profile: CpuProfile, pattern: string, top = 15): Promise<string[]> {
  const { parent, label } = await resolveFrames(profile);
  const direct = new Map<string, number>();
  const samples = profile.samples ?? [];
  let matched = 0;
  for (const id of samples) {
    const stack: number[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) stack.push(cur);
    // outermost match: the last index in leaf→root order
    let at = -1;
    for (let i = stack.length - 1; i >= 0; i--) {
      if (label.get(stack[i]!)?.includes(pattern)) {
        at = i;
        break;
      }
    }
    if (at < 0) continue;
    matched++;
    const child = at === 0 ? '(self)' : label.get(stack[at - 1]!)!;
    direct.set(child, (direct.get(child) ?? 0) + 1);
  }
  const n = samples.length || 1;
  return [
    `under "${pattern}": ${((100 * matched) / n).toFixed(1)}% of samples; by direct callee:`,
    ...[...direct.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, c]) => `  ${((100 * c) / n).toFixed(1).padStart(5)}%  ${k}`),
  ];
}
