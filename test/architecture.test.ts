/**
 * The folder rules of STYLE.md and DESIGN.md §3, beyond the file cycles dpdm finds (issue 12):
 * - no two module folders of src/ import each other, directly or around a longer loop (a piece both
 *   need belongs in a room both may import);
 * - the ground floor (src/edxml, src/crypto, src/util) imports no domain module;
 * - every folder has a floor (FLOORS) and imports only folders of its floor or lower ones, so a new
 *   module must say where it stands, and the workflow cannot reach up into the routes that call it.
 * Type-only imports (`import type`) are left out, as dpdm -T leaves them out of file cycles: they are
 * erased from the running code, and a workflow module may well know the shape of the rows it moves.
 *
 * The composition roots are left out of the folder graph: the files directly in src/ (runtime.ts
 * wires every module; errors.ts and config.ts are read by all), queues/, and the entity registry
 * src/db/entities.ts (it lists every module's entities). The three loops issue 12 found are gone;
 * none may come back.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

const GROUND_FLOOR = ['edxml', 'crypto', 'util'];

/**
 * The floors of src/, bottom first: a folder may import its own floor's neighbours only where no loop
 * forms, and any folder of a lower floor; never a higher one. The delivery workflow sits above the
 * registries and the transport it uses, and below the modules that take requests (routes call the
 * workflow; the workflow never calls a route's module).
 */
const FLOORS: string[][] = [
  ['util', 'crypto', 'edxml', 'pdf'],
  ['db', 'packages', 'http'],
  ['audit', 'directory', 'calendar'],
  ['certificates', 'registers', 'accounts'],
  ['transport', 'webhooks'],
  ['delivery'],
  ['deadlines'],
  ['documents', 'inbox', 'statistics', 'drafts'],
  ['exchange', 'archive', 'hub'],
  ['reminders'],
  ['console', 'cli'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(path) && !/\.test\.tsx?$/.test(path) ? [path] : [];
  });
}

/** The module folder of a file under src/, or null for the files directly in src/. */
const folderOf = (file: string): string | null => {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0]! : null;
};

/** folder → folders it imports (relative imports resolved to their files), with one example each. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    if (relative(SRC, file) === 'db/entities.ts') continue;
    const from = folderOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
      const ts = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      const target = existsSync(ts) ? ts : ts.replace(/\.ts$/, '.tsx');
      if (!target.startsWith(`${SRC}/`)) continue;
      const to = folderOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(SRC, file)} → ${relative(SRC, target)}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Strongly connected components of more than one folder (Tarjan), each as its sorted folder names. */
function folderCycles(graph: Map<string, Map<string, string>>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort().join(' '));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return components.sort();
}

describe('the folders of src/', () => {
  const graph = folderGraph();

  it('form no import loop', () => {
    const cycles = folderCycles(graph);
    const evidence = (component: string) => {
      const members = component.split(' ');
      return members.flatMap((a) => members.filter((b) => graph.get(a)?.has(b)).map((b) => graph.get(a)!.get(b)!));
    };
    expect(cycles.map((c) => ({ loop: c, imports: evidence(c) }))).toEqual([]);
  });

  it('import only downwards in the floor order (and every folder has a floor)', () => {
    const floorOf = new Map(FLOORS.flatMap((names, i) => names.map((n) => [n, i] as const)));
    const folders = new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges.keys()])]);
    expect([...folders].filter((f) => !floorOf.has(f))).toEqual([]);
    const upward = [...graph.entries()].flatMap(([from, edges]) =>
      [...edges.entries()].filter(([to]) => floorOf.get(to)! > floorOf.get(from)!).map(([to, example]) => ({ edge: `${from} → ${to}`, example })),
    );
    expect(upward).toEqual([]);
  });

  it('keep the ground floor free of domain modules', () => {
    const offending = GROUND_FLOOR.flatMap((floor) => [...(graph.get(floor)?.entries() ?? [])].filter(([to]) => !GROUND_FLOOR.includes(to)).map(([, example]) => example));
    expect(offending).toEqual([]);
  });

  it('finds a loop when there is one (the check itself works)', () => {
    const loop = new Map([
      ['a', new Map([['b', 'a/x.ts → b/y.ts']])],
      ['b', new Map([['c', '']])],
      ['c', new Map([['a', '']])],
      ['d', new Map([['a', '']])],
    ]);
    expect(folderCycles(loop)).toEqual(['a b c']);
  });
});
