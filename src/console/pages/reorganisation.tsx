import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { z } from 'zod';
import { handOver, listHandovers, previewHandover, type HandoverPreview, type HandoverResult, type PreviewItem } from '../../archive/handover.js';
import type { Agency, AgencyDecisionValue } from '../../directory/agency.entity.js';
import { agencyNames, findAgency, findUser, listPartners, recipientCandidates } from '../../directory/directory.repository.js';
import { AgencyDecisionSchema, AgencyPatchSchema } from '../../directory/directory.schemas.js';
import { updateAgency, type Actor } from '../../directory/directory.service.js';
import { agencyLineage, isClosedAt, successorsOf, vietnamIso, type Lineage, type LineageEntry } from '../../directory/succession.js';
import { changeCount } from '../../directory/sync.js';
import { findSync, listSyncs, openNotices } from '../../directory/sync.repository.js';
import { applySync, dryRunAxis, dryRunFile, syncView, type AxisAgenciesReader, type SyncView } from '../../directory/sync.service.js';
import { SYNC_COLUMNS } from '../../directory/sync-source.js';
import type { DirectorySyncNotice } from '../../directory/sync.entity.js';
import { DomainError } from '../../errors.js';
import { readMultipart } from '../../http/body.js';
import { problemMessage } from '../../http/problem-messages.js';
import { AxisClient } from '../../transport/axis-client.js';
import { axisCredentials } from '../../transport/partners.js';
import type { ConsoleDeps } from '../deps.js';
import { Field, FieldFrame, firstInvalid, formProblem, SelectField, type FormProblem } from '../forms.js';
import { Csrf, Notice, StateBadge } from '../layout.js';
import { checkCsrfToken, csrf, field, needAdmin, needViewer, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { LEVEL_TEXT, syncCountsText, vnDateTime, vnDay } from '../texts.js';
import { AdminPage, agencyOf, SyncNotices } from './admin.js';

/**
 * Reorganisation in Quản trị (issue 19, DESIGN.md §4 "Reorganisation"): an agency's succession —
 * closing it, with its successors and the legal act, as PATCH /v1/agencies/{code} does — its
 * lineage, the handover of its open work to its successor (a preview first, then
 * POST /v1/agencies/{code}/handover's service), and "Đồng bộ danh bạ": the national code list from
 * a file or the axis, compared in a dry run an administrator reviews and then applies. Every form
 * calls the service the API route calls; the console states no rule of its own.
 */

const actorOf = (c: ConsoleContext): Actor => ({ principal: c.get('viewer')!.principal, requestId: c.get('requestId') });

/** Fixed texts after an action (the `xong` query): nothing from the URL is echoed. */
const DONE: Record<string, string> = {
  'ghi-nhan': 'Đã ghi nhận giải thể / sáp nhập.',
  'mo-lai': 'Đã mở lại cơ quan: cơ quan nhận văn bản trở lại, không còn cơ quan kế thừa.',
  'ap-dung': 'Đã áp dụng các thay đổi vào danh bạ; mỗi thay đổi được ghi vào nhật ký.',
};
const done = (c: ConsoleContext): string | undefined => DONE[c.req.query('xong') ?? ''];

/** Agency codes typed by a person: separated by commas, semicolons, spaces or new lines. */
const codeList = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);

/** The Vietnam day (YYYY-MM-DD) of an instant. */
const vietnamDay = (iso: string): string => vietnamIso(iso).slice(0, 10);

const decisionText = (d: AgencyDecisionValue): string => `${d.number} ngày ${vnDay(d.date)}`;

function Decision(props: { decision: AgencyDecisionValue }) {
  const d = props.decision;
  return (
    <>
      {decisionText(d)}
      {d.link ? (
        <>
          {' '}
          (
          <a href={d.link} rel="noopener noreferrer">
            xem văn bản
          </a>
          )
        </>
      ) : null}
    </>
  );
}

/** Closed, or closing later, as a badge: the words say it, the colour repeats them. */
function ClosingBadge(props: { closedAt: string | null }) {
  if (!props.closedAt) return <span class="badge ok">Đang hoạt động</span>;
  return isClosedAt({ closedAt: new Date(props.closedAt) }, new Date()) ? (
    <span class="badge done">Ngừng hoạt động từ {vnDateTime(props.closedAt)}</span>
  ) : (
    <span class="badge wait">Sẽ ngừng hoạt động từ {vnDateTime(props.closedAt)}</span>
  );
}

const AgencyLink = (props: { code: string; name: string }) => (
  <>
    <a href={`/admin/agencies/${props.code}/succession`}>{props.name}</a> <span class="muted nowrap">({props.code})</span>
  </>
);

// ---------------------------------------------------------------------------------------------
// An agency's succession: where it stands, its lineage, its handovers, the form

const SUCCESSION_FIELDS = ['closedDate', 'successors', 'decisionNumber', 'decisionDate', 'decisionLink'] as const;
type SuccessionValues = Record<(typeof SUCCESSION_FIELDS)[number], string>;

const successionValuesOf = (a: Agency): SuccessionValues => ({
  closedDate: a.closedAt ? vietnamDay(a.closedAt.toISOString()) : '',
  successors: successorsOf(a).join('\n'),
  decisionNumber: a.decision?.number ?? '',
  decisionDate: a.decision?.date ?? '',
  decisionLink: a.decision?.link ?? '',
});

const formSuccessionValues = (form: URLSearchParams | undefined): SuccessionValues =>
  Object.fromEntries(SUCCESSION_FIELDS.map((n) => [n, field(form, n)])) as SuccessionValues;

/** Where each path of PATCH /v1/agencies/{code} is typed in this form. */
const SUCCESSION_PATHS: Record<string, string> = {
  closedAt: 'closedDate',
  successorCode: 'successors',
  successorCodes: 'successors',
  decision: 'decisionNumber',
  'decision.number': 'decisionNumber',
  'decision.date': 'decisionDate',
  'decision.link': 'decisionLink',
};

/** The body PATCH /v1/agencies/{code} would carry, from the form. */
function successionBody(v: SuccessionValues, current: Agency): Record<string, unknown> {
  const successors = codeList(v.successors);
  // The same day as now: the instant stays as it was (it may have been set to the minute through the API).
  const keep = current.closedAt && vietnamDay(current.closedAt.toISOString()) === v.closedDate;
  return {
    closedAt: keep ? current.closedAt!.toISOString() : `${v.closedDate}T00:00:00+07:00`,
    successorCodes: successors.length ? successors : null,
    decision: decisionOf(v),
  };
}

