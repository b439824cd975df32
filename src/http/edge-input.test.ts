import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { edgeSchema, isoDate, normaliseText } from './edge-input.js';

const nfd = (s: string) => s.normalize('NFD');

describe('normaliseText', () => {
  it('puts every string of a body in NFC, in objects and lists, without changing the argument', () => {
    const body = { subject: nfd('Về việc'), signer: { fullName: nfd('Nguyễn Thị Ánh') }, toPlaces: [nfd('Lưu: VT')], priority: 1, ok: true, none: null };
    const copy = structuredClone(body);
    expect(normaliseText(body)).toEqual({ subject: 'Về việc', signer: { fullName: 'Nguyễn Thị Ánh' }, toPlaces: ['Lưu: VT'], priority: 1, ok: true, none: null });
    expect(body).toEqual(copy);
  });

  it('keeps secrets as they were sent', () => {
    const password = nfd('mật khẩu dài');
    const out = normaliseText({ password, credentials: { secret: nfd('bí mật') }, name: nfd('Tên') }) as Record<string, unknown>;
    expect(out.password).toBe(password);
    expect(out.credentials).toEqual({ secret: nfd('bí mật') });
    expect(out.name).toBe('Tên');
  });

  it('leaves a `__proto__` key a plain key, and a very deep value as it is', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": "yes"}}') as unknown;
    const out = normaliseText(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    let deep: unknown = nfd('ễ');
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => normaliseText(deep)).not.toThrow();
  });
});

describe('edgeSchema', () => {
  it('reads the body in NFC before the schema checks it', () => {
    const schema = edgeSchema(z.object({ notation: z.string().regex(/^QĐ-/u) }));
    expect(schema.parse({ notation: nfd('QĐ-UBND') })).toEqual({ notation: 'QĐ-UBND' });
  });
});

describe('isoDate', () => {
  const schema = isoDate();

  it('accepts a real date', () => {
    expect(schema.parse('2028-02-29')).toBe('2028-02-29');
  });

  it.each([
    ['31/12/2026', 'must be a date YYYY-MM-DD'],
    ['2026-13-01', 'not a real date (2026-13-01)'],
    ['2026-02-30', 'not a real date (2026-02-30)'],
  ])('refuses %s with one message', (value, message) => {
    const issues = schema.safeParse(value).error?.issues ?? [];
    expect(issues.map((i) => i.message)).toEqual([message]);
  });
});
