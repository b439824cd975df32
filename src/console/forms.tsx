import type { Child } from 'hono/jsx';
import { z } from 'zod';
import { DomainError, type FieldError } from '../errors.js';
import { fieldLabel, type FieldSection } from '../http/field-names.js';
import { problemFieldErrors, problemMessage } from '../http/problem-messages.js';
import { sentence } from '../http/validation-messages.js';

/**
 * Forms of the console's directory and account pages: labelled fields that show, next to
 * themselves, the Vietnamese message of what the API's schema or service refused (the same
 * schemas and services the API routes call: the console states no rule of its own).
 */

/** The message of each field of a form that has one, by the field's `name`. */
export type FieldErrors = Record<string, string>;

/** What a refused form shows: a summary at the top and a message next to each field concerned. */
export interface FormProblem {
  summary: string;
  fields: FieldErrors;
}

/**
 * Field messages thrown by services as bare English predicates that problem-messages.ts does not
 * know yet, in Vietnamese: matched by the field's path and the predicate.
 */
const SERVICE_PREDICATES_VI: ReadonlyArray<[string | RegExp, RegExp, (m: RegExpExecArray) => string]> = [
  [/^(members|agencies)\.\d+$/, /^no agency (.+)$/, (m) => `Không có cơ quan ${m[1]} trong danh bạ.`],
  ['username', /^taken$/, () => 'Tên đăng nhập này đã có người dùng; hãy chọn tên khác.'],
  ['username', /^3–100/, () => 'Tên đăng nhập gồm 3–100 ký tự: chữ thường không dấu a–z, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.'],
  ['password', /^must be (\d+)–(\d+) characters$/, (m) => `Mật khẩu phải có từ ${m[1]} đến ${m[2]} ký tự.`],
  ['currentPassword', /^not right$/, () => 'Mật khẩu hiện tại không đúng.'],
  ['validTo', /^must not be before validFrom$/, () => 'Ngày hết hiệu lực không được trước ngày bắt đầu hiệu lực.'],
  ['parentCode', /^an agency cannot be its own parent$/, () => 'Một cơ quan không thể là cơ quan cấp trên của chính nó.'],
  ['endpoint.partnerId', /^no partner (.+)$/, (m) => `Không có đối tác ${m[1]}.`],
];

/**
 * Details of errors that name no field (certificates, trust anchors), in Vietnamese, for those whose
 * thrower wrote none.
 */
const SERVICE_DETAILS_VI: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [/must hold exactly one PEM certificate|^no PEM CERTIFICATE block found|^expected one PEM CERTIFICATE block/, () => 'Hãy dán đúng một chứng thư số dạng PEM, từ dòng -----BEGIN CERTIFICATE----- đến dòng -----END CERTIFICATE-----.'],
  [/^The CA certificate expired on (\d{4})-(\d{2})-(\d{2})/, (m) => `Chứng thư số của CA đã hết hạn từ ngày ${m[3]}/${m[2]}/${m[1]}.`],
  [/is not a CA certificate/, () => 'Chứng thư số này không phải của một tổ chức cấp chứng thư (CA).'],
  [/^not a readable X\.509/, () => 'Không đọc được chứng thư số: nội dung không phải chứng thư X.509 (RSA) dạng PEM.'],
  [/^not a readable unencrypted private key/, () => 'Không đọc được khoá bí mật: cần khoá RSA dạng PEM, không đặt mật khẩu.'],
  [/^the private key does not match the certificate/, () => 'Khoá bí mật không khớp với chứng thư số.'],
];

function detailVi(error: DomainError): string {
  if (error.vi) return error.vi;
  for (const [re, say] of SERVICE_DETAILS_VI) {
    const m = re.exec(error.message);
    if (m) return say(m);
  }
  return problemMessage(error, 'vi');
}

function serviceMessageVi(error: FieldError): string | undefined {
  if (error.vi) return error.vi;
  for (const [path, re, say] of SERVICE_PREDICATES_VI) {
    const m = (typeof path === 'string' ? path === error.path : path.test(error.path)) ? re.exec(error.message) : null;
    if (m) return say(m);
  }
  return undefined;
}

/**
 * The form field a path of problem+json `errors` is about: the path itself, or the nearest of its
 * parents the form has (`members.3` → `members`, `credentials.secret` → `credentials`).
 */
function fieldOfPath(path: string, fields: readonly string[], fieldOf: Record<string, string> | undefined): string | undefined {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join('.');
    const name = fieldOf?.[candidate] ?? candidate;
    if (fields.includes(name)) return name;
  }
  return undefined;
}

/** A message that is only a predicate ("bắt buộc …") said after its field's name, as a sentence. */
function asSentence(message: string, path: string, section: FieldSection): string {
  if (!/^\p{Ll}/u.test(message)) return message;
  return sentence(fieldLabel(path, 'vi', section), message);
}

/**
 * What to show for an error thrown by a schema or a service, or undefined for anything else (which
 * the caller rethrows: the console's error page and the app's log handle it).
 *
 * - `section`: whose field names the messages use (src/http/field-names.ts);
 * - `fields`: the names of the form's fields; a message for another path goes into the summary;
 * - `fieldOf`: a path's form field when it is not the path itself;
 * - `conflict`: the field and message of a 409 (the code or the name is already used).
 */
