import { describe, expect, it } from 'vitest';
import { canonicalRecipient, DocumentInputSchema } from './documents.schemas.js';

describe('recipients as the directory spells them (issue 15)', () => {
  it.each([
    [' 000.01.33.h33 ', '000.01.33.H33'],
    ['000.01.33.H33', '000.01.33.H33'],
    ['GROUP:KL-xa', 'group:KL-xa'],
    ['group: KL-XA', 'group:KL-XA'],
    ['Children:000.00.33.h33', 'children:000.00.33.H33'],
  ])('%j → %j', (raw, expected) => {
    expect(canonicalRecipient(raw)).toBe(expected);
  });

  it('the schema reads type and recipients so', () => {
    const parsed = DocumentInputSchema.parse({
      type: ' ttr ',
      notation: 'TTr-UBND',
      subject: 'Tờ trình',
      signer: { fullName: 'Nguyễn Văn A', position: 'Chủ tịch' },
      to: ['000.01.33.h33', 'group:KL-XA'],
      attachments: [{ name: 'a.pdf', contentBase64: 'JVBERi0=' }],
    });
    expect(parsed.type).toBe('TTr');
    expect(parsed.to).toEqual(['000.01.33.H33', 'group:KL-XA']);
    expect(parsed.attachments[0]!.contentType).toBeUndefined();
  });
});
