import type { Hono } from 'hono';
import { z } from 'zod';
import { DocumentInputSchema, MAX_ATTACHMENTS, type DocumentInput } from '../../documents/documents.schemas.js';
import { checkDocumentInput, type Clerk, type UploadedFile } from '../../documents/documents.service.js';
import { approveWithNodeKey, approveWithSignedPdf } from '../../drafts/approve.js';
import type { DraftState } from '../../drafts/draft.entity.js';
import { issueDraft } from '../../drafts/issue.js';
import { currentPdf, listDrafts, loadDraftView } from '../../drafts/read.js';
import { createDraft } from '../../drafts/upload.js';
import type { DraftView } from '../../drafts/views.js';
import { withdrawDraft } from '../../drafts/withdraw.js';
import { DomainError } from '../../errors.js';
import { requireUser } from '../../http/auth.js';
import { readMultipart, type MultipartFile } from '../../http/body.js';
import { contentDisposition } from '../../http/content-disposition.js';
import { edgeSchema } from '../../http/edge-input.js';
import { encodeCursor, timeKey } from '../../http/pagination.js';
import { validationError } from '../../http/problem.js';
import { DRAFT_STATE_VI, problemFieldErrors, problemMessage } from '../../http/problem-messages.js';
import { DOCUMENT_TYPES, documentType } from '../../registers/document-types.js';
import type { ConsoleDeps } from '../deps.js';
import { FieldFrame } from '../forms.js';
import { Csrf, NextPage, Notice, Page } from '../layout.js';
import { checkCsrfToken, csrf, needViewer, timeCursor, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { PRIORITY_TEXT, priorityText, vnDateTime } from '../texts.js';

/**
 * Dự thảo (issue 17): a draft's way to an official document, in the NĐ 30 order — uploaded by a văn
 * thư, approved by the leader with a personal signature ("Phê duyệt và ký", or the PDF the leader
 * signed with their own token), then numbered and sealed by the văn thư ("Cấp số và ký số") and
 * sent. The same services as the API (src/drafts); this page states no rule of its own.
 */

const PAGE_SIZE = 50;

const STATE_TONE: Record<DraftState, 'ok' | 'wait' | 'bad' | 'done'> = { draft: 'wait', approved: 'ok', issued: 'done', withdrawn: 'bad' };

function DraftStateBadge(props: { state: DraftState }) {
  return <span class={`badge ${STATE_TONE[props.state]}`}>{DRAFT_STATE_VI[props.state]}</span>;
}

/** The upload form's fields, by `name`; every value comes back as typed when the form is refused. */
const FIELDS = ['type', 'notation', 'subject', 'signerName', 'signerPosition', 'to', 'priority', 'dueDate'] as const;
type FieldName = (typeof FIELDS)[number] | 'pdf';
type Values = Record<(typeof FIELDS)[number], string>;
const EMPTY: Values = { type: '', notation: '', subject: '', signerName: '', signerPosition: '', to: '', priority: '0', dueDate: '' };

/** Where each problem+json path of a DocumentInput is typed in this form. */
const FIELD_OF_PATH: ReadonlyArray<readonly [RegExp, FieldName]> = [
  [/^type$/, 'type'],
  [/^notation$/, 'notation'],
  [/^subject$/, 'subject'],
  [/^signer\.position$/, 'signerPosition'],
  [/^signer(\.fullName)?$/, 'signerName'],
  [/^to(\.\d+)?$/, 'to'],
  [/^priority$/, 'priority'],
  [/^dueDate$/, 'dueDate'],
  [/^attachments(\.|$)/, 'pdf'],
];

interface Problem {
  summary: string;
  fields: Partial<Record<FieldName, string>>;
}

function problemOf(error: unknown): Problem | undefined {
  if (!(error instanceof DomainError) && !(error instanceof z.ZodError)) return undefined;
  const fields: Problem['fields'] = {};
  const elsewhere: string[] = [];
  for (const e of problemFieldErrors(error, 'vi', 'document')) {
    const name = FIELD_OF_PATH.find(([re]) => re.test(e.path))?.[1];
    if (name) fields[name] = fields[name] ? `${fields[name]} ${e.message}` : e.message;
    else elsewhere.push(e.message);
  }
  if (Object.keys(fields).length) return { summary: ['Chưa tải lên được dự thảo: hãy sửa những ô có ghi chú bên dưới.', ...elsewhere].join(' '), fields };
  return { summary: `Chưa tải lên được dự thảo: ${problemMessage(error, 'vi', 'document')}`, fields };
}

const TYPE_OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ['', 'Chọn loại văn bản'],
  ...[...DOCUMENT_TYPES.values()].sort((a, b) => a.name.localeCompare(b.name, 'vi')).map((t) => [t.key, t.name] as const),
];


