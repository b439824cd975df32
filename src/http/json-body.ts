/**
 * A JSON request body whose long base64 strings — a document's files, as API.md shows them — stay
 * bytes (issue 16). JSON.parse needs the body as one string, and one Vietnamese letter anywhere
 * makes it a two-byte string: a 20 MB file sent as JSON was held as its 27 MB of body, 54 MB of
 * text, 27 MB of parsed string and the decoded file.
 *
 * Here each long run of base64 characters between two double quotes is cut out of the bytes before
 * the text is made, a random placeholder put in its place, and the reduced text parsed. The result
 * is the parse of the whole body, with these differences only where `keep` says so:
 *
 *   - A placeholder (32 random base64 characters, absent from the body) that the parse shows as one
 *     whole string value, exactly once and nowhere else — no key or other string holds it — was the
 *     whole of a JSON string token `"…"` in the reduced text. The body has the same tokens but for
 *     that one, which holds the run: base64 characters need no escape, so that string's value is the
 *     run. The body parses exactly when the reduced text does, to the same value with the run there.
 *   - Anything else (a placeholder split, repeated, or in a key): the body is parsed whole, as before.
 *
 * Where `keep(path)` is false the run is put back as a string; where it is true the value stays the
 * placeholder and `kept` maps it to the run's bytes (a view of the body: decode it, do not keep it).
 */
import { DomainError } from '../errors.js';
import { cutBase64Runs } from '../util/base64.js';

/** Strings shorter than this are parsed as they are: only files are worth cutting out. */
export const LONG_STRING = 64 * 1024;

const QUOTE = 0x22;

/** JSON.parse, a malformed body answered 400. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError('BAD_REQUEST', `Malformed JSON: ${(error as Error).message}`);
  }
}

/** A path in a parsed value: keys and array indexes from the root. */
export type JsonPath = ReadonlyArray<string | number>;

/** A place in a parsed value: its parent and the key or index that leads to it from there. */
interface Place {
  readonly value: unknown;
  readonly parent: Place | undefined;
  readonly step: string | number | undefined;
}

const pathOf = (place: Place): JsonPath => {
  const path: Array<string | number> = [];
  for (let p: Place | undefined = place; p?.parent; p = p.parent) path.push(p.step!);
  return path.reverse();
};

/**
 * Each string value and key of `value`, with where it is (a key at its object's place). Iterative,
 * with parent links instead of copied paths: a body nested 200,000 deep is walked, not a stack
 * overflow, and not quadratic.
 */
function* strings(value: unknown): Generator<{ text: string; place: Place; key: boolean }> {
  const stack: Place[] = [{ value, parent: undefined, step: undefined }];
  while (stack.length > 0) {
    const place = stack.pop()!;
    const v = place.value;
    if (typeof v === 'string') yield { text: v, place, key: false };
    else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: place, step: i });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        yield { text: k, place, key: true };
        stack.push({ value: child, parent: place, step: k });
      }
    }
  }
}

function setAt(root: unknown, path: JsonPath, v: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = v;
}

/**
 * The body parsed as JSON (400 when it is not), its long base64 strings at the paths `keep` accepts
 * left as placeholders whose bytes are in `kept` (see the top of this file).
 */
export function parseJsonBody(body: Buffer, keep: (path: JsonPath) => boolean): { value: unknown; kept: Map<string, Buffer> } {
  const whole = () => ({ value: parseJson(body.toString('utf8')), kept: new Map<string, Buffer>() });
  const cut = cutBase64Runs(body, QUOTE, QUOTE, LONG_STRING);
  if (!cut) return whole();
  let value: unknown;
  try {
    value = JSON.parse(cut.reduced.toString('utf8'));
  } catch {
    return whole(); // the body's own error message
  }

  const found = new Map(cut.runs.map((r) => [r.placeholder, { run: r, paths: [] as JsonPath[], elsewhere: false }]));
  for (const s of strings(value)) {
    // Every placeholder begins with the prefix: one search per string, not one per placeholder.
    if (!s.text.includes(cut.prefix)) continue;
    for (const [placeholder, f] of found) {
      if (!s.text.includes(placeholder)) continue;
      if (s.key || s.text !== placeholder) f.elsewhere = true;
      else f.paths.push(pathOf(s.place));
    }
  }
  const kept = new Map<string, Buffer>();
  for (const [placeholder, f] of found) {
    if (f.elsewhere || f.paths.length !== 1) return whole();
    const path = f.paths[0]!;
    if (keep(path)) kept.set(placeholder, body.subarray(f.run.start, f.run.end));
    else setAt(value, path, body.toString('latin1', f.run.start, f.run.end));
  }
  return { value, kept };
}
