import { describe, expect, it } from 'vitest';
import { closedAgencySentence, isClosedAt, isOpenAt, vietnameseDateTime, vietnamIso } from './succession.js';

const JULY_2025 = new Date('2025-07-01T00:00:00+07:00');
const agency = (over: Partial<{ active: boolean; validFrom: string | null; validTo: string | null; closedAt: Date | null }> = {}) => ({
  active: true,
  validFrom: null,
  validTo: null,
  closedAt: null,
  ...over,
});

describe('succession rules', () => {
  it('an agency is closed from the instant of its closedAt on, not before', () => {
    expect(isClosedAt(agency({ closedAt: JULY_2025 }), new Date(JULY_2025.getTime() - 1))).toBe(false);
    expect(isClosedAt(agency({ closedAt: JULY_2025 }), JULY_2025)).toBe(true);
    expect(isClosedAt(agency(), JULY_2025)).toBe(false);
  });

  it('open means active, within its validity days in Vietnam, and not closed', () => {
    // 30 June 2025 20:00 in UTC is already 1 July in Vietnam.
    const at = new Date('2025-06-30T20:00:00Z');
    expect(isOpenAt(agency(), at)).toBe(true);
    expect(isOpenAt(agency({ active: false }), at)).toBe(false);
    expect(isOpenAt(agency({ validTo: '2025-06-30' }), at)).toBe(false);
    expect(isOpenAt(agency({ validFrom: '2025-07-01' }), at)).toBe(true);
    expect(isOpenAt(agency({ closedAt: JULY_2025 }), at)).toBe(false);
  });

  it('says an instant in Vietnam time, with its offset or as a Vietnamese reader writes it', () => {
    expect(vietnamIso('2025-06-30T17:00:00.000Z')).toBe('2025-07-01T00:00+07:00');
    expect(vietnameseDateTime('2025-06-30T17:00:00.000Z')).toBe('01/07/2025 00:00');
  });

  it('names the successors of a split and the one that receives the documents, in both languages', () => {
    const s = closedAgencySentence({
      code: '000.05.33.H33',
      name: 'UBND xã A',
      closedAt: '2025-06-30T17:00:00.000Z',
      decision: { number: '1654/NQ-UBTVQH15', date: '2025-06-16' },
      successors: [
        { code: '000.06.33.H33', name: 'UBND xã B' },
        { code: '000.07.33.H33', name: 'UBND xã C' },
      ],
      receivingAgency: { code: '000.06.33.H33', name: 'UBND xã B' },
    });
    expect(s.en).toBe(
      '000.05.33.H33 (UBND xã A) closed on 2025-07-01T00:00+07:00 (1654/NQ-UBTVQH15 of 2025-06-16); its successors are 000.06.33.H33 (UBND xã B) and 000.07.33.H33 (UBND xã C); its documents go to 000.06.33.H33 (UBND xã B).',
    );
    expect(s.vi).toBe(
      '000.05.33.H33 (UBND xã A) đã ngừng hoạt động từ 01/07/2025 00:00 (theo 1654/NQ-UBTVQH15 ngày 16/06/2025); cơ quan kế thừa: 000.06.33.H33 (UBND xã B) và 000.07.33.H33 (UBND xã C); văn bản gửi cơ quan này do 000.06.33.H33 (UBND xã B) nhận.',
    );
  });
});
