import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PdfValue } from './structure-lexer.js';
import { StructureError, readValue, stringBytes, textOf } from './structure-lexer.js';
import { PdfFile, lastStartxref, readXrefView, resolveObject, startxrefOfRevisionEndingAt, viewOrReconstruct } from './structure-objects.js';
import { buildDocumentGraph, changesAfter } from './structure-updates.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const read = (s: string): PdfValue => readValue(latin1(s), 0).value;

describe('the lexer', () => {
  it('reads dictionaries, arrays, references, names with #xx escapes, numbers and booleans', () => {
    const v = read('<< /Type /Sig /A#20B [1 0 R -2.5 .5 true null] /N << /X 12 >> >>');
    expect(v.kind).toBe('dict');
    if (v.kind !== 'dict') return;
    expect([...v.entries.keys()]).toEqual(['Type', 'A B', 'N']);
    expect(v.entries.get('A B')).toEqual({
      kind: 'array',
      items: [
        { kind: 'ref', num: 1, gen: 0 },
        { kind: 'number', value: -2.5, integer: false },
        { kind: 'number', value: 0.5, integer: false },
        { kind: 'bool', value: true },
        { kind: 'null' },
      ],
    });
  });

  it('decodes hex and literal strings (escapes, octal, nested parentheses) and UTF-16 text', () => {
    const hex = read('<48 65 6c6c 6F7>');
    const lit = read('(a\\(b\\) (c) \\101\\n)');
    if (hex.kind !== 'string' || lit.kind !== 'string') throw new Error('not strings');
    expect(stringBytes(hex, 100).toString('latin1')).toBe('Hellop');
    expect(stringBytes(lit, 100).toString('latin1')).toBe('a(b) (c) A\n');
    expect(textOf(Buffer.from('feff004e0067007500791ec5006e', 'hex'))).toBe('Nguyễn');
  });

  it('refuses a key given twice (two readers could see two documents)', () => {
    expect(() => read('<< /ByteRange [0 1 2 3] /ByteRange [0 9 9 9] >>')).toThrow(StructureError);
  });

  it('refuses nesting past its depth and values past their token budget, without recursing deeper', () => {
    expect(() => read('['.repeat(100_000))).toThrow(/nested deeper than 32/);
    expect(() => readValue(latin1(`[${'1 '.repeat(300_000)}]`), 0)).toThrow(/tokens in one object/);
  });

  it('refuses strings longer than asked for', () => {
    const v = read(`<${'ab'.repeat(100)}>`);
    if (v.kind !== 'string') throw new Error('not a string');
    expect(() => stringBytes(v, 50)).toThrow(StructureError);
  });
});

/** Revisions of a file: each a set of objects written after the previous one, with its own xref table. */
function revisions(...revs: Record<number, string>[]): { bytes: Buffer; ends: number[] } {
  let out = '%PDF-1.7\n';
  let prev: number | null = null;
  let size = 0;
  const ends: number[] = [];
  for (const objects of revs) {
    const offsets = new Map<number, number>();
    for (const [num, body] of Object.entries(objects)) {
      offsets.set(Number(num), out.length);
      out += `${num} 0 obj\n${body}\nendobj\n`;
      size = Math.max(size, Number(num) + 1);
    }
    const xref = out.length;
    out += 'xref\n';
    for (const [num, at] of offsets) out += `${num} 1\n${String(at).padStart(10, '0')} 00000 n\r\n`;
    out += `trailer\n<< /Size ${size} /Root 1 0 R${prev === null ? '' : ` /Prev ${prev}`} >>\nstartxref\n${xref}\n%%EOF\n`;
    prev = xref;
    ends.push(out.length);
  }
  return { bytes: latin1(out), ends };
}

const BASE = {
  1: '<< /Type /Catalog /Pages 2 0 R >>',
  2: '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  3: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im1 9 0 R >> >> >>',
  4: '<< /Length 9 >>\nstream\n0 0 m S Q\nendstream',
};

/** How much the revisions after the first changed. */
function levelAfterFirst(...later: Record<number, string>[]): string {
  const { bytes, ends } = revisions(BASE, ...later);
  const file = new PdfFile(bytes);
  const signed = viewOrReconstruct(file, startxrefOfRevisionEndingAt(file, ends[0] as number), ends[0] as number);
  const graph = buildDocumentGraph(file, viewOrReconstruct(file, lastStartxref(file), bytes.length));
  return changesAfter(file, signed, graph).level;
}

