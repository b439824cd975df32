import type { Hono } from 'hono';
import { DOCUMENT_TYPE_CATALOG } from '../../documents/type-catalog.js';
import { DomainError } from '../../errors.js';
import { BOOK_COLUMNS, loadBook, titlePage, type Book } from '../../registers/book.js';
import { bookFile } from '../../registers/book-response.js';
import { DEFAULT_SERIES, REGISTER_KINDS, type RegisterKind } from '../../registers/register.entity.js';
import { listSeries, type SeriesView } from '../../registers/series.js';
import { vietnamYear } from '../../util/vietnam-time.js';
import type { ConsoleDeps } from '../deps.js';
import { Page } from '../layout.js';
import { needViewer, type ConsoleEnv, type Viewer } from '../session.js';

/** Rows on one page of a book in the console; the XLSX and the PDF hold the whole book. */
const PAGE_SIZE = 200;

const KIND_TEXT: Record<RegisterKind, string> = { out: 'Sổ văn bản đi', in: 'Sổ văn bản đến' };

interface Choice {
  kind: RegisterKind;
  year: number;
  series: string;
}

/** The query of /registers, read leniently: a person may have typed the URL. */
function choiceOf(query: (name: string) => string | undefined, now: Date): Choice {
  const kind = REGISTER_KINDS.includes(query('kind') as RegisterKind) ? (query('kind') as RegisterKind) : 'out';
  const year = /^\d{4}$/.test(query('year') ?? '') ? Number(query('year')) : vietnamYear(now);
  const series = /^[A-Za-z0-9_-]{1,20}$/.test(query('series') ?? '') ? query('series')! : DEFAULT_SERIES;
  return { kind, year, series };
}

const bookLink = (choice: Choice, extra: Record<string, string> = {}) =>
  `/registers?${new URLSearchParams({ kind: choice.kind, year: String(choice.year), series: choice.series, ...extra }).toString()}`;
const fileLink = (choice: Choice, format: 'xlsx' | 'pdf') =>
  `/registers/${choice.kind}/${choice.year}.${format}${choice.series === DEFAULT_SERIES ? '' : `?series=${encodeURIComponent(choice.series)}`}`;

