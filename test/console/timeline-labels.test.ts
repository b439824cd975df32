import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TEXT } from '../../src/console/pages/outgoing.js';

/**
 * The document's timeline (Văn bản đi → Xem diễn biến) names each event in Vietnamese. Every event
 * type the service writes (`type: 'document.…'` and the like, in src/) must have its words there:
 * four did not, and the clerk read "document.pdf-signatures-checked".
 */
const SRC = resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.includes('.test.') ? [join(dir, e.name)] : [],
  );
}

describe('the timeline in words', () => {
  it('names every event type the service writes', () => {
    const written = new Set<string>();
    for (const file of sources(SRC)) {
      // `type: 'a.b'`, or a choice between such literals (`type: final ? 'a.b' : 'a.c'`).
      for (const [, expression] of readFileSync(file, 'utf8').matchAll(/\btype: ([^,}\n]+)/g)) {
        for (const m of expression!.matchAll(/'([a-z]+\.[a-z.-]+)'/g)) written.add(m[1]!);
      }
    }
    expect(written.size).toBeGreaterThan(20); // the scan finds the event types at all
    expect([...written].filter((t) => !(t in EVENT_TEXT)).sort()).toEqual([]);
  });
});