export function formProblem(
  error: unknown,
  options: {
    section: FieldSection;
    fields: readonly string[];
    fieldOf?: Record<string, string>;
    conflict?: { field: string; message: string };
    /** The field an error that names none is about (a form of one field). */
    fallbackField?: string;
  },
): FormProblem | undefined {
  if (!(error instanceof DomainError) && !(error instanceof z.ZodError)) return undefined;
  const localised = problemFieldErrors(error, 'vi', options.section);
  const raw = error instanceof DomainError ? (error.errors ?? []) : [];
  const fields: FieldErrors = {};
  const elsewhere: string[] = [];
  localised.forEach((e, i) => {
    const message = asSentence((raw[i] && raw[i].path === e.path ? serviceMessageVi(raw[i]) : undefined) ?? e.message, e.path, options.section);
    const name = fieldOfPath(e.path, options.fields, options.fieldOf);
    if (name) fields[name] = fields[name] ? `${fields[name]} ${message}` : message;
    else elsewhere.push(message);
  });
  if (error instanceof DomainError && error.code === 'CONFLICT' && options.conflict && !Object.keys(fields).length) {
    fields[options.conflict.field] = options.conflict.message;
  }
  if (!Object.keys(fields).length && options.fallbackField && error instanceof DomainError && error.code !== 'NOT_FOUND') {
    fields[options.fallbackField] = elsewhere.length ? elsewhere.join(' ') : detailVi(error);
    elsewhere.length = 0;
  }
  if (Object.keys(fields).length) {
    return { summary: [NOT_SAVED, ...elsewhere].join(' '), fields };
  }
  return { summary: elsewhere.length ? elsewhere.join(' ') : error instanceof DomainError ? detailVi(error) : problemMessage(error, 'vi'), fields };
}

/** The summary of a form refused for what its fields hold. */
export const NOT_SAVED = 'Chưa lưu được: hãy sửa những ô có ghi chú bên dưới.';

/** An id for a field's element, from its name (`endpoint.partnerId` → `f-endpoint-partnerId`). */
export const fieldId = (name: string): string => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

interface FieldProps {
  name: string;
  label: string;
  value?: string | undefined;
  error?: string | undefined;
  hint?: Child;
  type?: 'text' | 'password' | 'email' | 'url' | 'date' | 'number' | 'tel';
  required?: boolean;
  autocomplete?: string;
  maxlength?: number;
  /** A textarea of this many rows instead of an input. */
  rows?: number;
  /** Codes, addresses, usernames: no capitals, no spelling marks. */
  code?: boolean;
  autofocus?: boolean;
  inputmode?: 'numeric' | 'url' | 'email' | 'tel';
}

/** The attributes a control inside a FieldFrame takes: its id, name and how it points at its hint and error. */
export interface ControlAttributes {
  id: string;
  name: string;
  'aria-invalid': 'true' | undefined;
  'aria-describedby': string | undefined;
}

/**
 * The frame every labelled control shares: the label, the hint, the control (given its attributes),
 * and the message when the last try was refused — each pointed at by aria-describedby.
 */
export function FieldFrame(props: { name: string; label: string; hint?: Child; error?: string | undefined; children: (attrs: ControlAttributes) => Child }) {
  const id = fieldId(props.name);
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const attrs: ControlAttributes = {
    id,
    name: props.name,
    'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') || undefined,
  };
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
      {props.children(attrs)}
      {props.error ? (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled input (or textarea) with its hint and, when the last try was refused, its message. */
export function Field(props: FieldProps) {
  return (
    <FieldFrame name={props.name} label={props.label} hint={props.hint} error={props.error}>
      {(attrs) => {
        const common = { ...attrs, required: props.required, autofocus: props.autofocus, ...(props.code ? { autocapitalize: 'none' as const, spellcheck: false } : {}) };
        return props.rows ? (
          <textarea {...common} rows={props.rows} maxlength={props.maxlength}>
            {props.value ?? ''}
          </textarea>
        ) : (
          <input
            {...common}
            type={props.type ?? 'text'}
            value={props.type === 'password' ? undefined : (props.value ?? '')}
            autocomplete={props.autocomplete}
            maxlength={props.maxlength}
            inputmode={props.inputmode}
          />
        );
      }}
    </FieldFrame>
  );
}

/** A labelled select. */
export function SelectField(props: { name: string; label: string; value?: string | undefined; options: ReadonlyArray<readonly [string, string]>; error?: string | undefined; hint?: Child }) {
  return (
    <FieldFrame name={props.name} label={props.label} hint={props.hint} error={props.error}>
      {(attrs) => (
        <select {...attrs}>
          {props.options.map(([value, text]) => (
            <option value={value} selected={value === (props.value ?? '')}>
              {text}
            </option>
          ))}
        </select>
      )}
    </FieldFrame>
  );
}

/** A checkbox with its label after it. */
export function CheckField(props: { name: string; label: string; checked: boolean; value?: string; hint?: Child; id?: string }) {
  const id = props.id ?? fieldId(props.name);
  const hintId = props.hint ? `${id}-hint` : undefined;
  return (
    <div class="check">
      <input type="checkbox" id={id} name={props.name} value={props.value ?? 'on'} checked={props.checked} aria-describedby={hintId} />
      <label for={id}>{props.label}</label>
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

/** The first field of a refused form that has a message: it takes the focus, for the keyboard. */
export const firstInvalid = (problem: FormProblem | undefined, order: readonly string[]): string | undefined =>
  problem ? order.find((name) => problem.fields[name] !== undefined) : undefined;
