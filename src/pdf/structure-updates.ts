/**
 * What changed in a PDF after a signature: the objects whose cross-reference entry differs between
 * the revision the signature covers and the last revision, judged by where the last revision's
 * object graph uses them (ISO 32000-2 §7.5.6 incremental updates, §12.8.2.2 on what may change).
 *
 * A change is as serious as the most serious place the changed object is used in:
 * - `signatures`: a later signature and what it needs — its dictionary, field and widget, the
 *   widget's appearance, the page's /Annots and the AcroForm's /Fields gaining signature fields,
 *   fonts added to the form's default resources, the catalog gaining /AcroForm or /DSS (NĐ 30's
 *   agency signature after the leader's is this);
 * - `form-fields`: form fields filled in or added, and their widgets redrawn (the văn thư writing
 *   the number and date into named fields of the draft, issue 17);
 * - `annotations`: other annotations (comments, stamps), or annotations removed — they can cover
 *   the page, so a clerk must see them, but the signed page content is untouched;
 * - `content`: anything a page draws from (its /Contents, /Resources, fonts, images, XObjects), the
 *   page tree, the catalog's other entries, or anything that cannot be read: the shadow attacks
 *   (Mainka et al., 2021) replace or hide signed content this way.
 * An object the last revision never reaches changes nothing a reader shows, and is ignored — unless
 * part of the graph could not be read, in which case every unexplained change counts as content.
 */
import type { PdfDict, PdfValue } from './structure-lexer.js';
import { StructureError, nameOf, sameValue, stringBytes, textOf } from './structure-lexer.js';
import type { PdfFile, XrefEntry, XrefView } from './structure-objects.js';
import { resolveObject } from './structure-objects.js';

/** How much the later revisions changed, least to most serious. */
export type ChangeLevel = 'none' | 'signatures' | 'form-fields' | 'annotations' | 'content';

const RANK: Record<ChangeLevel, number> = { none: 0, signatures: 1, 'form-fields': 2, annotations: 3, content: 4 };

/** The more serious of two levels. */
export function worse(a: ChangeLevel, b: ChangeLevel): ChangeLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Where in the document graph an object is used. */
type Context =
  | 'catalog'
  | 'page-tree'
  | 'page-content'
  | 'annotation-list'
  | 'annotation'
  | 'annotation-appearance'
  | 'field-appearance'
  | 'field-value'
  | 'signature'
  | 'form'
  | 'field-list'
  | 'form-field'
  | 'form-resources'
  | 'metadata'
  | 'document';

/** The last revision's object graph: the contexts each reachable object is used in. */
export interface DocumentGraph {
  readonly view: XrefView;
  readonly contexts: ReadonlyMap<number, ReadonlySet<Context>>;
  /** False when an object could not be read or the visit budget ran out: the graph may miss uses. */
  readonly complete: boolean;
  /** Signature dictionary object number → the name (/T) of the field whose value it is. */
  readonly signatureFields: ReadonlyMap<number, string>;
}

interface Visit {
  readonly num: number;
  readonly context: Context;
}

/** Walks the last revision from its catalog, recording each object's contexts (bounded, no recursion). */
export function buildDocumentGraph(file: PdfFile, view: XrefView): DocumentGraph {
  const visited = new Set<string>();
  const contexts = new Map<number, Set<Context>>();
  const usedAs = (num: number, context: Context): void => {
    const set = contexts.get(num) ?? new Set<Context>();
    set.add(context);
    contexts.set(num, set);
  };
  const signatureFields = new Map<number, string>();
  let complete = true;
  const queue: Visit[] = [];
  const root = view.trailer.entries.get('Root');
  if (root?.kind === 'ref') queue.push({ num: root.num, context: 'catalog' });
  else complete = false;

  while (queue.length > 0) {
    const { num, context } = queue.pop() as Visit;
    const key = `${num} ${context}`;
    if (visited.has(key)) continue;
    if (visited.size >= file.limits.maxObjects) {
      complete = false;
      break;
    }
    visited.add(key);
    let value: PdfValue | undefined;
    try {
      value = resolveObject(file, view, num)?.value;
    } catch (e) {
      if (!(e instanceof StructureError)) throw e;
      complete = false;
    }
    // A reference to nothing is still a use: defining that object later changes what it shows.
    const ctx = value === undefined ? context : refine(file, view, context, value);
    usedAs(num, ctx);
    if (value === undefined) continue;
    if (ctx === 'signature' && context === 'form-field' && value.kind === 'dict') noteSignatureField(file, view, value, signatureFields);
    walk(file, view, value, ctx, (ref, c) => queue.push({ num: ref, context: c }));
  }
  return { view, contexts, complete, signatureFields };
}

