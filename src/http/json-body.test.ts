import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CUT_RUNS } from '../util/base64.js';
import { LONG_STRING, parseJsonBody, type JsonPath } from './json-body.js';

const LONG = randomBytes(LONG_STRING).toString('base64'); // 4/3 of LONG_STRING characters
const OTHER = randomBytes(LONG_STRING + 3).toString('base64');
const isContent = (path: JsonPath): boolean => path.length === 3 && path[0] === 'attachments' && path[2] === 'contentBase64';
const body = (value: unknown, space?: number): Buffer => Buffer.from(JSON.stringify(value, null, space), 'utf8');

/** The parse with each kept placeholder put back: must be JSON.parse of the body. */
function restored(b: Buffer): unknown {
  const { value, kept } = parseJsonBody(b, isContent);
  let text = JSON.stringify(value);
  for (const [placeholder, bytes] of kept) text = text.replace(placeholder, bytes.toString('latin1'));
  return JSON.parse(text);
}

describe('parseJsonBody', () => {
  const doc = { subject: 'Về việc triển khai', attachments: [{ name: 'a.pdf', contentBase64: LONG }, { name: 'b.pdf', contentBase64: 'JVBERi0=' }, { name: 'c.pdf', contentBase64: OTHER }] };

  it('keeps long base64 at the kept paths as bytes, and parses the rest as JSON.parse does', () => {
    for (const b of [body(doc), body(doc, 2)]) {
      const { value, kept } = parseJsonBody(b, isContent);
      const v = value as typeof doc;
      expect(kept.size).toBe(2);
      expect(kept.get(v.attachments[0]!.contentBase64)?.toString('latin1')).toBe(LONG);
      expect(kept.get(v.attachments[2]!.contentBase64)?.toString('latin1')).toBe(OTHER);
      expect(v.attachments[1]!.contentBase64).toBe('JVBERi0=');
      expect(v.subject).toBe('Về việc triển khai');
      expect(restored(b)).toEqual(JSON.parse(b.toString('utf8')));
    }
  });

  it('puts long base64 back as a string everywhere else', () => {
    const b = body({ content: LONG, attachments: [{ name: LONG, contentBase64: 'QQ==' }], list: [LONG] });
    const { value, kept } = parseJsonBody(b, isContent);
    expect(kept.size).toBe(0);
    expect(value).toEqual(JSON.parse(b.toString('utf8')));
  });

  it('parses the whole body when a run is not a whole string value (escaped quotes, keys, repeats)', () => {
    const cases = [
      `{"attachments":[{"contentBase64":"x\\"${LONG}"}]}`, // ends a string that began before the run
      `{"attachments":[{"contentBase64":"${LONG}\\"x"}]}`, // followed by an escaped quote
      `{"${LONG}":1,"attachments":[]}`, // a key
      `{"attachments":[{"contentBase64":"${LONG}"}],"note":"${LONG}"}`, // twice, as two runs
    ];
    for (const text of cases) {
      const b = Buffer.from(text, 'utf8');
      const { value, kept } = parseJsonBody(b, isContent);
      if (kept.size === 0) expect(value).toEqual(JSON.parse(text));
      else expect(restored(b)).toEqual(JSON.parse(text));
    }
  });

  it('answers 400 with the body’s own error for malformed JSON, with or without runs', () => {
    for (const text of [`{"attachments":[{"contentBase64":"${LONG}"}]`, `{"a": ${LONG}}`, `{"a":"${LONG}" "b"}`]) {
      let expected = '';
      try {
        JSON.parse(text);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(() => parseJsonBody(Buffer.from(text, 'utf8'), isContent)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', message: `Malformed JSON: ${expected}` }));
    }
  });

  it('leaves short strings and bodies without runs to JSON.parse', () => {
    const b = body({ attachments: [{ contentBase64: LONG.slice(0, LONG_STRING - 4) }] });
    const { value, kept } = parseJsonBody(b, isContent);
    expect(kept.size).toBe(0);
    expect(value).toEqual(JSON.parse(b.toString('utf8')));
  });

  it('walks a body nested 200,000 deep beside a file without overflowing the stack', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const b = Buffer.from(`{"attachments":[{"name":"a.pdf","contentBase64":"${LONG}"}],"x":${deep}}`, 'utf8');
    const { value, kept } = parseJsonBody(b, isContent);
    expect(kept.get((value as { attachments: Array<{ contentBase64: string }> }).attachments[0]!.contentBase64)?.toString('latin1')).toBe(LONG);
  });

  it('parses the whole body when it holds more runs than a document has files', () => {
    const many = Array.from({ length: MAX_CUT_RUNS + 1 }, () => ({ name: 'a.pdf', contentBase64: LONG.slice(0, LONG_STRING) }));
    const b = body({ attachments: many });
    const { value, kept } = parseJsonBody(b, isContent);
    expect(kept.size).toBe(0);
    expect((value as { attachments: unknown[] }).attachments).toHaveLength(MAX_CUT_RUNS + 1);
  });
});
