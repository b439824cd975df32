import type { Hono } from 'hono';
import { z } from 'zod';
import { latestRecord } from '../../archive/archive.repository.js';
import { exportDocumentArchive } from '../../archive/archive.service.js';
import { CODE_MEANING, type DeliveryState, type StatusCode } from '../../delivery/states.js';
import type { OutgoingDocument } from '../../delivery/document.entity.js';
import { documentType } from '../../registers/document-types.js';
import { deliveryStateCounts } from '../../documents/documents.repository.js';
import {
  documentEvents,
  listOutgoing,
  loadDocumentView,
  type Clerk,
  type DocumentView,
} from '../../documents/documents.service.js';
import { findOwnDocument } from '../../delivery/outgoing.repository.js';
import { recallDocument } from '../../delivery/recall.js';
import { documentFiles } from '../../delivery/signing.repository.js';
import { DomainError } from '../../errors.js';
import { requireUser } from '../../http/auth.js';
import { contentDisposition } from '../../http/content-disposition.js';
import { encodeCursor, timeKey } from '../../http/pagination.js';
import { validationError } from '../../http/problem.js';
import { problemFieldErrors, problemMessage } from '../../http/problem-messages.js';
import { xmlText } from '../../http/xml-text.js';
import { packageBytes } from '../../packages/packages.repository.js';
import type { ConsoleDeps } from '../deps.js';
import { Csrf, DocumentStateBadge, Notice, Page, NextPage, SearchForm, StateBadge } from '../layout.js';
import { csrf, field, needViewer, timeCursor, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { fileSize, priorityText, vnDateTime, vnDay } from '../texts.js';
import { documentsDeadlineCounts, type DeadlineCounts } from '../../deadlines/deadlines.service.js';
import { DeadlineLines, stillOpen } from '../deadline-marks.js';

const PAGE_SIZE = 50;

/** How often the recipients of a document page follow the server (console.js `data-poll`). */
const POLL_MS = 2500;

/** Deliveries whose recipient has accepted the document (03) or gone further with it. */
const TAKEN: readonly DeliveryState[] = ['accepted', 'assigned', 'processing', 'completed'];

/** A list's recipients in one line: "3/10 đã tiếp nhận", and what else needs the clerk's eye. */
function recipientsSummary(counts: Partial<Record<DeliveryState, number>>): string {
  const n = (states: readonly DeliveryState[]) => states.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
  const total = Object.values(counts).reduce((sum, x) => sum + (x ?? 0), 0);
  if (total === 0) return '';
  const parts = [`${n(TAKEN)}/${total} đã tiếp nhận`];
  const extra: Array<[readonly DeliveryState[], string]> = [
    [['pending', 'sending'], 'đang gửi'],
    [['refused'], 'từ chối'],
    [['failed'], 'gửi lỗi'],
    [['recall_requested'], 'chờ trả lời thu hồi'],
    [['recalled'], 'đã thu hồi'],
    [['recall_refused'], 'từ chối thu hồi'],
  ];
  for (const [states, text] of extra) if (n(states)) parts.push(`${n(states)} ${text}`);
  return parts.join(', ');
}

/**
 * The document's own progress, said so that it never repeats a recipient's state text (UI.md): a
 * page shows those once per recipient row.
 */
const DOCUMENT_PROGRESS: Record<OutgoingDocument['state'], string> = {
  queued: 'Đã vào sổ, đang ký số gói tin',
  signed: 'Đã ký số, đang chuyển đến các nơi nhận',
  sent: 'Đã chuyển đến các nơi nhận',
  recalled: 'Văn bản đã bị thu hồi',
  failed: 'Không gửi được: ký số gói tin không thành công',
};

const codeText = (d: Pick<OutgoingDocument, 'numberText' | 'notation'>): string => `${d.numberText}/${d.notation}`;
const typeName = (key: string): string => documentType(key)?.name ?? key;
const signerText = (s: DocumentView['signer']): string => [s.competence, s.position, s.fullName].filter(Boolean).join(' ');

/** "2 quá hạn, 1 sắp đến hạn": the recipients whose deadlines need the sender's follow-up (theo dõi, đôn đốc). */
function deadlineSummary(counts: DeadlineCounts | undefined): string {
  const parts = [counts?.overdue ? `${counts.overdue} quá hạn` : '', counts?.dueSoon ? `${counts.dueSoon} sắp đến hạn` : ''].filter(Boolean);
  return parts.length ? `Theo dõi hạn: ${parts.join(', ')}` : '';
}

function OutgoingList(props: {
  viewer: Viewer;
  items: OutgoingDocument[];
  counts: Map<string, Partial<Record<DeliveryState, number>>>;
  deadlines: Map<string, DeadlineCounts>;
  q: string;
  next?: string | undefined;
}) {
  return (
    <Page title="Văn bản đi" viewer={props.viewer} active="outgoing">
      <SearchForm action="/outgoing" q={props.q} placeholder="Trích yếu, số/ký hiệu, nơi nhận" />
      {props.items.length === 0 ? (
        <p>{props.q ? 'Không có văn bản nào khớp với nội dung tìm kiếm.' : 'Chưa có văn bản đi.'}</p>
      ) : (
        <table class="stack">
          <caption class="muted">Mới nhất ở trên cùng</caption>
          <thead>
            <tr>
              <th scope="col">Số/ký hiệu</th>
              <th scope="col">Trích yếu</th>
              <th scope="col">Ngày</th>
              <th scope="col">Nơi nhận</th>
              <th scope="col">Trạng thái</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((d) => (
              <tr>
                <td data-label="Số/ký hiệu" class="nowrap">
                  {codeText(d)}
                </td>
                <td data-label="Trích yếu">
                  {d.priority > 0 ? <span class="urgent">{priorityText(d.priority)} </span> : null}
                  <a href={`/outgoing/${d.id}`}>{d.subject}</a>
                </td>
                <td data-label="Ngày" class="nowrap">
                  {vnDay(d.promulgationDate)}
                </td>
                <td data-label="Nơi nhận">
                  {recipientsSummary(props.counts.get(d.id) ?? {})}
                  {deadlineSummary(props.deadlines.get(d.id)) ? (
                    <span class={`deadline ${props.deadlines.get(d.id)?.overdue ? 'bad' : 'wait'}`}>
                      <br />
                      {deadlineSummary(props.deadlines.get(d.id))}
                    </span>
                  ) : null}
                </td>
                <td data-label="Trạng thái">
                  <DocumentStateBadge state={d.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage path="/outgoing" next={props.next} q={props.q} />
    </Page>
  );
}

/** What a recipient said with its last status, when it gave a reason (02, 16) or asked back. */
function lastReason(d: DocumentView['deliveries'][number]): string | undefined {
  const last = [...d.statuses].reverse().find((s) => s.description && (s.code === '02' || s.code === '16'));
  return last?.description ?? undefined;
}

/**
 * The recipients of a document, one row each: name, state text, when its last status came, the
 * số đến it gave, and its deadlines. Also what the page polls (GET /outgoing/:id/recipients): the
 * same markup.
 */
function Recipients(props: { view: DocumentView }) {
  const { view } = props;
  const counts: Partial<Record<DeliveryState, number>> = {};
  for (const d of view.deliveries) counts[d.state] = (counts[d.state] ?? 0) + 1;
  const taken = view.deliveries.filter((d) => TAKEN.includes(d.state)).length;
  return (
    <>
      <p class="progress">
        <strong>{DOCUMENT_PROGRESS[view.state]}</strong>
        {view.deliveries.length ? (
          <span class="muted">
            {' '}
            · Tiếp nhận: {taken}/{view.deliveries.length}
          </span>
        ) : null}
      </p>
      <table class="stack recipients">
        <thead>
          <tr>
            <th scope="col">Nơi nhận</th>
            <th scope="col">Trạng thái</th>
            <th scope="col">Cập nhật lúc</th>
            <th scope="col">Hạn</th>
          </tr>
        </thead>
        <tbody>
          {view.deliveries.map((d) => {
            const reason = lastReason(d);
            return (
              <tr data-recipient={d.recipient}>
                <td data-label="Nơi nhận">
                  {d.recipientName ?? d.recipient} <span class="muted nowrap">({d.recipient})</span>
                </td>
                <td data-label="Trạng thái">
                  <StateBadge state={d.state} />
                  {d.arrivalNumber !== null ? <span class="arrival"> Số đến: {d.arrivalNumber}</span> : null}
                  {reason ? <span class="muted reason"> Lý do: {reason}</span> : null}
                  {d.state === 'failed' && d.attempts > 0 ? <span class="muted"> (đã thử {d.attempts} lần)</span> : null}
                </td>
                <td data-label="Cập nhật lúc" class="nowrap">
                  {d.statusAt ? vnDateTime(d.statusAt) : '—'}
                </td>
                <td data-label="Hạn" class="deadline-cell">
                  <DeadlineLines deadlines={d.deadlines} open={stillOpen} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/**
 * The recipients as the clerk gave them, in words: an agency by its name (and code), a group and
 * "all under" an agency as such — the codes alone meant nothing to the reader.
 */
function recipientsText(view: DocumentView, viewer: Viewer): string {
  const names = new Map(view.deliveries.map((d) => [d.recipient, d.recipientName ?? d.recipient]));
  names.set(viewer.principal.agencyCode, viewer.agencyName);
  const named = (code: string): string => (names.has(code) && names.get(code) !== code ? `${names.get(code)} (${code})` : code);
  return view.to
    .map((spec) => (spec.startsWith('group:') ? `nhóm ${spec.slice('group:'.length)}` : spec.startsWith('children:') ? `các cơ quan trực thuộc ${named(spec.slice('children:'.length))}` : named(spec)))
    .join('; ');
}

/** What a done action says at the top of the page (fixed texts: nothing from the URL is echoed). */
const DONE: Record<string, string> = {
  gui: 'Văn bản đã được vào sổ và đang được ký số, chuyển đi. Trạng thái của từng nơi nhận tự cập nhật trên trang này.',
  'thu-hoi': 'Văn bản đã bị thu hồi: các nơi đã nhận được gửi yêu cầu thu hồi và sẽ trả lời; nơi chưa nhận thì không còn được gửi đến.',
};

/** Recall is possible until the document is recalled; while it is still being signed, the recall waits for it (see below). */
const RECALLABLE: ReadonlyArray<OutgoingDocument['state']> = ['queued', 'signed', 'sent'];

function DocumentPage(props: { viewer: Viewer; view: DocumentView; hasPackage: boolean; sealed: boolean; archiveAfterDays: number; done?: string | undefined; error?: string | undefined; reason?: string }) {
  const { view, viewer } = props;
  const id = view.id;
  return (
    <Page title={view.subject} viewer={viewer} active="outgoing">
      <p>
        {/* Not "Văn bản đi": the navigation's link of that name stays the only one. */}
        <a href="/outgoing">← Quay lại danh sách</a>
      </p>
      {props.done && DONE[props.done] ? <Notice kind="ok">{DONE[props.done]}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <section class="card" aria-labelledby="info">
        <h2 id="info">Thông tin văn bản</h2>
        <dl class="meta">
          <dt>Số/ký hiệu</dt>
          <dd>
            <strong class="doc-code">{view.code.text}</strong>
          </dd>
          <dt>Loại văn bản</dt>
          <dd>{typeName(view.type)}</dd>
          <dt>Ngày ban hành</dt>
          <dd>
            {view.promulgation.place}, {vnDay(view.promulgation.date)}
          </dd>
          <dt>Người ký</dt>
          <dd>{signerText(view.signer)}</dd>
          <dt>Độ khẩn</dt>
          <dd>{view.priority > 0 ? <span class="urgent">{priorityText(view.priority)}</span> : priorityText(0)}</dd>
          {view.dueDate ? (
            <>
              <dt>Hạn xử lý</dt>
              <dd>{vnDay(view.dueDate)}</dd>
            </>
          ) : null}
          {view.content ? (
            <>
              <dt>Nội dung tóm tắt</dt>
              <dd class="pre">{view.content}</dd>
            </>
          ) : null}
          {view.toPlaces.length ? (
            <>
              <dt>Ghi ở cuối văn bản</dt>
              <dd class="pre">{view.toPlaces.join('\n')}</dd>
            </>
          ) : null}
          <dt>Gửi đến</dt>
          <dd class="wrap">{recipientsText(view, props.viewer)}</dd>
          <dt>Vào sổ lúc</dt>
          <dd>{vnDateTime(view.createdAt)}</dd>
          {view.state === 'recalled' ? (
            <>
              <dt>Thu hồi</dt>
              <dd>
                Văn bản đã bị thu hồi{view.recallReason ? `. Lý do: ${view.recallReason}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
      </section>

      <section class="card" aria-labelledby="files">
        <h2 id="files">Tệp đính kèm</h2>
        {view.attachments.length === 0 ? (
          <p>Không có tệp đính kèm.</p>
        ) : (
          <ul>
            {view.attachments.map((a) => (
              <li>
                <a href={`/outgoing/${id}/files/${a.index}`}>{a.name}</a> <span class="muted">({fileSize(a.size)})</span>
                {a.contentType === 'application/pdf' ? (
                  <>
                    {' · '}
                    {/* Named by its list item: a name holding the file's would make two links of that name. */}
                    <a href={`/outgoing/${id}/files/${a.index}?inline`}>Mở xem</a>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section class="card" aria-labelledby="recipients-heading">
        <h2 id="recipients-heading">Các nơi nhận</h2>
        <p class="hint">Trang này tự cập nhật khi nơi nhận báo trạng thái; không cần tải lại.</p>
        <div id="recipients" data-poll={`/outgoing/${id}/recipients`} data-every={String(POLL_MS)}>
          <Recipients view={view} />
        </div>
        <p>
          <a href={`/outgoing/${id}/dien-bien`}>Xem diễn biến gửi, nhận</a>
        </p>
      </section>

      <section class="card" aria-labelledby="downloads">
        <h2 id="downloads">Tải về</h2>
        <ul>
          <li>
            {props.hasPackage ? (
              <a href={`/outgoing/${id}/edxml`}>Gói tin đã ký số (edXML)</a>
            ) : (
              <span class="muted">Gói tin đã ký số: chưa có (đang ký số).</span>
            )}
          </li>
          <li>
            {props.sealed ? (
              <a href={`/outgoing/${id}/archive`}>Tệp lưu trữ (ZIP, kiểm tra được bằng lienthong verify)</a>
            ) : (
              <span class="muted">
                Tệp lưu trữ: có khi văn bản được niêm phong — khi mọi nơi nhận đã xử lý xong, hoặc {props.archiveAfterDays} ngày sau khi gửi.
              </span>
            )}
          </li>
        </ul>
      </section>

      {RECALLABLE.includes(view.state) ? (
        <section class="card" aria-labelledby="recall">
          <h2 id="recall">Thu hồi văn bản</h2>
          <p class="hint" id="recall-hint">
            Nơi đã nhận văn bản được gửi yêu cầu thu hồi và trả lời có đồng ý hay không; nơi chưa nhận thì không còn được gửi đến. Không hoàn tác được.
          </p>
          <form method="post" action={`/outgoing/${id}/recall`} class="with-reason">
            <Csrf viewer={viewer} />
            <label for="recall-reason">Lý do</label>
            <textarea id="recall-reason" name="reason" rows={2} required maxlength={2000} aria-describedby="recall-hint">
              {props.reason ?? ''}
            </textarea>
            <button type="submit" class="danger">
              Thu hồi
            </button>
          </form>
        </section>
      ) : null}
    </Page>
  );
}

/**
 * The timeline's events in words; an event not named here is shown by its type (a test checks that
 * every type the service writes is named: test/console/timeline-labels.test.ts).
 */
export const EVENT_TEXT: Record<string, string> = {
  'document.created': 'Vào sổ văn bản đi',
  'document.registered': 'Vào sổ văn bản đi',
  'document.pdf-signatures-checked': 'Kiểm tra chữ ký số trong tệp PDF',
  'recipient.redirected': 'Gửi cơ quan kế thừa thay cho cơ quan đã chấm dứt hoạt động',
  'recipients.closed-skipped': 'Bỏ qua thành viên của nhóm đã chấm dứt hoạt động',
  'package.signed': 'Ký số gói tin',
  'document.signed': 'Đã ký số văn bản',
  'document.sent': 'Bắt đầu chuyển đến các nơi nhận',
  'document.sign-retry': 'Chưa ký số được, sẽ thử lại',
  'document.sign-failed': 'Ký số không thành công',
  'delivery.sent': 'Chuyển đi',
  'delivery.delivered': 'Chuyển vào hộp thư đến',
  'delivery.queued-for-pull': 'Chờ đối tác lấy về',
  'delivery.retry': 'Chưa chuyển được, sẽ thử lại',
  'delivery.failed': 'Không chuyển được',
  'delivery.refused-by-partner': 'Hệ thống nơi nhận không nhận được văn bản',
  'delivery.retry-requested': 'Yêu cầu chuyển lại',
  'delivery.waiting-too-long': 'Chờ quá lâu chưa có trả lời',
  'delivery.recall-unanswered': 'Chờ quá lâu chưa có trả lời yêu cầu thu hồi',
  'status.kept': 'Nhận báo trạng thái (giữ trạng thái đang có)',
  'status.refused': 'Báo trạng thái không hợp lệ, không áp dụng',
  'status.sent': 'Gửi báo trạng thái',
  'status.refused-by-partner': 'Đối tác không nhận báo trạng thái',
  'recall.requested': 'Gửi yêu cầu thu hồi',
  'recall.cancelled': 'Hủy chuyển (nơi nhận chưa nhận được)',
  'recall.withdrawn-from-pull-list': 'Rút khỏi danh sách chờ đối tác lấy',
  'recall.package-sent': 'Chuyển gói tin thu hồi',
  'recall.package-refused': 'Đối tác không nhận gói tin thu hồi',
  'document.recalled': 'Thu hồi văn bản',
  'document.updated': 'Cập nhật văn bản',
  'document.replaced': 'Văn bản được thay thế',
  'update.requested': 'Gửi bản cập nhật',
  'update.sent': 'Chuyển bản cập nhật',
  'update.accepted': 'Nơi nhận dùng bản cập nhật',
  'update.refused': 'Nơi nhận giữ bản cũ',
  'update.not-held': 'Nơi nhận không giữ văn bản',
  'update.refused-by-partner': 'Đối tác không nhận bản cập nhật',
};

function eventText(e: Awaited<ReturnType<typeof documentEvents>>[number]): string {
  if (e.type === 'status' && e.statusCode) return `Báo: ${CODE_MEANING[e.statusCode as StatusCode] ?? e.statusCode}`;
  return EVENT_TEXT[e.type] ?? e.type;
}

function TimelinePage(props: { viewer: Viewer; view: DocumentView; events: Awaited<ReturnType<typeof documentEvents>> }) {
  const names = new Map(props.view.deliveries.map((d) => [d.recipient, d.recipientName ?? d.recipient]));
  return (
    <Page title={`Diễn biến: ${props.view.code.text}`} viewer={props.viewer} active="outgoing">
      <p>
        <a href={`/outgoing/${props.view.id}`}>← {props.view.subject}</a>
      </p>
      {/* Here rather than on the document's page, where the số/ký hiệu it ends with would be read twice. */}
      <p class="muted wrap">Mã văn bản (DocumentId): {props.view.documentId}</p>
      {props.events.length === 0 ? (
        <p>Chưa có diễn biến.</p>
      ) : (
        <table class="stack">
          <caption class="muted">Cũ nhất ở trên cùng</caption>
          <thead>
            <tr>
              <th scope="col">Lúc</th>
              <th scope="col">Nơi nhận</th>
              <th scope="col">Việc</th>
            </tr>
          </thead>
          <tbody>
            {props.events.map((e) => {
              const details = e.details as { reason?: unknown; description?: unknown } | null;
              const why = typeof details?.reason === 'string' ? details.reason : typeof details?.description === 'string' ? details.description : undefined;
              return (
                <tr>
                  <td data-label="Lúc" class="nowrap">
                    {vnDateTime(e.at)}
                  </td>
                  <td data-label="Nơi nhận">{e.recipient ? (names.get(e.recipient) ?? e.recipient) : '—'}</td>
                  <td data-label="Việc">
                    {eventText(e)}
                    {why ? <span class="muted"> — {why}</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Page>
  );
}

/** A clerk or signer of the sending agency (as the API's outgoing routes ask). */
const clerkOf = (c: ConsoleContext): Clerk => ({ principal: requireUser(c.get('viewer')!.principal, ['clerk', 'signer']), requestId: c.get('requestId') });

const RecallInput = z.object({ reason: xmlText().trim().min(1).max(2000) });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Văn bản đi: the list, one document with its recipients (polled), its files and downloads, recall, the timeline. */
export function mountOutgoing(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const deadlineClock = { calendar: deps.calendar, now: deps.clock };
  ui.get('/outgoing', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const clerk = clerkOf(c);
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const before = timeCursor(c.req.query('after'));
    const em = c.get('em');
    const { items, more } = await listOutgoing(em, clerk.principal.agencyCode, { q, before, limit: PAGE_SIZE });
    const counts = await deliveryStateCounts(em, items.map((d) => d.id));
    const deadlines = await documentsDeadlineCounts(em, deps.calendar, items, deps.clock());
    const last = items[items.length - 1];
    return c.html(
      <OutgoingList viewer={viewer} items={items} counts={counts} deadlines={deadlines} q={q} next={more && last ? encodeCursor(timeKey(last.createdAt, last.id)) : undefined} />,
    );
  });

  const showDocument = async (c: ConsoleContext, extra: { error?: string; reason?: string; status?: number } = {}) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id') ?? '');
    const view = await loadDocumentView(em, doc, deadlineClock);
    const sealed = (await latestRecord(em, 'sender', doc.id)) !== null;
    return c.html(
      <DocumentPage
        viewer={viewer}
        view={view}
        hasPackage={!!doc.packageId}
        sealed={sealed}
        archiveAfterDays={deps.archiveAfterDays}
        done={c.req.query('xong')}
        error={extra.error}
        {...(extra.reason !== undefined ? { reason: extra.reason } : {})}
      />,
      (extra.status ?? 200) as 200,
    );
  };

  ui.get('/outgoing/:id', needViewer, (c) => showDocument(c));

  // The rows alone, for console.js to poll. A lost session answers 401 (never the login page, which
  // would land inside the table).
  ui.get('/outgoing/:id/recipients', async (c) => {
    if (!c.get('viewer')) return c.text('Phiên làm việc đã hết hạn.', 401);
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    return c.html(<Recipients view={await loadDocumentView(em, doc, deadlineClock)} />);
  });

  ui.get('/outgoing/:id/dien-bien', needViewer, async (c) => {
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    return c.html(<TimelinePage viewer={c.get('viewer')!} view={await loadDocumentView(em, doc, deadlineClock)} events={await documentEvents(em, doc.id)} />);
  });

  ui.get('/outgoing/:id/files/:index', needViewer, async (c) => {
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    const index = Number(c.req.param('index'));
    const files = await documentFiles(em, doc.id);
    const file = Number.isInteger(index) ? files[index] : undefined;
    if (!file) throw new DomainError('NOT_FOUND', `No attachment ${c.req.param('index')}.`, { vi: 'Không có tệp đính kèm này.' });
    if (file.content.length === 0) {
      throw new DomainError('NOT_FOUND', 'The attachment was purged after its retention period.', { vi: 'Tệp này đã được xóa khi hết thời hạn lưu trữ; bản lưu trữ vẫn giữ mã băm của nó.' });
    }
    const inline = c.req.query('inline') !== undefined && file.contentType === 'application/pdf';
    return new Response(new Uint8Array(file.content), {
      headers: {
        'content-type': file.contentType,
        'content-length': String(file.content.length),
        'content-disposition': contentDisposition(file.name, inline ? 'inline' : 'attachment'),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'self'",
        'cache-control': 'private, no-store',
      },
    });
  });

  // The signed package, exactly as sent (GET /v1/documents/{id}/edxml).
  ui.get('/outgoing/:id/edxml', needViewer, async (c) => {
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    if (!doc.packageId) throw new DomainError('NOT_FOUND', 'The document is not signed yet.', { vi: 'Văn bản chưa được ký số; hãy thử lại sau ít giây.' });
    const bytes = await packageBytes(em, doc.packageId);
    return new Response(new Uint8Array(bytes), {
      headers: {
        'content-type': 'application/xml',
        'content-length': String(bytes.length),
        'content-disposition': contentDisposition(`${doc.documentId}.edxml`),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
    });
  });

  // The archive file once sealed (GET /v1/documents/{id}/archive).
  ui.get('/outgoing/:id/archive', needViewer, async (c) => {
    const em = c.get('em');
    const doc = await findOwnDocument(em, clerkOf(c), c.req.param('id'));
    if (!(await latestRecord(em, 'sender', doc.id))) {
      return c.html(
        <Page title="Chưa có tệp lưu trữ" viewer={c.get('viewer')} active="outgoing">
          <Notice kind="error">
            Văn bản chưa được niêm phong vào kho lưu trữ: việc này diễn ra khi mọi nơi nhận đã xử lý xong (hoàn thành, từ chối hoặc thu hồi), hoặc {deps.archiveAfterDays} ngày
            sau khi gửi.
          </Notice>
          <p>
            <a href={`/outgoing/${doc.id}`}>← Về trang văn bản</a>
          </p>
        </Page>,
        409,
      );
    }
    const file = await exportDocumentArchive(em, { pki: deps.pki, archiveAfterDays: deps.archiveAfterDays }, clerkOf(c), doc.id);
    return new Response(new Uint8Array(file.bytes), {
      headers: {
        'content-type': 'application/zip',
        'content-length': String(file.bytes.length),
        'content-disposition': contentDisposition(file.fileName),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
    });
  });

  ui.post('/outgoing/:id/recall', needViewer, csrf(deps.publicUrl), async (c) => {
    const clerk = clerkOf(c);
    const id = c.req.param('id');
    const typed = field(c.get('form'), 'reason');
    const parsed = RecallInput.safeParse({ reason: typed });
    if (!parsed.success) {
      const error = validationError(parsed.error, 'request', { input: { reason: typed }, section: 'document' });
      const message = problemFieldErrors(error, 'vi', 'document')[0]?.message ?? problemMessage(error, 'vi', 'document');
      return showDocument(c, { error: `Chưa thu hồi: ${message}`, reason: typed, status: 422 });
    }
    // Just composed, the document may still be being signed: a recall waits for it to leave (a few
    // seconds at most) rather than send the clerk away to try again.
    for (let waited = 0; waited < 15_000; waited += 250) {
      const doc = await findOwnDocument(c.get('em').fork(), clerk, id);
      if (doc.state !== 'queued' && doc.state !== 'signed') break;
      await sleep(250);
    }
    try {
      const { statusIds } = await recallDocument(c.get('em').fork(), deps.pki, clerk, id, parsed.data.reason);
      await deps.queues.enqueueMany('status', statusIds.map((statusId) => ({ statusId }))).catch(() => undefined);
    } catch (error) {
      if (error instanceof DomainError && (error.code === 'ILLEGAL_TRANSITION' || error.code === 'CONFLICT')) {
        return showDocument(c, { error: `Chưa thu hồi được: ${problemMessage(error, 'vi', 'document')}`, reason: typed, status: 409 });
      }
      throw error;
    }
    return c.redirect(`/outgoing/${id}?xong=thu-hoi`, 303);
  });
}
