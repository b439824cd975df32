import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { CURSOR_KEYS, decodeCursor, encodeCursor, timeKey, type CursorKey } from './pagination.js';

const forged = (k: unknown) => Buffer.from(JSON.stringify({ k }), 'utf8').toString('base64url');

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('cursors', () => {
  const id = '0b9e4a8e-6f3c-4d5e-9a1b-2c3d4e5f6a7b';

  it('give back the key they were made from, typed by the list', () => {
    const at = new Date('2026-11-26T01:02:03.456Z');
    expect(decodeCursor(encodeCursor(timeKey(at, id)), CURSOR_KEYS.time)).toEqual({ at, id });
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(decodeCursor(encodeCursor('000.00.33.H33'), CURSOR_KEYS.code)).toBe('000.00.33.H33');
    expect(decodeCursor(encodeCursor('12345'), CURSOR_KEYS.serial)).toBe('12345');
    expect(decodeCursor(undefined, CURSOR_KEYS.time)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'xyz', CURSOR_KEYS.time],
    ['JSON null', Buffer.from('null').toString('base64url'), CURSOR_KEYS.id],
    ['a number for a key', forged(5), CURSOR_KEYS.id],
    ['garbage for a time key', forged('garbage'), CURSOR_KEYS.time],
    ['an impossible date', forged(`2026-13-45T99:00:00.000Z|${id}`), CURSOR_KEYS.time],
    ['a time without its id', forged('2026-11-26T01:02:03.456Z|'), CURSOR_KEYS.time],
    ['a code for a row id', forged('000.00.33.H33'), CURSOR_KEYS.id],
    ['a NUL byte in a code', forged('abc\u0000'), CURSOR_KEYS.code],
    ['a serial beyond bigint', forged('99999999999999999999'), CURSOR_KEYS.serial],
  ] as Array<[string, string, CursorKey<unknown>]>)('refuses %s with 422 on `cursor`', (_what, cursor, key) => {
    const error = refusal(() => decodeCursor(cursor, key));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(422);
    expect(error.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('takes a row id by default', () => {
    expect(refusal(() => decodeCursor(forged('not-a-uuid'))).code).toBe('VALIDATION_FAILED');
  });
});
