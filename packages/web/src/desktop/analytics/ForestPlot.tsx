import { ChartFrame, num } from './ChartFrame';
import type { ChurnModel } from './types';

const W = 720;
const ROW = 30;
const PAD = { left: 130, right: 150, top: 16, bottom: 40 };

/** Hazard ratios with their confidence intervals on a log scale, the line at 1 (no effect). */
export function ForestPlot({ model }: { model: ChurnModel }) {
  const { fit } = model;
  const names = fit.covariates;
  const H = PAD.top + names.length * ROW + PAD.bottom;
  const values = names.flatMap((c) => [fit.hazardRatioLower[c], fit.hazardRatioUpper[c], fit.hazardRatio[c]]);
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0);
  const lo = Math.min(1, ...finite) / 1.15;
  const hi = Math.max(1, ...finite) * 1.15;
  const plotW = W - PAD.left - PAD.right;
  const x = (v: number) => PAD.left + ((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * plotW;
  const clamp = (v: number | undefined) => Math.min(hi, Math.max(lo, v && v > 0 ? v : lo));
  const axis = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8].filter((v) => v >= lo && v <= hi);
  const csv = () => ({
    header: ['covariate', 'coef', 'se', 'hazardRatio', 'hazardRatioLower', 'hazardRatioUpper', 'p'],
    rows: names.map((c) => [
      c,
      fit.coef[c],
      fit.se[c],
      fit.hazardRatio[c],
      fit.hazardRatioLower[c],
      fit.hazardRatioUpper[c],
      fit.p[c],
    ]),
  });
  return (
    <ChartFrame name="forest-plot" label="the hazard ratios" csv={csv}>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-labelledby="forest-title forest-desc">
        <title id="forest-title">Churn model: hazard ratios</title>
        <desc id="forest-desc">
          Each covariate's hazard ratio of closing an account with its 95% confidence interval, on a log
          scale; right of 1 means more churn. The numbers are in the table below.
        </desc>
        {axis.map((v) => (
          <g key={v} className="grid">
            <line x1={x(v)} x2={x(v)} y1={PAD.top} y2={H - PAD.bottom} />
            <text x={x(v)} y={H - PAD.bottom + 16} textAnchor="middle">
              {v}
            </text>
          </g>
        ))}
        <text x={PAD.left + plotW / 2} y={H - 6} textAnchor="middle">
          hazard ratio (log scale)
        </text>
        <line x1={x(1)} x2={x(1)} y1={PAD.top} y2={H - PAD.bottom} stroke="#5a606b" strokeDasharray="4 3" />
        {names.map((c, i) => {
          const cy = PAD.top + i * ROW + ROW / 2;
          const hr = fit.hazardRatio[c] ?? 1;
          const significant = (fit.p[c] ?? 1) < 0.05;
          const ink = hr >= 1 ? '#b3261e' : '#1d7a3a';
          return (
            <g key={c} data-testid="forest-row" data-covariate={c}>
              <text x={PAD.left - 10} y={cy + 4} textAnchor="end" className="legend-title">
                {c}
              </text>
              <line
                x1={x(clamp(fit.hazardRatioLower[c]))}
                x2={x(clamp(fit.hazardRatioUpper[c]))}
                y1={cy}
                y2={cy}
                stroke={ink}
                strokeWidth={2}
              />
              <rect
                x={x(clamp(hr)) - 5}
                y={cy - 5}
                width={10}
                height={10}
                fill={significant ? ink : '#ffffff'}
                stroke={ink}
                strokeWidth={2}
              />
              <text x={W - PAD.right + 10} y={cy + 4}>
                {num(hr)} ({num(fit.hazardRatioLower[c])}–{num(fit.hazardRatioUpper[c])})
              </text>
            </g>
          );
        })}
      </svg>
    </ChartFrame>
  );
}
