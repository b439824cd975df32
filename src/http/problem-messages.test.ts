import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../errors.js';
import { MESSAGE_VI, problemFieldErrors, problemMessage, problemTitle, specificsOf, TITLE_VI } from './problem-messages.js';
import { invalidField, validationError } from './problem.js';

describe('problemMessage (what the console shows)', () => {
  it('says a domain error in English as thrown, and in the Vietnamese its thrower wrote', () => {
    const error = new DomainError('UNKNOWN_RECIPIENT', 'These recipients resolve to no active agency: 000.09.33.H33.', { vi: 'Không có cơ quan 000.09.33.H33.' });
    expect(problemMessage(error, 'en')).toBe('These recipients resolve to no active agency: 000.09.33.H33.');
    expect(problemMessage(error, 'vi')).toBe('Không có cơ quan 000.09.33.H33.');
    expect(problemTitle(error, 'vi')).toBe('Nơi nhận không xác định');
    expect(problemTitle(error, 'en')).toBe('Unknown recipient');
  });

  it('says a code in Vietnamese where no one wrote it, keeping the specifics of the English', () => {
    const error = new DomainError('UNKNOWN_RECIPIENT', 'Not active agencies of this node: 000.01.33.H33, group:KL-XA. Nothing was stored.');
    expect(problemMessage(error, 'vi')).toBe('Nơi nhận không ứng với cơ quan nào đang hoạt động; không có gì được tạo: 000.01.33.H33, group:KL-XA.');
    expect(problemMessage(new DomainError('FORBIDDEN', 'Admins only.'), 'vi')).toBe(MESSAGE_VI.FORBIDDEN);
    expect(specificsOf('Document 000.00.33.H33,2026/11/26,41/QĐ-UBND is already registered (id 0b7d0a3e-52a4-4f55-a7c4-0c1f4f0a1b2c), "x".')).toEqual([
      '000.00.33.H33,2026/11/26,41/QĐ-UBND',
      '0b7d0a3e-52a4-4f55-a7c4-0c1f4f0a1b2c',
      '"x"',
    ]);
  });

  it('has a Vietnamese title and sentence for every code', () => {
    const codes = Object.keys(TITLE_VI) as ErrorCode[];
    expect(codes.length).toBeGreaterThanOrEqual(20);
    for (const code of codes) {
      expect(TITLE_VI[code], code).toMatch(/\S/);
      expect(MESSAGE_VI[code], code).toMatch(/\.$/);
    }
  });

  it('says a zod failure field by field, and anything else without internals', () => {
    const error = z.object({ subject: z.string() }).safeParse({}).error!;
    expect(problemMessage(error, 'vi', 'document')).toBe('Yêu cầu không hợp lệ: Trích yếu là bắt buộc.');
    expect(problemFieldErrors(error, 'en', 'document')).toEqual([{ path: 'subject', message: 'Subject is required.' }]);
    expect(problemMessage(new Error('connection refused at 10.0.0.5'), 'vi')).toBe(MESSAGE_VI.INTERNAL);
    expect(problemMessage(new Error('connection refused at 10.0.0.5'), 'en')).not.toContain('10.0.0.5');
  });
});

describe('problemFieldErrors', () => {
  it('answers the messages of validationError in either language', () => {
    const failure = z.object({ dueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD') }).safeParse({ dueDate: '31/12' }).error!;
    const error = validationError(failure, 'document', { input: { dueDate: '31/12' }, section: 'document' });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe('The document is not valid: Due date must be a date written YYYY-MM-DD, e.g. 2026-12-31.');
    expect(problemMessage(error, 'vi')).toBe('Văn bản không hợp lệ: Hạn xử lý phải là ngày viết theo dạng YYYY-MM-DD, ví dụ 2026-12-31.');
    expect(problemFieldErrors(error, 'vi')).toEqual([{ path: 'dueDate', message: 'Hạn xử lý phải là ngày viết theo dạng YYYY-MM-DD, ví dụ 2026-12-31.' }]);
  });

  it('names the field of an older bare message, and says the known ones in Vietnamese', () => {
    const error = new DomainError('VALIDATION_FAILED', 'Unknown agencies: 000.09.33.H33.', { errors: [{ path: 'members.2', message: 'no agency 000.09.33.H33' }] });
    expect(problemFieldErrors(error, 'en', 'group')).toEqual([{ path: 'members.2', message: 'Member 3: no agency 000.09.33.H33' }]);
    expect(problemFieldErrors(error, 'vi', 'group')).toEqual([{ path: 'members.2', message: 'Thành viên thứ 3: không có cơ quan nào mang mã 000.09.33.H33.' }]);
    expect(problemMessage(error, 'vi', 'group')).toBe('Yêu cầu không hợp lệ: Thành viên thứ 3: không có cơ quan nào mang mã 000.09.33.H33.');
    const unknown = new DomainError('VALIDATION_FAILED', 'x', { errors: [{ path: 'certificatePem', message: 'expired on 2020-01-01' }] });
    expect(problemFieldErrors(unknown, 'vi', 'certificate')[0]!.message).toBe('Chứng thư số (PEM) không hợp lệ (expired on 2020-01-01).');
  });

  it('invalidField: one field, both languages, the field named from the section', () => {
    const error = invalidField('dueDate', { en: 'must not be before the date of issue', vi: 'không được trước ngày ban hành' }, 'document');
    expect(error.message).toBe('Due date must not be before the date of issue.');
    expect(problemMessage(error, 'vi')).toBe('Hạn xử lý không được trước ngày ban hành.');
    expect(problemFieldErrors(error, 'vi')).toEqual([{ path: 'dueDate', message: 'Hạn xử lý không được trước ngày ban hành.' }]);
  });
});