function Lineage(props: { lineage: Lineage }) {
  const l = props.lineage;
  const rows: Array<{ entry: LineageEntry; relation: string }> = [
    ...l.predecessors.map((entry) => ({ entry, relation: entry.depth === 1 ? 'Cơ quan tiền thân (được cơ quan này kế thừa)' : `Tiền thân gián tiếp (cách ${entry.depth} bước)` })),
    ...l.successors.map((entry) => ({ entry, relation: entry.depth === 1 ? 'Cơ quan kế thừa' : `Kế thừa tiếp (cách ${entry.depth} bước)` })),
  ];
  if (rows.length === 0) return null;
  return (
    <section class="card" aria-labelledby="lineage">
      <h2 id="lineage">Quan hệ kế thừa</h2>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Cơ quan</th>
            <th scope="col">Quan hệ</th>
            <th scope="col">Tình trạng</th>
            <th scope="col">Theo quyết định</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ entry, relation }) => (
            <tr>
              <td data-label="Cơ quan">
                <AgencyLink code={entry.code} name={entry.name} />
                <br />
                <span class="muted">{LEVEL_TEXT[entry.level]}</span>
              </td>
              <td data-label="Quan hệ">{relation}</td>
              <td data-label="Tình trạng">
                <ClosingBadge closedAt={entry.closedAt} />
              </td>
              <td data-label="Theo quyết định">{entry.decision ? <Decision decision={entry.decision} /> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

type HandoverHistory = Awaited<ReturnType<typeof listHandovers>>;

const ROLE_TEXT = { handover: 'bàn giao', takeover: 'tiếp nhận' } as const;

function Records(props: { records: HandoverResult['records'] }) {
  return (
    <ul>
      {props.records.map((r) => (
        <li>
          Chuỗi lưu trữ của {r.agency}: bản ghi số {r.index} ({ROLE_TEXT[r.role]}), mã băm <span class="mono wrap">{r.hash}</span>
        </li>
      ))}
    </ul>
  );
}

function HandoverHistoryTable(props: { history: HandoverHistory; names: Map<string, string> }) {
  if (props.history.length === 0) return null;
  const name = (code: string) => props.names.get(code) ?? code;
  return (
    <>
      <h3>Các lần bàn giao</h3>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Thời điểm</th>
            <th scope="col">Từ, cho</th>
            <th scope="col">Đã chuyển</th>
            <th scope="col">Biên bản trong chuỗi lưu trữ</th>
          </tr>
        </thead>
        <tbody>
          {props.history.map((h) => (
            <tr>
              <td data-label="Thời điểm" class="nowrap">
                {vnDateTime(h.performedAt)}
              </td>
              <td data-label="Từ, cho">
                {name(h.from)} → {name(h.to)}
              </td>
              <td data-label="Đã chuyển">
                {h.moved.inboxItems} văn bản đến, {h.moved.documents} văn bản đi cần theo dõi; {h.usersDeactivated} người dùng bị khoá
              </td>
              <td data-label="Biên bản trong chuỗi lưu trữ">
                {h.records.map((r) => `${r.agency} #${r.index}`).join(', ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function SuccessionPage(props: {
  viewer: Viewer;
  agency: Agency;
  lineage: Lineage;
  history: HandoverHistory;
  names: Map<string, string>;
  values: SuccessionValues;
  problem?: FormProblem | undefined;
  reopenProblem?: string | undefined;
  done?: string | undefined;
}) {
  const a = props.agency;
  const l = props.lineage;
  const closedAt = a.closedAt?.toISOString() ?? null;
  const closedNow = isClosedAt(a, new Date());
  const successors = successorsOf(a);
  const successorName = new Map(l.successors.filter((s) => s.depth === 1).map((s) => [s.code, s.name]));
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, SUCCESSION_FIELDS);
  const v = props.values;
  return (
    <AdminPage
      viewer={props.viewer}
      title={`Giải thể / sáp nhập — ${a.name}`}
      here="agencies"
      back={{ href: `/admin/agencies/${a.code}`, text: a.name }}
      done={props.done}
      problem={props.problem ?? (props.reopenProblem ? { summary: props.reopenProblem, fields: {} } : undefined)}
    >
      <section class="card" aria-labelledby="succession-state">
        <h2 id="succession-state">Tình trạng</h2>
        <dl class="meta">
          <dt>Mã định danh</dt>
          <dd>{a.code}</dd>
          <dt>Tình trạng</dt>
          <dd>
            <ClosingBadge closedAt={closedAt} />
          </dd>
          {closedAt || successors.length ? (
            <>
              <dt>Cơ quan kế thừa</dt>
              <dd>
                {successors.length === 0 ? (
                  'Không có (giải thể)'
                ) : successors.length === 1 ? (
                  <AgencyLink code={successors[0]!} name={successorName.get(successors[0]!) ?? successors[0]!} />
                ) : (
                  <ol class="successors">
                    {successors.map((s, i) => (
                      <li>
                        <AgencyLink code={s} name={successorName.get(s) ?? s} />
                        {i === 0 ? <strong> — nhận văn bản gửi đến cơ quan này và nhận bàn giao</strong> : null}
                      </li>
                    ))}
                  </ol>
                )}
              </dd>
            </>
          ) : null}
          {a.decision ? (
            <>
              <dt>Quyết định</dt>
              <dd>
                <Decision decision={a.decision} />
              </dd>
            </>
          ) : null}
          {closedNow ? (
            <>
              <dt>Văn bản gửi đến cơ quan này</dt>
              <dd>
                {l.receivingAgency ? (
                  <>
                    do <AgencyLink code={l.receivingAgency.code} name={l.receivingAgency.name} /> nhận thay
                  </>
                ) : (
                  'bị từ chối: không có cơ quan đang hoạt động nào nhận thay'
                )}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <Lineage lineage={l} />
      {closedAt || props.history.length ? (
        <section class="card" aria-labelledby="handover">
          <h2 id="handover">Bàn giao</h2>
          {closedNow ? (
            <>
              <p>
                Chuyển các văn bản đến đang xử lý và các văn bản đi cần theo dõi của cơ quan này cho cơ quan kế thừa, khoá người dùng của cơ quan, và ghi biên bản có ký số
                vào chuỗi lưu trữ của cả hai cơ quan. Bạn xem trước những gì sẽ chuyển rồi mới xác nhận.
              </p>
              <div class="actions">
                <a class="button" href={`/admin/agencies/${a.code}/handover`}>
                  Bàn giao cho cơ quan kế thừa
                </a>
              </div>
            </>
          ) : closedAt ? (
            <p>Bàn giao thực hiện được từ {vnDateTime(closedAt)}, khi cơ quan ngừng hoạt động.</p>
          ) : null}
          <HandoverHistoryTable history={props.history} names={props.names} />
        </section>
      ) : null}
      <form
        method="post"
        action={`/admin/agencies/${a.code}/succession`}
        class="card"
        novalidate
        aria-labelledby="close-agency"
        data-confirm={closedAt ? undefined : `Ghi nhận ${a.name} ngừng hoạt động? Từ ngày đã chọn, văn bản gửi đến cơ quan này không còn do cơ quan này nhận.`}
      >
        <h2 id="close-agency">{closedAt ? 'Sửa thông tin giải thể / sáp nhập' : 'Giải thể / sáp nhập'}</h2>
        <Csrf viewer={props.viewer} />
        <Field
          name="closedDate"
          label="Ngừng hoạt động từ ngày"
          type="date"
          value={v.closedDate}
          error={e.closedDate}
          autofocus={focus === 'closedDate'}
          required
          hint="Từ 0 giờ ngày này (giờ Việt Nam), văn bản gửi đến cơ quan này không còn do cơ quan này nhận: người gửi được chỉ sang cơ quan kế thừa, hoặc văn bản được chuyển cho cơ quan kế thừa."
        />
        <FieldFrame
          name="successors"
          label="Cơ quan kế thừa"
          error={e.successors}
          hint="Gõ tên để chọn từ gợi ý, hoặc gõ mã định danh. Sáp nhập: một cơ quan. Chia tách: mỗi cơ quan một dòng; cơ quan ghi đầu tiên nhận các văn bản còn gửi đến cơ quan này và nhận bàn giao. Để trống nếu giải thể mà không có cơ quan kế thừa."
        >
          {(attrs) => (
            <>
              <textarea
                {...attrs}
                rows={3}
                autofocus={focus === 'successors'}
                autocomplete="off"
                autocapitalize="none"
                spellcheck={false}
                data-suggest={`/admin/agencies/${a.code}/succession/suggest`}
                aria-autocomplete="list"
                aria-controls={`${attrs.id}-suggestions`}
              >
                {v.successors}
              </textarea>
              <ul id={`${attrs.id}-suggestions`} class="suggestions" role="listbox" aria-label="Cơ quan gợi ý" hidden></ul>
              <p class="visually-hidden" id={`${attrs.id}-status`} role="status" aria-live="polite"></p>
            </>
          )}
        </FieldFrame>
        <fieldset class="checks">
          <legend>Văn bản quyết định</legend>
          <Field
            name="decisionNumber"
            label="Quyết định số"
            value={v.decisionNumber}
            error={e.decisionNumber}
            autofocus={focus === 'decisionNumber'}
            maxlength={100}
            hint="Số, ký hiệu của nghị quyết hoặc quyết định, ví dụ 1654/NQ-UBTVQH15."
          />
          <Field name="decisionDate" label="Ngày ban hành" type="date" value={v.decisionDate} error={e.decisionDate} autofocus={focus === 'decisionDate'} />
          <Field
            name="decisionLink"
            label="Đường dẫn đến văn bản"
            type="url"
            value={v.decisionLink}
            error={e.decisionLink}
            autofocus={focus === 'decisionLink'}
            maxlength={2000}
            code
            hint="Không bắt buộc: địa chỉ http(s) nơi đăng văn bản."
          />
        </fieldset>
        <div class="actions">
          <button type="submit">{closedAt ? 'Lưu thay đổi' : 'Ghi nhận giải thể / sáp nhập'}</button>
        </div>
      </form>
      {closedAt ? (
        <form
          method="post"
          action={`/admin/agencies/${a.code}/succession/reopen`}
          class="card"
          aria-labelledby="reopen"
          data-confirm={`Mở lại ${a.name}? Thời điểm ngừng hoạt động, cơ quan kế thừa và quyết định sẽ bị xoá.`}
        >
          <h2 id="reopen">Mở lại cơ quan</h2>
          <Csrf viewer={props.viewer} />
          <p>Xoá thời điểm ngừng hoạt động, cơ quan kế thừa và quyết định: cơ quan nhận văn bản trở lại. Việc bàn giao đã thực hiện (nếu có) không được hoàn tác.</p>
          <div class="actions">
            <button type="submit" class="secondary">
              Mở lại cơ quan
            </button>
          </div>
        </form>
      ) : null}
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Handover: what will move, confirmed, then what moved

/** The preview in one short string: a confirmation is refused when what would move changed since it was shown. */
const fingerprint = (p: HandoverPreview): string =>
  createHash('sha256')
    .update(JSON.stringify([p.to?.code ?? null, p.inboxItems.map((i) => i.id), p.skipped.map((i) => i.id), p.documents.map((d) => d.id), p.users.map((u) => u.id)]))
    .digest('hex')
    .slice(0, 32);

function ItemsTable(props: { caption: string; items: HandoverPreview['inboxItems'] }) {
  return (
    <table class="stack">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Trích yếu</th>
          <th scope="col">Nơi gửi</th>
          <th scope="col">Số đến</th>
          <th scope="col">Ngày đến</th>
          <th scope="col">Trạng thái</th>
        </tr>
      </thead>
      <tbody>
        {props.items.map((i) => (
          <tr>
            <td data-label="Trích yếu">{i.subject}</td>
            <td data-label="Nơi gửi">{i.senderName}</td>
            <td data-label="Số đến">{i.arrivalNumber ?? '—'}</td>
            <td data-label="Ngày đến" class="nowrap">
              {vnDateTime(i.receivedAt)}
            </td>
            <td data-label="Trạng thái">
              <StateBadge state={i.state} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DocumentsTable(props: { caption: string; documents: HandoverPreview['documents']; names: Map<string, string> }) {
  return (
    <table class="stack">
      <caption>{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Số, ký hiệu</th>
          <th scope="col">Trích yếu</th>
          <th scope="col">Nơi nhận và trạng thái</th>
        </tr>
      </thead>
      <tbody>
        {props.documents.map((d) => (
          <tr>
            <td data-label="Số, ký hiệu" class="nowrap">
              {d.code}
            </td>
            <td data-label="Trích yếu">{d.subject}</td>
            <td data-label="Nơi nhận và trạng thái">
              {d.deliveries.map((r) => (
                <div>
                  {props.names.get(r.recipient) ?? r.recipient}: <StateBadge state={r.state} />
                </div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function HandoverConfirmPage(props: { viewer: Viewer; agency: Agency; preview: HandoverPreview; names: Map<string, string>; problem?: string | undefined }) {
  const a = props.agency;
  const p = props.preview;
  const nothing = p.inboxItems.length + p.documents.length + p.users.length === 0;
  const viewerLeaves = p.users.some((u) => u.id === props.viewer.principal.id);
  const blocked = !p.closed
    ? `${a.name} chưa ngừng hoạt động: hãy ghi nhận giải thể / sáp nhập trước, rồi bàn giao.`
    : !p.to
      ? `${a.name} không có cơ quan kế thừa đang hoạt động để nhận bàn giao: hãy cập nhật cơ quan kế thừa.`
      : undefined;
  return (
    <AdminPage
      viewer={props.viewer}
      title={`Bàn giao — ${a.name}`}
      here="agencies"
      back={{ href: `/admin/agencies/${a.code}/succession`, text: `Giải thể / sáp nhập — ${a.name}` }}
      problem={props.problem ? { summary: props.problem, fields: {} } : blocked ? { summary: blocked, fields: {} } : undefined}
    >
      {blocked ? null : (
        <>
          <p>
            Các nội dung dưới đây sẽ chuyển từ <strong>{a.name}</strong> ({a.code}) sang <strong>{p.to!.name}</strong> ({p.to!.code})
            {a.decision ? <> theo {decisionText(a.decision)}</> : null}. Mỗi văn bản giữ nguyên lịch sử xử lý; biên bản bàn giao có ký số của nút được ghi vào chuỗi
            lưu trữ của cả hai cơ quan.
          </p>
          <section class="card" aria-labelledby="moving-items">
            <h2 id="moving-items">Văn bản đến đang xử lý ({p.inboxItems.length})</h2>
            {p.inboxItems.length ? <ItemsTable caption={`Sẽ chuyển sang hộp văn bản đến của ${p.to!.name}`} items={p.inboxItems} /> : <p>Không có văn bản đến nào đang xử lý.</p>}
            {p.skipped.length ? (
              <ItemsTable caption={`Giữ lại: ${p.to!.name} đã nhận chính văn bản này (${p.skipped.length})`} items={p.skipped} />
            ) : null}
          </section>
          <section class="card" aria-labelledby="moving-documents">
            <h2 id="moving-documents">Văn bản đi cần theo dõi ({p.documents.length})</h2>
            {p.documents.length ? (
              <DocumentsTable
                caption={`Văn bản vẫn thuộc sổ văn bản đi của cơ quan đã ban hành; ${p.to!.name} theo dõi tiếp các nơi nhận chưa xong`}
                documents={p.documents}
                names={props.names}
              />
            ) : (
              <p>Không có văn bản đi nào còn chờ nơi nhận xử lý.</p>
            )}
          </section>
          <section class="card" aria-labelledby="moving-users">
            <h2 id="moving-users">Người dùng sẽ bị khoá ({p.users.length})</h2>
            {p.users.length ? (
              <ul>
                {p.users.map((u) => (
                  <li>{u.name}</li>
                ))}
              </ul>
            ) : (
              <p>Cơ quan không còn người dùng nào đang hoạt động.</p>
            )}
            {viewerLeaves ? (
              <p class="field-error">Tài khoản bạn đang dùng thuộc cơ quan này: sau khi bàn giao, bạn không đăng nhập được nữa.</p>
            ) : null}
          </section>
          {nothing ? (
            <p>Không còn gì để bàn giao.</p>
          ) : (
            <form method="post" action={`/admin/agencies/${a.code}/handover`} class="card" aria-labelledby="confirm-handover">
              <h2 id="confirm-handover">Xác nhận</h2>
              <Csrf viewer={props.viewer} />
              <input type="hidden" name="seen" value={fingerprint(p)} />
              <p>Sau khi xác nhận, những nội dung trên được chuyển cho {p.to!.name}; việc này không hoàn tác được.</p>
              <div class="actions">
                <button type="submit">Xác nhận bàn giao</button>
                <a class="button secondary" href={`/admin/agencies/${a.code}/succession`}>
                  Huỷ
                </a>
              </div>
            </form>
          )}
        </>
      )}
    </AdminPage>
  );
}

function HandoverDonePage(props: { viewer: Viewer; agency: Agency; result: HandoverResult; before: HandoverPreview; names: Map<string, string> }) {
  const r = props.result;
  const a = props.agency;
  // What moved, described as the confirmed preview showed it (the confirmation is refused when the
  // preview changed, so each id is there; an item is named by its edXML id should it not be).
  const shown = new Map(props.before.inboxItems.map((i) => [i.id, i]));
  const shownDocs = new Map(props.before.documents.map((d) => [d.id, d]));
  const items: PreviewItem[] = r.inboxItems.map(
    (i) => shown.get(i.id) ?? { id: i.id, documentId: i.documentId, subject: i.documentId, senderName: '—', state: i.state as PreviewItem['state'], arrivalNumber: null, receivedAt: r.at },
  );
  const documents = r.documents.map((d) => shownDocs.get(d.id) ?? { id: d.id, documentId: d.documentId, code: d.code, subject: d.documentId, deliveries: [] });
  return (
    <AdminPage
      viewer={props.viewer}
      title={`Đã bàn giao — ${a.name}`}
      here="agencies"
      back={{ href: `/admin/agencies/${a.code}/succession`, text: `Giải thể / sáp nhập — ${a.name}` }}
    >
      <Notice kind="ok">{r.messageVi}</Notice>
      {r.nothingNew ? null : (
        <>
          <section class="card" aria-labelledby="moved-items">
            <h2 id="moved-items">Văn bản đến đã chuyển ({r.moved.inboxItems})</h2>
            {items.length ? <ItemsTable caption={`Nay trong hộp văn bản đến của ${r.to.name}`} items={items} /> : <p>Không có.</p>}
            {r.skipped.length ? <p>{r.skipped.length} văn bản đến được giữ lại vì {r.to.name} đã nhận chính văn bản đó.</p> : null}
          </section>
          <section class="card" aria-labelledby="moved-documents">
            <h2 id="moved-documents">Văn bản đi do {r.to.name} theo dõi tiếp ({r.moved.documents})</h2>
            {documents.length ? <DocumentsTable caption="Các nơi nhận chưa xong" documents={documents} names={props.names} /> : <p>Không có.</p>}
          </section>
          <section class="card" aria-labelledby="moved-users">
            <h2 id="moved-users">Người dùng đã bị khoá ({r.usersDeactivated})</h2>
            {/* The preview confirmed is the list handed over (the confirmation is refused when it changed). */}
            {r.usersDeactivated && r.usersDeactivated === props.before.users.length ? (
              <ul>
                {props.before.users.map((u) => (
                  <li>{u.name}</li>
                ))}
              </ul>
            ) : r.usersDeactivated ? null : (
              <p>Không có.</p>
            )}
          </section>
          <section class="card" aria-labelledby="moved-records">
            <h2 id="moved-records">Biên bản bàn giao</h2>
            <p>Biên bản có ký số của nút, ghi những gì đã chuyển (kèm mã băm), lúc {vnDateTime(r.at)}:</p>
            <Records records={r.records} />
          </section>
        </>
      )}
      <div class="actions">
        <a class="button secondary" href={`/admin/agencies/${r.to.code}/succession`}>
          Xem {r.to.name}
        </a>
      </div>
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Đồng bộ danh bạ

const SYNC_TRIGGER_TEXT = { api: 'Quản trị viên chạy', nightly: 'Tự động hằng đêm' } as const;

function sourceText(s: Pick<SyncView, 'source' | 'fileName' | 'partnerId'>): string {
  if (s.source === 'axis') return `Trục liên thông (đối tác ${s.partnerId ?? '?'})`;
  return `Tệp ${s.source.toUpperCase()}${s.fileName ? ` “${s.fileName}”` : ''}`;
}

/** Who ran or applied a sync, in words. */
async function whoText(c: ConsoleContext, key: string | null): Promise<string> {
  if (!key) return '—';
  if (key.startsWith('system:')) return 'Hệ thống (tự động)';
  if (key.startsWith('admin:')) return 'Mã quản trị của nút';
  const id = key.slice(key.indexOf(':') + 1);
  const user = z.uuid().safeParse(id).success ? await findUser(c.get('em'), id) : null;
  return user ? user.name : key;
}

const SYNC_FILE_FIELDS = ['file', 'partnerId'] as const;

/** The column names a list may use (SYNC_COLUMNS), the Vietnamese first one of each, for the hint. */
const COLUMN_HINT = (['code', 'name', 'parentCode', 'level', 'validFrom', 'validTo', 'successorCode'] as const).map((f) => SYNC_COLUMNS[f].find((n) => /[^ -~]/.test(n)) ?? f).join(', ');

function SyncListPage(props: {
  viewer: Viewer;
  syncs: SyncView[];
  notices: DirectorySyncNotice[];
  partners: Array<{ id: string; name: string; axis: boolean }>;
  values: { partnerId: string; axisPartnerId: string };
  problem?: FormProblem | undefined;
}) {
  const e = props.problem?.fields ?? {};
  const axes = props.partners.filter((p) => p.axis);
  return (
    <AdminPage viewer={props.viewer} title="Đồng bộ danh bạ" here="sync" problem={props.problem}>
      <SyncNotices notices={props.notices} />
      <p>
        So sánh danh mục mã định danh chính thức với danh bạ của nút. Chạy thử không thay đổi gì: bạn xem kết quả so sánh (cơ quan mới, đổi tên, đổi cấp trên, ngừng hoạt
        động có cơ quan kế thừa) rồi mới áp dụng; mỗi thay đổi được ghi vào nhật ký.
      </p>
      <form method="post" action="/admin/directory-sync/file" enctype="multipart/form-data" class="card" novalidate aria-labelledby="sync-file">
        <h2 id="sync-file">Từ tệp danh mục (CSV, XLSX)</h2>
        <Csrf viewer={props.viewer} />
        <FieldFrame
          name="file"
          label="Tệp danh mục"
          error={e.file}
          hint={`Tệp CSV (mã UTF-8) hoặc XLSX do tỉnh cung cấp; dòng đầu là tên cột: ${COLUMN_HINT} (tên cột tiếng Anh code, name, parentCode… cũng được). Chia tách: các mã cơ quan kế thừa cách nhau bởi dấu chấm phẩy, mã nhận văn bản ghi đầu tiên.`}
        >
          {(attrs) => (
            <div class="dropzone">
              <input {...attrs} type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required autofocus={firstInvalid(props.problem, SYNC_FILE_FIELDS) === 'file'} />
            </div>
          )}
        </FieldFrame>
        <SelectField
          name="partnerId"
          label="Cơ quan mới nhận văn bản ở đâu"
          value={props.values.partnerId}
          error={e.partnerId}
          options={[['', 'Trên nút này (hộp văn bản đến tại đây)'] as const, ...props.partners.map((p) => [p.id, `Qua đối tác ${p.name} (${p.id})`] as const)]}
        />
        <div class="actions">
          <button type="submit">Chạy thử (không thay đổi gì)</button>
        </div>
      </form>
      <form method="post" action="/admin/directory-sync/axis" class="card" novalidate aria-labelledby="sync-axis">
        <h2 id="sync-axis">Từ trục liên thông (getAgenciesList)</h2>
        <Csrf viewer={props.viewer} />
        {axes.length ? (
          <>
            <SelectField
              name="axisPartnerId"
              label="Trục liên thông"
              value={props.values.axisPartnerId}
              error={e.axisPartnerId}
              hint="Danh mục cơ quan mà trục trả về. Cơ quan mới nhận văn bản qua trục này; cơ quan của trục không còn trong danh mục chỉ được báo, không bị đóng."
              options={axes.map((p) => [p.id, `${p.name} (${p.id})`] as const)}
            />
            <div class="actions">
              <button type="submit">Chạy thử (không thay đổi gì)</button>
            </div>
          </>
        ) : (
          <p>
            Chưa có đối tác trục liên thông nào có địa chỉ gửi đến: hãy thêm ở mục <a href="/admin/partners">Đối tác</a>.
          </p>
        )}
      </form>
      <h2>Các lần đồng bộ gần đây</h2>
      {props.syncs.length === 0 ? (
        <p>Chưa có lần đồng bộ nào.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Thời điểm</th>
              <th scope="col">Nguồn</th>
              <th scope="col">Kết quả so sánh</th>
              <th scope="col">Trạng thái</th>
            </tr>
          </thead>
          <tbody>
            {props.syncs.map((s) => (
              <tr>
                <td data-label="Thời điểm" class="nowrap">
                  <a href={`/admin/directory-sync/${s.id}`} aria-label={`Kết quả lần đồng bộ lúc ${vnDateTime(s.createdAt)}`}>
                    {vnDateTime(s.createdAt)}
                  </a>
                </td>
                <td data-label="Nguồn">
                  {sourceText(s)}
                  <br />
                  <span class="muted">{SYNC_TRIGGER_TEXT[s.trigger]}</span>
                </td>
                <td data-label="Kết quả so sánh">{syncCountsText(s.counts)}</td>
                <td data-label="Trạng thái">
                  <SyncState sync={s} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </AdminPage>
  );
}

function SyncState(props: { sync: SyncView }) {
  const s = props.sync;
  if (s.state === 'applied') return <span class="badge done">Đã áp dụng {s.appliedAt ? vnDateTime(s.appliedAt) : ''}</span>;
  return changeCount(s.counts) ? <span class="badge wait">Chạy thử, chưa áp dụng</span> : <span class="badge ok">Không có gì để áp dụng</span>;
}

const APPLY_FIELDS = ['decisionNumber', 'decisionDate', 'decisionLink'] as const;
type ApplyValues = Record<(typeof APPLY_FIELDS)[number], string>;

const parentText = (code: string | null, names: Map<string, string>) => (code ? `${names.get(code) ?? code} (${code})` : '— (không có)');

function SyncDiffPage(props: {
  viewer: Viewer;
  sync: SyncView;
  names: Map<string, string>;
  createdBy: string;
  appliedBy: string;
  closedNow: Set<string>;
  values: ApplyValues;
  problem?: FormProblem | undefined;
  done?: string | undefined;
}) {
  const s = props.sync;
  const d = s.diff;
  const n = props.names;
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, APPLY_FIELDS);
  const changes = changeCount(s.counts);
  const applied = s.state === 'applied';
  return (
    <AdminPage
      viewer={props.viewer}
      title={applied ? 'Kết quả đồng bộ danh bạ (đã áp dụng)' : 'Kết quả chạy thử đồng bộ danh bạ'}
      here="sync"
      back={{ href: '/admin/directory-sync', text: 'Đồng bộ danh bạ' }}
      done={props.done}
      problem={props.problem}
    >
      <section class="card" aria-labelledby="sync-summary">
        <h2 id="sync-summary">Tóm tắt</h2>
        <dl class="meta">
          <dt>Nguồn</dt>
          <dd>{sourceText(s)}</dd>
          <dt>Chạy thử lúc</dt>
          <dd>
            {vnDateTime(s.createdAt)} — {s.trigger === 'nightly' ? SYNC_TRIGGER_TEXT.nightly : `${SYNC_TRIGGER_TEXT.api}: ${props.createdBy}`}
          </dd>
          <dt>Cơ quan mới nhận văn bản</dt>
          <dd>{s.endpoint.type === 'remote' ? `qua đối tác ${s.endpoint.partnerId}` : 'trên nút này'}</dd>
          <dt>Kết quả so sánh</dt>
          <dd>
            {syncCountsText(s.counts)}; {d.unchanged} cơ quan không thay đổi
            {d.skipped.length ? `; ${d.skipped.length} dòng bỏ qua` : ''}
          </dd>
          <dt>Trạng thái</dt>
          <dd>
            <SyncState sync={s} />
            {applied ? <> bởi {props.appliedBy}</> : null}
          </dd>
        </dl>
      </section>
      {d.new.length ? (
        <section class="card" aria-labelledby="diff-new">
          <h2 id="diff-new">Cơ quan mới ({d.new.length})</h2>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Mã định danh</th>
                <th scope="col">Tên cơ quan</th>
                <th scope="col">Cấp</th>
                <th scope="col">Cấp trên</th>
                <th scope="col">Hiệu lực từ</th>
              </tr>
            </thead>
            <tbody>
              {d.new.map((x) => (
                <tr>
                  <td data-label="Mã định danh" class="nowrap">
                    {x.code}
                  </td>
                  <td data-label="Tên cơ quan">{x.name}</td>
                  <td data-label="Cấp">{LEVEL_TEXT[x.level as keyof typeof LEVEL_TEXT] ?? x.level}</td>
                  <td data-label="Cấp trên">{parentText(x.parentCode, n)}</td>
                  <td data-label="Hiệu lực từ" class="nowrap">
                    {x.validFrom ? vnDay(x.validFrom) : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {d.renamed.length ? (
        <section class="card" aria-labelledby="diff-renamed">
          <h2 id="diff-renamed">Đổi tên ({d.renamed.length})</h2>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Mã định danh</th>
                <th scope="col">Tên trong danh bạ</th>
                <th scope="col">Tên mới theo danh mục</th>
              </tr>
            </thead>
            <tbody>
              {d.renamed.map((x) => (
                <tr>
                  <td data-label="Mã định danh" class="nowrap">
                    {x.code}
                  </td>
                  <td data-label="Tên trong danh bạ">{x.from}</td>
                  <td data-label="Tên mới theo danh mục">{x.to}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {d.moved.length ? (
        <section class="card" aria-labelledby="diff-moved">
          <h2 id="diff-moved">Đổi cấp trên hoặc cấp ({d.moved.length})</h2>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Cơ quan</th>
                <th scope="col">Cấp trên: trước → sau</th>
                <th scope="col">Cấp: trước → sau</th>
              </tr>
            </thead>
            <tbody>
              {d.moved.map((x) => (
                <tr>
                  <td data-label="Cơ quan">
                    {x.name} <span class="muted nowrap">({x.code})</span>
                  </td>
                  <td data-label="Cấp trên: trước → sau">
                    {x.fromParent === x.toParent ? (
                      'không đổi'
                    ) : (
                      <>
                        {parentText(x.fromParent, n)} → {parentText(x.toParent, n)}
                      </>
                    )}
                  </td>
                  <td data-label="Cấp: trước → sau">
                    {x.fromLevel === x.toLevel
                      ? 'không đổi'
                      : `${LEVEL_TEXT[x.fromLevel as keyof typeof LEVEL_TEXT] ?? x.fromLevel} → ${LEVEL_TEXT[x.toLevel as keyof typeof LEVEL_TEXT] ?? x.toLevel}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {d.closed.length ? (
        <section class="card" aria-labelledby="diff-closed">
          <h2 id="diff-closed">Ngừng hoạt động: giải thể, sáp nhập, chia tách ({d.closed.length})</h2>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Cơ quan</th>
                <th scope="col">Ngừng hoạt động từ</th>
                <th scope="col">Cơ quan kế thừa</th>
                <th scope="col">Danh bạ trước đó</th>
              </tr>
            </thead>
            <tbody>
              {d.closed.map((x) => (
                <tr>
                  <td data-label="Cơ quan">
                    {x.name} <span class="muted nowrap">({x.code})</span>
                    {applied && props.closedNow.has(x.code) ? (
                      <>
                        <br />
                        <a href={`/admin/agencies/${x.code}/handover`} aria-label={`Bàn giao ${x.name} cho cơ quan kế thừa`}>
                          Bàn giao
                        </a>
                      </>
                    ) : null}
                  </td>
                  <td data-label="Ngừng hoạt động từ" class="nowrap">
                    {vnDateTime(x.closedAt)}
                  </td>
                  <td data-label="Cơ quan kế thừa">
                    {x.successorCodes.length === 0 ? (
                      'Không có (giải thể)'
                    ) : x.successorCodes.length === 1 ? (
                      <>
                        {n.get(x.successorCodes[0]!) ?? x.successorCodes[0]} <span class="muted nowrap">({x.successorCodes[0]})</span>
                      </>
                    ) : (
                      <ol class="successors">
                        {x.successorCodes.map((code, i) => (
                          <li>
                            {n.get(code) ?? code} <span class="muted nowrap">({code})</span>
                            {i === 0 ? <strong> — nhận văn bản</strong> : null}
                          </li>
                        ))}
                      </ol>
                    )}
                  </td>
                  <td data-label="Danh bạ trước đó">
                    {!x.previously
                      ? 'Chưa có trong danh bạ'
                      : x.previously.closedAt
                        ? `Ngừng hoạt động từ ${vnDateTime(x.previously.closedAt)}${x.previously.successorCodes.length ? `, kế thừa: ${x.previously.successorCodes.join(', ')}` : ''}`
                        : 'Đang hoạt động'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {d.absent.length ? (
        <section class="card" aria-labelledby="diff-absent">
          <h2 id="diff-absent">Không còn trong danh mục của trục ({d.absent.length})</h2>
          <p class="hint">Chỉ để biết: danh mục không nói cơ quan kế thừa, nên đồng bộ không đóng các cơ quan này. Nếu cơ quan đã giải thể hay sáp nhập, hãy ghi nhận ở trang của cơ quan.</p>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Mã định danh</th>
                <th scope="col">Tên cơ quan</th>
              </tr>
            </thead>
            <tbody>
              {d.absent.map((x) => (
                <tr>
                  <td data-label="Mã định danh" class="nowrap">
                    {x.code}
                  </td>
                  <td data-label="Tên cơ quan">
                    <a href={`/admin/agencies/${x.code}/succession`}>{x.name}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {d.errors.length || d.skipped.length ? (
        <section class="card" aria-labelledby="diff-errors">
          <h2 id="diff-errors">Dòng không dùng được ({d.errors.length + d.skipped.length})</h2>
          <p class="hint">Những dòng này không được so sánh và không được áp dụng; hãy sửa tệp rồi chạy thử lại nếu cần.</p>
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Dòng</th>
                <th scope="col">Mã</th>
                <th scope="col">Lý do</th>
              </tr>
            </thead>
            <tbody>
              {[...d.errors.map((x) => ({ row: x.row, code: x.code, vi: x.vi })), ...d.skipped.map((x) => ({ row: x.row, code: x.code, vi: x.vi }))]
                .sort((a, b) => a.row - b.row)
                .map((x) => (
                  <tr>
                    <td data-label="Dòng">{x.row}</td>
                    <td data-label="Mã" class="nowrap">
                      {x.code ?? '—'}
                    </td>
                    <td data-label="Lý do">{x.vi}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {applied ? null : changes === 0 ? (
        <p class="card">Danh mục không khác danh bạ: không có gì để áp dụng.</p>
      ) : (
        <form
          method="post"
          action={`/admin/directory-sync/${s.id}/apply`}
          class="card"
          novalidate
          aria-labelledby="apply"
          data-confirm={`Áp dụng ${changes} thay đổi vào danh bạ?`}
        >
          <h2 id="apply">Áp dụng</h2>
          <Csrf viewer={props.viewer} />
          <p>
            Khi áp dụng, danh bạ được so sánh lại với danh mục; nếu danh bạ đã thay đổi kể từ lần chạy thử này, không có gì được áp dụng và bạn cần chạy thử lại. Tất cả thay
            đổi được áp dụng cùng lúc.
          </p>
          {d.closed.length ? (
            <fieldset class="checks">
              <legend>Văn bản quyết định của các cơ quan ngừng hoạt động (không bắt buộc)</legend>
              <Field name="decisionNumber" label="Quyết định số" value={props.values.decisionNumber} error={e.decisionNumber} autofocus={focus === 'decisionNumber'} maxlength={100} hint="Ví dụ 1654/NQ-UBTVQH15." />
              <Field name="decisionDate" label="Ngày ban hành" type="date" value={props.values.decisionDate} error={e.decisionDate} autofocus={focus === 'decisionDate'} />
              <Field name="decisionLink" label="Đường dẫn đến văn bản" type="url" value={props.values.decisionLink} error={e.decisionLink} autofocus={focus === 'decisionLink'} maxlength={2000} code />
            </fieldset>
          ) : null}
          <div class="actions">
            <button type="submit">Áp dụng các thay đổi</button>
          </div>
        </form>
      )}
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

/** The decision typed in a form, as AgencyDecisionSchema takes it; null when nothing was typed. */
function decisionOf(v: { decisionNumber: string; decisionDate: string; decisionLink: string }): Record<string, string> | null {
  if (!v.decisionNumber && !v.decisionDate && !v.decisionLink) return null;
  return { number: v.decisionNumber, date: v.decisionDate, ...(v.decisionLink ? { link: v.decisionLink } : {}) };
}

/** What a refused dry run shows: the message of the file (or the partner) next to its field. */
function dryRunProblem(error: unknown, fileField: string, partnerField: string): FormProblem | undefined {
  if (!(error instanceof DomainError)) return undefined;
  const summary = 'Chưa chạy thử được: hãy xem ghi chú bên dưới.';
  if (error.errors?.some((e) => e.path === 'partnerId')) {
    const problem = formProblem(error, { section: 'partner', fields: [partnerField], fieldOf: { partnerId: partnerField } });
    return problem ? { summary, fields: problem.fields } : undefined;
  }
  return { summary, fields: { [fileField]: error.vi ?? problemMessage(error, 'vi') } };
}

/** Reads an axis partner's getAgenciesList with its credentials, as the nightly job does (queues/processors/directory-sync.ts). */
const axisReader =
  (deps: ConsoleDeps): AxisAgenciesReader =>
  (partner) =>
    new AxisClient(partner.baseUrl ?? '', axisCredentials(partner, deps.pipeline.secrets)).agenciesList();

/** Giải thể / sáp nhập, bàn giao, đồng bộ danh bạ. Every route: a session, the admin role; every POST: CSRF. */
export function mountReorganisation(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const post = csrf(deps.publicUrl);

  // Succession --------------------------------------------------------------------------------

  const successionPage = async (c: ConsoleContext, agency: Agency, values?: SuccessionValues, problem?: FormProblem, reopenProblem?: string) => {
    const em = c.get('em');
    const lineage = (await agencyLineage(em, agency.code))!;
    const history = await listHandovers(em, c.get('viewer')!.principal, agency.code);
    const names = await agencyNames(em, history.flatMap((h) => [h.from, h.to]));
    return c.html(
      <SuccessionPage
        viewer={c.get('viewer')!}
        agency={agency}
        lineage={lineage}
        history={history}
        names={names}
        values={values ?? successionValuesOf(agency)}
        problem={problem}
        reopenProblem={reopenProblem}
        done={problem || reopenProblem ? undefined : done(c)}
      />,
      problem || reopenProblem ? 422 : 200,
    );
  };

  ui.get('/admin/agencies/:code/succession', needViewer, needAdmin, async (c) => successionPage(c, await agencyOf(c)));

  ui.post('/admin/agencies/:code/succession', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    const values = formSuccessionValues(c.get('form'));
    values.successors = codeList(values.successors).join('\n');
    // The form closes an agency: a day is what it needs (opening again is the other form).
    if (!values.closedDate) {
      return successionPage(c, agency, values, { summary: 'Chưa lưu được: hãy sửa những ô có ghi chú bên dưới.', fields: { closedDate: 'Hãy chọn ngày cơ quan ngừng hoạt động.' } });
    }
    try {
      const patch = AgencyPatchSchema.parse(successionBody(values, agency));
      await updateAgency(c.get('em'), actorOf(c), agency.code, patch);
    } catch (error) {
      const problem = formProblem(error, { section: 'agency', fields: SUCCESSION_FIELDS, fieldOf: SUCCESSION_PATHS });
      if (!problem) throw error;
      // The request's context may hold the agency as the refused change left it: read it afresh.
      return successionPage(c, (await findAgency(c.get('em').fork(), agency.code)) ?? agency, values, problem);
    }
    return c.redirect(`/admin/agencies/${agency.code}/succession?xong=ghi-nhan`, 303);
  });

  ui.post('/admin/agencies/:code/succession/reopen', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    try {
      await updateAgency(c.get('em'), actorOf(c), agency.code, AgencyPatchSchema.parse({ closedAt: null, successorCodes: null, decision: null }));
    } catch (error) {
      const problem = formProblem(error, { section: 'agency', fields: [] });
      if (!problem) throw error;
      return successionPage(c, (await findAgency(c.get('em').fork(), agency.code)) ?? agency, undefined, undefined, problem.summary);
    }
    return c.redirect(`/admin/agencies/${agency.code}/succession?xong=mo-lai`, 303);
  });

  /** Suggestions for the Cơ quan kế thừa box: open agencies by name or code, not the agency itself. JSON for console.js. */
  ui.get('/admin/agencies/:code/succession/suggest', async (c) => {
    const viewer = c.get('viewer');
    if (!viewer) return c.json({ items: [] }, 401);
    if (!viewer.admin) return c.json({ items: [] }, 403);
    const q = (c.req.query('q') ?? '').normalize('NFC').trim().slice(0, 100);
    if (q.length < 2) return c.json({ items: [] }, 200, { 'cache-control': 'private, no-store' });
    const { agencies } = await recipientCandidates(c.get('em'), q, 10);
    const self = c.req.param('code');
    const items = agencies.filter((a) => a.code !== self).map((a) => ({ value: a.code, label: a.name, detail: a.code }));
    return c.json({ items: items.slice(0, 10) }, 200, { 'cache-control': 'private, no-store' });
  });

  // Handover ----------------------------------------------------------------------------------

  const previewOf = async (c: ConsoleContext, agency: Agency): Promise<{ preview: HandoverPreview; names: Map<string, string> }> => {
    const em = c.get('em').fork();
    const preview = (await previewHandover(em, agency.code))!;
    const names = await agencyNames(em, preview.documents.flatMap((d) => d.deliveries.map((r) => r.recipient)));
    return { preview, names };
  };

  ui.get('/admin/agencies/:code/handover', needViewer, needAdmin, async (c) => {
    const agency = await agencyOf(c);
    const { preview, names } = await previewOf(c, agency);
    return c.html(<HandoverConfirmPage viewer={c.get('viewer')!} agency={agency} preview={preview} names={names} />);
  });

  ui.post('/admin/agencies/:code/handover', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    const { preview, names } = await previewOf(c, agency);
    const viewer = c.get('viewer')!;
    if (field(c.get('form'), 'seen') !== fingerprint(preview)) {
      const problem = 'Nội dung bàn giao đã thay đổi kể từ lúc bạn xem: chưa có gì được chuyển. Hãy xem lại danh sách dưới đây rồi xác nhận.';
      return c.html(<HandoverConfirmPage viewer={viewer} agency={agency} preview={preview} names={names} problem={problem} />, 409);
    }
    let result: HandoverResult;
    try {
      result = await handOver(c.get('em'), { pki: deps.pki }, actorOf(c), agency.code);
    } catch (error) {
      if (!(error instanceof DomainError) || error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN') throw error;
      const problem = `Chưa bàn giao được: ${error.vi ?? problemMessage(error, 'vi')}`;
      return c.html(<HandoverConfirmPage viewer={viewer} agency={agency} preview={preview} names={names} problem={problem} />, error.status as 409);
    }
    return c.html(<HandoverDonePage viewer={viewer} agency={agency} result={result} before={preview} names={names} />);
  });

  // Đồng bộ danh bạ ------------------------------------------------------------------------------

  const syncListPage = async (c: ConsoleContext, values = { partnerId: '', axisPartnerId: '' }, problem?: FormProblem) => {
    const em = c.get('em');
    const partners = (await listPartners(em, undefined, 500)).map((p) => ({ id: p.id, name: p.name, axis: p.kind === 'axis' && !!p.baseUrl }));
    return c.html(
      <SyncListPage
        viewer={c.get('viewer')!}
        syncs={(await listSyncs(em, { limit: 20 })).map(syncView)}
        notices={await openNotices(em)}
        partners={partners}
        values={values}
        problem={problem}
      />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/directory-sync', needViewer, needAdmin, (c) => syncListPage(c));

  ui.post('/admin/directory-sync/file', needViewer, needAdmin, deps.boundBody, post, async (c) => {
    const viewer = c.get('viewer')!;
    const form = await readMultipart(c.req.raw, { maxBytes: deps.maxBodyBytes, maxFiles: 1 });
    if (!checkCsrfToken(viewer, form.fields.get('_csrf'))) return c.text('Phiên làm việc đã thay đổi: hãy tải lại trang rồi thử lại (CSRF).', 403);
    const values = { partnerId: field(form.fields, 'partnerId'), axisPartnerId: '' };
    const file = form.files[0];
    if (!file || file.content.length === 0) {
      return syncListPage(c, values, { summary: 'Chưa chạy thử được: hãy xem ghi chú bên dưới.', fields: { file: 'Hãy chọn tệp danh mục (CSV hoặc XLSX).' } });
    }
    let id: string;
    try {
      const sync = await dryRunFile(c.get('em'), actorOf(c), { bytes: file.content, fileName: file.name, contentType: file.contentType }, { partnerId: values.partnerId || undefined });
      id = sync.id;
    } catch (error) {
      const problem = dryRunProblem(error, 'file', 'partnerId');
      if (!problem) throw error;
      return syncListPage(c, values, problem);
    }
    return c.redirect(`/admin/directory-sync/${id}`, 303);
  });

  ui.post('/admin/directory-sync/axis', needViewer, needAdmin, post, async (c) => {
    const values = { partnerId: '', axisPartnerId: field(c.get('form'), 'axisPartnerId') };
    let id: string;
    try {
      const sync = await dryRunAxis(c.get('em'), actorOf(c), values.axisPartnerId.slice(0, 100), axisReader(deps));
      id = sync.id;
    } catch (error) {
      const problem = dryRunProblem(error, 'axisPartnerId', 'axisPartnerId');
      if (!problem) throw error;
      return syncListPage(c, values, problem);
    }
    return c.redirect(`/admin/directory-sync/${id}`, 303);
  });

  const syncOf = async (c: ConsoleContext) => {
    const id = c.req.param('id') ?? '';
    const sync = z.uuid().safeParse(id).success ? await findSync(c.get('em'), id) : null;
    if (!sync) throw new DomainError('NOT_FOUND', `No directory sync ${id}.`);
    return sync;
  };

  const syncPage = async (c: ConsoleContext, id: string, values: ApplyValues = { decisionNumber: '', decisionDate: '', decisionLink: '' }, problem?: FormProblem) => {
    // Read afresh: an apply refused halfway leaves nothing of it in the request's context.
    const em = c.get('em').fork();
    const sync = (await findSync(em, id))!;
    const view = syncView(sync);
    const d = view.diff;
    const codes = [...d.new.flatMap((x) => (x.parentCode ? [x.parentCode] : [])), ...d.moved.flatMap((x) => [x.fromParent, x.toParent]), ...d.closed.flatMap((x) => x.successorCodes)].filter(
      (x): x is string => !!x,
    );
    const names = await agencyNames(em, codes);
    for (const x of d.new) if (!names.has(x.code)) names.set(x.code, x.name);
    const now = new Date();
    const closedNow = new Set(d.closed.filter((x) => Date.parse(x.closedAt) <= now.getTime()).map((x) => x.code));
    return c.html(
      <SyncDiffPage
        viewer={c.get('viewer')!}
        sync={view}
        names={names}
        createdBy={await whoText(c, view.createdBy)}
        appliedBy={await whoText(c, view.appliedBy)}
        closedNow={closedNow}
        values={values}
        problem={problem}
        done={problem ? undefined : done(c)}
      />,
      problem ? (problem.fields && Object.keys(problem.fields).length ? 422 : 409) : 200,
    );
  };

  ui.get('/admin/directory-sync/:id', needViewer, needAdmin, async (c) => syncPage(c, (await syncOf(c)).id));

  ui.post('/admin/directory-sync/:id/apply', needViewer, needAdmin, post, async (c) => {
    const id = (await syncOf(c)).id;
    const form = c.get('form');
    const values: ApplyValues = { decisionNumber: field(form, 'decisionNumber'), decisionDate: field(form, 'decisionDate'), decisionLink: field(form, 'decisionLink') };
    try {
      const decision = decisionOf(values);
      const input = z.object({ decision: AgencyDecisionSchema.optional() }).parse(decision ? { decision } : {});
      await applySync(c.get('em'), actorOf(c), id, { decision: input.decision });
    } catch (error) {
      const problem = formProblem(error, { section: 'agency', fields: APPLY_FIELDS, fieldOf: SUCCESSION_PATHS });
      if (!problem) throw error;
      return syncPage(c, id, values, problem.fields && Object.keys(problem.fields).length ? problem : { summary: `Chưa áp dụng được: ${problem.summary}`, fields: {} });
    }
    return c.redirect(`/admin/directory-sync/${id}?xong=ap-dung`, 303);
  });
}
