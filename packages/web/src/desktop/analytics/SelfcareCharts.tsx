import { ChartFrame, colour, num, percent } from './ChartFrame';
import type { WastedReport } from './types';

const STAGES: Record<string, string> = {
  pageViews: 'Page views',
  formStarts: 'Forms started',
  formSubmits: 'Forms submitted',
  successes: 'Successes',
};

/** The funnel's stages in their order (those the report has), then any others it adds. */
export function funnelStages(funnel: Record<string, number>): [string, number][] {
  const known = Object.keys(STAGES).filter((k) => typeof funnel[k] === 'number');
  const rest = Object.keys(funnel).filter((k) => !known.includes(k) && typeof funnel[k] === 'number');
  return [...known, ...rest].map((k) => [k, funnel[k] ?? 0]);
}

const W = 720;

/** The self-care funnel: one bar per stage, its count and its share of page views. */
export function FunnelChart({ report }: { report: WastedReport }) {
  const stages = funnelStages(report.funnel);
  const ROW = 40;
  const LEFT = 150;
  const H = stages.length * ROW + 20;
  const max = Math.max(1, ...stages.map(([, v]) => v));
  const first = stages[0]?.[1] ?? 0;
  const plotW = W - LEFT - 150;
  const csv = () => ({ header: ['stage', 'count'], rows: stages.map(([k, v]) => [k, v]) });
  return (
    <ChartFrame name="selfcare-funnel" label="the self-care funnel" csv={csv}>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-labelledby="funnel-title funnel-desc">
        <title id="funnel-title">Self-care funnel</title>
        <desc id="funnel-desc">
          Self-care sessions from {report.from.slice(0, 10)} to {report.to.slice(0, 10)}: page views, forms
          started and submitted, and successes.
        </desc>
        {stages.map(([key, value], i) => {
          const w = (value / max) * plotW;
          const cy = 10 + i * ROW;
          return (
            <g key={key} data-testid="funnel-stage" data-stage={key} data-count={value}>
              <text x={LEFT - 10} y={cy + 20} textAnchor="end" className="legend-title">
                {STAGES[key] ?? key}
              </text>
              <rect
                x={LEFT + (plotW - w) / 2}
                y={cy + 4}
                width={Math.max(1, w)}
                height={ROW - 10}
                fill={colour(0)}
                fillOpacity={0.25 + 0.75 * (1 - i / Math.max(stages.length, 1))}
              />
              <text x={W - 140} y={cy + 20}>
                {value} {first > 0 && i > 0 ? `(${percent(value / first, 0)} of views)` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </ChartFrame>
  );
}

/** The wasted rate per page, each bar split by the causes that wasted its sessions. */
export function WastedByPageChart({ report }: { report: WastedReport }) {
  const pages = report.byPage;
  const causes = Object.keys(report.byCause);
  const ROW = 28;
  const LEFT = 170;
  const H = pages.length * ROW + 60;
  const max = Math.max(0.05, ...pages.map((p) => p.rate));
  const plotW = W - LEFT - 110;
  const x = (rate: number) => (rate / max) * plotW;
  const csv = () => ({
    header: ['page', 'sessions', 'wasted', 'rate', ...causes],
    rows: pages.map((p) => [p.page, p.sessions, p.wasted, p.rate, ...causes.map((c) => p.causes[c] ?? 0)]),
  });
  return (
    <ChartFrame name="wasted-by-page" label="the wasted rate by page" csv={csv}>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-labelledby="wasted-title wasted-desc">
        <title id="wasted-title">Wasted self-care sessions by page</title>
        <desc id="wasted-desc">
          The share of each page's sessions that failed the user, split by cause; the table below has the
          numbers.
        </desc>
        {pages.map((p, i) => {
          const cy = 8 + i * ROW;
          let offset = 0;
          return (
            <g key={p.page} data-testid="wasted-page" data-page={p.page} data-rate={p.rate}>
              <text x={LEFT - 8} y={cy + 16} textAnchor="end" className="legend-title">
                {p.page}
              </text>
              {causes.map((c, j) => {
                const w = p.sessions > 0 ? x((p.causes[c] ?? 0) / p.sessions) : 0;
                const rect = (
                  <rect key={c} x={LEFT + offset} y={cy + 3} width={w} height={ROW - 8} fill={colour(j + 1)}>
                    <title>{`${p.page}: ${p.causes[c] ?? 0} ${c}`}</title>
                  </rect>
                );
                offset += w;
                return rect;
              })}
              <text x={LEFT + offset + 6} y={cy + 16}>
                {percent(p.rate)} of {num(p.sessions)}
              </text>
            </g>
          );
        })}
        <g transform={`translate(20, ${pages.length * ROW + 24})`}>
          {causes.map((c, j) => (
            <g key={c} transform={`translate(${j * 170}, 0)`}>
              <rect width={12} height={12} fill={colour(j + 1)} />
              <text x={16} y={10}>
                {c} ({report.byCause[c]})
              </text>
            </g>
          ))}
        </g>
      </svg>
    </ChartFrame>
  );
}
