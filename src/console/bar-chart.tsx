/**
 * A horizontal bar chart drawn on the server as SVG (issue 18: no chart library, nothing run in the
 * browser). Agencies' names are long, so the bars lie down with the names on their left. The series
 * differ by fill pattern as well as by colour (solid, hatched), and every bar carries its value as
 * text: nothing depends on telling colours apart. The same figures stand in a table beside it.
 */

export interface BarSeries {
  name: string;
  values: ReadonlyArray<number | null>;
}

const WIDTH = 680;
const LABEL = 230;
const VALUE = 64;
const TOP = 28;
const BAR = 16;
const GAP = 12;
const PLOT = WIDTH - LABEL - VALUE;
const COLOURS = ['#0b57a4', '#8b1a1a'] as const;

/** Round steps for an axis up to `max`: 0, step, 2·step… */
function ticks(max: number, percent: boolean): number[] {
  if (percent) return [0, 25, 50, 75, 100];
  const top = Math.max(1, max);
  const raw = top / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step);
}

/** A name cut to fit its column (the whole name is its tooltip and stands in the table). */
const cut = (name: string, max = 32): string => (name.length > max ? `${name.slice(0, max - 1)}…` : name);

export function BarChart(props: {
  id: string;
  title: string;
  /** One sentence a screen reader says for the picture (the table beside it has the figures). */
  summary: string;
  labels: readonly string[];
  series: readonly BarSeries[];
  /** Values are percentages (0–100, axis to 100 %), else counts. */
  percent?: boolean;
  /** Series stacked in one bar (counts that add up) rather than side by side. */
  stacked?: boolean;
}) {
  const { labels, series, percent = false, stacked = false } = props;
  const totals = labels.map((_, i) => (stacked ? series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0) : Math.max(0, ...series.map((s) => s.values[i] ?? 0))));
  const axis = ticks(Math.max(0, ...totals), percent);
  const top = axis.at(-1)!;
  const x = (v: number) => LABEL + (v / top) * PLOT;
  const bands = stacked ? 1 : series.length;
  const rowHeight = bands * BAR + (bands - 1) * 3 + GAP;
  const legend = series.length > 1 ? 22 : 0;
  const height = TOP + legend + labels.length * rowHeight + 8;
  const fill = (k: number) => (k === 0 ? COLOURS[0] : `url(#${props.id}-hatch)`);
  const text = (v: number | null) => (v === null ? 'chưa có' : percent ? `${v.toLocaleString('vi-VN', { maximumFractionDigits: 1 })} %` : String(v));
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      xmlns="http://www.w3.org/2000/svg"
      font-family="system-ui, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
      font-size="13"
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.summary}</desc>
      <defs>
        <pattern id={`${props.id}-hatch`} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" fill="#f6e3e3" />
          <rect width="3" height="6" fill={COLOURS[1]} />
        </pattern>
      </defs>
      <rect x="0" y="0" width={WIDTH} height={height} fill="#ffffff" />
      {axis.map((t) => (
        <g>
          <line x1={x(t)} x2={x(t)} y1={TOP + legend - 4} y2={height - 6} stroke="#d0d7de" stroke-width="1" />
          <text x={x(t)} y={TOP + legend - 10} text-anchor="middle" fill="#57606a" font-size="11">
            {percent ? `${t} %` : String(t)}
          </text>
        </g>
      ))}
      {series.length > 1
        ? series.map((s, k) => (
            <g>
              <rect x={LABEL + k * 200} y="4" width="14" height="14" fill={fill(k)} stroke={COLOURS[k % 2]} stroke-width="1" />
              <text x={LABEL + k * 200 + 20} y="16" fill="#1b1f24">
                {s.name}
              </text>
            </g>
          ))
        : null}
      {labels.map((label, i) => {
        const y0 = TOP + legend + i * rowHeight;
        let offset = 0;
        return (
          <g>
            <text x={LABEL - 8} y={y0 + (rowHeight - GAP) / 2 + 4} text-anchor="end" fill="#1b1f24">
              <title>{label}</title>
              {cut(label)}
            </text>
            {series.map((s, k) => {
              const v = s.values[i] ?? null;
              const y = stacked ? y0 : y0 + k * (BAR + 3);
              const from = stacked ? offset : 0;
              if (stacked) offset += v ?? 0;
              const w = v ? (v / top) * PLOT : 0;
              return (
                <g>
                  {w > 0 ? <rect x={LABEL + (from / top) * PLOT} y={y} width={Math.max(w, 1)} height={BAR} fill={fill(k)} stroke={COLOURS[k % 2]} stroke-width="1" /> : null}
                  {!stacked ? (
                    <text x={LABEL + (from / top) * PLOT + w + 6} y={y + BAR - 3} fill={v === null ? '#57606a' : '#1b1f24'} font-size="12">
                      {text(v)}
                    </text>
                  ) : null}
                </g>
              );
            })}
            {stacked ? (
              <text x={x(totals[i] ?? 0) + 6} y={y0 + BAR - 3} fill="#1b1f24" font-size="12">
                {series.map((s) => text(s.values[i] ?? 0)).join(' + ')}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
