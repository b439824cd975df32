import { readFileSync } from 'node:fs';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { DomainError } from '../errors.js';
import { problemMessage } from '../http/problem-messages.js';
import type { AppEnv } from '../http/context.js';
import type { ConsoleDeps } from './deps.js';
import { Page } from './layout.js';
import { mountAccount } from './pages/account.js';
import { mountAdmin } from './pages/admin.js';
import { mountCompose } from './pages/compose.js';
import { mountDrafts } from './pages/drafts.js';
import { mountInbox } from './pages/inbox.js';
import { mountLogin } from './pages/login.js';
import { mountOutgoing } from './pages/outgoing.js';
import { mountRegisters } from './pages/registers.js';
import { mountReorganisation } from './pages/reorganisation.js';
import { mountStatistics } from './pages/statistics.js';
import { withViewer, type ConsoleEnv } from './session.js';

/** The console's own files, read once: a stylesheet and a few lines of script, no build step (issue 14). */
const ASSETS: Record<string, { type: string; body: string }> = Object.fromEntries(
  [
    ['console.css', 'text/css; charset=utf-8'],
    ['console.js', 'text/javascript; charset=utf-8'],
  ].map(([name, type]) => [name, { type: type!, body: readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8') }]),
);

/**
 * Pages may load only this node's own script, style and frames; nothing is inline but styles of
 * the browser's PDF viewer (which lives in its own sandboxed frame).
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
  'x-frame-options': 'SAMEORIGIN',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'private, no-store',
};

/** What a person reads when something goes wrong: Vietnamese, never a stack trace or JSON. */
const ERROR_TEXT: Partial<Record<string, string>> = {
  NOT_FOUND: 'Không tìm thấy văn bản hoặc trang này, hoặc bạn không có quyền xem nó.',
  FORBIDDEN: 'Bạn không có quyền thực hiện thao tác này.',
  PAYLOAD_TOO_LARGE: 'Dữ liệu gửi lên quá lớn.',
  UNAVAILABLE: 'Hệ thống đang bận hoặc tạm thời gián đoạn; chưa có gì thay đổi. Hãy thử lại sau ít phút.',
};

/** The console (UI.md), served by the same process as the API, at `/`. */
export function registerConsole(app: OpenAPIHono<AppEnv>, deps: ConsoleDeps): void {
  const ui = new Hono<ConsoleEnv>();

  ui.get('/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return c.text('Không tìm thấy.', 404);
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });
  });

  ui.use('*', async (c, next) => {
    await next();
    if ((c.res.headers.get('content-type') ?? '').startsWith('text/html')) {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) c.res.headers.set(k, v);
    }
  });
  ui.use('*', withViewer);

  ui.onError((error, c) => {
    const known = error instanceof DomainError ? error : undefined;
    if (!known) throw error; // the app's handler logs it and answers 500
    const status = (known.status >= 400 && known.status < 600 ? known.status : 500) as 404;
    // The console's own wording for the common refusals; any other says in Vietnamese what the API says (problem-messages.ts).
    const text = ERROR_TEXT[known.code] ?? problemMessage(known, 'vi');
    return c.html(
      <Page title="Không thực hiện được" viewer={c.get('viewer')}>
        <p role="alert">{text}</p>
        <p>
          <a href="/">Về trang đầu</a>
        </p>
      </Page>,
      status,
    );
  });

  mountLogin(ui, deps);
  mountInbox(ui, deps);
  mountCompose(ui, deps);
  mountDrafts(ui, deps);
  mountOutgoing(ui, deps);
  mountRegisters(ui, deps);
  mountStatistics(ui, deps);
  mountAdmin(ui, deps);
  mountReorganisation(ui, deps);
  mountAccount(ui, deps);
  app.route('/', ui);
}
