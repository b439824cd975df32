import type { Hono } from 'hono';
import { canMove, STATE_OF_CODE, type StatusCode } from '../../delivery/states.js';
import type { InboxItem } from '../../delivery/inbox.entity.js';
import { attachmentBytes, findOwnItem, inboxView, itemStatuses, itemVersions, listInbox, reportStatus } from '../../inbox/inbox.service.js';
import { encodeCursor, timeKey } from '../../http/pagination.js';
import type { ConsoleDeps } from '../deps.js';
import { Csrf, Notice, Page, NextPage, SearchForm, StateBadge } from '../layout.js';
import { csrf, field, needViewer, timeCursor, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { edxmlDay, fileSize, PDF_PROBLEM_TEXT, PDF_ROLE_TEXT, priorityText, vnDateTime } from '../texts.js';
import type { PdfSignatureView } from '../../delivery/pdf-evidence.js';
import type { ShownDeadline as Deadline } from '../../deadlines/deadlines.service.js';
import type { DeadlineFilter } from '../../deadlines/deadlines.repository.js';
import { inboxCounters, inboxItemsDeadlines } from '../../deadlines/deadlines.service.js';
import { DeadlineLine, DeadlineState, dueText, headlineDeadline, stillOpen } from '../deadline-marks.js';

const PAGE_SIZE = 50;

interface Header {
  code?: { codeNumber?: string; codeNotation?: string };
  promulgationInfo?: { place?: string; promulgationDate?: string };
  documentType?: { typeName?: string };
  signerInfo?: { competence?: string; position?: string; fullName?: string };
  dueDate?: string;
  otherInfo?: { priority?: number };
}
const headerOf = (item: InboxItem): Header => ((item.metadata as { messageHeader?: Header }).messageHeader ?? {}) as Header;
const codeText = (h: Header): string => (h.code?.codeNumber ? `${h.code.codeNumber}/${h.code.codeNotation ?? ''}` : (h.code?.codeNotation ?? ''));

/** The actions a clerk may take on an item (UI.md): each shown only when its transition is allowed. */
const ACTIONS: Array<{ code: StatusCode; text: string; reason?: boolean; danger?: boolean }> = [
  { code: '03', text: 'Tiếp nhận' },
  { code: '02', text: 'Từ chối', reason: true, danger: true },
  { code: '04', text: 'Phân công' },
  { code: '05', text: 'Đang xử lý' },
  { code: '06', text: 'Hoàn thành' },
  { code: '15', text: 'Đồng ý thu hồi' },
  { code: '16', text: 'Từ chối thu hồi', reason: true },
];

/**
 * What a done action says at the top of the item page (fixed texts: nothing from the URL is echoed).
 * Worded apart from the state texts and the "Số đến: N" of the page, which each appear once.
 */
const DONE: Record<string, string> = {
  '03': 'Xong: văn bản đã vào sổ văn bản đến, nơi gửi được báo.',
  '02': 'Xong: văn bản được trả lại, nơi gửi được báo kèm lý do.',
  '04': 'Xong: nơi gửi được báo việc giao xử lý.',
  '05': 'Xong: nơi gửi được báo văn bản đang được giải quyết.',
  '06': 'Xong: nơi gửi được báo việc giải quyết đã xong.',
  '15': 'Xong: bản văn bản này đã được hủy theo đề nghị của nơi gửi.',
  '16': 'Xong: nơi gửi được báo cơ quan giữ lại văn bản.',
};

/** The statuses this agency reported, in words of their own (not the state texts: those show the state). */
const REPORTED: Record<string, string> = {
  '01': 'báo đã nhận được gói tin (hệ thống tự báo)',
  '02': 'báo trả lại văn bản',
  '03': 'báo vào sổ văn bản đến',
  '04': 'báo giao xử lý',
  '05': 'báo đang giải quyết',
  '06': 'báo giải quyết xong',
  '15': 'chấp thuận hủy bản văn bản',
  '16': 'báo giữ lại văn bản',
};

function Urgency(props: { priority: number | undefined }) {
  const p = props.priority ?? 0;
  return p > 0 ? <span class="urgent">{priorityText(p)}</span> : null;
}

/**
 * The inbox by deadline (`?han=`): overdue and not dealt with, or due soon. Console words, mapped to
 * the API's filters (`?overdue=open`, `?dueSoon=true`).
 */
const BY_DEADLINE = {
  'qua-han': { filter: { overdue: 'open' }, counter: 'Quá hạn', shown: 'Đang xem các văn bản quá hạn mà chưa vào sổ hoặc chưa xử lý xong.' },
  'sap-den-han': { filter: { dueSoon: true }, counter: 'Sắp đến hạn', shown: 'Đang xem các văn bản sắp đến hạn (còn dưới một ngày làm việc; văn bản khẩn: dưới một giờ).' },
} as const satisfies Record<string, { filter: DeadlineFilter; counter: string; shown: string }>;
type ByDeadline = keyof typeof BY_DEADLINE;
const byDeadline = (value: string | undefined): ByDeadline | undefined => (value && Object.hasOwn(BY_DEADLINE, value) ? (value as ByDeadline) : undefined);

/** The counter of the inbox (issue 18): how many are overdue and how many due soon, each a link to the list of them. */
function DeadlineCounters(props: { counts: { overdue: number; dueSoon: number }; active: ByDeadline | undefined }) {
  const entries: Array<[ByDeadline, number]> = [
    ['qua-han', props.counts.overdue],
    ['sap-den-han', props.counts.dueSoon],
  ];
  return (
    <nav aria-label="Theo hạn" class="deadline-counters">
      <ul>
        {entries.map(([key, n]) => (
          <li>
            <a href={`/inbox?han=${key}`} class={n > 0 ? (key === 'qua-han' ? 'count bad' : 'count wait') : 'count'} aria-current={props.active === key ? 'page' : undefined}>
              {BY_DEADLINE[key].counter} ({n})
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function InboxList(props: {
  viewer: Viewer;
  items: InboxItem[];
  deadlines: Deadline[][];
  counts: { overdue: number; dueSoon: number };
  han: ByDeadline | undefined;
  q: string;
  next?: string | undefined;
}) {
  return (
    <Page title="Văn bản đến" viewer={props.viewer} active="inbox">
      <SearchForm action="/inbox" q={props.q} placeholder="Trích yếu, nơi gửi, số/ký hiệu">
        {props.han ? <input type="hidden" name="han" value={props.han} /> : null}
      </SearchForm>
      <DeadlineCounters counts={props.counts} active={props.han} />
      {props.han ? (
        <p class="filtered">
          {BY_DEADLINE[props.han].shown} <a href="/inbox">Xem tất cả</a>
        </p>
      ) : null}
      {props.items.length === 0 ? (
        <p>{props.q ? 'Không có văn bản nào khớp với nội dung tìm kiếm.' : props.han ? 'Không có văn bản nào.' : 'Chưa có văn bản đến.'}</p>
      ) : (
        <table class="stack">
          <caption class="muted">
            Mới nhất ở trên cùng
          </caption>
          <thead>
            <tr>
              <th scope="col">Trích yếu</th>
              <th scope="col">Nơi gửi</th>
              <th scope="col">Số/ký hiệu</th>
              <th scope="col">Ngày đến</th>
              <th scope="col">Trạng thái</th>
              <th scope="col">Hạn</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((item, i) => {
              const h = headerOf(item);
              const headline = headlineDeadline(props.deadlines[i] ?? [], stillOpen);
              return (
                <tr class={item.state === 'arrived' ? 'unread' : undefined}>
                  <td data-label="Trích yếu">
                    <Urgency priority={h.otherInfo?.priority} /> <a href={`/inbox/${item.id}`}>{item.subject}</a>
                  </td>
                  <td data-label="Nơi gửi">{item.senderName}</td>
                  <td data-label="Số/ký hiệu" class="nowrap">
                    {codeText(h)}
                  </td>
                  <td data-label="Ngày đến" class="nowrap">
                    {vnDateTime(item.receivedAt)}
                  </td>
                  <td data-label="Trạng thái">
                    <StateBadge state={item.state} />
                    {item.arrivalNumber ? <span class="muted"> Số đến: {item.arrivalNumber}</span> : null}
                  </td>
                  <td data-label="Hạn" class="deadline-cell">{headline ? <DeadlineLine deadline={headline} open={stillOpen(headline)} /> : <span class="muted">—</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <NextPage path="/inbox" next={props.next} q={props.q} {...(props.han ? { extra: { han: props.han } } : {})} />
    </Page>
  );
}

function ItemPage(props: {
  viewer: Viewer;
  item: InboxItem;
  deadlines: Deadline[];
  statuses: Awaited<ReturnType<typeof itemStatuses>>;
  versions: Awaited<ReturnType<typeof itemVersions>>;
  done?: string | undefined;
  error?: string | undefined;
  showPdf?: number | undefined;
}) {
  const { item, viewer } = props;
  const view = inboxView(item);
  const h = headerOf(item);
  const v = item.verification;
  const issuerName = /CN=([^,]+)/.exec(v.certificate.issuer)?.[1] ?? v.certificate.issuer;
  const subjectName = /CN=([^,]+)/.exec(v.certificate.subject)?.[1] ?? v.certificate.subject;
  const pendingUpdate = props.versions.find((x) => x.state === 'pending');
  const registration = props.deadlines.find((d) => d.kind === 'registration');
  const processing = props.deadlines.find((d) => d.kind === 'processing');
  const actions = ACTIONS.filter((a) => {
    if ((a.code === '15' || a.code === '16') && item.state !== 'recall_requested') return !!pendingUpdate;
    return canMove(item.state, STATE_OF_CODE[a.code]);
  });
  return (
    <Page title={item.subject} viewer={viewer} active="inbox">
      <p>
        {/* Not "Văn bản đến": the navigation's link has that name, and one name should lead one place. */}
        <a href="/inbox">← Quay lại danh sách</a>
      </p>
      {props.done && DONE[props.done] ? <Notice kind="ok">{DONE[props.done]}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <section class="card" aria-labelledby="info">
        <h2 id="info">Thông tin văn bản</h2>
        <dl class="meta">
          <dt>Trạng thái</dt>
          <dd>
            <StateBadge state={item.state} />
          </dd>
          {item.arrivalNumber ? (
            <>
              <dt>Số đến</dt>
              <dd>
                <strong>Số đến: {item.arrivalNumber}</strong>
                {item.arrivalYear ? <span class="muted"> (sổ năm {item.arrivalYear})</span> : null}
              </dd>
            </>
          ) : null}
          <dt>Nơi gửi</dt>
          <dd>
            <span>{item.senderName}</span> <span class="muted">({item.senderCode})</span>
          </dd>
          <dt>Loại văn bản</dt>
          <dd>{h.documentType?.typeName ?? ''}</dd>
          <dt>Số/ký hiệu</dt>
          <dd>{codeText(h)}</dd>
          <dt>Ngày ban hành</dt>
          <dd>
            {h.promulgationInfo?.place ? `${h.promulgationInfo.place}, ` : ''}
            {h.promulgationInfo?.promulgationDate ? edxmlDay(h.promulgationInfo.promulgationDate) : ''}
          </dd>
          <dt>Ngày đến</dt>
          <dd>{vnDateTime(item.receivedAt)}</dd>
          {registration ? (
            <>
              <dt>Hạn vào sổ</dt>
              <dd>
                {dueText(registration)} — <DeadlineState deadline={registration} open={stillOpen(registration)} />
              </dd>
            </>
          ) : null}
          <dt>Độ khẩn</dt>
          <dd>{(h.otherInfo?.priority ?? 0) > 0 ? <Urgency priority={h.otherInfo?.priority} /> : 'Thường'}</dd>
          {h.dueDate ? (
            <>
              <dt>Hạn xử lý</dt>
              <dd>
                {edxmlDay(h.dueDate)}
                {processing ? (
                  <>
                    {/* A due date on a day off runs to the end of the next working day (calendar/deadlines.ts). */}
                    {dueText(processing) !== edxmlDay(h.dueDate) ? ` (ngày nghỉ: tính đến hết giờ làm việc ${dueText(processing)})` : ''} —{' '}
                    <DeadlineState deadline={processing} open={stillOpen(processing)} />
                  </>
                ) : null}
              </dd>
            </>
          ) : null}
          <dt>Người ký</dt>
          <dd>{[h.signerInfo?.competence, h.signerInfo?.position, h.signerInfo?.fullName].filter(Boolean).join(' ')}</dd>
        </dl>
      </section>

      <section class="card" aria-labelledby="sig">
        <h2 id="sig">Chữ ký số của gói tin</h2>
        {v.signatureValid ? (
          <p>
            <span class="badge ok">Chữ ký số hợp lệ</span>
          </p>
        ) : (
          <p>
            <span class="badge bad">Chữ ký số không hợp lệ</span>
          </p>
        )}
        <dl class="meta">
          <dt>Người ký số</dt>
          {/* The sender's own certificate (the usual case) is not named twice: its name is the Nơi gửi above. */}
          <dd>{subjectName === item.senderName ? 'Nơi gửi (chứng thư số của chính cơ quan gửi)' : subjectName}</dd>
          <dt>Tổ chức cấp chứng thư</dt>
          <dd>{issuerName}</dd>
          <dt>Số hiệu chứng thư</dt>
          <dd class="muted">{v.certificate.serialNumber}</dd>
          <dt>Kiểm tra lúc</dt>
          <dd>{vnDateTime(v.checkedAt)}</dd>
        </dl>
      </section>

      <section class="card" aria-labelledby="files">
        <h2 id="files">Tệp đính kèm</h2>
        {view.withdrawn ? (
          <p>Văn bản đã được thu hồi: các tệp đính kèm đã bị hủy.</p>
        ) : view.attachments.length === 0 ? (
          <p>Không có tệp đính kèm.</p>
        ) : (
          <ul>
            {view.attachments.map((a) => (
              <li>
                <a href={`/inbox/${item.id}/files/${a.index}`}>{a.name}</a> <span class="muted">({fileSize(a.size)})</span>
                {a.contentType === 'application/pdf' ? (
                  <>
                    {' · '}
                    <a href={`/inbox/${item.id}?xem=${a.index}#xem-tep`}>Xem trong trang</a>
                  </>
                ) : null}
                {a.pdfSignatures ? <PdfSignatures officiallySigned={a.officiallySigned ?? false} problems={a.pdfProblems ?? []} signatures={a.pdfSignatures} /> : null}
              </li>
            ))}
          </ul>
        )}
        {props.showPdf !== undefined && !view.withdrawn && view.attachments[props.showPdf]?.contentType === 'application/pdf' ? (
          <iframe id="xem-tep" class="pdf" title={`Xem tệp ${view.attachments[props.showPdf]?.name ?? ''}`} src={`/inbox/${item.id}/files/${props.showPdf}?inline`}></iframe>
        ) : null}
      </section>

      {pendingUpdate ? (
        <section class="card" aria-labelledby="update">
          <h2 id="update">Nơi gửi đã cập nhật văn bản</h2>
          <p>
            Trích yếu mới: {pendingUpdate.subject}
            {pendingUpdate.reason ? ` — lý do: ${pendingUpdate.reason}` : ''}
          </p>
          <p class="muted">Đồng ý để dùng bản cập nhật, hoặc từ chối để giữ bản đang có.</p>
        </section>
      ) : null}

      {actions.length > 0 ? (
        <section class="card" aria-labelledby="act">
          <h2 id="act">Xử lý</h2>
          <div class="actions">
            {actions.map((a) => (
              // A reason is a visible field of the action's own form: the button sends it, and the
              // browser asks for it first when it is required (02).
              <form method="post" action={`/inbox/${item.id}/status`} class={a.reason ? 'with-reason' : undefined}>
                <Csrf viewer={viewer} />
                <input type="hidden" name="code" value={a.code} />
                {a.reason ? (
                  <>
                    <label for={`reason-${a.code}`}>
                      Lý do{a.code === '02' ? '' : <span class="hint"> (không bắt buộc)</span>}
                    </label>
                    <textarea id={`reason-${a.code}`} name="description" rows={2} required={a.code === '02'} maxlength={2000}></textarea>
                  </>
                ) : null}
                <button type="submit" class={a.danger ? 'danger' : undefined}>
                  {a.text}
                </button>
              </form>
            ))}
          </div>
        </section>
      ) : null}

      {props.statuses.length > 0 ? (
        <section class="card" aria-labelledby="history">
          <h2 id="history">Đã báo về nơi gửi</h2>
          <ul>
            {props.statuses.map((s) => (
              <li>
                {vnDateTime(s.at)} — mã {s.code}: {REPORTED[s.code] ?? ''}
                {(s.code === '02' || s.code === '16') && s.description ? ` (lý do: ${s.description})` : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Page>
  );
}


/** Văn bản đến: the list, one item, its files, and the clerk's answers (UI.md "Inbox"). */
export function mountInbox(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  ui.get('/inbox', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const han = byDeadline(c.req.query('han'));
    const after = timeCursor(c.req.query('after'));
    const em = c.get('em');
    const now = deps.clock();
    const agency = viewer.principal.agencyCode;
    // The counter works out the stored deadlines of what came since (src/deadlines); the filter then reads them.
    const counts = await inboxCounters(em, deps.calendar, agency, now);
    const { items, more } = await listInbox(em, agency, { q, after, limit: PAGE_SIZE, ...(han ? { deadlines: { filter: BY_DEADLINE[han].filter, now } } : {}) });
    const deadlines = await inboxItemsDeadlines(em, deps.calendar, items, now);
    const last = items[items.length - 1];
    return c.html(
      <InboxList viewer={viewer} items={items} deadlines={deadlines} counts={counts} han={han} q={q} next={more && last ? encodeCursor(timeKey(last.receivedAt, last.id)) : undefined} />,
    );
  });

  const showItem = async (c: ConsoleContext, extra: { error?: string; status?: 200 | 409 | 422 } = {}) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const item = await findOwnItem(em, viewer.principal, c.req.param('id') ?? '');
    const show = c.req.query('xem');
    return c.html(
      <ItemPage
        viewer={viewer}
        item={item}
        deadlines={(await inboxItemsDeadlines(em, deps.calendar, [item], deps.clock()))[0] ?? []}
        statuses={await itemStatuses(em, item.id)}
        versions={await itemVersions(em, item.id)}
        done={c.req.query('xong')}
        error={extra.error}
        showPdf={show !== undefined && /^\d{1,3}$/.test(show) ? Number(show) : undefined}
      />,
      extra.status ?? 200,
    );
  };

  ui.get('/inbox/:id', needViewer, (c) => showItem(c));

  ui.get('/inbox/:id/files/:index', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const item = await findOwnItem(c.get('em'), viewer.principal, c.req.param('id'));
    const index = Number(c.req.param('index'));
    const file = await attachmentBytes(c.get('em'), item, Number.isInteger(index) ? index : -1);
    const inline = c.req.query('inline') !== undefined && file.contentType === 'application/pdf';
    return new Response(new Uint8Array(file.bytes), {
      headers: {
        'content-type': file.contentType,
        'content-length': String(file.bytes.length),
        'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'self'",
        'cache-control': 'private, no-store',
      },
    });
  });

  ui.post('/inbox/:id/status', needViewer, csrf(deps.publicUrl), async (c) => {
    const viewer = c.get('viewer')!;
    const form = c.get('form');
    const code = field(form, 'code') as StatusCode;
    if (!ACTIONS.some((a) => a.code === code)) return showItem(c, { error: 'Thao tác không hợp lệ.', status: 422 });
    const description = field(form, 'description');
    if (code === '02' && !description) return showItem(c, { error: 'Hãy ghi lý do từ chối.', status: 422 });
    try {
      const { statusId } = await reportStatus(c.get('em'), deps.pki, { principal: viewer.principal, requestId: c.get('requestId') }, c.req.param('id'), {
        code,
        ...(description ? { description } : {}),
      });
      if (statusId) await deps.queues.enqueue('status', { statusId }).catch(() => undefined);
    } catch (error) {
      const code409 = (error as { code?: string }).code;
      if (code409 === 'ILLEGAL_TRANSITION' || code409 === 'CONFLICT') {
        return showItem(c, { error: 'Không thực hiện được: trạng thái văn bản vừa thay đổi. Trang đã được tải lại với trạng thái mới.', status: 409 });
      }
      throw error;
    }
    return c.redirect(`/inbox/${c.req.param('id')}?xong=${code}`, 303);
  });
}

/** The legal signatures inside one PDF (issue 17): whether it is officially signed, and each signature. */
function PdfSignatures(props: { officiallySigned: boolean; problems: readonly string[]; signatures: ReadonlyArray<PdfSignatureView> }) {
  return (
    <div class="pdf-signatures">
      {props.officiallySigned ? (
        <p>
          <span class="badge ok">Có đủ chữ ký số của người có thẩm quyền và của cơ quan ban hành</span>
        </p>
      ) : (
        <p>
          <span class="badge bad">{props.problems.map((p) => PDF_PROBLEM_TEXT[p] ?? p).join('; ') || 'Chữ ký số trong tệp chưa đủ'}</span>
        </p>
      )}
      {props.signatures.length ? (
        <ul class="muted">
          {props.signatures.map((g) => (
            <li>
              {g.signer ?? 'Không rõ người ký'} ({PDF_ROLE_TEXT[g.role] ?? g.role}){g.signedAt ? `, ký lúc ${vnDateTime(g.signedAt)}` : ''}
              {g.valid ? ' — đúng' : ` — sai: ${g.problems.map((p) => PDF_PROBLEM_TEXT[p] ?? p).join(', ')}`}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
