import type { Child } from 'hono/jsx';
import type { Viewer } from './session.js';
import { DELIVERY_STATE_TEXT, DOCUMENT_STATE_TEXT, stateTone } from './texts.js';
import type { DeliveryState } from '../delivery/states.js';
import type { DocumentState } from '../delivery/document.entity.js';

/** The sections of the console (UI.md "Navigation"); `active` marks the current one. */
export type Section = 'inbox' | 'outgoing' | 'compose' | 'drafts' | 'registers' | 'statistics' | 'admin' | 'account';

const NAV: Array<{ section: Section; href: string; text: string; admin?: boolean }> = [
  { section: 'inbox', href: '/inbox', text: 'Văn bản đến' },
  { section: 'outgoing', href: '/outgoing', text: 'Văn bản đi' },
  { section: 'compose', href: '/compose', text: 'Soạn văn bản' },
  { section: 'drafts', href: '/drafts', text: 'Dự thảo' },
  { section: 'registers', href: '/registers', text: 'Sổ đăng ký' },
  { section: 'statistics', href: '/thong-ke', text: 'Thống kê' },
  { section: 'admin', href: '/admin', text: 'Quản trị', admin: true },
];

export const APP_NAME = 'Liên thông văn bản';

/** Every page: the same head, header, navigation and a main region with the page's heading. */
export function Page(props: { title: string; viewer?: Viewer | undefined; active?: Section; children?: Child; narrow?: boolean }) {
  const { viewer } = props;
  return (
    <html lang="vi">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} — ${APP_NAME}`}</title>
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Bỏ qua, đến nội dung chính
        </a>
        <header class="top">
          <div class="brand">
            <a href="/">{APP_NAME}</a>
            {viewer ? <span class="agency">{viewer.agencyName}</span> : null}
          </div>
          {viewer ? (
            <nav aria-label="Chức năng chính">
              <ul>
                {NAV.filter((n) => !n.admin || viewer.admin).map((n) => (
                  <li>
                    <a href={n.href} aria-current={props.active === n.section ? 'page' : undefined}>
                      {n.text}
                    </a>
                  </li>
                ))}
                <li>
                  {/* "Tài khoản", not the person's name: a name like "Văn thư UBND xã …" would repeat the agency's name shown above. */}
                  <a href="/account" aria-current={props.active === 'account' ? 'page' : undefined} title={`${viewer.userName} — tài khoản, đổi mật khẩu`}>
                    Tài khoản
                  </a>
                </li>
                <li>
                  <form method="post" action="/logout" class="inline">
                    <input type="hidden" name="_csrf" value={viewer.csrfToken} />
                    <button type="submit" class="link">
                      Đăng xuất
                    </button>
                  </form>
                </li>
              </ul>
            </nav>
          ) : null}
        </header>
        <main id="main" class={props.narrow ? 'narrow' : undefined} data-csrf={viewer?.csrfToken}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A state shown the same way everywhere: its text (UI.md), with a colour that only repeats it. */
export function StateBadge(props: { state: DeliveryState }) {
  return <span class={`badge ${stateTone(props.state)}`}>{DELIVERY_STATE_TEXT[props.state]}</span>;
}

export function DocumentStateBadge(props: { state: DocumentState }) {
  return <span class={`badge ${stateTone(props.state)}`}>{DOCUMENT_STATE_TEXT[props.state]}</span>;
}

/** A message after an action, read out by screen readers. */
export function Notice(props: { kind: 'ok' | 'error'; children?: Child }) {
  return (
    <div class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** The hidden CSRF field of every state-changing form. */
export const Csrf = (props: { viewer: Viewer }) => <input type="hidden" name="_csrf" value={props.viewer.csrfToken} />;

/** A list's search box (UI.md: **Tìm kiếm** on the inbox), submitted as `?q=`; "Bỏ lọc" clears it. */
export function SearchForm(props: { action: string; q: string; label?: string; placeholder: string; children?: Child }) {
  return (
    <form method="get" action={props.action} class="search" role="search">
      <div>
        <label for="q">{props.label ?? 'Tìm kiếm'}</label>
        <input type="search" id="q" name="q" value={props.q} placeholder={props.placeholder} />
      </div>
      <button type="submit">Tìm</button>
      {props.q ? (
        <a href={props.action} class="button secondary">
          Bỏ lọc
        </a>
      ) : null}
      {props.children}
    </form>
  );
}

/** "Trang sau": the next page of a list, keeping its search (`q`) and other filters (`extra`); the list reads `after` back. */
export function NextPage(props: { path: string; next: string | undefined; q?: string; extra?: Record<string, string> }) {
  if (!props.next) return null;
  const query = new URLSearchParams({ ...(props.q ? { q: props.q } : {}), ...props.extra, after: props.next }).toString();
  return (
    <div class="pager">
      <a href={`${props.path}?${query}`}>Trang sau</a>
    </div>
  );
}
