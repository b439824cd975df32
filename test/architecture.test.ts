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

/**
 * Issue 12: only repositories and src/db/ touch MikroORM and SQL. In the workflow folders, a file
 * that is not a repository (`*.repository.ts`) or an entity (`*.entity.ts`) may name the
 * EntityManager as a type and pass a transaction handle on, and open a transaction through
 * src/db/tx.ts (inTransaction), but neither imports a value from MikroORM nor queries, locks, writes
 * or runs SQL through an EntityManager itself: it calls a repository function that says what it does.
 */
const WORKFLOW_FOLDERS = ['delivery', 'documents', 'inbox', 'exchange'];

/**
 * Files allowed to break the rule for a while (a change in progress elsewhere): none today. Each
 * entry must still break the rule (checked below), so it leaves the list as soon as it is mended.
 */
const NOT_YET: string[] = [];

/** The EntityManager methods that query, lock, write or run SQL (fork and the type are allowed). */
const EM_METHODS = [
  'find', 'findOne', 'findOneOrFail', 'findAll', 'findAndCount', 'findByCursor', 'count',
  'persist', 'persistAndFlush', 'flush', 'create', 'remove', 'removeAndFlush', 'assign', 'merge', 'upsert', 'upsertMany', 'insert', 'insertMany',
  'nativeUpdate', 'nativeDelete', 'nativeInsert', 'createQueryBuilder', 'qb', 'getConnection', 'getKnex', 'getTransactionContext', 'execute',
  'lock', 'refresh', 'populate', 'getReference', 'transactional', 'begin', 'commit', 'rollback',
];

/** The text of a source file without its comments (a comment may name `em.find(` to explain a rule). */
const withoutComments = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/**
 * Where `text` breaks the rule: value imports from @mikro-orm/*, and EntityManager calls on `em`,
 * `tx`, `…Em`, `…Tx`, `c.get('em')`, `….fork()` or a name a fork was given (`const read = em.fork()`),
 * also across lines (`em\n  .getConnection()`). `getConnection(`, `getTransactionContext(` and
 * `createQueryBuilder(` count on any receiver: nothing else has them.
 */
function ormUses(source: string): string[] {
  const text = withoutComments(source);
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+((?:(?!\bfrom\s+')[^;])*?)\s+from\s+'(@mikro-orm\/[^']+)'/gm)) {
    const clause = m[2]!.trim();
    if (clause.startsWith('type ')) continue;
    const names = /\{([\s\S]*)\}/.exec(clause)?.[1]?.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const outsideBraces = clause.replace(/\{[\s\S]*\}/, '').replace(/,/g, '').trim();
    if (outsideBraces || names.some((n) => !n.startsWith('type '))) found.push(`${m[1]} … from '${m[3]}'`);
  }
  const forks = [...text.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*[\w.()'"]*\.fork\(\)/g)].map((m) => m[1]!);
  const receiver = `(?:\\bem|\\btx|\\b[a-z]\\w*(?:Em|Tx)|get\\('em'\\)|\\.fork\\(\\)${forks.map((f) => `|\\b${f}`).join('')})`;
  const call = new RegExp(`${receiver}\\s*\\.\\s*(${EM_METHODS.join('|')})\\s*(?:<[^()]*>)?\\(`, 'g');
  for (const m of text.matchAll(call)) found.push(m[0].replace(/\s+/g, ''));
  for (const m of text.matchAll(/\.\s*(getConnection|getTransactionContext|createQueryBuilder)\s*\(/g)) found.push(`.${m[1]}(`);
  return [...new Set(found)];
}

describe('the workflow folders (delivery, documents, inbox, exchange)', () => {
  const files = WORKFLOW_FOLDERS.flatMap((folder) => sourceFiles(join(SRC, folder)))
    .map((file) => relative(SRC, file))
    .filter((file) => !/\.(repository|entity)\.tsx?$/.test(file));

  it('touch MikroORM and SQL only in repositories (and src/db)', () => {
    const offending = files
      .filter((file) => !NOT_YET.includes(file))
      .flatMap((file) => ormUses(readFileSync(join(SRC, file), 'utf8')).map((use) => `${file}: ${use}`));
    expect(offending).toEqual([]);
  });

  it('keep no file on the "not yet" list that already keeps the rule', () => {
    expect(NOT_YET.filter((file) => !existsSync(join(SRC, file)) || ormUses(readFileSync(join(SRC, file), 'utf8')).length === 0)).toEqual([]);
  });

  it('finds a query, a value import and raw SQL when there are some (the check itself works)', () => {
    expect(ormUses(`import { LockMode, type EntityManager } from '@mikro-orm/postgresql';`)).toEqual([`import … from '@mikro-orm/postgresql'`]);
    expect(ormUses(`import type { EntityManager } from '@mikro-orm/postgresql';\nimport { type Loaded } from '@mikro-orm/core';`)).toEqual([]);
    expect(ormUses(`const d = await tx.findOne(DeliverySchema, { id }, { lockMode });`)).toEqual(['tx.findOne(']);
    expect(ormUses(`await em\n  .fork()\n  .getConnection()\n  .execute<Row[]>(sql, [], 'all', em.getTransactionContext());`)).toEqual(
      expect.arrayContaining(['.fork().getConnection(', '.getConnection(', '.getTransactionContext(']),
    );
    expect(ormUses(`const read = em.fork();\nconst doc = await read.find(X, {});`)).toEqual(['read.find(']);
    expect(ormUses(`await c.get('em').persist(row);\nconst n = await sessionEm.count(X);`)).toEqual(["get('em').persist(", 'sessionEm.count(']);
    // Not the ORM: arrays, maps and comments.
    expect(ormUses(`const a = items.find((i) => i.id === id); rows.count; // em.findOne( in a comment\n/* tx.flush() */`)).toEqual([]);
  });
});
