import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { isoDate } from './edge-input.js';
import { zodFieldErrors } from './validation-messages.js';
import { xmlText } from './xml-text.js';

const Document = z
  .object({
    subject: xmlText().trim().min(1).max(10),
    signer: z.object({ fullName: z.string().min(1), position: z.string() }).strict(),
    priority: z.number().int().min(0).max(4),
    dueDate: isoDate().optional(),
    to: z.array(z.string().regex(/^\d{3}$/, 'must have the shape XXX.YY.ZZ.Lnn, e.g. 000.00.33.H33')).min(1),
    confidentiality: z.enum(['normal']).optional(),
  })
  .strict();

const errorsOf = (input: unknown, options: { section?: 'document' | 'agency'; withInput?: boolean } = {}) => {
  const result = Document.safeParse(input);
  if (result.success) throw new Error('expected a failure');
  return zodFieldErrors(result.error, { section: options.section ?? 'document', ...(options.withInput === false ? {} : { input }) });
};

describe('zodFieldErrors', () => {
  it('names each field in plain words, in English and Vietnamese', () => {
    expect(errorsOf({ signer: { fullName: 'A', position: 'B' }, priority: 0, to: ['001'] })).toEqual([
      { path: 'subject', message: 'Subject is required.', vi: 'Trích yếu là bắt buộc.' },
    ]);
    expect(errorsOf({ subject: 'x', signer: { fullName: '' }, priority: 7, to: [] })).toEqual([
      { path: 'signer.fullName', message: "Signer's full name must not be empty.", vi: 'Họ tên người ký không được để trống.' },
      { path: 'signer.position', message: "Signer's position is required.", vi: 'Chức vụ người ký là bắt buộc.' },
      { path: 'priority', message: 'Urgency must be at most 4.', vi: 'Độ khẩn không được lớn hơn 4.' },
      { path: 'to', message: 'Recipient list must have at least one entry.', vi: 'Danh sách nơi nhận phải có ít nhất một mục.' },
    ]);
  });

  it('tells a missing field from one of the wrong type (from the input, or from zod’s words without it)', () => {
    const wrong = { subject: 5, signer: { fullName: 'A', position: 'B' }, priority: 1.5, to: ['001'] };
    expect(errorsOf(wrong).map((e) => e.message)).toEqual(['Subject must be text.', 'Urgency must be a whole number.']);
    expect(errorsOf({ ...wrong, subject: undefined }, { withInput: false })[0]!.message).toBe('Subject is required.');
  });

  it('gives one message per field: a bad date is one mistake', () => {
    const base = { subject: 'x', signer: { fullName: 'A', position: 'B' }, priority: 0, to: ['001'] };
    expect(errorsOf({ ...base, dueDate: '2026-02-30' })).toEqual([
      { path: 'dueDate', message: 'Due date is not a real date (2026-02-30).', vi: 'Hạn xử lý không phải là một ngày có thật (2026-02-30).' },
    ]);
    expect(errorsOf({ ...base, subject: ' \u0001 long subject text ' }).map((e) => e.path)).toEqual(['subject']);
  });

  it('numbers list entries from 1, and says our own checks in both languages', () => {
    const errors = errorsOf({ subject: 'a\u0002', signer: { fullName: 'A', position: 'B' }, priority: 0, to: ['001', 'x'], confidentiality: 'secret' });
    expect(errors).toEqual([
      { path: 'subject', message: 'Subject contains U+0002 at character 2, which XML 1.0 cannot carry.', vi: 'Trích yếu chứa ký tự U+0002 ở vị trí 2, ký tự mà XML 1.0 không cho phép.' },
      { path: 'to.1', message: 'Recipient 2 must have the shape XXX.YY.ZZ.Lnn, e.g. 000.00.33.H33.', vi: 'Nơi nhận thứ 2 phải có dạng XXX.YY.ZZ.Lnn, ví dụ 000.00.33.H33.' },
      { path: 'confidentiality', message: 'Confidentiality must be normal.', vi: 'Độ mật phải là normal.' },
    ]);
  });

  it('names each unknown field on its own path', () => {
    const errors = errorsOf({ subject: 'x', signer: { fullName: 'A', position: 'B', title: 'Ông' }, priority: 0, to: ['001'], surprise: 1, extra: 2 });
    expect(errors.map((e) => e.path)).toEqual(['signer.title', 'surprise', 'extra']);
    expect(errors[1]).toEqual({
      path: 'surprise',
      message: '"surprise" is not a field of this request; leave it out.',
      vi: '"surprise" không phải là một trường của yêu cầu này; hãy bỏ trường này đi.',
    });
  });

  it('reads the same path in the section of the request (code: an agency’s, a status’s)', () => {
    const schema = z.object({ code: z.string() });
    const error = schema.safeParse({}).error!;
    expect(zodFieldErrors(error, { input: {}, section: 'agency' })[0]!.message).toBe('Agency code is required.');
    expect(zodFieldErrors(error, { input: {}, section: 'status' })[0]!.vi).toBe('Mã trạng thái là bắt buộc.');
    expect(zodFieldErrors(error, { input: {} })[0]!.message).toBe('Code is required.');
    expect(zodFieldErrors(z.object({ q: z.string() }).safeParse({}).error!, { input: {} })[0]!.message).toBe('"q" is required.');
  });

  it('lists the values of an enum of digit codes in order', () => {
    const error = z.object({ code: z.enum(['02', '03', '15', '16']) }).safeParse({ code: '07' }).error!;
    expect(zodFieldErrors(error, { section: 'status' })[0]!.message).toBe('Status code must be one of 02, 03, 15, 16.');
  });
});
