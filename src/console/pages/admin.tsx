import type { Child } from 'hono/jsx';
import type { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { changePassword } from '../../accounts/accounts.service.js';
import { listCertificates } from '../../certificates/certificates.repository.js';
import type { CertificateView } from '../../certificates/pki.service.js';
import { certificateView } from '../../certificates/pki.service.js';
import { AGENCY_LEVELS, type Agency } from '../../directory/agency.entity.js';
import type { Group } from '../../directory/group.entity.js';
import { agencyNames, findAgency, findGroup, findPartner, findUser, listAgencies, listGroups, listPartners, listUsers } from '../../directory/directory.repository.js';
import {
  AGENCY_CODE,
  AgencyInputSchema,
  AgencyPatchSchema,
  GroupInputSchema,
  PartnerInputSchema,
  PartnerPatchSchema,
  UserInputSchema,
} from '../../directory/directory.schemas.js';
import {
  agencyView,
  createAgency,
  createGroup,
  createPartner,
  createUser,
  deactivateUser,
  groupViews,
  partnerView,
  replaceGroup,
  updateAgency,
  updatePartner,
  type Actor,
  type AgencyView,
  type GroupView,
  type PartnerView,
} from '../../directory/directory.service.js';
import { PARTNER_KINDS } from '../../directory/partner.entity.js';
import type { DirectorySyncNotice } from '../../directory/sync.entity.js';
import { openNotices } from '../../directory/sync.repository.js';
import { USER_ROLES, type User, type UserRole } from '../../directory/user.entity.js';
import { DomainError } from '../../errors.js';
import type { ConsoleDeps } from '../deps.js';
import { CheckField, Field, fieldId, firstInvalid, formProblem, NOT_SAVED, SelectField, type FormProblem } from '../forms.js';
import { Csrf, Notice, Page, NextPage, SearchForm } from '../layout.js';
import { csrf, field, needAdmin, needViewer, SESSION_COOKIE, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { LEVEL_TEXT, ROLE_TEXT, syncCountsText, vnDate, vnDateTime, vnDay } from '../texts.js';

/**
 * Quản trị (UI.md "Navigation", issue 14): the node administrator's directory — agencies, their
 * users (with console passwords) and certificates, groups, partners, trust anchors. Every form
 * is checked by the API's own schema and handled by the API's own service; a refusal is shown
 * in Vietnamese next to the field, with everything typed kept (passwords and private keys excepted:
 * a secret is never written back into a page).
 *
 * Routes are named one by one, never `/admin/*`: `/admin/queues` is BullMQ's dashboard.
 */

const PAGE_SIZE = 100;

const PARTNER_KIND_TEXT: Record<(typeof PARTNER_KINDS)[number], string> = {
  lienthong: 'Nút liên thông lienthong khác',
  axis: 'Trục liên thông văn bản (axis)',
};
const MODE_TEXT = { push: 'Chủ động gửi đến đối tác (push)', pull: 'Đối tác tự lấy về (pull)' } as const;
const ORIGIN_TEXT: Record<CertificateView['origin'], string> = {
  issued: 'Do CA của nút cấp',
  uploaded: 'Tải lên kèm khoá bí mật',
  registered: 'Đăng ký (không có khoá bí mật)',
};
const ANCHOR_SOURCE_TEXT = {
  'node-ca': 'CA của nút này',
  'trust-dir': 'Thư mục chứng thư tin cậy của nút',
  api: 'Do quản trị viên thêm',
} as const;

/** Fixed texts after an action (the `xong` query): nothing from the URL is echoed. */
const DONE: Record<string, string> = {
  'tao-co-quan': 'Đã thêm cơ quan. Hãy cấp chứng thư số và tạo người dùng cho cơ quan.',
  'luu-co-quan': 'Đã lưu thông tin cơ quan.',
  'dat-mat-khau': 'Đã đặt lại mật khẩu. Các phiên đăng nhập của người dùng này đã kết thúc.',
  'ngung-nguoi-dung': 'Đã ngừng kích hoạt người dùng: mã truy cập và đăng nhập của người này không còn dùng được.',
  'cap-chung-thu': 'Đã cấp chứng thư số mới từ CA của nút.',
  'dang-ky-chung-thu': 'Đã thêm chứng thư số.',
  'tao-nhom': 'Đã tạo nhóm cơ quan.',
  'luu-nhom': 'Đã lưu nhóm cơ quan.',
  'luu-doi-tac': 'Đã lưu đối tác.',
  'them-ca': 'Đã thêm CA vào danh sách tin cậy.',
};

const cn = (dn: string): string => /CN=([^,]+)/.exec(dn)?.[1] ?? dn;
const roleList = (roles: readonly string[]): string => roles.map((r) => ROLE_TEXT[r as UserRole] ?? r).join(', ');
/** Agency codes typed by a person: separated by commas, semicolons, spaces or new lines. */
const codeList = (text: string): string[] =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
const nullIfEmpty = (s: string): string | null => (s === '' ? null : s);
const actorOf = (c: ConsoleContext): Actor => ({ principal: c.get('viewer')!.principal, requestId: c.get('requestId') });
const done = (c: ConsoleContext): string | undefined => DONE[c.req.query('xong') ?? ''];

// ---------------------------------------------------------------------------------------------
// The frame of every page

const SUBNAV: Array<{ key: string; href: string; text: string }> = [
  { key: 'overview', href: '/admin', text: 'Tổng quan' },
  { key: 'agencies', href: '/admin/agencies', text: 'Cơ quan' },
  { key: 'groups', href: '/admin/groups', text: 'Nhóm cơ quan' },
  { key: 'partners', href: '/admin/partners', text: 'Đối tác' },
  { key: 'anchors', href: '/admin/trust-anchors', text: 'CA tin cậy' },
  { key: 'sync', href: '/admin/directory-sync', text: 'Đồng bộ danh bạ' },
];

/** The frame of every Quản trị page (reorganisation.tsx's too): the section's own navigation, then the page. */
export function AdminPage(props: { viewer: Viewer; title: string; here: string; back?: { href: string; text: string }; done?: string | undefined; problem?: FormProblem | undefined; children?: Child }) {
  return (
    <Page title={props.title} viewer={props.viewer} active="admin">
      <nav class="subnav" aria-label="Các mục của trang quản trị">
        <ul>
          {SUBNAV.map((n) => (
            <li>
              <a href={n.href} aria-current={n.key === props.here ? 'page' : undefined}>
                {n.text}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {props.back ? (
        <p>
          <a href={props.back.href}>← {props.back.text}</a>
        </p>
      ) : null}
      {props.done ? <Notice kind="ok">{props.done}</Notice> : null}
      {props.problem ? <Notice kind="error">{props.problem.summary}</Notice> : null}
      {props.children}
    </Page>
  );
}

/** A secret shown once (a new user's or partner's token): read it now, it is kept only as a hash. */
function TokenOnce(props: { label: string; token: string; who: string }) {
  return (
    <section class="card token-once">
      <h2>{props.label}</h2>
      <p class="warning">
        <strong>Chỉ hiển thị một lần.</strong> Hệ thống chỉ lưu dấu băm của mã này: hãy sao chép và trao cho {props.who} ngay bây giờ; rời trang này là không xem lại
        được. Nếu mất mã, hãy tạo mã mới.
      </p>
      <label for="token">{props.label} (chỉ hiển thị một lần)</label>
      <input type="text" id="token" class="mono" value={props.token} readonly autocomplete="off" spellcheck={false} />
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Overview

/** What the nightly directory sync found and left to an administrator (issue 19): here and on Đồng bộ danh bạ. */
export function SyncNotices(props: { notices: DirectorySyncNotice[] }) {
  return (
    <>
      {props.notices.map((n) => (
        <div class="notice error" role="status">
          <p>
            <strong>Đồng bộ danh bạ tự động lúc {vnDateTime(n.createdAt)}</strong>: danh mục của trục liên thông (đối tác {n.partnerId}) khác danh bạ — {syncCountsText(n.counts)}.
            Chưa có thay đổi nào được áp dụng.
          </p>
          <a href={`/admin/directory-sync/${n.syncId}`}>Xem kết quả so sánh và áp dụng</a>
        </div>
      ))}
    </>
  );
}

function Overview(props: { viewer: Viewer; notices: DirectorySyncNotice[] }) {
  const items: Array<{ href: string; title: string; text: string }> = [
    { href: '/admin/agencies', title: 'Cơ quan', text: 'Danh bạ cơ quan: thêm, sửa, tìm; người dùng và chứng thư số của từng cơ quan.' },
    { href: '/admin/agencies/new', title: 'Thêm cơ quan', text: 'Đăng ký một cơ quan mới với mã định danh do tỉnh cấp.' },
    { href: '/admin/groups', title: 'Nhóm cơ quan', text: 'Các nhóm để gửi một lần cho nhiều nơi (group:MÃ_NHÓM).' },
    { href: '/admin/partners', title: 'Đối tác', text: 'Các nút và trục liên thông mà nút này trao đổi văn bản; lỗi gửi gần nhất.' },
    { href: '/admin/trust-anchors', title: 'CA tin cậy', text: 'Các CA mà chữ ký số của gói tin phải dẫn về.' },
    { href: '/admin/directory-sync', title: 'Đồng bộ danh bạ', text: 'So sánh danh bạ với danh mục mã định danh (tệp của tỉnh hoặc trục liên thông), xem rồi áp dụng.' },
    { href: '/admin/queues', title: 'Hàng đợi gửi nhận', text: 'Bảng theo dõi hàng đợi (BullMQ): trình duyệt hỏi mật khẩu — nhập mã quản trị của nút (LIENTHONG_ADMIN_TOKEN).' },
  ];
  return (
    <AdminPage viewer={props.viewer} title="Quản trị hệ thống" here="overview">
      <SyncNotices notices={props.notices} />
      <ul class="tiles">
        {items.map((i) => (
          <li class="card">
            <h2>
              <a href={i.href}>{i.title}</a>
            </h2>
            <p>{i.text}</p>
          </li>
        ))}
      </ul>
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Agencies

const AGENCY_FIELDS = ['code', 'name', 'administrativeUnit', 'level', 'parentCode', 'address', 'email', 'phone', 'fax', 'website', 'endpointType', 'partnerId', 'validFrom', 'validTo'] as const;
type AgencyValues = Partial<Record<(typeof AGENCY_FIELDS)[number], string>> & { active?: boolean };

const agencyValues = (a: AgencyView): AgencyValues => ({
  code: a.code,
  name: a.name,
  administrativeUnit: a.administrativeUnit ?? '',
  level: a.level,
  parentCode: a.parentCode ?? '',
  address: a.address ?? '',
  email: a.email ?? '',
  phone: a.phone ?? '',
  fax: a.fax ?? '',
  website: a.website ?? '',
  endpointType: a.endpoint.type,
  partnerId: a.endpoint.type === 'remote' ? a.endpoint.partnerId : '',
  validFrom: a.validFrom ?? '',
  validTo: a.validTo ?? '',
  active: a.active,
});

const formAgencyValues = (form: URLSearchParams | undefined): AgencyValues => ({
  ...Object.fromEntries(AGENCY_FIELDS.map((n) => [n, n === 'code' || n === 'parentCode' ? field(form, n).toUpperCase() : field(form, n)])),
  active: form?.get('active') === 'on',
});

/** The body POST/PATCH /v1/agencies would carry, from the form (empty fields clear what they hold). */
function agencyBody(v: AgencyValues, create: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: v.name ?? '',
    administrativeUnit: nullIfEmpty(v.administrativeUnit ?? ''),
    level: v.level ?? '',
    parentCode: nullIfEmpty(v.parentCode ?? ''),
    address: nullIfEmpty(v.address ?? ''),
    email: nullIfEmpty(v.email ?? ''),
    phone: nullIfEmpty(v.phone ?? ''),
    fax: nullIfEmpty(v.fax ?? ''),
    website: nullIfEmpty(v.website ?? ''),
    endpoint: v.endpointType === 'remote' ? { type: 'remote', partnerId: v.partnerId ?? '' } : { type: 'local' },
    validFrom: nullIfEmpty(v.validFrom ?? ''),
    validTo: nullIfEmpty(v.validTo ?? ''),
  };
  return create ? { code: v.code ?? '', ...body } : { ...body, active: v.active === true };
}

const AGENCY_PATHS = { endpoint: 'endpointType', 'endpoint.type': 'endpointType', 'endpoint.partnerId': 'partnerId' };

function AgencyForm(props: { viewer: Viewer; create: boolean; values: AgencyValues; problem?: FormProblem | undefined; partners: PartnerView[] }) {
  const v = props.values;
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, AGENCY_FIELDS);
  const f = (name: (typeof AGENCY_FIELDS)[number]) => ({ name, value: v[name], error: e[name], autofocus: focus === name });
  return (
    <form method="post" action={props.create ? '/admin/agencies' : `/admin/agencies/${v.code}`} class="card" novalidate>
      <Csrf viewer={props.viewer} />
      {props.create ? (
        <Field {...f('code')} label="Mã định danh" hint="Dạng XXX.YY.ZZ.Lnn do tỉnh cấp, ví dụ 000.00.33.H33." required maxlength={13} code />
      ) : null}
      <Field {...f('name')} label="Tên cơ quan" required maxlength={500} />
      <Field {...f('administrativeUnit')} label="Địa danh" hint="Nơi ban hành ghi trên văn bản, ví dụ Kiên Lương. Để trống thì lấy từ tên UBND (UBND xã Bình An → Bình An; UBND phường 5 → Phường 5), cơ quan khác thì ghi tên cơ quan." maxlength={200} />
      <SelectField {...f('level')} label="Cấp" options={AGENCY_LEVELS.map((l) => [l, LEVEL_TEXT[l]] as const)} />
      <Field {...f('parentCode')} label="Mã cơ quan cấp trên" hint="Để trống nếu không có." maxlength={13} code />
      <Field {...f('address')} label="Địa chỉ" maxlength={500} />
      <Field {...f('email')} label="Thư điện tử" type="email" maxlength={320} code autocomplete="off" />
      <Field {...f('phone')} label="Điện thoại" type="tel" maxlength={50} />
      <Field {...f('fax')} label="Fax" type="tel" maxlength={50} />
      <Field {...f('website')} label="Trang thông tin điện tử" maxlength={300} code />
      <SelectField
        {...f('endpointType')}
        label="Nơi nhận văn bản"
        options={[
          ['local', 'Hộp văn bản đến trên nút này'],
          ['remote', 'Qua một đối tác (nút hoặc trục khác)'],
        ]}
      />
      <SelectField
        {...f('partnerId')}
        label="Đối tác nhận thay"
        hint="Chỉ dùng khi văn bản đến cơ quan này đi qua một đối tác."
        options={[['', '— Không —'] as const, ...props.partners.map((p) => [p.id, `${p.name} (${p.id})`] as const)]}
      />
      <Field {...f('validFrom')} label="Hiệu lực từ ngày" type="date" />
      <Field {...f('validTo')} label="Hiệu lực đến ngày" type="date" />
      {props.create ? null : <CheckField name="active" label="Đang hoạt động" checked={v.active === true} hint="Bỏ chọn để ngừng nhận văn bản cho cơ quan này." />}
      <div class="actions">
        <button type="submit">{props.create ? 'Thêm cơ quan' : 'Lưu thay đổi'}</button>
      </div>
    </form>
  );
}

function AgencyList(props: { viewer: Viewer; agencies: Agency[]; q: string; next?: string | undefined }) {
  return (
    <AdminPage viewer={props.viewer} title="Cơ quan" here="agencies">
      <SearchForm action="/admin/agencies" q={props.q} label="Tìm cơ quan" placeholder="Tên hoặc mã định danh">
        <a href="/admin/agencies/new" class="button secondary">
          Thêm cơ quan
        </a>
      </SearchForm>
      {props.agencies.length === 0 ? (
        <p>{props.q ? 'Không có cơ quan nào khớp với nội dung tìm kiếm.' : 'Chưa có cơ quan nào.'}</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Tên cơ quan</th>
              <th scope="col">Mã định danh</th>
              <th scope="col">Cấp</th>
              <th scope="col">Cấp trên</th>
              <th scope="col">Trạng thái</th>
              <th scope="col">Quản lý</th>
            </tr>
          </thead>
          <tbody>
            {props.agencies.map((a) => (
              <tr>
                <td data-label="Tên cơ quan">
                  <a href={`/admin/agencies/${a.code}`}>{a.name}</a>
                </td>
                <td data-label="Mã định danh" class="nowrap">
                  {a.code}
                </td>
                <td data-label="Cấp">{LEVEL_TEXT[a.level]}</td>
                <td data-label="Cấp trên" class="nowrap">
                  {a.parentCode ?? '—'}
                </td>
                <td data-label="Trạng thái">
                  <ActiveBadge active={a.active} closedAt={a.closedAt} />
                  {a.endpointType === 'remote' ? <span class="muted"> qua đối tác {a.partnerId}</span> : null}
                </td>
                <td data-label="Quản lý">
                  <a href={`/admin/agencies/${a.code}/users`} aria-label={`Người dùng của ${a.name}`}>
                    Người dùng
                  </a>
                  {' · '}
                  <a href={`/admin/agencies/${a.code}/certificates`} aria-label={`Chứng thư số của ${a.name}`}>
                    Chứng thư số
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NextPage path="/admin/agencies" next={props.next} q={props.q} />
    </AdminPage>
  );
}

/** Active, and not closed by a reorganisation (issue 19): a closed agency keeps its active flag. */
const ActiveBadge = (props: { active: boolean; closedAt?: Date | string | null | undefined }) =>
  props.closedAt && new Date(props.closedAt).getTime() <= Date.now() ? (
    <span class="badge done">Đã giải thể / sáp nhập</span>
  ) : props.active ? (
    <span class="badge ok">Đang hoạt động</span>
  ) : (
    <span class="badge done">Ngừng hoạt động</span>
  );

function AgencyPage(props: {
  viewer: Viewer;
  agency: AgencyView;
  values: AgencyValues;
  problem?: FormProblem | undefined;
  partners: PartnerView[];
  certificate: Awaited<ReturnType<ConsoleDeps['pki']['summary']>>;
  done?: string | undefined;
}) {
  const a = props.agency;
  const cert = props.certificate;
  return (
    <AdminPage viewer={props.viewer} title={a.name} here="agencies" back={{ href: '/admin/agencies', text: 'Danh sách cơ quan' }} done={props.done} problem={props.problem}>
      <section class="card" aria-labelledby="agency-summary">
        <h2 id="agency-summary">Tóm tắt</h2>
        <dl class="meta">
          <dt>Mã định danh</dt>
          <dd>{a.code}</dd>
          <dt>Trạng thái</dt>
          <dd>
            <ActiveBadge active={a.active} closedAt={a.closedAt} />
          </dd>
          <dt>Giải thể / sáp nhập</dt>
          <dd>
            {a.closedAt ? `Ngừng hoạt động từ ${vnDateTime(a.closedAt)}` : 'Không'}
            {a.successorCodes.length ? `; cơ quan kế thừa: ${a.successorCodes.join(', ')}` : ''}
            {a.decision ? `; theo ${a.decision.number} ngày ${vnDay(a.decision.date)}` : ''}
          </dd>
          {a.validFrom || a.validTo ? (
            <>
              <dt>Hiệu lực</dt>
              <dd>
                {a.validFrom ? `từ ${vnDay(a.validFrom)}` : ''} {a.validTo ? `đến ${vnDay(a.validTo)}` : ''}
              </dd>
            </>
          ) : null}
          <dt>Chứng thư số</dt>
          <dd>
            {cert ? (
              <>
                {cn(cert.subject)}, hết hạn {vnDate(cert.notAfter)}
                {cert.expiringSoon ? <span class="badge bad"> Sắp hết hạn</span> : null}
              </>
            ) : (
              <span class="badge bad">Chưa có: cơ quan chưa ký gửi được văn bản</span>
            )}
          </dd>
          <dt>Tạo lúc</dt>
          <dd>{vnDateTime(a.createdAt)}</dd>
        </dl>
        <div class="actions">
          <a class="button secondary" href={`/admin/agencies/${a.code}/users`}>
            Người dùng của cơ quan
          </a>
          <a class="button secondary" href={`/admin/agencies/${a.code}/certificates`}>
            Chứng thư số của cơ quan
          </a>
          <a class="button secondary" href={`/admin/agencies/${a.code}/succession`}>
            Giải thể / sáp nhập, bàn giao
          </a>
        </div>
      </section>
      <h2>Sửa thông tin</h2>
      <AgencyForm viewer={props.viewer} create={false} values={props.values} problem={props.problem} partners={props.partners} />
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Users

const USER_FIELDS = ['name', 'roles', 'username', 'password'] as const;
type UserValues = { name: string; roles: string[]; username: string };

function UserCreateForm(props: { viewer: Viewer; agencyCode: string; values: UserValues; problem?: FormProblem | undefined }) {
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, USER_FIELDS);
  const rolesError = e.roles ? `${fieldId('roles')}-error` : undefined;
  return (
    <form method="post" action={`/admin/agencies/${props.agencyCode}/users`} class="card" novalidate aria-labelledby="new-user">
      <h2 id="new-user">Thêm người dùng</h2>
      <Csrf viewer={props.viewer} />
      <Field name="name" label="Họ và tên" value={props.values.name} error={e.name} autofocus={focus === 'name'} required maxlength={300} autocomplete="off" />
      <fieldset class={e.roles ? 'checks invalid' : 'checks'} aria-describedby={rolesError}>
        <legend>Vai trò</legend>
        {e.roles ? (
          <p class="field-error" id={rolesError}>
            {e.roles}
          </p>
        ) : null}
        {USER_ROLES.map((r) => (
          <CheckField name="roles" value={r} id={`${fieldId('roles')}-${r}`} label={ROLE_TEXT[r]} checked={props.values.roles.includes(r)} />
        ))}
      </fieldset>
      <p class="hint">Tên đăng nhập và mật khẩu để người này đăng nhập vào trang này; để trống cả hai nếu chỉ dùng API.</p>
      <Field
        name="username"
        label="Tên đăng nhập"
        value={props.values.username}
        error={e.username}
        autofocus={focus === 'username'}
        hint="3–100 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới."
        maxlength={100}
        autocomplete="off"
        code
      />
      <Field
        name="password"
        label="Mật khẩu"
        type="password"
        error={e.password}
        autofocus={focus === 'password'}
        hint="Ít nhất 10 ký tự. Hãy báo cho người dùng và đề nghị họ đổi ngay ở trang Tài khoản."
        maxlength={200}
        autocomplete="new-password"
      />
      <div class="actions">
        <button type="submit">Tạo người dùng</button>
      </div>
    </form>
  );
}

function UserStatus(props: { user: User }) {
  const u = props.user;
  if (!u.active) return <span class="badge done">Đã ngừng</span>;
  if (u.lockedUntil && u.lockedUntil > new Date()) return <span class="badge bad">Tạm khoá đến {vnDateTime(u.lockedUntil)}</span>;
  return <span class="badge ok">Đang hoạt động</span>;
}

function UsersPage(props: { viewer: Viewer; agency: Agency; users: User[]; next?: string | undefined; values: UserValues; problem?: FormProblem | undefined; done?: string | undefined }) {
  const a = props.agency;
  return (
    <AdminPage viewer={props.viewer} title={`Người dùng — ${a.name}`} here="agencies" back={{ href: `/admin/agencies/${a.code}`, text: a.name }} done={props.done} problem={props.problem}>
      {props.users.length === 0 ? (
        <p>Cơ quan chưa có người dùng nào.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Họ và tên</th>
              <th scope="col">Tên đăng nhập</th>
              <th scope="col">Vai trò</th>
              <th scope="col">Trạng thái</th>
              <th scope="col">Ngày tạo</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((u) => (
              <tr>
                <td data-label="Họ và tên">
                  <a href={`/admin/users/${u.id}`}>{u.name}</a>
                </td>
                <td data-label="Tên đăng nhập">{u.username ?? <span class="muted">(chỉ dùng API)</span>}</td>
                <td data-label="Vai trò">{roleList(u.roles)}</td>
                <td data-label="Trạng thái">
                  <UserStatus user={u} />
                </td>
                <td data-label="Ngày tạo" class="nowrap">
                  {vnDate(u.createdAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <div class="pager">
          <a href={`/admin/agencies/${a.code}/users?after=${encodeURIComponent(props.next)}`}>Trang sau</a>
        </div>
      ) : null}
      <UserCreateForm viewer={props.viewer} agencyCode={a.code} values={props.values} problem={props.problem} />
    </AdminPage>
  );
}

function UserCreated(props: { viewer: Viewer; agency: Agency; user: { name: string; username: string | null; roles: string[]; token: string } }) {
  const u = props.user;
  return (
    <AdminPage viewer={props.viewer} title="Đã tạo người dùng" here="agencies" back={{ href: `/admin/agencies/${props.agency.code}/users`, text: `Người dùng — ${props.agency.name}` }}>
      <Notice kind="ok">
        Đã tạo người dùng {u.name} ({roleList(u.roles)}) cho {props.agency.name}.
        {u.username ? ` Người này đăng nhập bằng tên ${u.username} và mật khẩu vừa đặt.` : ''}
      </Notice>
      <TokenOnce label="Mã truy cập API (token)" token={u.token} who="người dùng (hoặc phần mềm dùng API thay họ)" />
    </AdminPage>
  );
}

function UserPage(props: { viewer: Viewer; user: User; agency: Agency | null; problem?: FormProblem | undefined; done?: string | undefined }) {
  const u = props.user;
  const agencyName = props.agency?.name ?? u.agencyCode;
  return (
    <AdminPage viewer={props.viewer} title={u.name} here="agencies" back={{ href: `/admin/agencies/${u.agencyCode}/users`, text: `Người dùng — ${agencyName}` }} done={props.done} problem={props.problem}>
      <section class="card" aria-labelledby="user-info">
        <h2 id="user-info">Thông tin</h2>
        <dl class="meta">
          <dt>Cơ quan</dt>
          <dd>
            {agencyName} <span class="muted">({u.agencyCode})</span>
          </dd>
          <dt>Tên đăng nhập</dt>
          <dd>{u.username ?? 'Không có (chỉ dùng API)'}</dd>
          <dt>Vai trò</dt>
          <dd>{roleList(u.roles)}</dd>
          <dt>Trạng thái</dt>
          <dd>
            <UserStatus user={u} />
          </dd>
          <dt>Đổi mật khẩu lần cuối</dt>
          <dd>{u.passwordChangedAt ? vnDateTime(u.passwordChangedAt) : '—'}</dd>
          <dt>Ngày tạo</dt>
          <dd>{vnDateTime(u.createdAt)}</dd>
        </dl>
      </section>
      {u.active && u.username ? (
        <form method="post" action={`/admin/users/${u.id}/password`} class="card" novalidate aria-labelledby="reset">
          <h2 id="reset">Đặt lại mật khẩu</h2>
          <Csrf viewer={props.viewer} />
          <Field
            name="password"
            label="Mật khẩu mới"
            type="password"
            error={props.problem?.fields.password}
            autofocus={props.problem?.fields.password !== undefined}
            hint="Ít nhất 10 ký tự. Mọi phiên đăng nhập của người dùng sẽ kết thúc; tài khoản bị khoá (nếu có) được mở."
            maxlength={200}
            autocomplete="new-password"
          />
          <div class="actions">
            <button type="submit">Đặt lại mật khẩu</button>
          </div>
        </form>
      ) : null}
      {u.active ? (
        <form
          method="post"
          action={`/admin/users/${u.id}/deactivate`}
          class="card"
          aria-labelledby="deactivate"
          data-confirm={`Ngừng kích hoạt ${u.name}? Người này sẽ không đăng nhập hay dùng API được nữa, và không thể kích hoạt lại.`}
        >
          <h2 id="deactivate">Ngừng kích hoạt</h2>
          <Csrf viewer={props.viewer} />
          <p>Người dùng bị ngừng không đăng nhập và không dùng mã truy cập API được nữa; lịch sử thao tác của họ được giữ lại.</p>
          <div class="actions">
            <button type="submit" class="danger">
              Ngừng kích hoạt người dùng
            </button>
          </div>
        </form>
      ) : null}
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Certificates and trust anchors

const CERT_FIELDS = ['certificatePem', 'privateKeyPem', 'chainPem'] as const;

function CertificatesPage(props: { viewer: Viewer; agency: Agency; certificates: CertificateView[]; values: { certificatePem: string; chainPem: string }; problem?: FormProblem | undefined; done?: string | undefined }) {
  const a = props.agency;
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, CERT_FIELDS);
  const now = Date.now();
  return (
    <AdminPage viewer={props.viewer} title={`Chứng thư số — ${a.name}`} here="agencies" back={{ href: `/admin/agencies/${a.code}`, text: a.name }} done={props.done} problem={props.problem}>
      {props.certificates.length === 0 ? (
        <p>Cơ quan chưa có chứng thư số: chưa ký và gửi được văn bản.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Chủ thể</th>
              <th scope="col">Tổ chức cấp</th>
              <th scope="col">Hiệu lực</th>
              <th scope="col">Nguồn</th>
              <th scope="col">Trạng thái</th>
              <th scope="col">Số hiệu, dấu vân tay</th>
            </tr>
          </thead>
          <tbody>
            {props.certificates.map((cert) => {
              const expired = new Date(cert.notAfter).getTime() < now;
              return (
                <tr>
                  <td data-label="Chủ thể">{cn(cert.subject)}</td>
                  <td data-label="Tổ chức cấp">{cn(cert.issuer)}</td>
                  <td data-label="Hiệu lực" class="nowrap">
                    {vnDate(cert.notBefore)} – {vnDate(cert.notAfter)}
                  </td>
                  <td data-label="Nguồn">{ORIGIN_TEXT[cert.origin]}</td>
                  <td data-label="Trạng thái">
                    {!cert.active ? <span class="badge done">Ngừng dùng</span> : expired ? <span class="badge bad">Hết hạn</span> : <span class="badge ok">Đang dùng</span>}
                  </td>
                  <td data-label="Số hiệu, dấu vân tay" class="wrap">
                    <span class="mono">{cert.serialNumber}</span>
                    <br />
                    <span class="muted mono">SHA-256 {cert.fingerprintSha256}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form method="post" action={`/admin/agencies/${a.code}/certificates`} class="card" aria-labelledby="issue">
        <h2 id="issue">Cấp chứng thư số mới</h2>
        <Csrf viewer={props.viewer} />
        <input type="hidden" name="mode" value="issue" />
        <p>CA của nút tạo một cặp khoá mới cho cơ quan và cấp chứng thư số; khoá bí mật được mã hoá và chỉ dùng trên nút này. Văn bản gửi đi sau đó được ký bằng chứng thư mới.</p>
        <div class="actions">
          <button type="submit">Cấp chứng thư số mới</button>
        </div>
      </form>
      <form method="post" action={`/admin/agencies/${a.code}/certificates`} class="card" novalidate aria-labelledby="register">
        <h2 id="register">Thêm chứng thư số có sẵn</h2>
        <Csrf viewer={props.viewer} />
        <input type="hidden" name="mode" value="pem" />
        <p class="hint">
          Chứng thư số của một cơ quan ở nút khác (chỉ chứng thư), hoặc của cơ quan trên nút này kèm khoá bí mật. Chứng thư phải dẫn về một CA tin cậy.
        </p>
        <Field name="certificatePem" label="Chứng thư số (PEM)" rows={6} value={props.values.certificatePem} error={e.certificatePem} autofocus={focus === 'certificatePem'} code />
        <Field
          name="privateKeyPem"
          label="Khoá bí mật (PEM, không bắt buộc)"
          rows={4}
          error={e.privateKeyPem}
          autofocus={focus === 'privateKeyPem'}
          hint="Vì an toàn, khoá bí mật không được hiển thị lại nếu phải nhập lại biểu mẫu."
          code
        />
        <Field name="chainPem" label="Chứng thư trung gian (PEM, không bắt buộc)" rows={4} value={props.values.chainPem} error={e.chainPem} autofocus={focus === 'chainPem'} code />
        <div class="actions">
          <button type="submit">Thêm chứng thư số</button>
        </div>
      </form>
    </AdminPage>
  );
}

function AnchorsPage(props: { viewer: Viewer; anchors: Array<{ fingerprintSha256: string; subject: string; source: keyof typeof ANCHOR_SOURCE_TEXT }>; value: string; problem?: FormProblem | undefined; done?: string | undefined }) {
  const e = props.problem?.fields ?? {};
  return (
    <AdminPage viewer={props.viewer} title="CA tin cậy" here="anchors" done={props.done} problem={props.problem}>
      <p>Chữ ký số của mọi gói tin nhận được, và mọi chứng thư số của cơ quan, phải dẫn về một trong các CA này.</p>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Tên CA</th>
            <th scope="col">Nguồn</th>
            <th scope="col">Dấu vân tay SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {props.anchors.map((t) => (
            <tr>
              <td data-label="Tên CA">
                {cn(t.subject)}
                <br />
                <span class="muted">{t.subject}</span>
              </td>
              <td data-label="Nguồn">{ANCHOR_SOURCE_TEXT[t.source]}</td>
              <td data-label="Dấu vân tay SHA-256" class="wrap">
                <span class="mono">{t.fingerprintSha256}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action="/admin/trust-anchors" class="card" novalidate aria-labelledby="add-anchor">
        <h2 id="add-anchor">Thêm CA tin cậy</h2>
        <Csrf viewer={props.viewer} />
        <Field
          name="certificatePem"
          label="Chứng thư số của CA (PEM)"
          rows={8}
          value={props.value}
          error={e.certificatePem}
          autofocus={e.certificatePem !== undefined}
          hint="Ví dụ CA của một nút liên thông khác, hoặc CA chuyên dùng Chính phủ. Dán nội dung từ -----BEGIN CERTIFICATE----- đến -----END CERTIFICATE-----."
          code
        />
        <div class="actions">
          <button type="submit">Thêm vào danh sách tin cậy</button>
        </div>
      </form>
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Groups

const GROUP_FIELDS = ['code', 'name', 'members'] as const;
type GroupValues = { code: string; name: string; members: string };

function GroupFields(props: { values: GroupValues; problem?: FormProblem | undefined; create: boolean }) {
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, GROUP_FIELDS);
  return (
    <>
      {props.create ? (
        <Field name="code" label="Mã nhóm" value={props.values.code} error={e.code} autofocus={focus === 'code'} required maxlength={100} code hint="Chữ, số, dấu chấm, gạch ngang; ví dụ KL-XA. Khi soạn văn bản, gõ group:MÃ_NHÓM để gửi cho cả nhóm." />
      ) : null}
      <Field name="name" label="Tên nhóm" value={props.values.name} error={e.name} autofocus={focus === 'name'} required maxlength={500} />
      <Field
        name="members"
        label="Các cơ quan trong nhóm"
        rows={6}
        value={props.values.members}
        error={e.members}
        autofocus={focus === 'members'}
        hint="Mã định danh của các cơ quan, mỗi mã một dòng hoặc cách nhau bởi dấu phẩy."
        code
      />
    </>
  );
}

function GroupsPage(props: { viewer: Viewer; groups: GroupView[]; next?: string | undefined; values: GroupValues; problem?: FormProblem | undefined }) {
  return (
    <AdminPage viewer={props.viewer} title="Nhóm cơ quan" here="groups" problem={props.problem}>
      {props.groups.length === 0 ? (
        <p>Chưa có nhóm nào.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Tên nhóm</th>
              <th scope="col">Mã nhóm</th>
              <th scope="col">Số cơ quan</th>
            </tr>
          </thead>
          <tbody>
            {props.groups.map((g) => (
              <tr>
                <td data-label="Tên nhóm">
                  <a href={`/admin/groups/${encodeURIComponent(g.code)}`}>{g.name}</a>
                </td>
                <td data-label="Mã nhóm" class="nowrap">
                  group:{g.code}
                </td>
                <td data-label="Số cơ quan">{g.members.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <div class="pager">
          <a href={`/admin/groups?after=${encodeURIComponent(props.next)}`}>Trang sau</a>
        </div>
      ) : null}
      <form method="post" action="/admin/groups" class="card" novalidate aria-labelledby="new-group">
        <h2 id="new-group">Tạo nhóm</h2>
        <Csrf viewer={props.viewer} />
        <GroupFields values={props.values} problem={props.problem} create />
        <div class="actions">
          <button type="submit">Tạo nhóm</button>
        </div>
      </form>
    </AdminPage>
  );
}

function GroupPage(props: { viewer: Viewer; group: GroupView; names: Map<string, string>; values: GroupValues; problem?: FormProblem | undefined; done?: string | undefined }) {
  const g = props.group;
  return (
    <AdminPage viewer={props.viewer} title={g.name} here="groups" back={{ href: '/admin/groups', text: 'Nhóm cơ quan' }} done={props.done} problem={props.problem}>
      <section class="card" aria-labelledby="members">
        <h2 id="members">
          Thành viên của group:{g.code} ({g.members.length})
        </h2>
        {g.members.length === 0 ? (
          <p>Nhóm chưa có cơ quan nào.</p>
        ) : (
          <ul class="columns">
            {g.members.map((m) => (
              <li>
                <a href={`/admin/agencies/${m}`}>{props.names.get(m) ?? m}</a> <span class="muted">({m})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form method="post" action={`/admin/groups/${encodeURIComponent(g.code)}`} class="card" novalidate aria-labelledby="edit-group">
        <h2 id="edit-group">Sửa nhóm</h2>
        <Csrf viewer={props.viewer} />
        <GroupFields values={props.values} problem={props.problem} create={false} />
        <div class="actions">
          <button type="submit">Lưu thay đổi</button>
        </div>
      </form>
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Partners

const PARTNER_FIELDS = ['id', 'name', 'kind', 'baseUrl', 'mode', 'agencies', 'credentials', 'maxAttempts'] as const;
interface PartnerValues {
  id: string;
  name: string;
  kind: string;
  baseUrl: string;
  mode: string;
  agencies: string;
  credentials: string;
  maxAttempts: string;
  legacy: boolean;
  active: boolean;
  removeCredentials: boolean;
}

const emptyPartner: PartnerValues = { id: '', name: '', kind: 'lienthong', baseUrl: '', mode: '', agencies: '', credentials: '', maxAttempts: '', legacy: false, active: true, removeCredentials: false };

const partnerValues = (p: PartnerView): PartnerValues => ({
  id: p.id,
  name: p.name,
  kind: p.kind,
  baseUrl: p.baseUrl ?? '',
  // "By the address" when the stored mode is the one its address implies: clearing the address then makes it pull.
  mode: p.mode === (p.baseUrl ? 'push' : 'pull') ? '' : p.mode,
  agencies: p.agencies.join('\n'),
  credentials: '',
  maxAttempts: String(p.maxAttempts),
  legacy: p.legacy,
  active: p.active,
  removeCredentials: false,
});

const formPartnerValues = (form: URLSearchParams | undefined): PartnerValues => ({
  id: field(form, 'id'),
  name: field(form, 'name'),
  kind: field(form, 'kind'),
  baseUrl: field(form, 'baseUrl'),
  mode: field(form, 'mode'),
  agencies: field(form, 'agencies'),
  // Credentials are presented to the partner byte for byte: not normalised, only trimmed.
  credentials: (form?.get('credentials') ?? '').trim(),
  maxAttempts: field(form, 'maxAttempts'),
  legacy: form?.get('legacy') === 'on',
  active: form?.get('active') === 'on',
  removeCredentials: form?.get('removeCredentials') === 'on',
});

/** The JSON object typed as credentials; a form that is not one is refused before the schema. */
function parseCredentials(text: string): { ok: true; value: Record<string, unknown> | undefined } | { ok: false } {
  if (text === '') return { ok: true, value: undefined };
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
  } catch {
    // falls through
  }
  return { ok: false };
}
const CREDENTIALS_NOT_JSON = 'Thông tin xác thực phải là một đối tượng JSON, ví dụ {"username": "…", "password": "…"}.';

const numberOrText = (s: string): number | string | undefined => (s === '' ? undefined : /^\d{1,6}$/.test(s) ? Number(s) : s);

function PartnerFields(props: { values: PartnerValues; problem?: FormProblem | undefined; create: boolean }) {
  const v = props.values;
  const e = props.problem?.fields ?? {};
  const focus = firstInvalid(props.problem, PARTNER_FIELDS);
  return (
    <>
      {props.create ? (
        <>
          <Field name="id" label="Mã đối tác" value={v.id} error={e.id} autofocus={focus === 'id'} required maxlength={100} code hint="Chữ, số, dấu chấm, gạch ngang; ví dụ truc-tinh." />
        </>
      ) : null}
      <Field name="name" label="Tên đối tác" value={v.name} error={e.name} autofocus={focus === 'name'} required maxlength={300} />
      {props.create ? (
        <SelectField name="kind" label="Loại đối tác" value={v.kind} error={e.kind} options={PARTNER_KINDS.map((k) => [k, PARTNER_KIND_TEXT[k]] as const)} />
      ) : null}
      <Field
        name="baseUrl"
        label="Địa chỉ gửi đến"
        type="url"
        value={v.baseUrl}
        error={e.baseUrl}
        autofocus={focus === 'baseUrl'}
        maxlength={2000}
        code
        hint="Địa chỉ http(s) của đối tác. Để trống nếu đối tác tự lấy văn bản về (pull)."
      />
      <SelectField
        name="mode"
        label="Cách trao đổi"
        value={v.mode}
        error={e.mode}
        options={[['', 'Theo địa chỉ gửi đến (có địa chỉ: push; không có: pull)'], ['push', MODE_TEXT.push], ['pull', MODE_TEXT.pull]]}
      />
      <Field
        name="agencies"
        label="Các cơ quan do đối tác phục vụ"
        rows={4}
        value={v.agencies}
        error={e.agencies}
        autofocus={focus === 'agencies'}
        code
        hint="Mã định danh, mỗi mã một dòng hoặc cách nhau bởi dấu phẩy. Đối tác chỉ được gửi gói tin thay cho các cơ quan này."
      />
      <Field
        name="credentials"
        label={props.create ? 'Thông tin xác thực (JSON, không bắt buộc)' : 'Thông tin xác thực mới (JSON)'}
        rows={3}
        value={v.credentials}
        error={e.credentials}
        autofocus={focus === 'credentials'}
        code
        hint={
          props.create
            ? 'Những gì nút này xuất trình khi gửi đến đối tác; được mã hoá khi lưu và không bao giờ hiển thị lại. Trục liên thông: {"systemId": "…", "secret": "…"} do đơn vị vận hành trục cấp.'
            : 'Để trống để giữ thông tin đã lưu (không bao giờ hiển thị lại).'
        }
      />
      {props.create ? null : <CheckField name="removeCredentials" label="Xoá thông tin xác thực đã lưu" checked={v.removeCredentials} />}
      <Field name="maxAttempts" label="Số lần gửi tối đa" type="number" inputmode="numeric" value={v.maxAttempts} error={e.maxAttempts} autofocus={focus === 'maxAttempts'} hint="1–100; để trống: 10." />
      <CheckField name="legacy" label="Chấp nhận chữ ký SHA-1 (phần mềm trục cũ)" checked={v.legacy} />
      {props.create ? null : <CheckField name="active" label="Đang hoạt động" checked={v.active} />}
    </>
  );
}

/** When the last error happened, where the view says it. */
const lastErrorAt = (p: PartnerView): string | undefined => {
  const at = 'lastErrorAt' in p ? p.lastErrorAt : undefined;
  return typeof at === 'string' ? at : undefined;
};

function PartnerState(props: { p: PartnerView }) {
  const p = props.p;
  if (!p.active) return <span class="badge done">Ngừng hoạt động</span>;
  if (p.circuit.openUntil && new Date(p.circuit.openUntil) > new Date()) return <span class="badge bad">Tạm ngừng gửi đến {vnDateTime(p.circuit.openUntil)}</span>;
  if (p.circuit.consecutiveFailures > 0) return <span class="badge wait">Lỗi {p.circuit.consecutiveFailures} lần liên tiếp</span>;
  return <span class="badge ok">Đang hoạt động</span>;
}

function PartnersPage(props: { viewer: Viewer; partners: PartnerView[]; next?: string | undefined; values: PartnerValues; problem?: FormProblem | undefined }) {
  return (
    <AdminPage viewer={props.viewer} title="Đối tác" here="partners" problem={props.problem}>
      {props.partners.length === 0 ? (
        <p>Chưa có đối tác nào.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Tên đối tác</th>
              <th scope="col">Loại, cách trao đổi</th>
              <th scope="col">Số cơ quan</th>
              <th scope="col">Trạng thái</th>
              <th scope="col">Lỗi gần nhất</th>
            </tr>
          </thead>
          <tbody>
            {props.partners.map((p) => (
              <tr>
                <td data-label="Tên đối tác">
                  <a href={`/admin/partners/${encodeURIComponent(p.id)}`}>{p.name}</a> <span class="muted">({p.id})</span>
                </td>
                <td data-label="Loại, cách trao đổi">
                  {PARTNER_KIND_TEXT[p.kind]}; {MODE_TEXT[p.mode]}
                </td>
                <td data-label="Số cơ quan">{p.agencies.length}</td>
                <td data-label="Trạng thái">
                  <PartnerState p={p} />
                </td>
                <td data-label="Lỗi gần nhất" class="wrap">
                  {p.circuit.lastError ?? '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.next ? (
        <div class="pager">
          <a href={`/admin/partners?after=${encodeURIComponent(props.next)}`}>Trang sau</a>
        </div>
      ) : null}
      <form method="post" action="/admin/partners" class="card" novalidate aria-labelledby="new-partner">
        <h2 id="new-partner">Thêm đối tác</h2>
        <Csrf viewer={props.viewer} />
        <PartnerFields values={props.values} problem={props.problem} create />
        <div class="actions">
          <button type="submit">Tạo đối tác</button>
        </div>
      </form>
    </AdminPage>
  );
}

function PartnerPage(props: { viewer: Viewer; partner: PartnerView; values: PartnerValues; problem?: FormProblem | undefined; done?: string | undefined }) {
  const p = props.partner;
  return (
    <AdminPage viewer={props.viewer} title={p.name} here="partners" back={{ href: '/admin/partners', text: 'Đối tác' }} done={props.done} problem={props.problem}>
      <section class="card" aria-labelledby="partner-info">
        <h2 id="partner-info">Tình trạng</h2>
        <dl class="meta">
          <dt>Mã đối tác</dt>
          <dd>{p.id}</dd>
          <dt>Loại</dt>
          <dd>{PARTNER_KIND_TEXT[p.kind]}</dd>
          <dt>Cách trao đổi</dt>
          <dd>{MODE_TEXT[p.mode]}</dd>
          <dt>Trạng thái</dt>
          <dd>
            <PartnerState p={p} />
          </dd>
          <dt>Thông tin xác thực</dt>
          <dd>{p.hasCredentials ? 'Đã lưu (mã hoá)' : 'Không có'}</dd>
          <dt>Lỗi gần nhất</dt>
          <dd class="wrap">
            {p.circuit.lastError ?? 'Không có'}
            {p.circuit.lastError && lastErrorAt(p) ? <span class="muted"> (lúc {vnDateTime(lastErrorAt(p)!)})</span> : null}
          </dd>
          <dt>Tạo lúc</dt>
          <dd>{vnDateTime(p.createdAt)}</dd>
        </dl>
      </section>
      <form method="post" action={`/admin/partners/${encodeURIComponent(p.id)}`} class="card" novalidate aria-labelledby="edit-partner">
        <h2 id="edit-partner">Sửa đối tác</h2>
        <Csrf viewer={props.viewer} />
        <PartnerFields values={props.values} problem={props.problem} create={false} />
        <div class="actions">
          <button type="submit">Lưu thay đổi</button>
        </div>
      </form>
    </AdminPage>
  );
}

function PartnerCreated(props: { viewer: Viewer; partner: PartnerView & { token: string | null } }) {
  const p = props.partner;
  return (
    <AdminPage viewer={props.viewer} title="Đã tạo đối tác" here="partners" back={{ href: `/admin/partners/${encodeURIComponent(p.id)}`, text: p.name }}>
      <Notice kind="ok">
        Đã tạo đối tác {p.name} ({p.id}), {MODE_TEXT[p.mode]}.
      </Notice>
      {p.token ? <TokenOnce label="Mã truy cập trao đổi (token) của đối tác" token={p.token} who="quản trị viên của đối tác (dùng cho /exchange/v1)" /> : null}
    </AdminPage>
  );
}

// ---------------------------------------------------------------------------------------------
// Routes

/** An agency by the code in the URL, or 404 (also for a code of the wrong shape). */
export async function agencyOf(c: ConsoleContext): Promise<Agency> {
  const code = c.req.param('code') ?? '';
  const agency = AGENCY_CODE.test(code) ? await findAgency(c.get('em'), code) : null;
  if (!agency) throw new DomainError('NOT_FOUND', `No agency ${code}.`);
  return agency;
}

async function userOf(c: ConsoleContext): Promise<User> {
  const id = c.req.param('id') ?? '';
  const user = z.uuid().safeParse(id).success ? await findUser(c.get('em'), id) : null;
  if (!user) throw new DomainError('NOT_FOUND', `No user ${id}.`);
  return user;
}

/** Quản trị: the administrator's directory. Every route: a session, the admin role; every POST: CSRF. */
export function mountAdmin(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const post = csrf(deps.publicUrl);
  const allPartners = async (c: ConsoleContext) => (await listPartners(c.get('em'), undefined, 500)).map(partnerView);

  ui.get('/admin', needViewer, needAdmin, async (c) => c.html(<Overview viewer={c.get('viewer')!} notices={await openNotices(c.get('em'))} />));

  // Agencies -----------------------------------------------------------------------------------

  ui.get('/admin/agencies', needViewer, needAdmin, async (c) => {
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const after = c.req.query('after');
    const rows = await listAgencies(c.get('em'), { q, afterCode: after && AGENCY_CODE.test(after) ? after : undefined, limit: PAGE_SIZE + 1 });
    const agencies = rows.slice(0, PAGE_SIZE);
    return c.html(<AgencyList viewer={c.get('viewer')!} agencies={agencies} q={q} next={rows.length > PAGE_SIZE ? agencies[agencies.length - 1]?.code : undefined} />);
  });

  const newAgencyPage = async (c: ConsoleContext, values: AgencyValues, problem?: FormProblem) =>
    c.html(
      <AdminPage viewer={c.get('viewer')!} title="Thêm cơ quan" here="agencies" back={{ href: '/admin/agencies', text: 'Danh sách cơ quan' }} problem={problem}>
        <AgencyForm viewer={c.get('viewer')!} create values={values} problem={problem} partners={await allPartners(c)} />
      </AdminPage>,
      problem ? 422 : 200,
    );

  ui.get('/admin/agencies/new', needViewer, needAdmin, (c) => newAgencyPage(c, { level: 'commune', endpointType: 'local' }));

  ui.post('/admin/agencies', needViewer, needAdmin, post, async (c) => {
    const values = formAgencyValues(c.get('form'));
    const options = { section: 'agency' as const, fields: AGENCY_FIELDS, fieldOf: AGENCY_PATHS, conflict: { field: 'code', message: 'Đã có cơ quan với mã định danh này.' } };
    try {
      const input = AgencyInputSchema.parse(agencyBody(values, true));
      await createAgency(c.get('em'), actorOf(c), input);
    } catch (error) {
      const problem = formProblem(error, options);
      if (!problem) throw error;
      return newAgencyPage(c, values, problem);
    }
    return c.redirect(`/admin/agencies/${values.code}?xong=tao-co-quan`, 303);
  });

  const agencyPage = async (c: ConsoleContext, agency: Agency, values?: AgencyValues, problem?: FormProblem) => {
    const view = agencyView(agency);
    return c.html(
      <AgencyPage
        viewer={c.get('viewer')!}
        agency={view}
        values={values ?? agencyValues(view)}
        problem={problem}
        partners={await allPartners(c)}
        certificate={await deps.pki.summary(c.get('em'), agency.code)}
        done={problem ? undefined : done(c)}
      />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/agencies/:code', needViewer, needAdmin, async (c) => agencyPage(c, await agencyOf(c)));

  ui.post('/admin/agencies/:code', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    const values = { ...formAgencyValues(c.get('form')), code: agency.code };
    try {
      const patch = AgencyPatchSchema.parse(agencyBody(values, false));
      await updateAgency(c.get('em'), actorOf(c), agency.code, patch);
    } catch (error) {
      const problem = formProblem(error, { section: 'agency', fields: AGENCY_FIELDS, fieldOf: AGENCY_PATHS });
      if (!problem) throw error;
      return agencyPage(c, agency, values, problem);
    }
    return c.redirect(`/admin/agencies/${agency.code}?xong=luu-co-quan`, 303);
  });

  // Users --------------------------------------------------------------------------------------

  const usersPage = async (c: ConsoleContext, agency: Agency, values: UserValues = { name: '', roles: ['clerk'], username: '' }, problem?: FormProblem) => {
    const after = c.req.query('after');
    const rows = await listUsers(c.get('em'), { agencyCode: agency.code, afterId: after && z.uuid().safeParse(after).success ? after : undefined, limit: PAGE_SIZE + 1 });
    const users = rows.slice(0, PAGE_SIZE);
    return c.html(
      <UsersPage
        viewer={c.get('viewer')!}
        agency={agency}
        users={users}
        next={rows.length > PAGE_SIZE ? users[users.length - 1]?.id : undefined}
        values={values}
        problem={problem}
        done={problem ? undefined : done(c)}
      />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/agencies/:code/users', needViewer, needAdmin, async (c) => usersPage(c, await agencyOf(c)));

  ui.post('/admin/agencies/:code/users', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    const form = c.get('form');
    const values: UserValues = { name: field(form, 'name'), roles: (form?.getAll('roles') ?? []).filter((r) => (USER_ROLES as readonly string[]).includes(r)), username: field(form, 'username') };
    // A password is kept exactly as typed (UI.md: compared as typed, in NFC by the service).
    const password = form?.get('password') ?? '';
    try {
      const input = UserInputSchema.parse({
        agencyCode: agency.code,
        name: values.name,
        roles: values.roles,
        ...(values.username ? { username: values.username } : {}),
        ...(password ? { password } : {}),
      });
      const created = await createUser(c.get('em'), actorOf(c), input);
      return c.html(<UserCreated viewer={c.get('viewer')!} agency={agency} user={created} />, 201);
    } catch (error) {
      const problem = formProblem(error, { section: 'user', fields: USER_FIELDS, conflict: { field: 'username', message: 'Tên đăng nhập này đã có người dùng; hãy chọn tên khác.' } });
      if (!problem) throw error;
      return usersPage(c, agency, values, problem);
    }
  });

  const userPage = async (c: ConsoleContext, user: User, problem?: FormProblem) =>
    c.html(
      <UserPage viewer={c.get('viewer')!} user={user} agency={await findAgency(c.get('em'), user.agencyCode)} problem={problem} done={problem ? undefined : done(c)} />,
      problem ? 422 : 200,
    );

  ui.get('/admin/users/:id', needViewer, needAdmin, async (c) => userPage(c, await userOf(c)));

  ui.post('/admin/users/:id/password', needViewer, needAdmin, post, async (c) => {
    const user = await userOf(c);
    try {
      await changePassword(
        c.get('em'),
        c.get('viewer')!.principal,
        user.id,
        { password: c.get('form')?.get('password') ?? '' },
        // An administrator resetting its own password keeps the session it is using.
        { keepSession: getCookie(c, SESSION_COOKIE) ?? '', requestId: c.get('requestId') },
      );
    } catch (error) {
      const problem = formProblem(error, { section: 'user', fields: ['password'] });
      if (!problem) throw error;
      return userPage(c, user, problem);
    }
    return c.redirect(`/admin/users/${user.id}?xong=dat-mat-khau`, 303);
  });

  ui.post('/admin/users/:id/deactivate', needViewer, needAdmin, post, async (c) => {
    const user = await userOf(c);
    await deactivateUser(c.get('em'), actorOf(c), user.id);
    return c.redirect(`/admin/users/${user.id}?xong=ngung-nguoi-dung`, 303);
  });

  // Certificates and trust anchors -------------------------------------------------------------

  const certificatesPage = async (c: ConsoleContext, agency: Agency, values = { certificatePem: '', chainPem: '' }, problem?: FormProblem) =>
    c.html(
      <CertificatesPage
        viewer={c.get('viewer')!}
        agency={agency}
        certificates={(await listCertificates(c.get('em'), agency.code)).map(certificateView)}
        values={values}
        problem={problem}
        done={problem ? undefined : done(c)}
      />,
      problem ? 422 : 200,
    );

  ui.get('/admin/agencies/:code/certificates', needViewer, needAdmin, async (c) => certificatesPage(c, await agencyOf(c)));

  ui.post('/admin/agencies/:code/certificates', needViewer, needAdmin, post, async (c) => {
    const agency = await agencyOf(c);
    const form = c.get('form');
    const issue = form?.get('mode') === 'issue';
    const values = { certificatePem: (form?.get('certificatePem') ?? '').trim(), chainPem: (form?.get('chainPem') ?? '').trim() };
    const privateKeyPem = (form?.get('privateKeyPem') ?? '').trim();
    try {
      // The same four ways as POST /v1/agencies/{code}/certificates: a key goes with its certificate.
      const input = issue
        ? { mode: 'issue' as const }
        : privateKeyPem
          ? { mode: 'upload' as const, certificatePem: values.certificatePem, privateKeyPem, ...(values.chainPem ? { chainPem: values.chainPem } : {}) }
          : { mode: 'register' as const, certificatePem: values.certificatePem, ...(values.chainPem ? { chainPem: values.chainPem } : {}) };
      await deps.pki.addCertificate(c.get('em'), actorOf(c), agency.code, input);
    } catch (error) {
      const problem = formProblem(error, {
        section: 'certificate',
        fields: issue ? [] : CERT_FIELDS,
        conflict: { field: 'certificatePem', message: 'Chứng thư số này đã được đăng ký.' },
        ...(issue ? {} : { fallbackField: 'certificatePem' }),
      });
      if (!problem) throw error;
      return certificatesPage(c, agency, values, problem);
    }
    return c.redirect(`/admin/agencies/${agency.code}/certificates?xong=${issue ? 'cap-chung-thu' : 'dang-ky-chung-thu'}`, 303);
  });

  const anchorsPage = async (c: ConsoleContext, value = '', problem?: FormProblem) =>
    c.html(<AnchorsPage viewer={c.get('viewer')!} anchors={(await deps.pki.trust(c.get('em'))).anchors} value={value} problem={problem} done={problem ? undefined : done(c)} />, problem ? 422 : 200);

  ui.get('/admin/trust-anchors', needViewer, needAdmin, (c) => anchorsPage(c));

  ui.post('/admin/trust-anchors', needViewer, needAdmin, post, async (c) => {
    const pem = (c.get('form')?.get('certificatePem') ?? '').trim();
    try {
      await deps.pki.addTrustAnchor(c.get('em'), actorOf(c), pem);
    } catch (error) {
      // The service's messages name no field: they are all about the one field of this form.
      const problem = formProblem(error, {
        section: 'certificate',
        fields: ['certificatePem'],
        conflict: { field: 'certificatePem', message: 'CA này đã có trong danh sách tin cậy.' },
        fallbackField: 'certificatePem',
      });
      if (!problem) throw error;
      return anchorsPage(c, pem, problem);
    }
    return c.redirect('/admin/trust-anchors?xong=them-ca', 303);
  });

  // Groups -------------------------------------------------------------------------------------

  const groupsPage = async (c: ConsoleContext, values: GroupValues = { code: '', name: '', members: '' }, problem?: FormProblem) => {
    const after = (c.req.query('after') ?? '').slice(0, 100);
    const rows = await listGroups(c.get('em'), after || undefined, PAGE_SIZE + 1);
    const groups = await groupViews(c.get('em'), rows.slice(0, PAGE_SIZE));
    return c.html(
      <GroupsPage viewer={c.get('viewer')!} groups={groups} next={rows.length > PAGE_SIZE ? groups[groups.length - 1]?.code : undefined} values={values} problem={problem} />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/groups', needViewer, needAdmin, (c) => groupsPage(c));

  ui.post('/admin/groups', needViewer, needAdmin, post, async (c) => {
    const form = c.get('form');
    const values: GroupValues = { code: field(form, 'code'), name: field(form, 'name'), members: field(form, 'members') };
    try {
      const input = GroupInputSchema.parse({ code: values.code, name: values.name, members: codeList(values.members) });
      await createGroup(c.get('em'), actorOf(c), input);
    } catch (error) {
      const problem = formProblem(error, { section: 'group', fields: GROUP_FIELDS, conflict: { field: 'code', message: 'Đã có nhóm với mã này.' } });
      if (!problem) throw error;
      return groupsPage(c, values, problem);
    }
    return c.redirect(`/admin/groups/${encodeURIComponent(values.code)}?xong=tao-nhom`, 303);
  });

  const groupOf = async (c: ConsoleContext): Promise<Group> => {
    const code = c.req.param('code') ?? '';
    const group = code.length <= 100 ? await findGroup(c.get('em'), code) : null;
    if (!group) throw new DomainError('NOT_FOUND', `No group ${code}.`);
    return group;
  };
  // Members are read in a context of their own: replaceGroup rewrites them with native SQL, which
  // members already managed by the request's context would survive in its identity map.
  const viewOf = async (c: ConsoleContext, group: Group): Promise<GroupView> => (await groupViews(c.get('em').fork(), [group]))[0]!;

  const groupPage = async (c: ConsoleContext, entity: Group, values?: GroupValues, problem?: FormProblem) => {
    const group = await viewOf(c, entity);
    return c.html(
      <GroupPage
        viewer={c.get('viewer')!}
        group={group}
        names={await agencyNames(c.get('em'), group.members)}
        values={values ?? { code: group.code, name: group.name, members: group.members.join('\n') }}
        problem={problem}
        done={problem ? undefined : done(c)}
      />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/groups/:code', needViewer, needAdmin, async (c) => groupPage(c, await groupOf(c)));

  ui.post('/admin/groups/:code', needViewer, needAdmin, post, async (c) => {
    const group = await groupOf(c);
    const form = c.get('form');
    const values: GroupValues = { code: group.code, name: field(form, 'name'), members: field(form, 'members') };
    try {
      const input = GroupInputSchema.omit({ code: true }).parse({ name: values.name, members: codeList(values.members) });
      await replaceGroup(c.get('em'), actorOf(c), group.code, input);
    } catch (error) {
      const problem = formProblem(error, { section: 'group', fields: GROUP_FIELDS });
      if (!problem) throw error;
      return groupPage(c, group, values, problem);
    }
    return c.redirect(`/admin/groups/${encodeURIComponent(group.code)}?xong=luu-nhom`, 303);
  });

  // Partners -----------------------------------------------------------------------------------

  const partnersPage = async (c: ConsoleContext, values: PartnerValues = emptyPartner, problem?: FormProblem) => {
    const after = (c.req.query('after') ?? '').slice(0, 100);
    const rows = await listPartners(c.get('em'), after || undefined, PAGE_SIZE + 1);
    const partners = rows.slice(0, PAGE_SIZE).map(partnerView);
    return c.html(
      <PartnersPage viewer={c.get('viewer')!} partners={partners} next={rows.length > PAGE_SIZE ? partners[partners.length - 1]?.id : undefined} values={values} problem={problem} />,
      problem ? 422 : 200,
    );
  };

  ui.get('/admin/partners', needViewer, needAdmin, (c) => partnersPage(c));

  ui.post('/admin/partners', needViewer, needAdmin, post, async (c) => {
    const values = formPartnerValues(c.get('form'));
    const credentials = parseCredentials(values.credentials);
    if (!credentials.ok) return partnersPage(c, values, { summary: NOT_SAVED, fields: { credentials: CREDENTIALS_NOT_JSON } });
    try {
      const input = PartnerInputSchema.parse({
        id: values.id,
        name: values.name,
        kind: values.kind,
        ...(values.baseUrl ? { baseUrl: values.baseUrl } : {}),
        ...(credentials.value ? { credentials: credentials.value } : {}),
        agencies: codeList(values.agencies),
        legacy: values.legacy,
        ...(values.mode ? { mode: values.mode } : {}),
        ...(values.maxAttempts ? { maxAttempts: numberOrText(values.maxAttempts) } : {}),
      });
      const created = await createPartner(c.get('em'), actorOf(c), input, (plain) => deps.pipeline.secrets.seal(plain));
      return c.html(<PartnerCreated viewer={c.get('viewer')!} partner={created} />, 201);
    } catch (error) {
      const problem = formProblem(error, { section: 'partner', fields: PARTNER_FIELDS, conflict: { field: 'id', message: 'Đã có đối tác với mã này.' } });
      if (!problem) throw error;
      return partnersPage(c, values, problem);
    }
  });

  const partnerOf = async (c: ConsoleContext): Promise<PartnerView> => {
    const id = c.req.param('id') ?? '';
    const partner = id.length <= 100 ? await findPartner(c.get('em'), id) : null;
    if (!partner) throw new DomainError('NOT_FOUND', `No partner ${id}.`);
    return partnerView(partner);
  };

  const partnerPage = async (c: ConsoleContext, partner: PartnerView, values?: PartnerValues, problem?: FormProblem) =>
    c.html(<PartnerPage viewer={c.get('viewer')!} partner={partner} values={values ?? partnerValues(partner)} problem={problem} done={problem ? undefined : done(c)} />, problem ? 422 : 200);

  ui.get('/admin/partners/:id', needViewer, needAdmin, async (c) => partnerPage(c, await partnerOf(c)));

  ui.post('/admin/partners/:id', needViewer, needAdmin, post, async (c) => {
    const partner = await partnerOf(c);
    const values = { ...formPartnerValues(c.get('form')), id: partner.id, kind: partner.kind };
    const credentials = parseCredentials(values.credentials);
    if (!credentials.ok) return partnerPage(c, partner, values, { summary: NOT_SAVED, fields: { credentials: CREDENTIALS_NOT_JSON } });
    try {
      const patch = PartnerPatchSchema.parse({
        name: values.name,
        baseUrl: values.baseUrl || null,
        ...(values.removeCredentials ? { credentials: null } : credentials.value ? { credentials: credentials.value } : {}),
        agencies: codeList(values.agencies),
        legacy: values.legacy,
        active: values.active,
        ...(values.mode ? { mode: values.mode } : {}),
        ...(values.maxAttempts ? { maxAttempts: numberOrText(values.maxAttempts) } : {}),
      });
      await updatePartner(c.get('em'), actorOf(c), partner.id, patch, (plain) => deps.pipeline.secrets.seal(plain));
    } catch (error) {
      const problem = formProblem(error, { section: 'partner', fields: PARTNER_FIELDS });
      if (!problem) throw error;
      return partnerPage(c, partner, values, problem);
    }
    return c.redirect(`/admin/partners/${encodeURIComponent(partner.id)}?xong=luu-doi-tac`, 303);
  });
}