function RegistersPage(props: { viewer: Viewer; choice: Choice; series: SeriesView[]; book: Book; more: boolean }) {
  const { choice, book } = props;
  const ofKind = props.series.filter((s) => s.kind === choice.kind);
  const years = [...new Set([vietnamYear(new Date()), choice.year, ...props.series.flatMap((s) => s.years.map((y) => y.year))])].sort((a, b) => b - a);
  const columns = BOOK_COLUMNS[choice.kind];
  const title = titlePage(book);
  const last = book.rows[book.rows.length - 1];
  const lastGiven = ofKind.find((s) => s.code === choice.series)?.years.find((y) => y.year === choice.year)?.last;
  return (
    <Page title="Sổ đăng ký" viewer={props.viewer} active="registers">
      <form method="get" action="/registers" class="search registers-choice" aria-label="Chọn sổ">
        <div>
          <label for="kind">Loại sổ</label>
          <select id="kind" name="kind">
            {REGISTER_KINDS.map((k) => (
              <option value={k} selected={k === choice.kind}>
                {KIND_TEXT[k]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="year">Năm</label>
          <select id="year" name="year">
            {years.map((y) => (
              <option value={String(y)} selected={y === choice.year}>
                {y}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="series">Sổ</label>
          <select id="series" name="series">
            {ofKind.map((s) => (
              <option value={s.code} selected={s.code === choice.series}>
                {s.isDefault ? `${s.name} (chung)` : `${s.name} (${s.code})`}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Xem sổ</button>
      </form>

      <section class="card book-head" aria-labelledby="book-title">
        {/* Not the book's printed title (SỔ ĐĂNG KÝ VĂN BẢN …): one heading on the page is named "Sổ đăng ký". */}
        <h2 id="book-title">
          {choice.kind === 'out' ? 'Sổ văn bản đi' : 'Sổ văn bản đến'} — {title.year}
        </h2>
        <p>
          {book.series.name}
          {book.series.code === DEFAULT_SERIES ? '' : ` (${book.series.code})`} · {lastGiven ? `đã cấp đến số ${lastGiven}` : 'chưa cấp số nào'}
        </p>
        <p class="actions">
          <a class="button" href={fileLink(choice, 'xlsx')} download>
            Tải về XLSX
          </a>
          <a class="button secondary" href={fileLink(choice, 'pdf')} download>
            Tải về PDF
          </a>
        </p>
        <p class="hint">Bản XLSX và PDF gồm trang bìa và toàn bộ sổ, theo mẫu Phụ lục IV Nghị định 30/2020/NĐ-CP.</p>
      </section>

      {book.rows.length === 0 ? (
        <p>Sổ này chưa có văn bản nào trong năm {choice.year}.</p>
      ) : (
        <div class="book-scroll">
          <table class="stack book">
            <caption class="muted">
              {KIND_TEXT[choice.kind]} năm {choice.year}, theo số thứ tự
            </caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th scope="col">{c.header}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {book.rows.map((row) => (
                <tr class={row.medium === 'paper' ? 'paper' : undefined}>
                  {columns.map((c) => {
                    const parts = c.parts?.(row);
                    return (
                      <td data-label={c.header} class={c.centred ? 'nowrap' : undefined}>
                        {parts ? (
                          <>
                            {parts.lead ? <strong class="lead">{parts.lead}</strong> : null}
                            {parts.body}
                          </>
                        ) : (
                          c.text(row, choice.year)
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.more && last ? (
        <div class="pager">
          <a href={bookLink(choice, { after: String(last.number) })}>Trang sau</a>
        </div>
      ) : null}
    </Page>
  );
}

/** Sổ đăng ký (UI.md navigation): the agency's register books by year and series, and their XLSX/PDF. */
export function mountRegisters(ui: Hono<ConsoleEnv>, _deps: ConsoleDeps): void {
  ui.get('/registers', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const agencyCode = viewer.principal.agencyCode;
    const series = await listSeries(em, agencyCode);
    const asked = choiceOf((name) => c.req.query(name), new Date());
    // A series of the other kind (the kind was changed in the form): its kind's default series.
    const choice = series.some((s) => s.kind === asked.kind && s.code === asked.series) ? asked : { ...asked, series: DEFAULT_SERIES };
    const after = /^\d{1,9}$/.test(c.req.query('after') ?? '') ? Number(c.req.query('after')) : undefined;
    const book = await loadBook(em, { agencyCode, kind: choice.kind, year: choice.year, series: choice.series, afterNumber: after, limit: PAGE_SIZE + 1 }, DOCUMENT_TYPE_CATALOG);
    const more = book.rows.length > PAGE_SIZE;
    return c.html(<RegistersPage viewer={viewer} choice={choice} series={series} book={{ ...book, rows: book.rows.slice(0, PAGE_SIZE) }} more={more} />);
  });

  // The whole book as a file, for the viewer's agency only.
  ui.get('/registers/:kind/:file', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const kind = c.req.param('kind') as RegisterKind;
    const file = /^(\d{4})\.(xlsx|pdf)$/.exec(c.req.param('file'));
    if (!REGISTER_KINDS.includes(kind) || !file) throw new DomainError('NOT_FOUND', 'Không có sổ này.');
    const series = c.req.query('series') ?? DEFAULT_SERIES;
    const book = await loadBook(c.get('em'), { agencyCode: viewer.principal.agencyCode, kind, year: Number(file[1]), series }, DOCUMENT_TYPE_CATALOG);
    return bookFile(book, file[2] as 'xlsx' | 'pdf');
  });
}
