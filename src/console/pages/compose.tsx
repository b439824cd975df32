import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import { activeChildCount, findAgency, recipientCandidates } from '../../directory/directory.repository.js';
import { DOCUMENT_TYPES } from '../../registers/document-types.js';
import { canonicalRecipient, DocumentInputSchema, MAX_ATTACHMENTS, type DocumentInput } from '../../documents/documents.schemas.js';
import { checkDocumentInput, createDocument, fileSha256, type Clerk, type DocumentView, type UploadedFile } from '../../documents/documents.service.js';
import { resolveRecipients } from '../../documents/recipients.js';
import { DomainError } from '../../errors.js';
import { requireUser } from '../../http/auth.js';
import { readMultipart, type MultipartFile } from '../../http/body.js';
import { edgeSchema } from '../../http/edge-input.js';
import { idempotent } from '../../http/idempotency.js';
import { validationError } from '../../http/problem.js';
import { problemFieldErrors, problemMessage } from '../../http/problem-messages.js';
import type { ConsoleDeps } from '../deps.js';
import { Csrf, Page } from '../layout.js';
import { checkCsrfToken, csrf, needViewer, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { fileSize, PRIORITY_TEXT } from '../texts.js';
import { promulgationPlace } from '../../directory/place.js';

/**
 * Soạn văn bản (UI.md "Compose"): every NĐ 30 field POST /v1/documents takes, checked by the same
 * schema and services as the API (DocumentInputSchema, checkDocumentInput, createDocument), sent
 * once per form (an idempotency key made when the form is shown), and on any refusal shown again
 * with everything typed and a Vietnamese message next to each field concerned.
 */

/**
 * The form's fields, by their `name`; every value is kept as typed when the form comes back. With
 * `_csrf` and `idempotencyKey` they must stay within readMultipart's 20 fields.
 */
const FIELDS = [
  'type',
  'notation',
  'subject',
  'content',
  'competence',
  'signerName',
  'signerPosition',
  'place',
  'to',
  'toPlaces',
  'priority',
  'confidentiality',
  'steeringType',
  'dueDate',
] as const;
type FieldName = (typeof FIELDS)[number] | 'files';
type Values = Record<(typeof FIELDS)[number], string>;

const EMPTY: Values = Object.fromEntries(FIELDS.map((f) => [f, ''])) as Values;
const DEFAULTS: Values = { ...EMPTY, priority: '0', confidentiality: 'normal', steeringType: '1' };

/** The fields in the order the form shows them: the summary lists its messages in this order. */
const ORDER: readonly FieldName[] = [...FIELDS, 'files'];

/** NĐ 30/2020 Phụ lục I: how the signer signs for the agency (thẩm quyền ký). */
const COMPETENCES: ReadonlyArray<readonly [string, string]> = [
  ['', 'Không ghi (người đứng đầu ký)'],
  ['TM.', 'TM. — thay mặt tập thể'],
  ['KT.', 'KT. — ký thay người đứng đầu'],
  ['Q.', 'Q. — quyền'],
  ['TL.', 'TL. — thừa lệnh'],
  ['TUQ.', 'TUQ. — thừa ủy quyền'],
];

/** edXML SteeringType (QCVN 102:2016). */
const STEERING: ReadonlyArray<readonly [string, string]> = [
  ['1', 'Không phải văn bản chỉ đạo'],
  ['2', 'Văn bản chỉ đạo'],
  ['3', 'Báo cáo thực hiện chỉ đạo'],
];

/**
 * Độ mật. Secret documents never travel over this system (DESIGN.md §4): the choice is offered so
 * that the rule is said where it applies, and the service refuses anything but "normal".
 */
const CONFIDENTIALITY: ReadonlyArray<readonly [string, string]> = [
  ['normal', 'Thường (không mật)'],
  ['mật', 'Mật'],
  ['tối mật', 'Tối mật'],
  ['tuyệt mật', 'Tuyệt mật'],
];

const TYPE_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Chọn loại văn bản'],
  ...[...DOCUMENT_TYPES.values()].sort((a, b) => a.name.localeCompare(b.name, 'vi')).map((t) => [t.key, t.name] as const),
];