/** An annotation or field context narrowed by what the object is (a signature widget or field). */
function refine(file: PdfFile, view: XrefView, context: Context, value: PdfValue): Context {
  if (value.kind !== 'dict') return context;
  if (context !== 'annotation' && context !== 'form-field') return context;
  if (fieldType(file, view, value) === 'Sig') return 'signature';
  // A widget is the visible part of a form field: filling the field redraws it.
  return context === 'annotation' && nameOf(value, 'Subtype') === 'Widget' ? 'form-field' : context;
}

/** Emits every reference inside `value` with the context it is used in (direct values walked too). */
function walk(file: PdfFile, view: XrefView, value: PdfValue, context: Context, emit: (num: number, context: Context) => void, depth = 0): void {
  if (depth > file.limits.maxDepth) return;
  if (value.kind === 'ref') emit(value.num, context);
  else if (value.kind === 'array') {
    const itemContext = context === 'annotation-list' ? 'annotation' : context === 'field-list' ? 'form-field' : context;
    for (const item of value.items) walk(file, view, item, itemContext, emit, depth + 1);
  } else if (value.kind === 'dict') {
    const ctx = depth === 0 ? context : refine(file, view, context, value);
    for (const [key, v] of value.entries) {
      const next = childContext(ctx, key, value);
      if (next) walk(file, view, v, next, emit, depth + 1);
    }
  }
}

/** The context of what `dict[key]` refers to, or null for back-pointers that are not uses. */
function childContext(context: Context, key: string, dict: PdfDict): Context | null {
  // /Parent and an annotation's /P point back up the tree: following them would make a page look
  // like part of its own annotation.
  if (key === 'Parent' || key === 'P') return null;
  switch (context) {
    case 'catalog':
      if (key === 'Metadata') return 'metadata';
      return key === 'Pages' ? 'page-tree' : key === 'AcroForm' ? 'form' : key === 'DSS' || key === 'Perms' ? 'signature' : 'document';
    case 'page-tree':
      if (key === 'Kids' && dict.entries.has('Kids') && nameOf(dict, 'Type') !== 'Page') return 'page-tree';
      return key === 'Annots' ? 'annotation-list' : 'page-content';
    case 'annotation-list':
      return 'annotation';
    case 'annotation':
      return key === 'IRT' ? 'annotation' : 'annotation-appearance';
    case 'form':
      // An XFA form replaces the whole page in the readers that render it.
      return key === 'Fields' ? 'field-list' : key === 'DR' ? 'form-resources' : key === 'XFA' ? 'document' : 'field-value';
    case 'field-list':
      return 'form-field';
    case 'form-field':
      return key === 'Kids' ? 'form-field' : key === 'AP' || key === 'MK' ? 'field-appearance' : 'field-value';
    default:
      return context;
  }
}

/** A field's /FT, inherited through /Parent (§12.7.4.1), at most 8 levels up. */
function fieldType(file: PdfFile, view: XrefView, dict: PdfDict): string | undefined {
  let d: PdfDict | undefined = dict;
  for (let i = 0; d && i < 8; i++) {
    const ft = nameOf(d, 'FT');
    if (ft) return ft;
    const parent = d.entries.get('Parent');
    d = parent?.kind === 'ref' ? dictOf(file, view, parent.num) : parent?.kind === 'dict' ? parent : undefined;
  }
  return undefined;
}

function dictOf(file: PdfFile, view: XrefView, num: number): PdfDict | undefined {
  try {
    const v = resolveObject(file, view, num)?.value;
    return v?.kind === 'dict' ? v : undefined;
  } catch (e) {
    if (e instanceof StructureError) return undefined;
    throw e;
  }
}

function noteSignatureField(file: PdfFile, view: XrefView, field: PdfDict, out: Map<number, string>): void {
  const v = field.entries.get('V');
  const t = field.entries.get('T');
  if (v?.kind !== 'ref' || t?.kind !== 'string') return;
  try {
    out.set(v.num, textOf(stringBytes(t, 4096)));
  } catch {
    // an unreadable name is no name
  }
}

/** What changed after one signature, and how seriously. */
export interface ChangesAfter {
  readonly level: ChangeLevel;
  /** The changed objects that matter, most serious first (at most 20, for the report). */
  readonly objects: readonly { readonly num: number; readonly level: ChangeLevel }[];
}

