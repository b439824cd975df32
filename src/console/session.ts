import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { resolveSession, type SessionPrincipal } from '../accounts/accounts.service.js';
import { findAgency } from '../directory/directory.repository.js';
import { readBodyLimited } from '../http/body.js';
import type { AppEnv } from '../http/context.js';
import { CURSOR_KEYS, decodeCursor } from '../http/pagination.js';

/** Who is looking at a console page. */
export interface Viewer extends SessionPrincipal {
  agencyName: string;
  admin: boolean;
}

export interface ConsoleEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { viewer: Viewer | undefined; form: URLSearchParams | undefined };
}
export type ConsoleContext = Context<ConsoleEnv>;

export const SESSION_COOKIE = 'lt_session';

/** Secure cookies when the node is reached over https (LIENTHONG_PUBLIC_URL, or the request itself). */
export function sessionCookieOptions(c: Context, publicUrl: string | undefined, expires?: Date) {
  const secure = publicUrl ? publicUrl.startsWith('https:') : new URL(c.req.url).protocol === 'https:';
  return { httpOnly: true, sameSite: 'Lax' as const, secure, path: '/', ...(expires ? { expires } : {}) };
}

export function setSessionCookie(c: Context, publicUrl: string | undefined, value: string, expires: Date): void {
  setCookie(c, SESSION_COOKIE, value, sessionCookieOptions(c, publicUrl, expires));
}

export function clearSessionCookie(c: Context, publicUrl: string | undefined): void {
  deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(c, publicUrl));
}

/**
 * Resolves the session cookie to a viewer, and the viewer's principal to the same `principal` the
 * API's bearer tokens give: every service checks a console user exactly as it checks an API caller.
 */
export const withViewer: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  c.set('viewer', undefined);
  c.set('form', undefined);
  const cookie = getCookie(c, SESSION_COOKIE);
  if (cookie) {
    const em = c.get('em');
    const session = await resolveSession(em, cookie);
    if (session) {
      const agency = await findAgency(em, session.principal.agencyCode);
      c.set('viewer', { ...session, agencyName: agency?.name ?? session.principal.agencyCode, admin: session.principal.roles.includes('admin') });
      c.set('principal', session.principal);
    }
  }
  await next();
};

/** A page for people with a session; others go to the login form and come back after. */
export const needViewer: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (!c.get('viewer')) {
    const back = c.req.method === 'GET' ? c.req.path + (new URL(c.req.url).search || '') : '/';
    return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
  }
  await next();
};

/** A page for administrators only. */
export const needAdmin: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (!c.get('viewer')?.admin) return c.text('Chỉ quản trị viên được dùng trang này.', 403);
  await next();
};

const FORM_BYTES = 64 * 1024;

/** The expected origin of form posts: LIENTHONG_PUBLIC_URL's, or the one the request was sent to. */
const expectedOrigin = (c: Context, publicUrl: string | undefined): string => new URL(publicUrl ?? c.req.url).origin;

/**
 * A cross-site request is refused whatever it carries: the browser's Origin (or, without one,
 * Sec-Fetch-Site) must name this node. Checked before a form is read.
 */
export function sameOrigin(c: Context, publicUrl: string | undefined): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== 'null') return origin === expectedOrigin(c, publicUrl);
  if (origin === 'null') return false;
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

const equalTokens = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * CSRF protection of every state-changing console request (DESIGN.md §7): the same origin, and the
 * session's synchronizer token in the form (`_csrf`) or the `x-csrf-token` header. Reads an
 * url-encoded form (at most 64 KiB) into `form`; a multipart form is read by its route, which
 * checks the token with `checkCsrfToken`.
 */
export function csrf(publicUrl: string | undefined): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (!sameOrigin(c, publicUrl)) return c.text('Yêu cầu bị từ chối: nó không đến từ trang của hệ thống (CSRF).', 403);
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    if (!type.startsWith('multipart/form-data')) {
      const raw = await readBodyLimited(c.req.raw, FORM_BYTES);
      const form = new URLSearchParams(raw.toString('utf8'));
      c.set('form', form);
      const viewer = c.get('viewer');
      if (viewer && !checkCsrfToken(viewer, c.req.header('x-csrf-token') ?? form.get('_csrf'))) {
        return c.text('Phiên làm việc đã thay đổi: hãy tải lại trang rồi thử lại (CSRF).', 403);
      }
    }
    await next();
  };
}

export const checkCsrfToken = (viewer: Viewer, token: string | null | undefined): boolean => !!token && equalTokens(token, viewer.csrfToken);

/** A form field, trimmed, NFC. */
export const field = (form: URLSearchParams | Map<string, string> | undefined, name: string): string => (form?.get(name) ?? '').normalize('NFC').trim();

/** The `after` cursor of a list page (newest first), or undefined when absent or not one of ours. */
export function timeCursor(value: string | undefined): { at: Date; id: string } | undefined {
  try {
    return decodeCursor(value, CURSOR_KEYS.time);
  } catch {
    return undefined;
  }
}
