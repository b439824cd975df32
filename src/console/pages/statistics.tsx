import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { contentDisposition } from '../../http/content-disposition.js';
import { XLSX_TYPE } from '../../registers/book-response.js';
import { allLocalAgencies, findAgencyRow, localChildren, type AgencyRow } from '../../statistics/statistics.repository.js';
import { MONTH, monthStatistics, statisticsScope, type AgencyFigures, type MonthStatistics } from '../../statistics/statistics.service.js';
import { statisticsXlsx } from '../../statistics/statistics-xlsx.js';
import { vietnamToday } from '../../util/vietnam-time.js';
import { BarChart } from '../bar-chart.js';
import type { ConsoleDeps } from '../deps.js';
import { Page } from '../layout.js';
import { needViewer, type ConsoleContext, type ConsoleEnv, type Viewer } from '../session.js';
import { vnDate, vnDateTime } from '../texts.js';

/**
 * Thống kê (issue 18): how an agency and the agencies below it kept their deadlines in a month, side
 * by side — the figures of GET /v1/statistics as bar charts drawn on the server, each with a table of
 * the same figures beside it, the overdue list, and the workbook to download.
 */

const percent = (share: number | null): number | null => (share === null ? null : Math.round(share * 1000) / 10);
const percentText = (share: number | null): string => (share === null ? 'chưa có' : `${(Math.round(share * 1000) / 10).toLocaleString('vi-VN')} %`);
const daysText = (days: number | null): string => (days === null ? 'chưa có' : days.toLocaleString('vi-VN', { maximumFractionDigits: 2 }));
const monthText = (month: string): string => `${month.slice(5)}/${month.slice(0, 4)}`;