function DraftList(props: { viewer: Viewer; items: DraftView[]; next?: string | undefined; values: Values; problem?: Problem | undefined; canUpload: boolean }) {
  const { values: v, problem } = props;
  const err = (n: FieldName) => problem?.fields[n];
  return (
    <Page title="Dự thảo" viewer={props.viewer} active="drafts">
      <p class="hint">
        Dự thảo được lãnh đạo phê duyệt bằng chữ ký số cá nhân, rồi văn thư cấp số, ngày ban hành và ký số của cơ quan (kèm hình con dấu) trước khi gửi đi (Nghị định 30/2020/NĐ-CP).
      </p>
      {props.items.length === 0 ? (
        <p>Chưa có dự thảo nào.</p>
      ) : (
        <table class="stack">
          <caption class="muted">Mới nhất ở trên cùng</caption>
          <thead>
            <tr>
              <th scope="col">Trích yếu</th>
              <th scope="col">Loại, ký hiệu</th>
              <th scope="col">Tải lên lúc</th>
              <th scope="col">Trạng thái</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((d) => (
              <tr>
                <td data-label="Trích yếu">
                  {d.metadata.priority > 0 ? <span class="urgent">{priorityText(d.metadata.priority)} </span> : null}
                  <a href={`/drafts/${d.id}`}>{d.metadata.subject}</a>
                </td>
                <td data-label="Loại, ký hiệu">
                  {documentType(d.metadata.type)?.name ?? d.metadata.type}, {d.issued?.code ?? d.metadata.notation}
                </td>
                <td data-label="Tải lên lúc" class="nowrap">
                  {vnDateTime(d.createdAt)}
                </td>
                <td data-label="Trạng thái">
                  <DraftStateBadge state={d.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage path="/drafts" next={props.next} />

      {props.canUpload ? (
        <section class="card" aria-labelledby="new-draft">
          <h2 id="new-draft">Dự thảo mới</h2>
          {problem ? (
            <div class="notice error" role="alert" tabindex={-1} data-autofocus>
              <p>{problem.summary}</p>
              {problem.fields.pdf ? <p>Trình duyệt không giữ lại được tệp đã chọn: hãy chọn lại tệp PDF.</p> : null}
            </div>
          ) : null}
          <form method="post" action="/drafts" enctype="multipart/form-data">
            <Csrf viewer={props.viewer} />
            <FieldFrame name="type" label="Loại văn bản" error={err('type')}>
              {(a) => (
                <select {...a}>
                  {TYPE_OPTIONS.map(([value, text]) => (
                    <option value={value} selected={value === v.type}>
                      {text}
                    </option>
                  ))}
                </select>
              )}
            </FieldFrame>
            <FieldFrame name="notation" label="Ký hiệu" hint="Phần sau số, ví dụ CT-UBND. Số và ngày ban hành được cấp khi ban hành." error={err('notation')}>
              {(a) => <input {...a} type="text" value={v.notation} maxlength={100} autocomplete="off" spellcheck={false} />}
            </FieldFrame>
            <FieldFrame name="subject" label="Trích yếu" error={err('subject')}>
              {(a) => (
                <textarea {...a} rows={2} maxlength={500}>
                  {v.subject}
                </textarea>
              )}
            </FieldFrame>
            <FieldFrame name="signerName" label="Người ký" hint="Họ và tên lãnh đạo ký văn bản." error={err('signerName')}>
              {(a) => <input {...a} type="text" value={v.signerName} maxlength={200} />}
            </FieldFrame>
            <FieldFrame name="signerPosition" label="Chức vụ" error={err('signerPosition')}>
              {(a) => <input {...a} type="text" value={v.signerPosition} maxlength={200} />}
            </FieldFrame>
            <FieldFrame name="to" label="Nơi nhận" hint="Mã định danh, group:MÃ_NHÓM hoặc children:MÃ_CƠ_QUAN, cách nhau bằng dấu phẩy hoặc xuống dòng." error={err('to')}>
              {(a) => (
                <textarea {...a} rows={2} autocomplete="off" spellcheck={false}>
                  {v.to}
                </textarea>
              )}
            </FieldFrame>
            <FieldFrame name="priority" label="Độ khẩn" error={err('priority')}>
              {(a) => (
                <select {...a}>
                  {PRIORITY_TEXT.map((t, i) => (
                    <option value={String(i)} selected={String(i) === v.priority}>
                      {t}
                    </option>
                  ))}
                </select>
              )}
            </FieldFrame>
            <FieldFrame name="dueDate" label="Hạn xử lý" hint="Không bắt buộc." error={err('dueDate')}>
              {(a) => <input {...a} type="date" value={v.dueDate} />}
            </FieldFrame>
            <FieldFrame name="pdf" label="Tệp dự thảo (PDF)" hint="Văn bản để lãnh đạo ký số; nếu có ô so_ky_hieu và ngay_ban_hanh, số và ngày được ghi vào đó." error={err('pdf')}>
              {(a) => <input {...a} type="file" accept="application/pdf,.pdf" />}
            </FieldFrame>
            <div class="actions">
              <button type="submit">Tải lên dự thảo</button>
            </div>
          </form>
        </section>
      ) : null}
    </Page>
  );
}

/** What a done action says at the top of the draft page (fixed texts: nothing from the URL is echoed). */
const DONE: Record<string, string> = {
  'tai-len': 'Xong: dự thảo đã được tải lên và chờ lãnh đạo phê duyệt.',
  'phe-duyet': 'Xong: lãnh đạo đã ký số; văn thư có thể cấp số và ký số của cơ quan.',
  'ban-hanh': 'Xong: văn bản đã được cấp số, ký số của cơ quan và đang được gửi đi.',
  huy: 'Xong: dự thảo đã được hủy.',
};

const APPROVAL_TEXT = { 'node-signed': 'hệ thống ký bằng khóa của lãnh đạo', 'uploaded-signed': 'lãnh đạo ký số bằng thiết bị của mình' } as const;

function DraftPage(props: { viewer: Viewer; draft: DraftView; done?: string | undefined; error?: string | undefined; showPdf?: boolean }) {
  const { draft: d, viewer } = props;
  const roles = viewer.principal.roles;
  const leader = roles.includes('signer') || roles.includes('admin');
  const clerk = roles.includes('clerk') || roles.includes('admin');
  const open = d.state === 'draft' || d.state === 'approved';
  const signer = [d.metadata.signer.competence, d.metadata.signer.position, d.metadata.signer.fullName].filter(Boolean).join(' ');
  return (
    <Page title={d.metadata.subject} viewer={viewer} active="drafts">
      <p>
        {/* Not "Dự thảo": the navigation's link of that name stays the only one. */}
        <a href="/drafts">← Quay lại danh sách</a>
      </p>
      {props.done && DONE[props.done] ? <Notice kind="ok">{DONE[props.done]}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <section class="card" aria-labelledby="info">
        <h2 id="info">Thông tin dự thảo</h2>
        <dl class="meta">
          <dt>Trạng thái</dt>
          <dd>
            <DraftStateBadge state={d.state} />
          </dd>
          <dt>Loại văn bản</dt>
          <dd>{documentType(d.metadata.type)?.name ?? d.metadata.type}</dd>
          <dt>Số/ký hiệu</dt>
          <dd>
            {d.issued?.code ? (
              <a href={`/outgoing/${d.issued.documentId}`}>{d.issued.code}</a>
            ) : (
              <span>
                …/{d.metadata.notation} <span class="muted">(số cấp khi ban hành)</span>
              </span>
            )}
          </dd>
          <dt>Người ký</dt>
          <dd>{signer}</dd>
          <dt>Nơi nhận</dt>
          <dd>{d.metadata.to.join(', ')}</dd>
          <dt>Tải lên lúc</dt>
          <dd>{vnDateTime(d.createdAt)}</dd>
          {d.approval ? (
            <>
              <dt>Phê duyệt</dt>
              <dd>
                {vnDateTime(d.approval.at)} — {d.approval.leaderSignature?.signer ?? ''} ({APPROVAL_TEXT[d.approval.kind]})
              </dd>
            </>
          ) : null}
          {d.issued?.at ? (
            <>
              <dt>Ban hành</dt>
              <dd>{vnDateTime(d.issued.at)}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <section class="card" aria-labelledby="pdf">
        <h2 id="pdf">Văn bản</h2>
        <p>
          <a href={`/drafts/${d.id}/pdf`}>Tải tệp PDF</a> <span class="muted">({d.state === 'draft' ? 'bản dự thảo' : d.state === 'approved' ? 'bản có chữ ký số của lãnh đạo' : d.state === 'issued' ? 'bản đã ban hành' : 'bản đã hủy'})</span>
          {d.files.length > 1 ? <span class="muted"> · kèm {d.files.length - 1} tệp khác</span> : null}
          {props.showPdf ? null : (
            <>
              {' · '}
              <a href={`/drafts/${d.id}?xem=1#xem-tep`}>Xem trong trang</a>
            </>
          )}
        </p>
        {/* On request, as on the inbox's item page: a frame that is always there would hold every page's load on the PDF viewer. */}
        {props.showPdf ? <iframe id="xem-tep" class="pdf" title="Xem văn bản trong trang" src={`/drafts/${d.id}/pdf?inline`}></iframe> : null}
      </section>

      {open ? (
        <section class="card" aria-labelledby="act">
          <h2 id="act">Xử lý</h2>
          {d.state === 'draft' && leader ? (
            <>
              <p class="hint">Lãnh đạo ký số bằng khóa lưu trên hệ thống, hoặc tải lên tệp PDF của dự thảo này đã ký bằng thiết bị ký số của mình.</p>
              <div class="actions">
                <form method="post" action={`/drafts/${d.id}/approve`}>
                  <Csrf viewer={viewer} />
                  <button type="submit">Phê duyệt và ký</button>
                </form>
              </div>
              <form method="post" action={`/drafts/${d.id}/approve-signed`} enctype="multipart/form-data" class="with-reason">
                <Csrf viewer={viewer} />
                <label for="signed-pdf">Tệp PDF đã ký số</label>
                <input id="signed-pdf" name="signedPdf" type="file" accept="application/pdf,.pdf" required />
                <button type="submit" class="secondary">
                  Tải lên bản đã ký
                </button>
              </form>
            </>
          ) : null}
          {d.state === 'draft' && !leader ? <p>Chờ lãnh đạo phê duyệt và ký số.</p> : null}
          {d.state === 'approved' && clerk ? (
            <>
              <p class="hint">Hệ thống lấy số và ngày ban hành từ sổ văn bản đi, ghi vào văn bản, ký số của cơ quan kèm hình con dấu, rồi gửi đi.</p>
              <div class="actions">
                <form method="post" action={`/drafts/${d.id}/issue`}>
                  <Csrf viewer={viewer} />
                  <button type="submit">Cấp số và ký số</button>
                </form>
              </div>
            </>
          ) : null}
          {d.state === 'approved' && !clerk ? <p>Chờ văn thư cấp số và ký số của cơ quan.</p> : null}
          <div class="actions">
            <form method="post" action={`/drafts/${d.id}/withdraw`}>
              <Csrf viewer={viewer} />
              <button type="submit" class="danger">
                Hủy dự thảo
              </button>
            </form>
          </div>
        </section>
      ) : null}
    </Page>
  );
}

const userOf = (c: ConsoleContext, roles: Array<'clerk' | 'signer'>): Clerk => ({ principal: requireUser(c.get('viewer')!.principal, roles), requestId: c.get('requestId') });

/** Recipients as typed: codes, group:CODE, children:CODE, separated by commas, semicolons or new lines. */
const splitRecipients = (text: string): string[] =>
  text
    .split(/[,;\n\r]+/)
    .map((s) => s.trim())
    .filter(Boolean);

function inputOf(v: Values): Record<string, unknown> {
  return {
    type: v.type,
    notation: v.notation,
    subject: v.subject,
    signer: { fullName: v.signerName, position: v.signerPosition },
    priority: /^\d$/.test(v.priority) ? Number(v.priority) : v.priority,
    ...(v.dueDate ? { dueDate: v.dueDate } : {}),
    to: splitRecipients(v.to),
  };
}

const chosen = (files: MultipartFile[]): MultipartFile[] => files.filter((f) => !(f.content.length === 0 && f.name === f.field));
const uploaded = (f: MultipartFile): UploadedFile => ({ name: f.name, contentType: f.contentType === 'text/plain' ? '' : f.contentType, content: f.content, sha256: f.sha256 });

/** Dự thảo: the list and the upload form, one draft with its PDF, and the steps of its way. */
export function mountDrafts(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const list = async (c: ConsoleContext, extra: { values?: Values; problem?: Problem; status?: number } = {}) => {
    const viewer = c.get('viewer')!;
    const clerk = userOf(c, ['clerk', 'signer']);
    const after = timeCursor(c.req.query('after'));
    const { items, more } = await listDrafts(c.get('em'), clerk.principal.agencyCode, { before: after, limit: PAGE_SIZE });
    const last = items.at(-1);
    return c.html(
      <DraftList
        viewer={viewer}
        items={items}
        next={more && last ? encodeCursor(timeKey(new Date(last.createdAt), last.id)) : undefined}
        values={extra.values ?? EMPTY}
        problem={extra.problem}
        canUpload
      />,
      (extra.status ?? 200) as 200,
    );
  };

  ui.get('/drafts', needViewer, (c) => list(c));

  ui.post('/drafts', needViewer, deps.boundBody, csrf(deps.publicUrl), async (c) => {
    const viewer = c.get('viewer')!;
    const clerk = userOf(c, ['clerk', 'signer']);
    const form = await readMultipart(c.req.raw, { maxBytes: deps.maxBodyBytes, maxFiles: MAX_ATTACHMENTS });
    if (!checkCsrfToken(viewer, form.fields.get('_csrf'))) return c.text('Phiên làm việc đã thay đổi: hãy tải lại trang rồi thử lại (CSRF).', 403);
    const values = { ...EMPTY };
    for (const name of FIELDS) values[name] = (form.fields.get(name) ?? '').normalize('NFC').replace(/\r\n/g, '\n').trim();
    let id: string;
    try {
      const raw = inputOf(values);
      const parsed = edgeSchema(DocumentInputSchema).safeParse(raw);
      if (!parsed.success) throw validationError(parsed.error, 'document', { input: raw, section: 'document' });
      const input = parsed.data as DocumentInput;
      const files = checkDocumentInput(input, chosen(form.files).map(uploaded), deps.maxBodyBytes);
      id = (await createDraft(c.get('em'), clerk, input, files, { redirectClosed: deps.redirectClosed })).id;
    } catch (error) {
      const problem = problemOf(error);
      if (!problem) throw error;
      return list(c, { values, problem, status: error instanceof DomainError ? error.status : 422 });
    }
    return c.redirect(`/drafts/${id}?xong=tai-len`, 303);
  });

  const show = async (c: ConsoleContext, extra: { error?: string; status?: number } = {}) => {
    const clerk = userOf(c, ['clerk', 'signer']);
    const draft = await loadDraftView(c.get('em'), clerk.principal.agencyCode, c.req.param('id') ?? '');
    return c.html(<DraftPage viewer={c.get('viewer')!} draft={draft} done={c.req.query('xong')} error={extra.error} showPdf={c.req.query('xem') === '1'} />, (extra.status ?? 200) as 200);
  };

  ui.get('/drafts/:id', needViewer, (c) => show(c));

  ui.get('/drafts/:id/pdf', needViewer, async (c) => {
    const clerk = userOf(c, ['clerk', 'signer']);
    const pdf = await currentPdf(c.get('em'), clerk.principal.agencyCode, c.req.param('id'));
    const inline = c.req.query('inline') !== undefined;
    return new Response(new Uint8Array(pdf.bytes), {
      headers: {
        'content-type': 'application/pdf',
        'content-length': String(pdf.bytes.length),
        'content-disposition': contentDisposition(pdf.name, inline ? 'inline' : 'attachment'),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'self'",
        'cache-control': 'private, no-store',
      },
    });
  });

  /** Runs a step; a refusal the person can act on is shown on the draft's page, in Vietnamese. */
  const step = async (c: ConsoleContext, done: string, run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      const text =
        error.code === 'ILLEGAL_TRANSITION' ? `Không thực hiện được: ${problemMessage(error, 'vi')} Trang đã được tải lại với trạng thái mới.` : `Không thực hiện được: ${problemMessage(error, 'vi')}`;
      return show(c, { error: text, status: error.status });
    }
    return c.redirect(`/drafts/${c.req.param('id')}?xong=${done}`, 303);
  };

  ui.post('/drafts/:id/approve', needViewer, csrf(deps.publicUrl), (c) =>
    step(c, 'phe-duyet', () => approveWithNodeKey(c.get('em'), deps.pki, userOf(c, ['signer']), c.req.param('id'), undefined)),
  );

  ui.post('/drafts/:id/approve-signed', needViewer, deps.boundBody, csrf(deps.publicUrl), async (c) => {
    const viewer = c.get('viewer')!;
    const leader = userOf(c, ['signer']);
    const form = await readMultipart(c.req.raw, { maxBytes: deps.maxBodyBytes, maxFiles: 1 });
    if (!checkCsrfToken(viewer, form.fields.get('_csrf'))) return c.text('Phiên làm việc đã thay đổi: hãy tải lại trang rồi thử lại (CSRF).', 403);
    const file = chosen(form.files)[0];
    if (!file) return show(c, { error: 'Hãy chọn tệp PDF đã ký số.', status: 422 });
    return step(c, 'phe-duyet', () => approveWithSignedPdf(c.get('em'), deps.pki, leader, c.req.param('id'), file.content));
  });

  ui.post('/drafts/:id/issue', needViewer, csrf(deps.publicUrl), async (c) => {
    const clerk = userOf(c, ['clerk']);
    let documentId: string | undefined;
    const answer = await step(c, 'ban-hanh', async () => {
      // Nothing is numbered when the queue cannot take the work (as the API).
      await deps.queues.backend.ping(2_000).catch((error: unknown) => {
        throw new DomainError('UNAVAILABLE', 'The job queue is unavailable; nothing was issued. Try again shortly.', { cause: error });
      });
      documentId = (await issueDraft(c.get('em'), deps.pki, clerk, c.req.param('id'), { redirectClosed: deps.redirectClosed })).document.id;
    });
    // After the commit. Should the queue fail now, the sweep finds the queued document anyway.
    if (documentId) await deps.queues.enqueue('sign', { documentId }).catch(() => undefined);
    return answer;
  });

  ui.post('/drafts/:id/withdraw', needViewer, csrf(deps.publicUrl), (c) => step(c, 'huy', () => withdrawDraft(c.get('em'), userOf(c, ['clerk', 'signer']), c.req.param('id'), undefined)));
}