/** Where each problem+json path of a DocumentInput is typed in this form. */
const FIELD_OF_PATH: ReadonlyArray<readonly [RegExp, FieldName]> = [
  [/^type$/, 'type'],
  [/^notation$/, 'notation'],
  [/^subject$/, 'subject'],
  [/^content$/, 'content'],
  [/^promulgation\.place$/, 'place'],
  [/^signer\.competence$/, 'competence'],
  [/^signer\.position$/, 'signerPosition'],
  [/^signer(\.fullName)?$/, 'signerName'],
  [/^to(\.\d+)?$/, 'to'],
  [/^toPlaces(\.\d+)?$/, 'toPlaces'],
  [/^priority$/, 'priority'],
  [/^confidentiality$/, 'confidentiality'],
  [/^steeringType$/, 'steeringType'],
  [/^dueDate$/, 'dueDate'],
  [/^attachments(\.|$)/, 'files'],
];
const fieldOfPath = (path: string): FieldName | undefined => FIELD_OF_PATH.find(([re]) => re.test(path))?.[1];

/** What a refused form shows: a summary at the top, a message next to each field concerned. */
interface Problem {
  summary: string;
  fields: Partial<Record<FieldName, string>>;
}

/** Recipients as typed: codes, group:CODE, children:CODE, separated by commas, semicolons or new lines. */
const splitRecipients = (text: string): string[] =>
  text
    .split(/[,;\n\r]+/)
    .map((s) => s.trim())
    .filter(Boolean);

