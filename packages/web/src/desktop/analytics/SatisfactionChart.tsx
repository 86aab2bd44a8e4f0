import { ChartFrame, colour, num } from './ChartFrame';
import type { SatisfactionSummary } from './types';

const W = 720;

/** The points the average customer loses to each behavioural signal (the satisfaction score starts at 100). */
export function SatisfactionChart({ summary }: { summary: SatisfactionSummary }) {
  const signals = Object.entries(summary.contributions);
  const ROW = 30;
  const LEFT = 170;
  const H = signals.length * ROW + 24;
  const max = Math.max(0.5, ...signals.map(([, s]) => Math.abs(s.meanPoints)));
  const plotW = W - LEFT - 210;
  const csv = () => ({
    header: ['signal', 'meanEvents', 'meanPoints'],
    rows: signals.map(([k, s]) => [k, s.meanEvents, s.meanPoints]),
  });
  return (
    <ChartFrame name="satisfaction-chart" label="satisfaction" csv={csv}>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-labelledby="sat-title sat-desc">
        <title id="sat-title">Points lost per customer, by signal</title>
        <desc id="sat-desc">
          The mean points each behavioural signal takes off the satisfaction score of {summary.customers}{' '}
          customers (mean score {num(summary.meanScore)}).
        </desc>
        {signals.map(([k, s], i) => {
          const cy = 8 + i * ROW;
          const w = (Math.abs(s.meanPoints) / max) * plotW;
          return (
            <g key={k} data-testid="satisfaction-signal" data-signal={k}>
              <text x={LEFT - 8} y={cy + 16} textAnchor="end" className="legend-title">
                {k}
              </text>
              <rect x={LEFT} y={cy + 4} width={Math.max(1, w)} height={ROW - 10} fill={colour(4)} />
              <text x={LEFT + w + 6} y={cy + 16}>
                {num(Math.abs(s.meanPoints))} points ({num(s.meanEvents)} events each)
              </text>
            </g>
          );
        })}
      </svg>
    </ChartFrame>
  );
}