/** Compares the signed revision's view with the last one, judging each change by the graph. */
export function changesAfter(file: PdfFile, signed: XrefView, graph: DocumentGraph): ChangesAfter {
  const last = graph.view;
  const changed = new Set<number>();
  for (const num of last.entries.keys()) if (num !== 0 && !sameLocation(signed, last, num)) changed.add(num);
  for (const num of signed.entries.keys()) if (num !== 0 && !last.entries.has(num) && !sameLocation(signed, last, num)) changed.add(num);
  const objects: { num: number; level: ChangeLevel }[] = [];
  // A trailer that points at another catalog (one planted, unused, before signing) changes the whole
  // document without changing a single object.
  const rootBefore = signed.trailer.entries.get('Root');
  const rootAfter = last.trailer.entries.get('Root');
  if (rootAfter?.kind !== 'ref' || !sameValue(rootBefore, rootAfter)) objects.push({ num: rootAfter?.kind === 'ref' ? rootAfter.num : 0, level: 'content' });
  for (const num of changed) {
    const uses = graph.contexts.get(num);
    // Unreachable: no reader shows it, unless the graph is incomplete and it may be reachable after all.
    const level = uses ? [...uses].reduce<ChangeLevel>((acc, c) => worse(acc, levelOf(file, signed, graph, num, c)), 'none') : graph.complete ? 'none' : 'content';
    if (level !== 'none') objects.push({ num, level });
  }
  objects.sort((a, b) => RANK[b.level] - RANK[a.level] || a.num - b.num);
  return { level: objects.reduce<ChangeLevel>((acc, o) => worse(acc, o.level), 'none'), objects: objects.slice(0, 20) };
}

/** Whether two views find object `num` in the same bytes (free and absent count as the same). */
function sameLocation(a: XrefView, b: XrefView, num: number): boolean {
  const x = a.entries.get(num);
  const y = b.entries.get(num);
  const free = (e: XrefEntry | undefined): boolean => !e || e.type === 'free';
  if (free(x) || free(y)) return free(x) && free(y);
  if (x!.type === 'offset' && y!.type === 'offset') return x!.offset === y!.offset;
  if (x!.type === 'compressed' && y!.type === 'compressed') {
    // Same index in the same object stream, and that stream stored at the same offset in both.
    return x!.index === y!.index && x!.stream === y!.stream && sameLocation(a, b, x!.stream);
  }
  return false;
}

/** How serious a change to object `num` is, used in `context`. */
function levelOf(file: PdfFile, signed: XrefView, graph: DocumentGraph, num: number, context: Context): ChangeLevel {
  const before = valueIn(file, signed, num);
  const after = valueIn(file, graph.view, num);
  if (before === 'broken' || after === 'broken') return 'content';
  switch (context) {
    case 'signature':
      return 'signatures';
    // Default resources only serve to draw field appearances; a redraw needs a field change or
    // NeedAppearances, both judged where they happen. XMP metadata is never drawn, and some signers
    // (Acrobat) rewrite its dates on every save, signing included.
    case 'form-resources':
    case 'metadata':
      return 'signatures';
    case 'annotation':
    case 'annotation-appearance':
      return 'annotations';
    case 'form-field':
    case 'field-appearance':
    case 'field-value':
      return 'form-fields';
    case 'catalog':
      return catalogChange(file, signed, graph, before, after);
    case 'page-tree':
      return pageChange(file, signed, graph, before, after);
    case 'annotation-list':
      return listChange(file, signed, graph, before, after, 'annotation');
    case 'field-list':
      return listChange(file, signed, graph, before, after, 'field');
    case 'form':
      return acroFormChange(file, signed, graph, before, after);
    default:
      return 'content';
  }
}

type Value = PdfValue | null | 'broken';

function valueIn(file: PdfFile, view: XrefView, num: number): Value {
  try {
    return resolveObject(file, view, num)?.value ?? null;
  } catch (e) {
    if (e instanceof StructureError) return 'broken';
    throw e;
  }
}

/** Keys whose value differs between two dictionaries (added and removed keys included). */
function changedKeys(before: PdfDict, after: PdfDict): string[] {
  const keys = new Set([...before.entries.keys(), ...after.entries.keys()]);
  return [...keys].filter((k) => !sameValue(before.entries.get(k), after.entries.get(k)));
}

