import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AXIS_SIGNERS, axisSignatureMatches, axisSigner, type SignInput } from '../transport/axis-signing.js';
import { parseTimestamp } from './hub-auth.js';

const key = { systemId: 'qlvb-1', secret: 's3cret' };
const input: SignInput = {
  method: 'POST',
  path: '/updateStatus',
  headers: { docId: 'a1', status: 'done', 'x-gateway': 'ignored' },
  bodySha256: createHash('sha256').update('').digest('hex'),
  timestamp: '2026-12-07T01:02:03.000Z',
};
const hmac = (text: string) => createHmac('sha256', key.secret).update(text).digest('base64');

describe('axis request signing (the schemes the outbound adapter and the hub share)', () => {
  it('v1 signs systemid, timestamp, method, path and the body hash', () => {
    expect(AXIS_SIGNERS['hmac-sha256-v1']!(key, input)).toEqual({
      systemid: 'qlvb-1',
      timestamp: input.timestamp,
      signature: hmac(`qlvb-1\n${input.timestamp}\nPOST\n/updateStatus\n${input.bodySha256}`),
    });
  });

  it('v2 also signs the SDK headers the request carries, by lower-case name in a fixed order, and no other', () => {
    expect(AXIS_SIGNERS['hmac-sha256-v2']!(key, input).signature).toBe(hmac(`qlvb-1\n${input.timestamp}\nPOST\n/updateStatus\ndocid:a1\nstatus:done\n${input.bodySha256}`));
  });

  it('a request matches only with the same key, input and headers', () => {
    const signer = axisSigner('hmac-sha256-v2')!;
    const sent = signer(key, input);
    const header = (h: Record<string, string>) => (name: string) => h[name];
    expect(axisSignatureMatches(signer, key, input, header(sent))).toBe(true);
    expect(axisSignatureMatches(signer, { ...key, secret: 'other' }, input, header(sent))).toBe(false);
    expect(axisSignatureMatches(signer, key, { ...input, headers: { ...input.headers, docId: 'a2' } }, header(sent))).toBe(false);
    expect(axisSignatureMatches(signer, key, input, header({ ...sent, signature: `${sent.signature!.slice(0, -2)}==` }))).toBe(false);
    expect(axisSignatureMatches(signer, key, input, header({ systemid: sent.systemid!, timestamp: sent.timestamp! }))).toBe(false);
  });

  it('names only its own schemes', () => {
    expect(axisSigner(undefined)).toBe(AXIS_SIGNERS['hmac-sha256-v1']);
    expect(axisSigner('toString')).toBeUndefined();
    expect(axisSigner('md5')).toBeUndefined();
  });
});

describe('parseTimestamp', () => {
  it('takes ISO 8601 with a zone and Unix seconds or milliseconds', () => {
    expect(parseTimestamp('2026-12-07T08:02:03+07:00')?.toISOString()).toBe('2026-12-07T01:02:03.000Z');
    expect(parseTimestamp('2026-12-07T01:02:03.456Z')?.toISOString()).toBe('2026-12-07T01:02:03.456Z');
    expect(parseTimestamp('1796605323')?.toISOString()).toBe('2026-12-07T01:02:03.000Z');
    expect(parseTimestamp('1796605323456')?.toISOString()).toBe('2026-12-07T01:02:03.456Z');
  });

  it('refuses a time without a zone, and what is not a time', () => {
    for (const value of ['2026-12-07T01:02:03', '2026-12-07 01:02:03', 'yesterday', '', '2026-13-45T99:99:99Z', '17966053234']) expect(parseTimestamp(value)).toBeNull();
  });
});