describe('cross-reference views', () => {
  it('follows /Prev: the newest definition wins, older ones stay reachable', () => {
    const { bytes } = revisions(BASE, { 4: '<< /Length 3 >>\nstream\nq Q\nendstream' });
    const file = new PdfFile(bytes);
    const view = readXrefView(file, lastStartxref(file) as number);
    expect(resolveObject(file, view, 4)?.indirect?.stream).toBeDefined();
    expect(bytes.subarray(resolveObject(file, view, 4)!.indirect!.stream!.start, resolveObject(file, view, 4)!.indirect!.stream!.end).toString()).toBe('q Q');
    expect(resolveObject(file, view, 2)?.value.kind).toBe('dict');
  });

  it('reads a compressed cross-reference stream with the PNG Up predictor and an object stream', () => {
    const objStmBody = '2 0 5 40 ';
    const objs = '<< /Type /Pages /Kids [] /Count 0 >>'.padEnd(40, ' ') + '<< /Type /Catalog /Pages 2 0 R >>';
    const stm = deflateSync(latin1(objStmBody + objs));
    let out = `%PDF-1.7\n7 0 obj\n<< /Type /ObjStm /N 2 /First ${objStmBody.length} /Filter /FlateDecode /Length ${stm.length} >>\nstream\n`;
    const parts = [latin1(out), stm, latin1('\nendstream\nendobj\n')];
    const xrefAt = parts.reduce((n, p) => n + p.length, 0);
    // rows for objects 0..8: /W [1 2 1]
    const rows = [[0, 0, 0], [0, 0, 0], [2, 7, 0], [0, 0, 0], [0, 0, 0], [2, 7, 1], [0, 0, 0], [1, 9, 0], [1, xrefAt, 0]];
    const raw = rows.map(([t, a, b]) => Buffer.from([t!, (a! >> 8) & 0xff, a! & 0xff, b!]));
    const predicted = Buffer.concat(raw.map((r, i) => Buffer.concat([Buffer.from([2]), Buffer.from(r.map((x, k) => (x - (i ? raw[i - 1]![k]! : 0)) & 0xff))])));
    const xs = deflateSync(predicted);
    out = `8 0 obj\n<< /Type /XRef /Size 9 /Root 5 0 R /W [1 2 1] /Filter /FlateDecode /DecodeParms << /Columns 4 /Predictor 12 >> /Length ${xs.length} >>\nstream\n`;
    const file = new PdfFile(Buffer.concat([...parts, latin1(out), xs, latin1(`\nendstream\nendobj\nstartxref\n${xrefAt}\n%%EOF\n`)]));
    const view = readXrefView(file, xrefAt);
    expect(view.entries.get(5)).toEqual({ type: 'compressed', stream: 7, index: 1 });
    const catalog = resolveObject(file, view, 5)?.value;
    expect(catalog?.kind === 'dict' && catalog.entries.get('Pages')).toEqual({ kind: 'ref', num: 2, gen: 0 });
  });

  it('rebuilds a view by scanning when startxref points at nothing', () => {
    const { bytes } = revisions(BASE);
    const broken = latin1(bytes.toString('latin1').replace(/startxref\n\d+/, 'startxref\n99999999'));
    const file = new PdfFile(broken);
    const view = viewOrReconstruct(file, lastStartxref(file), broken.length);
    expect(view.reconstructed).toBe(true);
    expect(resolveObject(file, view, 3)?.value.kind).toBe('dict');
  });

  it('refuses a /Prev chain that loops', () => {
    const { bytes } = revisions(BASE);
    const text = bytes.toString('latin1');
    const xref = Number(/startxref\n(\d+)/.exec(text)?.[1]);
    const looped = latin1(text.replace('/Root 1 0 R', `/Root 1 0 R /Prev ${xref}`));
    expect(() => readXrefView(new PdfFile(looped), xref)).toThrow(/loop/);
  });
});

