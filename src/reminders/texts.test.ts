import { describe, expect, it } from 'vitest';
import { deadlineTitle, digestLine, digestTitle, mailBody, mailSubject, vietnameseTime } from './texts.js';

const counterpart = { code: '000.00.33.H33', name: 'UBND huyện Kiên Lương' };

describe('reminder texts', () => {
  it('headlines say which deadline, the number and the trích yếu; the sender is told which recipient', () => {
    const base = { documentCode: '12/CT-UBND', documentSubject: 'Về việc triển khai dịch vụ công trực tuyến', counterpart } as const;
    expect(deadlineTitle({ ...base, type: 'overdue', deadlineKind: 'processing', side: 'recipient' })).toBe('Quá hạn xử lý: 12/CT-UBND — Về việc triển khai dịch vụ công trực tuyến');
    expect(deadlineTitle({ ...base, type: 'due_soon', deadlineKind: 'registration', side: 'recipient' })).toBe('Sắp đến hạn vào sổ: 12/CT-UBND — Về việc triển khai dịch vụ công trực tuyến');
    expect(deadlineTitle({ ...base, type: 'overdue', deadlineKind: 'registration', side: 'sender', counterpart: { code: '000.02.33.H33', name: 'UBND xã Bình An' } })).toBe(
      'Quá hạn vào sổ: 12/CT-UBND (UBND xã Bình An) — Về việc triển khai dịch vụ công trực tuyến',
    );
  });

  it('a long trích yếu is shortened, and a subject never spans lines', () => {
    const title = deadlineTitle({ type: 'overdue', deadlineKind: 'processing', side: 'recipient', documentCode: '01/KH-UBND', documentSubject: 'Kế hoạch '.repeat(60), counterpart });
    expect(title.length).toBeLessThan(200);
    expect(title.endsWith('…')).toBe(true);
    expect(mailSubject('a\r\nBcc: x@example.com')).toBe('[lienthong] a Bcc: x@example.com');
  });

  it('times are Vietnam wall-clock times, dates day/month/year', () => {
    expect(vietnameseTime(new Date('2026-12-31T10:00:00Z'))).toBe('17:00 ngày 31/12/2026');
    expect(vietnameseTime('2026-12-31T17:30:00Z')).toBe('00:30 ngày 01/01/2027');
    expect(digestTitle('2026-12-08', { dueSoon: 1, overdue: 2 })).toBe('Tổng hợp hạn xử lý ngày 08/12/2026: 2 quá hạn, 1 sắp đến hạn');
  });

  it('the e-mail body names the document, the other side, the deadline and how late it is', () => {
    const body = mailBody({
      type: 'overdue',
      deadlineKind: 'processing',
      side: 'recipient',
      agencyName: 'UBND xã Bình An',
      due: new Date('2026-12-31T10:00:00Z'),
      digestDay: null,
      title: 'Quá hạn xử lý: 12/CT-UBND — Về việc triển khai',
      details: { documentCode: '12/CT-UBND', documentSubject: 'Về việc triển khai', counterpart, overdueWorkingDays: 3, link: 'https://lienthong.example/inbox/1' },
    });
    expect(body).toContain('Kính gửi văn thư UBND xã Bình An,');
    expect(body).toContain('Cơ quan gửi: UBND huyện Kiên Lương (000.00.33.H33)');
    expect(body).toContain('Hạn xử lý: 17:00 ngày 31/12/2026');
    expect(body).toContain('Tình trạng: quá hạn 3 ngày làm việc.');
    expect(body).toContain('Xem văn bản: https://lienthong.example/inbox/1');
  });

  it('a digest lists its entries by side', () => {
    const entry = {
      side: 'sender' as const,
      subjectType: 'delivery' as const,
      subjectId: 'x',
      deadlineKind: 'processing' as const,
      state: 'due_soon' as const,
      due: '2026-12-08T10:00:00.000Z',
      overdueWorkingDays: 0,
      documentCode: '12/CT-UBND',
      documentSubject: 'Về việc triển khai',
      counterpart: { code: '000.02.33.H33', name: 'UBND xã Bình An' },
    };
    expect(digestLine(entry)).toBe('12/CT-UBND (UBND xã Bình An) — Về việc triển khai — hạn xử lý 17:00 ngày 08/12/2026 — sắp đến hạn');
    const body = mailBody({ type: 'digest', deadlineKind: null, side: null, agencyName: 'UBND huyện Kiên Lương', due: null, digestDay: '2026-12-08', title: '', details: { entries: [entry], counts: { dueSoon: 1, overdue: 0 } } });
    expect(body).toContain('Văn bản đi (theo dõi nơi nhận):\n- 12/CT-UBND (UBND xã Bình An)');
    expect(body).not.toContain('Văn bản đến:');
  });
});