const lines = (text: string): string[] =>
  text
    .split(/[\n\r]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** The DocumentInput a filled form stands for (before the schema): empty optional fields are left out. */
function inputOf(v: Values): Record<string, unknown> {
  const number = (s: string) => (/^\d{1,2}$/.test(s) ? Number(s) : s);
  return {
    type: v.type,
    notation: v.notation,
    subject: v.subject,
    ...(v.content ? { content: v.content } : {}),
    promulgation: v.place ? { place: v.place } : {},
    signer: { fullName: v.signerName, position: v.signerPosition, ...(v.competence ? { competence: v.competence } : {}) },
    priority: number(v.priority || '0'),
    confidentiality: v.confidentiality || 'normal',
    steeringType: number(v.steeringType || '1'),
    ...(v.dueDate ? { dueDate: v.dueDate } : {}),
    to: splitRecipients(v.to),
    toPlaces: lines(v.toPlaces),
  };
}

const NOT_KEPT = (files: string[]) =>
  `Trình duyệt không giữ lại được tệp đã chọn: hãy đính kèm lại ${files.length === 1 ? 'tệp' : `${files.length} tệp`} ${files.join(', ')}.`;

/** A refusal in Vietnamese, each field-level message next to its field (problem-messages.ts says them). */
function problemOf(error: unknown): Problem | undefined {
  if (!(error instanceof DomainError) && !(error instanceof z.ZodError)) return undefined;
  const fields: Problem['fields'] = {};
  const elsewhere: string[] = [];
  for (const e of problemFieldErrors(error, 'vi', 'document')) {
    const name = fieldOfPath(e.path);
    if (name) fields[name] = fields[name] ? `${fields[name]} ${e.message}` : e.message;
    else elsewhere.push(e.message);
  }
  const code = error instanceof DomainError ? error.code : 'VALIDATION_FAILED';
  const message = problemMessage(error, 'vi', 'document');
  // A refusal of the whole document that one field explains.
  if (code === 'SECRET_NOT_ALLOWED') fields.confidentiality ??= message;
  if (code === 'PAYLOAD_TOO_LARGE') fields.files ??= `${message} Hãy bớt tệp hoặc dùng tệp nhỏ hơn.`;
  if (fields.to) fields.to += ' Gõ mã định danh, hoặc gõ tên cơ quan rồi chọn trong danh sách gợi ý.';
  if (Object.keys(fields).length) {
    return { summary: ['Chưa gửi được văn bản: hãy sửa những ô có ghi chú bên dưới.', ...elsewhere].join(' '), fields };
  }
  if (code === 'UNAVAILABLE') return { summary: 'Hệ thống đang tạm gián đoạn nên chưa gửi được văn bản; chưa có gì được tạo. Hãy bấm Gửi lại sau ít phút.', fields };
  return { summary: `Chưa gửi được văn bản: ${message}`, fields };
}

const fieldId = (name: FieldName): string => `f-${name}`;

/** Label, hint, control and — when the last try was refused — its message, tied together for screen readers. */
function Field(props: { name: FieldName; label: string; required?: boolean; hint?: Child; error?: string | undefined; children: (attrs: Record<string, string | undefined>) => Child }) {
  const id = fieldId(props.name);
  const hasHint = props.hint !== undefined || props.required;
  const hintId = hasHint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  // The label is the control's name exactly as UI.md gives it; "bắt buộc" is said in the hint.
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      {hasHint ? (
        <p class="hint" id={hintId}>
          {props.required ? <span class="req">Bắt buộc.</span> : null}
          {props.required && props.hint !== undefined ? ' ' : null}
          {props.hint}
        </p>
      ) : null}
      {props.children({
        id,
        name: props.name,
        'aria-invalid': props.error ? 'true' : undefined,
        'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') || undefined,
        'aria-required': props.required ? 'true' : undefined,
      })}
      {props.error ? (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

const Options = (props: { options: ReadonlyArray<readonly [string, string]>; value: string }) => (
  <>
    {props.options.map(([value, text]) => (
      <option value={value} selected={value === props.value}>
        {text}
      </option>
    ))}
  </>
);

interface ComposeProps {
  viewer: Viewer;
  values: Values;
  idempotencyKey: string;
  defaultPlace: string;
  /** The agency's own `children:` recipient, when agencies sit under it. */
  ownChildren: { spec: string; count: number } | undefined;
  problem?: Problem | undefined;
  /** Files the browser sent with the refused try: it cannot keep them. */
  lostFiles?: string[];
  maxFileBytes: number;
}

function ComposePage(props: ComposeProps) {
  const { values: v, problem } = props;
  const err = (name: FieldName) => problem?.fields[name];
  const lost = props.lostFiles?.length ? NOT_KEPT(props.lostFiles) : undefined;
  const filesMessage = [err('files'), lost].filter(Boolean).join(' ') || undefined;
  return (
    <Page title="Soạn văn bản" viewer={props.viewer} active="compose">
      {problem ? (
        <div class="notice error" role="alert" id="form-problem" tabindex={-1} data-autofocus>
          <p>{problem.summary}</p>
          {Object.keys(problem.fields).length ? (
            <ul>
              {ORDER.filter((n) => problem.fields[n]).map((n) => (
                <li>
                  <a href={`#${fieldId(n)}`}>{problem.fields[n]}</a>
                </li>
              ))}
            </ul>
          ) : null}
          {lost && !err('files') ? <p>{lost}</p> : null}
        </div>
      ) : null}
      <form
        method="post"
        action="/compose"
        enctype="multipart/form-data"
        class="card compose"
        data-max-file-bytes={String(props.maxFileBytes)}
        data-max-files={String(MAX_ATTACHMENTS)}
      >
        <Csrf viewer={props.viewer} />
        {/* One document per form: a second click, a resend after a reload, replay the first answer. */}
        <input type="hidden" name="idempotencyKey" value={props.idempotencyKey} />
        <p class="hint">
          Số văn bản và ngày ban hành do hệ thống cấp từ sổ văn bản đi khi gửi. Những ô ghi “Bắt buộc” phải điền.
        </p>

        <fieldset>
          <legend>Văn bản</legend>
          <Field name="type" label="Loại văn bản" required error={err('type')}>
            {(a) => (
              <select {...a}>
                <Options options={TYPE_OPTIONS} value={v.type} />
              </select>
            )}
          </Field>
          <Field name="notation" label="Ký hiệu" required hint="Phần sau số, ví dụ CT-UBND (chỉ thị) hoặc UBND-VP (công văn)." error={err('notation')}>
            {(a) => <input {...a} type="text" value={v.notation} maxlength={100} autocomplete="off" spellcheck={false} />}
          </Field>
          <Field name="subject" label="Trích yếu" required error={err('subject')}>
            {(a) => (
              <textarea {...a} rows={2} maxlength={500}>
                {v.subject}
              </textarea>
            )}
          </Field>
          <Field name="content" label="Nội dung tóm tắt" hint="Không bắt buộc." error={err('content')}>
            {(a) => (
              <textarea {...a} rows={3} maxlength={20000}>
                {v.content}
              </textarea>
            )}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Ký ban hành</legend>
          <Field name="competence" label="Thẩm quyền ký" error={err('competence')}>
            {(a) => (
              <select {...a}>
                <Options options={COMPETENCES} value={v.competence} />
              </select>
            )}
          </Field>
          <Field name="signerName" label="Người ký" required hint="Họ và tên." error={err('signerName')}>
            {(a) => <input {...a} type="text" value={v.signerName} maxlength={200} />}
          </Field>
          <Field name="signerPosition" label="Chức vụ" required hint="Ví dụ: Chủ tịch, Phó Chủ tịch, Chánh Văn phòng." error={err('signerPosition')}>
            {(a) => <input {...a} type="text" value={v.signerPosition} maxlength={200} />}
          </Field>
          <Field name="place" label="Địa danh ban hành" hint={`Để trống thì ghi: ${props.defaultPlace}.`} error={err('place')}>
            {(a) => <input {...a} type="text" value={v.place} maxlength={200} placeholder={props.defaultPlace} autocomplete="off" />}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Gửi đến</legend>
          <Field
            name="to"
            label="Nơi nhận"
            required
            hint={
              <>
                Gõ tên cơ quan để chọn từ gợi ý, hoặc gõ mã định danh (ví dụ 000.01.33.H33), <span class="mono">group:MÃ_NHÓM</span> cho một nhóm,{' '}
                <span class="mono">children:MÃ_CƠ_QUAN</span> cho mọi cơ quan trực thuộc; cách nhau bằng dấu phẩy hoặc xuống dòng.
              </>
            }
            error={err('to')}
          >
            {(a) => (
              <>
                <textarea
                  {...a}
                  rows={3}
                  autocomplete="off"
                  spellcheck={false}
                  data-suggest="/compose/suggest"
                  aria-autocomplete="list"
                  aria-controls="f-to-suggestions"
                >
                  {v.to}
                </textarea>
                <ul id="f-to-suggestions" class="suggestions" role="listbox" aria-label="Cơ quan, nhóm gợi ý" hidden></ul>
                <p class="visually-hidden" id="f-to-status" role="status" aria-live="polite"></p>
                {props.ownChildren ? (
                  <p class="quick">
                    <button type="button" class="secondary small" data-add-recipient={props.ownChildren.spec}>
                      Thêm mọi cơ quan trực thuộc ({props.ownChildren.count})
                    </button>
                  </p>
                ) : null}
              </>
            )}
          </Field>
          <Field
            name="toPlaces"
            label="Ghi ở cuối văn bản"
            hint="Phần “Nơi nhận:” in trên văn bản, mỗi dòng một mục, ví dụ: Như trên; Lưu: VT. Không bắt buộc."
            error={err('toPlaces')}
          >
            {(a) => (
              <textarea {...a} rows={3} maxlength={30000}>
                {v.toPlaces}
              </textarea>
            )}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Mức độ và thời hạn</legend>
          <Field name="priority" label="Độ khẩn" error={err('priority')}>
            {(a) => (
              <select {...a}>
                <Options options={PRIORITY_TEXT.map((t, i) => [String(i), t] as const)} value={v.priority} />
              </select>
            )}
          </Field>
          <Field name="confidentiality" label="Độ mật" hint="Văn bản mật không được gửi qua hệ thống này." error={err('confidentiality')}>
            {(a) => (
              <select {...a}>
                <Options options={CONFIDENTIALITY} value={v.confidentiality} />
              </select>
            )}
          </Field>
          <Field name="steeringType" label="Loại chỉ đạo" error={err('steeringType')}>
            {(a) => (
              <select {...a}>
                <Options options={STEERING} value={v.steeringType} />
              </select>
            )}
          </Field>
          <Field name="dueDate" label="Hạn xử lý" hint="Không bắt buộc." error={err('dueDate')}>
            {(a) => <input {...a} type="date" value={v.dueDate} />}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Tệp</legend>
          <Field
            name="files"
            label="Tệp đính kèm"
            hint={`Một hoặc nhiều tệp (PDF, Word, Excel, OpenDocument, ZIP, ảnh JPEG/PNG/TIFF), tối đa ${MAX_ATTACHMENTS} tệp, tổng cộng ${fileSize(props.maxFileBytes)}. Chọn tệp, hoặc kéo thả tệp vào ô này.`}
            error={filesMessage}
          >
            {(a) => (
              <div class="dropzone" data-dropzone="f-files">
                <input {...a} type="file" multiple />
                <ul class="file-list" data-file-list="f-files"></ul>
              </div>
            )}
          </Field>
        </fieldset>

        <div class="actions">
          <button type="submit">Gửi</button>
        </div>
      </form>
    </Page>
  );
}

/**
 * A form refused by the schema is also checked for unknown recipients (createDocument would only say
 * so on the next try): the clerk fixes everything in one round.
 */
async function withUnknownRecipients(c: ConsoleContext, error: DomainError, to: string[]): Promise<DomainError> {
  const fieldErrors = error.errors ?? [];
  if (to.length === 0 || fieldErrors.some((e) => fieldOfPath(e.path) === 'to')) return error;
  try {
    await resolveRecipients(c.get('em'), c.get('viewer')!.principal.agencyCode, to.map(canonicalRecipient));
    return error;
  } catch (unknown) {
    if (!(unknown instanceof DomainError) || unknown.code !== 'UNKNOWN_RECIPIENT') return error;
    return new DomainError('VALIDATION_FAILED', error.message, { errors: [...fieldErrors, ...(unknown.errors ?? [])], vi: error.vi });
  }
}

/** The values of a multipart form, trimmed and in NFC, unknown names ignored. */
function valuesOf(fields: Map<string, string>): Values {
  const v = { ...EMPTY };
  for (const name of FIELDS) v[name] = (fields.get(name) ?? '').normalize('NFC').replace(/\r\n/g, '\n').trim();
  return v;
}

/** The files the clerk chose; a file input left empty still sends one nameless, empty part. */
const chosenFiles = (files: MultipartFile[]): MultipartFile[] => files.filter((f) => !(f.content.length === 0 && f.name === f.field));

/** A part without a Content-Type of its own is text/plain (RFC 7578 §4.4): no type, the extension tells it. */
const uploaded = (f: MultipartFile): UploadedFile => ({ name: f.name, contentType: f.contentType === 'text/plain' ? '' : f.contentType, content: f.content, sha256: f.sha256 });

/** Who composes: a clerk or a signer of the agency (as POST /v1/documents asks). */
const clerkOf = (c: ConsoleContext): Clerk => ({ principal: requireUser(c.get('viewer')!.principal, ['clerk', 'signer']), requestId: c.get('requestId') });

/** How large the files of one document may be in all: the package carries them in base64 (checkDocumentInput). */
const maxFileBytes = (maxBodyBytes: number): number => Math.max(0, Math.floor(((maxBodyBytes - 64 * 1024) * 3) / 4));

/** Soạn văn bản: the form, its recipient suggestions, and sending. */
export function mountCompose(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const render = async (c: ConsoleContext, values: Values, extra: { problem?: Problem; lostFiles?: string[]; key?: string; status?: number } = {}) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const agencyCode = viewer.principal.agencyCode;
    const agency = await findAgency(em, agencyCode);
    const children = await activeChildCount(em, agencyCode);
    return c.html(
      <ComposePage
        viewer={viewer}
        values={values}
        idempotencyKey={extra.key ?? randomUUID()}
        defaultPlace={agency ? promulgationPlace(agency) : ''}
        ownChildren={children ? { spec: `children:${agencyCode}`, count: children } : undefined}
        problem={extra.problem}
        lostFiles={extra.lostFiles ?? []}
        maxFileBytes={maxFileBytes(deps.maxBodyBytes)}
      />,
      (extra.status ?? 200) as 200,
    );
  };

  // A fresh form is empty (nothing guessed: a field left empty is said so, never filled in for the
  // clerk); the browser's own memory of typed values helps with the signer.
  ui.get('/compose', needViewer, async (c) => {
    clerkOf(c);
    return render(c, DEFAULTS);
  });

  ui.post('/compose', needViewer, deps.boundBody, csrf(deps.publicUrl), async (c) => {
    const viewer = c.get('viewer')!;
    const clerk = clerkOf(c);
    const form = await readMultipart(c.req.raw, { maxBytes: deps.maxBodyBytes, maxFiles: MAX_ATTACHMENTS });
    if (!checkCsrfToken(viewer, form.fields.get('_csrf'))) return c.text('Phiên làm việc đã thay đổi: hãy tải lại trang rồi thử lại (CSRF).', 403);
    const values = valuesOf(form.fields);
    const files = chosenFiles(form.files);
    const rawKey = (form.fields.get('idempotencyKey') ?? '').trim();
    const key = /^[0-9a-f-]{36}$/i.test(rawKey) ? rawKey : randomUUID();
    const lostFiles = files.map((f) => f.name);

    let view: DocumentView;
    try {
      const raw = inputOf(values);
      const parsed = edgeSchema(DocumentInputSchema).safeParse(raw);
      if (!parsed.success) throw await withUnknownRecipients(c, validationError(parsed.error, 'document', { input: raw, section: 'document' }), raw.to as string[]);
      const input = parsed.data as DocumentInput;
      const accepted = checkDocumentInput(input, files.map(uploaded), deps.maxBodyBytes);
      // Nothing is written when the queue cannot take the work (as POST /v1/documents).
      await deps.queues.backend.ping(2_000).catch((error: unknown) => {
        throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was created. Try again shortly.', { cause: error });
      });
      const fingerprint = { metadata: input, files: accepted.map(fileSha256) };
      const answer = await idempotent(c.get('em'), clerk.principal, key, 'POST /compose', fingerprint, async (tx) => ({
        status: 201,
        body: await createDocument(tx, deps.pipeline.pki, clerk, { ...input, redirectClosed: deps.redirectClosed }, accepted),
      }));
      view = answer.body;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'CONFLICT') {
        // This form already sent a document, and what it holds now differs (the clerk went back and
        // changed it): a new key, so that pressing Gửi again sends the changed form as a new document.
        return render(c, values, {
          problem: { summary: 'Biểu mẫu này đã được dùng để gửi một văn bản trước đó, và nội dung đã thay đổi; chưa gửi gì thêm. Nếu muốn gửi nội dung này thành văn bản mới, hãy kiểm tra lại rồi bấm Gửi.', fields: {} },
          lostFiles,
          status: 409,
        });
      }
      const problem = problemOf(error);
      if (!problem) throw error;
      return render(c, values, { problem, lostFiles, key, status: error instanceof DomainError ? error.status : 422 });
    }
    // After the commit. Should the queue fail now, the sweep finds the queued document anyway.
    await deps.queues.enqueue('sign', { documentId: view.id }).catch(() => undefined);
    return c.redirect(`/outgoing/${view.id}?xong=gui`, 303);
  });

  /** Suggestions for the Nơi nhận box: agencies by name or code, their `children:`, groups. JSON for console.js. */
  ui.get('/compose/suggest', async (c) => {
    const viewer = c.get('viewer');
    if (!viewer) return c.json({ items: [] }, 401);
    const raw = (c.req.query('q') ?? '').normalize('NFC').trim().slice(0, 100);
    const prefix = /^(group|children)\s*:\s*/i.exec(raw);
    const q = prefix ? raw.slice(prefix[0].length) : raw;
    const only = prefix?.[1]?.toLowerCase();
    if (q.length < 2 && !(only && q.length >= 1)) return c.json({ items: [] }, 200, { 'cache-control': 'private, no-store' });
    const { agencies, parents, groups } = await recipientCandidates(c.get('em'), q, 8);
    const own = viewer.principal.agencyCode;
    const items: Array<{ value: string; label: string; detail: string }> = [];
    if (!only) {
      for (const a of agencies) if (a.code !== own) items.push({ value: a.code, label: a.name, detail: a.code });
    }
    if (only !== 'group') {
      for (const a of agencies) {
        if (parents.has(a.code)) items.push({ value: `children:${a.code}`, label: `Mọi cơ quan trực thuộc ${a.name}`, detail: `children:${a.code}` });
      }
    }
    if (only !== 'children') {
      for (const g of groups) items.push({ value: `group:${g.code}`, label: `Nhóm ${g.name} (${g.members} cơ quan)`, detail: `group:${g.code}` });
    }
    return c.json({ items: items.slice(0, 10) }, 200, { 'cache-control': 'private, no-store' });
  });
}
