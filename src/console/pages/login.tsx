import type { Hono } from 'hono';
import { endSession, login } from '../../accounts/accounts.service.js';
import { getCookie } from 'hono/cookie';
import type { ConsoleDeps } from '../deps.js';
import { Notice, Page } from '../layout.js';
import { clearSessionCookie, csrf, field, SESSION_COOKIE, setSessionCookie, type ConsoleEnv } from '../session.js';
import { vnDateTime } from '../texts.js';

/** Only a path of this console: never another site (an open redirect), never a protocol-relative URL. */
export const safeNext = (next: string | null | undefined): string => (next && /^\/(?![/\\])/.test(next) ? next : '/inbox');

function LoginPage(props: { next: string; username?: string; error?: string; info?: string }) {
  return (
    <Page title="Đăng nhập" narrow>
      {props.info ? <Notice kind="ok">{props.info}</Notice> : null}
      {props.error ? <Notice kind="error">{props.error}</Notice> : null}
      <form method="post" action="/login" class="card">
        <input type="hidden" name="next" value={props.next} />
        <label for="username">Tên đăng nhập</label>
        <input type="text" id="username" name="username" value={props.username ?? ''} autocomplete="username" autocapitalize="none" spellcheck={false} required autofocus />
        <label for="password">Mật khẩu</label>
        <input type="password" id="password" name="password" autocomplete="current-password" required />
        <div class="actions">
          <button type="submit">Đăng nhập</button>
        </div>
      </form>
    </Page>
  );
}

export function mountLogin(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  ui.get('/', (c) => c.redirect(c.get('viewer') ? '/inbox' : '/login', 303));

  ui.get('/login', (c) => {
    if (c.get('viewer')) return c.redirect(safeNext(c.req.query('next')), 303);
    const info = c.req.query('bye') !== undefined ? 'Bạn đã đăng xuất.' : c.req.query('expired') !== undefined ? 'Phiên làm việc đã hết hạn, hãy đăng nhập lại.' : undefined;
    return c.html(<LoginPage next={safeNext(c.req.query('next'))} info={info} />);
  });

  ui.post('/login', csrf(deps.publicUrl), async (c) => {
    const form = c.get('form');
    const username = field(form, 'username');
    const password = form?.get('password') ?? '';
    const next = safeNext(form?.get('next'));
    if (!username || !password) {
      return c.html(<LoginPage next={next} username={username} error="Hãy nhập tên đăng nhập và mật khẩu." />, 422);
    }
    const result = await login(c.get('em'), username, password);
    if (!result.ok) {
      const error =
        result.reason === 'locked'
          ? `Tài khoản tạm bị khoá vì nhập sai mật khẩu nhiều lần. Hãy thử lại sau ${result.lockedUntil ? vnDateTime(result.lockedUntil) : 'ít phút'}, hoặc nhờ quản trị viên đặt lại mật khẩu.`
          : 'Tên đăng nhập hoặc mật khẩu không đúng.';
      return c.html(<LoginPage next={next} username={username} error={error} />, result.reason === 'locked' ? 429 : 401);
    }
    setSessionCookie(c, deps.publicUrl, result.session.cookie, result.session.expiresAt);
    return c.redirect(next, 303);
  });

  ui.post('/logout', csrf(deps.publicUrl), async (c) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) await endSession(c.get('em'), cookie);
    clearSessionCookie(c, deps.publicUrl);
    return c.redirect('/login?bye', 303);
  });
}