/** A chart and the table of its figures, side by side (stacked on a phone). */
function ChartWithTable(props: { id: string; title: string; note: string; chart: Child; head: string[]; rows: Array<{ name: string; cells: string[] }> }) {
  return (
    <section class="card" aria-labelledby={`${props.id}-h`}>
      <h2 id={`${props.id}-h`}>{props.title}</h2>
      <p class="hint">{props.note}</p>
      <div class="chart-pair">
        <figure class="chart-figure">{props.chart}</figure>
        <table class="figures">
          <caption class="visually-hidden">{props.title}: số liệu của biểu đồ</caption>
          <thead>
            <tr>
              <th scope="col">Cơ quan</th>
              {props.head.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr>
                <th scope="row">{r.name}</th>
                {r.cells.map((c) => (
                  <td class="num">{c}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const KIND_TEXT = { registration: 'Vào sổ', processing: 'Xử lý' } as const;

function OverdueList(props: { agencies: AgencyFigures[] }) {
  const entries = props.agencies.flatMap((a) => a.overdue.items.map((o) => ({ agency: a.name, ...o })));
  return (
    <section class="card" aria-labelledby="overdue-h">
      <h2 id="overdue-h">Danh sách quá hạn</h2>
      {entries.length === 0 ? (
        <p>Không có văn bản nào quá hạn trong tháng.</p>
      ) : (
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">Cơ quan nhận</th>
              <th scope="col">Trích yếu</th>
              <th scope="col">Nơi gửi</th>
              <th scope="col">Hạn</th>
              <th scope="col">Quá hạn</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((o) => (
              <tr>
                <td data-label="Cơ quan nhận">{o.agency}</td>
                <td data-label="Trích yếu">{o.subject}</td>
                <td data-label="Nơi gửi">{o.sender.name}</td>
                <td data-label="Hạn" class="nowrap">
                  {KIND_TEXT[o.kind]}: {o.kind === 'registration' ? vnDateTime(o.due) : vnDate(o.due)}
                </td>
                <td data-label="Quá hạn">
                  <span class={`deadline ${o.open ? 'bad' : 'late'}`}>
                    <strong>{o.overdueWorkingDays > 0 ? `${o.overdueWorkingDays} ngày làm việc` : 'trong ngày'}</strong>
                  </span>{' '}
                  {o.open ? '(chưa xử lý)' : '(đã xử lý, muộn)'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function StatisticsPage(props: { viewer: Viewer; stats: MonthStatistics; choices: AgencyRow[]; agency: string | undefined }) {
  const { stats } = props;
  const agencies = stats.agencies;
  const names = agencies.map((a) => a.name);
  const query = new URLSearchParams({ thang: stats.month, ...(props.agency ? { 'co-quan': props.agency } : {}) }).toString();
  const several = agencies.length > 1;
  return (
    <Page title="Thống kê" viewer={props.viewer} active="statistics">
      <form method="get" action="/thong-ke" class="statistics-choice">
        <div>
          <label for="thang">Tháng</label>
          <input type="month" id="thang" name="thang" value={stats.month} required />
        </div>
        {props.choices.length > 1 ? (
          <div>
            <label for="co-quan">Cơ quan</label>
            <select id="co-quan" name="co-quan">
              {props.choices.map((a) => (
                <option value={a.code} selected={a.code === (props.agency ?? props.choices[0]?.code)}>
                  {a.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="submit">Xem thống kê</button>
      </form>
      <p>
        Tháng {monthText(stats.month)} ({vnDate(`${stats.from}T00:00:00+07:00`)} – {vnDate(`${stats.to}T00:00:00+07:00`)}), tính đến {vnDateTime(stats.at)}
        {several ? `: ${agencies[0]?.name} và các cơ quan trực thuộc.` : '.'} <a href={`/thong-ke.xlsx?${query}`}>Tải bảng tính (XLSX)</a>
      </p>
      <p class="hint">
        Một văn bản được tính khi hạn của nó đã rõ: đã vào sổ (hoặc đã trả lại) hay đã xử lý xong, hoặc đã quá hạn mà chưa làm. Văn bản còn trong hạn chưa được tính. Hạn vào sổ: trong
        ngày làm việc văn bản đến, chậm nhất ngày làm việc tiếp theo; văn bản khẩn: trong hai giờ làm việc.
      </p>
      <ChartWithTable
        id="vao-so"
        title="Vào sổ đúng hạn"
        note="Tỷ lệ văn bản đến trong tháng được vào sổ (hoặc trả lại) trước hạn vào sổ."
        chart={
          <BarChart
            id="chart-vao-so"
            title="Tỷ lệ vào sổ đúng hạn"
            summary={agencies.map((a) => `${a.name}: ${percentText(a.registration.share)}`).join('; ')}
            labels={names}
            series={[{ name: 'Vào sổ đúng hạn', values: agencies.map((a) => percent(a.registration.share)) }]}
            percent
          />
        }
        head={['Đúng hạn', 'Đã tính', 'Tỷ lệ', 'Số ngày làm việc trung bình']}
        rows={agencies.map((a) => ({
          name: a.name,
          cells: [String(a.registration.inTime), String(a.registration.counted), percentText(a.registration.share), daysText(a.registration.meanWorkingDays)],
        }))}
      />
      <ChartWithTable
        id="xu-ly"
        title="Xử lý đúng hạn"
        note="Tỷ lệ văn bản đến trong tháng có hạn xử lý được xử lý xong (mã 06) trước hạn."
        chart={
          <BarChart
            id="chart-xu-ly"
            title="Tỷ lệ xử lý đúng hạn"
            summary={agencies.map((a) => `${a.name}: ${percentText(a.processing.share)}`).join('; ')}
            labels={names}
            series={[{ name: 'Xử lý đúng hạn', values: agencies.map((a) => percent(a.processing.share)) }]}
            percent
          />
        }
        head={['Đúng hạn', 'Đã tính', 'Tỷ lệ', 'Số ngày làm việc trung bình']}
        rows={agencies.map((a) => ({
          name: a.name,
          cells: [String(a.processing.inTime), String(a.processing.counted), percentText(a.processing.share), daysText(a.processing.meanWorkingDays)],
        }))}
      />
      <ChartWithTable
        id="qua-han-thang"
        title="Văn bản quá hạn"
        note="Số hạn đã quá của văn bản đến trong tháng: phần đậm là chưa xử lý, phần gạch chéo là đã xử lý nhưng muộn."
        chart={
          <BarChart
            id="chart-qua-han"
            title="Số văn bản quá hạn"
            summary={agencies.map((a) => `${a.name}: ${a.overdue.open} chưa xử lý, ${a.overdue.count - a.overdue.open} xử lý muộn`).join('; ')}
            labels={names}
            series={[
              { name: 'Chưa xử lý', values: agencies.map((a) => a.overdue.open) },
              { name: 'Xử lý muộn', values: agencies.map((a) => a.overdue.count - a.overdue.open) },
            ]}
            stacked
          />
        }
        head={['Chưa xử lý', 'Xử lý muộn', 'Cộng']}
        rows={agencies.map((a) => ({ name: a.name, cells: [String(a.overdue.open), String(a.overdue.count - a.overdue.open), String(a.overdue.count)] }))}
      />
      <ChartWithTable
        id="so-van-ban"
        title="Số văn bản đến và đi"
        note="Văn bản đến (nhận được) và văn bản đi (đã vào sổ văn bản đi) trong tháng."
        chart={
          <BarChart
            id="chart-so-van-ban"
            title="Số văn bản đến và đi"
            summary={agencies.map((a) => `${a.name}: ${a.received} đến, ${a.sent} đi`).join('; ')}
            labels={names}
            series={[
              { name: 'Đến', values: agencies.map((a) => a.received) },
              { name: 'Đi', values: agencies.map((a) => a.sent) },
            ]}
          />
        }
        head={['Đến', 'Đi']}
        rows={agencies.map((a) => ({ name: a.name, cells: [String(a.received), String(a.sent)] }))}
      />
      <OverdueList agencies={agencies} />
    </Page>
  );
}

/** The agencies a viewer may pick: its own and those directly below it (an administrator: every agency of the node). */
async function choicesOf(c: ConsoleContext, viewer: Viewer): Promise<AgencyRow[]> {
  const em = c.get('em');
  if (viewer.admin) return allLocalAgencies(em);
  const own = await findAgencyRow(em, viewer.principal.agencyCode);
  return own ? [own, ...(await localChildren(em, own.code))] : [];
}

/** The month and agency asked for (`thang`, `co-quan`), the current month by default. */
function asked(c: ConsoleContext, deps: ConsoleDeps): { month: string; agency: string | undefined } {
  const month = c.req.query('thang');
  const agency = c.req.query('co-quan');
  return { month: month && MONTH.test(month) ? month : vietnamToday(deps.clock()).slice(0, 7), agency: agency && /^[A-Za-z0-9.]{1,13}$/.test(agency) ? agency : undefined };
}

export function mountStatistics(ui: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  ui.get('/thong-ke', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const { month, agency } = asked(c, deps);
    const scope = await statisticsScope(em, viewer.principal, agency ?? viewer.principal.agencyCode);
    const stats = await monthStatistics(em, deps.calendar, month, scope, deps.clock());
    return c.html(<StatisticsPage viewer={viewer} stats={stats} choices={await choicesOf(c, viewer)} agency={agency} />);
  });

  ui.get('/thong-ke.xlsx', needViewer, async (c) => {
    const viewer = c.get('viewer')!;
    const em = c.get('em');
    const { month, agency } = asked(c, deps);
    const scope = await statisticsScope(em, viewer.principal, agency ?? viewer.principal.agencyCode);
    const bytes = await statisticsXlsx(await monthStatistics(em, deps.calendar, month, scope, deps.clock()));
    return new Response(new Uint8Array(bytes), {
      headers: {
        'content-type': XLSX_TYPE,
        'content-length': String(bytes.length),
        'content-disposition': contentDisposition(`thong-ke-${month}.xlsx`),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
    });
  });
}
