/** The printed report of `npm run attack`: the hostile requests by kind and outcome, and the verdict. */
import { isClean, type HostileResult, type Outcome } from './http.js';

export interface KindRow {
  kind: string;
  sent: number;
  /** Outcome ("413", "reset", "no answer", …) → count. */
  outcomes: Record<string, number>;
  /** Not clean: 2xx/3xx/5xx other than 503, reset before an answer, no answer. "refused" (node down) is apart. */
  notClean: number;
  /** Longest time to an answer (ms). */
  maxMs: number;
  /** Details of the requests that were not clean (first few). */
  examples: string[];
}

const outcomeKey = (o: Outcome): string => String(o);

export function byKind(results: readonly HostileResult[]): KindRow[] {
  const rows = new Map<string, KindRow>();
  for (const r of results) {
    let row = rows.get(r.kind);
    if (!row) rows.set(r.kind, (row = { kind: r.kind, sent: 0, outcomes: {}, notClean: 0, maxMs: 0, examples: [] }));
    row.sent++;
    const key = outcomeKey(r.outcome);
    row.outcomes[key] = (row.outcomes[key] ?? 0) + 1;
    if (typeof r.outcome === 'number' || r.outcome !== 'refused') row.maxMs = Math.max(row.maxMs, r.ms);
    if (!isClean(r.outcome) && r.outcome !== 'refused') {
      row.notClean++;
      if (row.examples.length < 3) row.examples.push(`${r.detail} → ${r.outcome}${r.code ? ` ${r.code}` : ''}${r.error ? ` (${r.error})` : ''}`);
    }
  }
  return [...rows.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

/** Problem codes by outcome, over every hostile request: "413 PAYLOAD_TOO_LARGE" → count. */
export function codes(results: readonly HostileResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.outcome}${r.code ? ` ${r.code}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

function order(key: string): number {
  const n = Number(key);
  return Number.isFinite(n) ? n : 1_000 + key.length;
}

export function kindTable(rows: readonly KindRow[]): string {
  const head = ['hostile request (kind · who · detail)', 'sent', 'answers', 'not clean', 'slowest'];
  const body = rows.map((r) => [
    r.kind,
    String(r.sent),
    Object.entries(r.outcomes)
      .sort((a, b) => order(a[0]) - order(b[0]))
      .map(([k, v]) => `${k}×${v}`)
      .join(' '),
    r.notClean ? String(r.notClean) : '0',
    r.maxMs >= 10_000 ? `${(r.maxMs / 1000).toFixed(1)} s` : `${r.maxMs} ms`,
  ]);
  const total = rows.reduce((a, r) => a + r.sent, 0);
  const notClean = rows.reduce((a, r) => a + r.notClean, 0);
  body.push(['total', String(total), '', String(notClean), '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export const verdict = (met: boolean): string => (met ? 'PASS' : 'FAIL');
