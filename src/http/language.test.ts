import { describe, expect, it } from 'vitest';
import { preferredLanguage } from './language.js';

describe('preferredLanguage (Accept-Language, RFC 9110 §12.5.4)', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['vi', 'vi'],
    ['VI-vn', 'vi'],
    ['vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7', 'vi'],
    ['en-US,en;q=0.9,vi;q=0.8', 'en'],
    ['en;q=0.5, vi;q=0.8', 'vi'],
    ['vi;q=0.1, en', 'en'],
    ['fr-FR, vi;q=0.3', 'vi'],
    ['fr, de', 'en'],
    ['*', 'en'],
    ['vi;q=0, *', 'en'],
    ['en;q=0, *', 'vi'],
    ['vi;q=0', 'en'],
    ['vi, en', 'vi'],
    ['en, vi', 'en'],
    ['vi;q=abc', 'vi'],
    [';;;,,,', 'en'],
  ])('%j → %s', (header, expected) => {
    expect(preferredLanguage(header)).toBe(expected);
  });
});