describe('what an update changed', () => {
  it('nothing', () => {
    expect(levelAfterFirst({})).toBe('none');
  });

  it('the page content stream: content', () => {
    expect(levelAfterFirst({ 4: '<< /Length 3 >>\nstream\nq Q\nendstream' })).toBe('content');
  });

  it('a new object nothing refers to: nothing a reader shows', () => {
    expect(levelAfterFirst({ 20: '<< /Length 3 >>\nstream\nq Q\nendstream' })).toBe('none');
  });

  it('an object the signed revision referred to but did not define (a planted dangling reference): content', () => {
    expect(levelAfterFirst({ 9: '<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length 1 >>\nstream\n\u0000\nendstream' })).toBe('content');
  });

  it('an annotation added to the page: annotations', () => {
    expect(levelAfterFirst({ 3: BASE[3].replace(/>>$/, '/Annots [10 0 R] >>'), 10: '<< /Type /Annot /Subtype /Text /Rect [0 0 10 10] /Contents (x) >>' })).toBe('annotations');
  });

  it('an annotation removed from the page: annotations (it may have covered something)', () => {
    const withNote = { 3: BASE[3].replace(/>>$/, '/Annots [10 0 R] >>'), 10: '<< /Type /Annot /Subtype /Square /Rect [0 0 99 99] >>' };
    const { bytes, ends } = revisions({ ...BASE, ...withNote }, { 3: BASE[3] });
    const file = new PdfFile(bytes);
    const signed = viewOrReconstruct(file, startxrefOfRevisionEndingAt(file, ends[0] as number), ends[0] as number);
    expect(changesAfter(file, signed, buildDocumentGraph(file, viewOrReconstruct(file, lastStartxref(file), bytes.length))).level).toBe('annotations');
  });

  it('a signature field and its signature added: signatures', () => {
    expect(
      levelAfterFirst({
        1: '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [10 0 R] /SigFlags 3 >> >>',
        3: BASE[3].replace(/>>$/, '/Annots [10 0 R] >>'),
        10: '<< /Type /Annot /Subtype /Widget /FT /Sig /T (S) /Rect [0 0 0 0] /P 3 0 R /V 11 0 R /AP << /N 12 0 R >> >>',
        11: '<< /Type /Sig /SubFilter /adbe.pkcs7.detached /ByteRange [0 0 0 0] /Contents <00> >>',
        12: '<< /Type /XObject /Subtype /Form /BBox [0 0 0 0] /Length 0 >>\nstream\n\nendstream',
      }),
    ).toBe('signatures');
  });

  it('NeedAppearances switched on (every field redrawn): form-fields', () => {
    expect(levelAfterFirst({ 1: '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /NeedAppearances true >> >>' })).toBe('form-fields');
  });

  it('a text field filled in (the number and date written into the draft): form-fields', () => {
    const draft = {
      ...BASE,
      1: '<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [10 0 R] >> >>',
      3: BASE[3].replace(/>>$/, '/Annots [10 0 R] >>'),
      10: '<< /Type /Annot /Subtype /Widget /FT /Tx /T (So) /Rect [400 780 560 800] /P 3 0 R /AP << /N 11 0 R >> >>',
      11: '<< /Type /XObject /Subtype /Form /BBox [0 0 160 20] /Length 0 >>\nstream\n\nendstream',
    };
    const filled = { 10: draft[10].replace('/AP', '/V (15/CT-UBND) /AP'), 11: '<< /Type /XObject /Subtype /Form /BBox [0 0 160 20] /Length 22 >>\nstream\nBT (15/CT-UBND) Tj ET\nendstream' };
    const { bytes, ends } = revisions(draft, filled);
    const file = new PdfFile(bytes);
    const signed = viewOrReconstruct(file, startxrefOfRevisionEndingAt(file, ends[0] as number), ends[0] as number);
    expect(changesAfter(file, signed, buildDocumentGraph(file, viewOrReconstruct(file, lastStartxref(file), bytes.length))).level).toBe('form-fields');
  });

  it('the trailer pointed at another catalog, planted unused before signing: content', () => {
    const planted = { ...BASE, 7: '<< /Type /Catalog /Pages 8 0 R >>', 8: '<< /Type /Pages /Kids [] /Count 0 >>' };
    const { bytes, ends } = revisions(planted, {});
    const switched = latin1(bytes.toString('latin1').replace(/\/Root 1 0 R \/Prev/, '/Root 7 0 R /Prev'));
    const file = new PdfFile(switched);
    const signed = viewOrReconstruct(file, startxrefOfRevisionEndingAt(file, ends[0] as number), ends[0] as number);
    expect(changesAfter(file, signed, buildDocumentGraph(file, viewOrReconstruct(file, lastStartxref(file), switched.length))).level).toBe('content');
  });

  it('the XMP metadata rewritten (as Acrobat does on every save): signatures', () => {
    expect(levelAfterFirst({ 1: '<< /Type /Catalog /Pages 2 0 R /Metadata 14 0 R >>', 14: '<< /Type /Metadata /Subtype /XML /Length 5 >>\nstream\n<x/>\nendstream' })).toBe('signatures');
  });

  it('a new page: content', () => {
    expect(levelAfterFirst({ 2: '<< /Type /Pages /Kids [3 0 R 13 0 R] /Count 2 >>', 13: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>' })).toBe('content');
  });
});
