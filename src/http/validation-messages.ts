import type { z } from 'zod';
import type { FieldError } from '../errors.js';
import { fieldLabel, type FieldSection } from './field-names.js';

/**
 * Validation messages a clerk understands (issue 15), in place of the validator's wording ("Invalid
 * input: expected string, received undefined"): each names the field in plain words, in English and
 * in Vietnamese, one message per field.
 */

/** What is wrong with a field, in both languages, as the rest of a sentence that starts with the field's name. */
export interface Predicate {
  en: string;
  vi: string;
}

/** The first letter in upper case (Vietnamese letters included: đ → Đ). */
export const capitalise = (s: string): string => (s ? s[0]!.toLocaleUpperCase('vi') + s.slice(1) : s);

/** "<Field> <predicate>." in one language. */
export function sentence(label: string, predicate: string): string {
  const text = `${capitalise(label)} ${predicate}`;
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/** A field error whose messages name the field (`path`) in plain words: `{ path, message, vi }`. */
export function fieldError(path: string, predicate: Predicate, section?: FieldSection): FieldError {
  return {
    path,
    message: sentence(fieldLabel(path, 'en', section), predicate.en),
    vi: sentence(fieldLabel(path, 'vi', section), predicate.vi),
  };
}

/**
 * The fixed English messages our schemas give their own checks (regexes, refinements), as predicates
 * in both languages. A check with a message that varies carries `params.key` instead (see CUSTOM).
 */
const PHRASES: Readonly<Record<string, Predicate>> = {
  'must be a date YYYY-MM-DD': { en: 'must be a date written YYYY-MM-DD, e.g. 2026-12-31', vi: 'phải là ngày viết theo dạng YYYY-MM-DD, ví dụ 2026-12-31' },
  'not a real date': { en: 'is not a real date', vi: 'không phải là một ngày có thật' },
  'must look like CT-UBND or UBND-VP': {
    en: 'must look like CT-UBND or UBND-VP: letters and digits in parts joined by - or .',
    vi: 'phải có dạng như CT-UBND hoặc UBND-VP: chữ và số, các phần nối bằng - hoặc .',
  },
  'a code, group:CODE or children:CODE': {
    en: 'must be an agency code (e.g. 000.00.33.H33), group:CODE or children:CODE',
    vi: 'phải là mã định danh cơ quan (ví dụ 000.00.33.H33), group:MÃ_NHÓM hoặc children:MÃ_CƠ_QUAN',
  },
  'must have the shape XXX.YY.ZZ.Lnn, e.g. 000.00.33.H33': {
    en: 'must have the shape XXX.YY.ZZ.Lnn, e.g. 000.00.33.H33',
    vi: 'phải có dạng XXX.YY.ZZ.Lnn, ví dụ 000.00.33.H33',
  },
  'letters, digits, . _ - (max 100)': {
    en: 'may hold only letters, digits, ".", "_" and "-" (at most 100), starting with a letter or digit',
    vi: 'chỉ gồm chữ cái, chữ số, ".", "_" và "-" (tối đa 100 ký tự), bắt đầu bằng chữ cái hoặc chữ số',
  },
  'must be http(s)': { en: 'must be an http:// or https:// address', vi: 'phải là địa chỉ http:// hoặc https://' },
  'give both username and password, or neither': {
    en: 'goes with a user name: give both, or neither',
    vi: 'phải đi cùng tên đăng nhập: cho cả hai, hoặc không cho cả hai',
  },
};

/** Checks whose message carries values (`params: { key, … }`), said in both languages. */
const CUSTOM: Readonly<Record<string, (p: Record<string, unknown>) => Predicate>> = {
  // src/http/xml-text.ts
  xml_char: (p) => ({
    en: `contains ${String(p.codePoint)} at character ${String(p.position)}, which XML 1.0 cannot carry`,
    vi: `chứa ký tự ${String(p.codePoint)} ở vị trí ${String(p.position)}, ký tự mà XML 1.0 không cho phép`,
  }),
  // src/http/edge-input.ts isoDate()
  date_format: () => PHRASES['must be a date YYYY-MM-DD']!,
  real_date: (p) => ({ en: `is not a real date (${String(p.value)})`, vi: `không phải là một ngày có thật (${String(p.value)})` }),
};

const TYPE_NAMES: Readonly<Record<string, Predicate>> = {
  string: { en: 'must be text', vi: 'phải là chuỗi ký tự' },
  number: { en: 'must be a number', vi: 'phải là một số' },
  int: { en: 'must be a whole number', vi: 'phải là số nguyên' },
  boolean: { en: 'must be true or false', vi: 'phải là true hoặc false' },
  array: { en: 'must be a list', vi: 'phải là một danh sách' },
  object: { en: 'must be an object', vi: 'phải là một đối tượng JSON' },
  record: { en: 'must be an object', vi: 'phải là một đối tượng JSON' },
  null: { en: 'must be null', vi: 'phải là null' },
};

const FORMATS: Readonly<Record<string, Predicate>> = {
  email: { en: 'must be an email address', vi: 'phải là địa chỉ email hợp lệ' },
  url: { en: 'must be a URL', vi: 'phải là một địa chỉ URL' },
  datetime: {
    en: 'must be a date and time with its offset, e.g. 2026-11-26T08:30:00+07:00',
    vi: 'phải là ngày giờ kèm múi giờ, ví dụ 2026-11-26T08:30:00+07:00',
  },
  date: PHRASES['must be a date YYYY-MM-DD']!,
  uuid: { en: 'must be an id (UUID)', vi: 'phải là mã dạng UUID' },
  guid: { en: 'must be an id (UUID)', vi: 'phải là mã dạng UUID' },
};

const NOT_VALID: Predicate = { en: 'is not valid', vi: 'không hợp lệ' };

const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
/**
 * Values joined for a message. Codes made of digits are sorted: zod keeps an enum's values as the keys
 * of an object, which puts `15` before `02`.
 */
const list = (values: readonly unknown[]): string => {
  const digits = values.every((v) => typeof v === 'string' && /^\d+$/.test(v));
  return (digits ? [...(values as string[])].sort() : values).map(shown).join(', ');
};

type Issue = z.core.$ZodIssue;

/** The value at a path of the input, and whether the path reaches it (its parents exist). */
function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return { found: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
}

/** What is wrong, as a predicate of the field named by the issue's path. */
export function issuePredicate(issue: Issue, input?: { value: unknown }): Predicate {
  switch (issue.code) {
    case 'invalid_type': {
      const missing = input ? valueAt(input.value, issue.path).value === undefined : /received undefined$/.test(issue.message);
      if (missing) return { en: 'is required', vi: 'là bắt buộc' };
      return TYPE_NAMES[issue.expected] ?? { en: `must be of type ${issue.expected}`, vi: `phải có kiểu ${issue.expected}` };
    }
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'string') {
        if (n <= 1) return { en: 'must not be empty', vi: 'không được để trống' };
        return issue.exact ? { en: `must be exactly ${n} characters long`, vi: `phải có đúng ${n} ký tự` } : { en: `must be at least ${n} characters long`, vi: `phải có ít nhất ${n} ký tự` };
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return n <= 1 ? { en: 'must have at least one entry', vi: 'phải có ít nhất một mục' } : { en: `must have at least ${n} entries`, vi: `phải có ít nhất ${n} mục` };
      }
      return issue.inclusive === false ? { en: `must be greater than ${n}`, vi: `phải lớn hơn ${n}` } : { en: `must be at least ${n}`, vi: `không được nhỏ hơn ${n}` };
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'string') return { en: `must be at most ${n} characters long`, vi: `không được dài quá ${n} ký tự` };
      if (issue.origin === 'array' || issue.origin === 'set') return { en: `must have at most ${n} entries`, vi: `không được quá ${n} mục` };
      return issue.inclusive === false ? { en: `must be less than ${n}`, vi: `phải nhỏ hơn ${n}` } : { en: `must be at most ${n}`, vi: `không được lớn hơn ${n}` };
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? { en: `must be ${shown(issue.values[0])}`, vi: `phải là ${shown(issue.values[0])}` }
        : { en: `must be one of ${list(issue.values)}`, vi: `phải là một trong các giá trị ${list(issue.values)}` };
    case 'invalid_format':
      return PHRASES[issue.message] ?? FORMATS[issue.format] ?? { en: 'is not in the expected form', vi: 'không đúng định dạng' };
    case 'not_multiple_of':
      return { en: `must be a multiple of ${String(issue.divisor)}`, vi: `phải là bội số của ${String(issue.divisor)}` };
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options?.length) return { en: `must be one of ${list(options)}`, vi: `phải là một trong các giá trị ${list(options)}` };
      return { en: 'does not match any accepted form', vi: 'không khớp với dạng nào được chấp nhận' };
    }
    case 'custom': {
      const params = (issue.params ?? {}) as Record<string, unknown>;
      const custom = typeof params.key === 'string' ? CUSTOM[params.key] : undefined;
      if (custom) return custom(params);
      // A refinement of a schema this table does not know yet: its own words, in both languages.
      return PHRASES[issue.message] ?? (issue.message ? { en: `is not valid: ${issue.message}`, vi: `không hợp lệ (${issue.message})` } : NOT_VALID);
    }
    default:
      return NOT_VALID;
  }
}

/** A dotted path (`to.2`, `signer.fullName`); `(body)` for the whole body. */
export const dottedPath = (path: readonly PropertyKey[]): string => path.map(String).join('.') || '(body)';

/**
 * The field errors of a zod failure: one per field (the first problem found with it; a bad date is
 * one mistake, not a format error and a calendar error), one per unknown field, each naming the field
 * in plain words in English and Vietnamese. `input` (what was parsed) tells a missing field from one
 * of the wrong type; `section` which request's field names apply (see field-names.ts).
 */
export function zodFieldErrors(error: z.ZodError, options: { input?: unknown; section?: FieldSection } = {}): FieldError[] {
  const { section } = options;
  const input = 'input' in options ? { value: options.input } : undefined;
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  const add = (e: FieldError) => {
    if (seen.has(e.path)) return;
    seen.add(e.path);
    errors.push(e);
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = dottedPath([...issue.path, key]);
        add({
          path,
          message: `"${path}" is not a field of this request; leave it out.`,
          vi: `"${path}" không phải là một trường của yêu cầu này; hãy bỏ trường này đi.`,
        });
      }
      continue;
    }
    add(fieldError(dottedPath(issue.path), issuePredicate(issue, input), section));
  }
  return errors;
}