// What a signature may add to the catalog: the form holding its field, the validation data (PAdES
// LTV), permissions of a certification signature, extension and version markers, the XMP metadata.
const CATALOG_KEYS_FOR_SIGNATURES = new Set(['AcroForm', 'DSS', 'Perms', 'Extensions', 'Version', 'Metadata']);

function catalogChange(file: PdfFile, signed: XrefView, graph: DocumentGraph, before: Value, after: Value): ChangeLevel {
  if (before === null || after === null || typeof before === 'string' || typeof after === 'string' || before.kind !== 'dict' || after.kind !== 'dict') return 'content';
  const keys = changedKeys(before, after);
  if (!keys.every((k) => CATALOG_KEYS_FOR_SIGNATURES.has(k))) return 'content';
  // A form written directly in the catalog is no object of its own: judge its change here.
  const form = after.entries.get('AcroForm');
  if (keys.includes('AcroForm') && form?.kind === 'dict') {
    const old = before.entries.get('AcroForm');
    return worse('signatures', acroFormChange(file, signed, graph, old?.kind === 'ref' ? valueIn(file, signed, old.num) : (old ?? null), form));
  }
  return 'signatures';
}

function pageChange(file: PdfFile, signed: XrefView, graph: DocumentGraph, before: Value, after: Value): ChangeLevel {
  if (before === null || after === null || typeof before === 'string' || typeof after === 'string' || before.kind !== 'dict' || after.kind !== 'dict') return 'content';
  if (nameOf(after, 'Type') !== 'Page' && after.entries.has('Kids')) return 'content'; // the page tree itself
  const keys = changedKeys(before, after);
  if (keys.some((k) => k !== 'Annots')) return 'content';
  return keys.length === 0 ? 'none' : listChange(file, signed, graph, before.entries.get('Annots') ?? null, after.entries.get('Annots') ?? null, 'annotation');
}

function acroFormChange(file: PdfFile, signed: XrefView, graph: DocumentGraph, before: Value, after: Value): ChangeLevel {
  if (typeof before === 'string' || typeof after === 'string' || after === null || after.kind !== 'dict') return 'content';
  const old: PdfDict = before !== null && before.kind === 'dict' ? before : { kind: 'dict', entries: new Map() };
  const keys = changedKeys(old, after);
  if (keys.includes('XFA')) return 'content';
  // NeedAppearances makes readers redraw every field: not something a signature needs.
  const level = keys.every((k) => ['Fields', 'SigFlags', 'DA', 'DR'].includes(k)) ? 'signatures' : 'form-fields';
  return worse(level, listChange(file, signed, graph, old.entries.get('Fields') ?? null, after.entries.get('Fields') ?? null, 'field'));
}

/**
 * A list of annotations or fields (a direct array, or a reference to one): adding signature widgets
 * or fields is a signature change, adding other fields or their widgets a form change, anything else
 * (and removing an annotation, which may have hidden something) an annotation change.
 */
function listChange(file: PdfFile, signed: XrefView, graph: DocumentGraph, before: Value | PdfValue | undefined, after: Value | PdfValue | undefined, of: 'annotation' | 'field'): ChangeLevel {
  const oldItems = listItems(file, signed, before);
  const newItems = listItems(file, graph.view, after);
  if (oldItems === 'broken' || newItems === 'broken') return 'content';
  const removed = [...oldItems].some((n) => !newItems.has(n));
  const added = [...newItems].filter((n) => !oldItems.has(n));
  let level: ChangeLevel = removed ? (of === 'field' ? 'form-fields' : 'annotations') : 'none';
  for (const n of added) {
    const d = dictOf(file, graph.view, n);
    const widget = d !== undefined && (of === 'field' || nameOf(d, 'Subtype') === 'Widget');
    level = worse(level, !d || !widget ? 'annotations' : fieldType(file, graph.view, d) === 'Sig' ? 'signatures' : 'form-fields');
  }
  return level;
}

/** The object numbers a list refers to; direct dictionaries in it make it unreadable for this purpose. */
function listItems(file: PdfFile, view: XrefView, v: Value | PdfValue | undefined): Set<number> | 'broken' {
  if (v === undefined || v === null) return new Set();
  if (v === 'broken') return 'broken';
  let list: PdfValue | null | 'broken' = v;
  if (v.kind === 'ref') list = valueIn(file, view, v.num);
  if (list === null) return new Set();
  if (list === 'broken' || list.kind !== 'array') return 'broken';
  const nums = new Set<number>();
  for (const item of list.items) {
    if (item.kind !== 'ref') return 'broken';
    nums.add(item.num);
  }
  return nums;
}
