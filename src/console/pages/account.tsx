import type { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { changePassword } from '../../accounts/accounts.service.js';
import { findUser } from '../../directory/directory.repository.js';
import type { User, UserRole } from '../../directory/user.entity.js';
import type { ConsoleDeps } from '../deps.js';
import { Field, firstInvalid, formProblem, NOT_SAVED, type FormProblem } from '../forms.js';
import { Csrf, Notice, Page } from '../layout.js';
import { csrf, needViewer, SESSION_COOKIE, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { ROLE_TEXT, vnDateTime } from '../texts.js';

/**
 * Tài khoản (issue 14): who I am, my agency and roles, and a change of my own password — with my
 * current password, as `PUT /v1/users/{id}/password` asks of a user; my other sessions end, this
 * one stays.
 */

const PASSWORD_FIELDS = ['currentPassword', 'password', 'confirmPassword'] as const;

const DONE: Record<string, string> = {
  'doi-mat-khau': 'Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn (trên máy khác, trình duyệt khác) đã kết thúc.',
};

function AccountPage(props: { viewer: Viewer; user: User | null; problem?: FormProblem | undefined; done?: string | undefined }) {
  const { viewer, user, problem } = props;
  const e = problem?.fields ?? {};
  const focus = firstInvalid(problem, PASSWORD_FIELDS);
  return (
    <Page title="Tài khoản của tôi" viewer={viewer} active="account">
      {props.done ? <Notice kind="ok">{props.done}</Notice> : null}
      {problem ? <Notice kind="error">{problem.summary}</Notice> : null}
      <section class="card" aria-labelledby="me">
        <h2 id="me">Thông tin</h2>
        <dl class="meta">
          <dt>Họ và tên</dt>
          <dd>{viewer.userName}</dd>
          <dt>Tên đăng nhập</dt>
          <dd>{viewer.username}</dd>
          <dt>Cơ quan</dt>
          <dd>
            {viewer.agencyName} <span class="muted">({viewer.principal.agencyCode})</span>
          </dd>
          <dt>Vai trò</dt>
          <dd>{viewer.principal.roles.map((r: UserRole) => ROLE_TEXT[r] ?? r).join(', ')}</dd>
          {user?.passwordChangedAt ? (
            <>
              <dt>Đổi mật khẩu lần cuối</dt>
              <dd>{vnDateTime(user.passwordChangedAt)}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <form method="post" action="/account/password" class="card" novalidate aria-labelledby="change">
        <h2 id="change">Đổi mật khẩu</h2>
        <Csrf viewer={viewer} />
        <Field
          name="currentPassword"
          label="Mật khẩu hiện tại"
          type="password"
          autocomplete="current-password"
          error={e.currentPassword}
          autofocus={focus === 'currentPassword'}
          required
          maxlength={200}
        />
        <Field
          name="password"
          label="Mật khẩu mới"
          type="password"
          autocomplete="new-password"
          error={e.password}
          autofocus={focus === 'password'}
          hint="Ít nhất 10 ký tự. Một câu dài dễ nhớ an toàn hơn một từ ngắn khó nhớ."
          required
          maxlength={200}
        />
        <Field
          name="confirmPassword"
          label="Nhập lại mật khẩu mới"
          type="password"
          autocomplete="new-password"
          error={e.confirmPassword}
          autofocus={focus === 'confirmPassword'}
          required
          maxlength={200}
        />
        <p class="hint">Vì an toàn, các mật khẩu không được giữ lại trên trang nếu phải nhập lại.</p>
        <div class="actions">
          <button type="submit">Đổi mật khẩu</button>
        </div>
      </form>
    </Page>
  );
}

export function mountAccount(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const page = async (c: ConsoleContext, problem?: FormProblem) => {
    const viewer = c.get('viewer')!;
    const done = problem ? undefined : DONE[c.req.query('xong') ?? ''];
    return c.html(<AccountPage viewer={viewer} user={await findUser(c.get('em'), viewer.principal.id)} problem={problem} done={done} />, problem ? 422 : 200);
  };

  ui.get('/account', needViewer, (c) => page(c));

  ui.post('/account/password', needViewer, csrf(deps.publicUrl), async (c) => {
    const viewer = c.get('viewer')!;
    const form = c.get('form');
    // Passwords are taken exactly as typed (not trimmed): the service compares them in NFC.
    const currentPassword = form?.get('currentPassword') ?? '';
    const password = form?.get('password') ?? '';
    if (password !== (form?.get('confirmPassword') ?? '')) {
      return page(c, { summary: NOT_SAVED, fields: { confirmPassword: 'Hai lần nhập mật khẩu mới không giống nhau.' } });
    }
    try {
      await changePassword(
        c.get('em'),
        viewer.principal,
        viewer.principal.id,
        { password, currentPassword },
        { keepSession: getCookie(c, SESSION_COOKIE) ?? '', requestId: c.get('requestId') },
      );
    } catch (error) {
      const problem = formProblem(error, { section: 'user', fields: PASSWORD_FIELDS });
      if (!problem) throw error;
      return page(c, problem);
    }
    return c.redirect('/account?xong=doi-mat-khau', 303);
  });
}
