import { ChartFrame, colour, num, pText, ticks } from './ChartFrame';
import type { Survival, SurvivalCurve } from './types';

const W = 880;
const H = 340;
const PAD = { left: 48, right: 260, top: 16, bottom: 44 };

/** A step function through (0, 1) and (times[i], values[i]), as path points. */
function steps(
  times: number[],
  values: (number | null)[],
  x: (t: number) => number,
  y: (s: number) => number,
) {
  const points: string[] = [`${x(0)},${y(1)}`];
  let previous = 1;
  times.forEach((t, i) => {
    const raw = values[i];
    const v = typeof raw === 'number' && Number.isFinite(raw) ? raw : previous;
    points.push(`${x(t)},${y(previous)}`, `${x(t)},${y(v)}`);
    previous = v;
  });
  return points;
}

const medianText = (c: SurvivalCurve) => (c.median === null ? 'not reached' : `${num(c.median)} d`);

/**
 * Kaplan-Meier curves, one step line per group with its confidence band shaded, the legend (n, events, median)
 * and the log-rank test in the drawing, so the PNG carries them.
 */
export function SurvivalChart({ survival }: { survival: Survival }) {
  const { curves, logRank } = survival;
  const maxT = Math.max(1, ...curves.map((c) => c.times[c.times.length - 1] ?? 0));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t / maxT) * plotW;
  const y = (s: number) => PAD.top + (1 - s) * plotH;
  const csv = () => ({
    header: ['group', 'time', 'atRisk', 'events', 'censored', 'survival', 'lower', 'upper'],
    rows: curves.flatMap((c) =>
      c.times.map((t, i) => [
        c.group,
        t,
        c.atRisk[i],
        c.died?.[i],
        c.censored?.[i],
        c.survival[i],
        c.lower[i],
        c.upper[i],
      ]),
    ),
  });
  const level = Math.round((curves[0]?.confLevel ?? 0.95) * 100);
  return (
    <ChartFrame name="survival-chart" label="the survival curves" csv={csv}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="chart wide"
        role="img"
        aria-labelledby="survival-title survival-desc"
      >
        <title id="survival-title">Account survival by {survival.by}</title>
        <desc id="survival-desc">
          The share of accounts still open against days since opening, one curve per group with its {level}%
          confidence band; the numbers are in the table below.
        </desc>
        {ticks(1, 4).map((v) => (
          <g key={`y${v}`} className="grid">
            <line x1={PAD.left} x2={PAD.left + plotW} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
              {Math.round(v * 100)}%
            </text>
          </g>
        ))}
        {ticks(maxT, 6).map((t) => (
          <text key={`x${t}`} x={x(t)} y={H - PAD.bottom + 16} textAnchor="middle">
            {t}
          </text>
        ))}
        <text x={PAD.left + plotW / 2} y={H - 6} textAnchor="middle">
          days since the account opened
        </text>
        {curves.map((c, i) => {
          const upper = steps(c.times, c.upper, x, y);
          const lower = steps(c.times, c.lower, x, y).reverse();
          return (
            <g key={c.group} data-testid="survival-curve" data-group={c.group}>
              <polygon
                points={[...upper, ...lower].join(' ')}
                fill={colour(i)}
                fillOpacity={0.15}
                stroke="none"
              />
              <polyline
                points={steps(c.times, c.survival, x, y).join(' ')}
                fill="none"
                stroke={colour(i)}
                strokeWidth={2}
              />
            </g>
          );
        })}
        <line className="axis" x1={PAD.left} x2={PAD.left + plotW} y1={y(0)} y2={y(0)} />
        <line className="axis" x1={PAD.left} x2={PAD.left} y1={y(0)} y2={y(1)} />
        <g transform={`translate(${W - PAD.right + 16}, ${PAD.top + 8})`}>
          {curves.map((c, i) => (
            <g
              key={c.group}
              transform={`translate(0, ${i * 40})`}
              data-testid="survival-legend"
              data-group={c.group}
            >
              <rect width={14} height={14} fill={colour(i)} />
              <text x={20} y={11} className="legend-title">
                {c.group}
              </text>
              <text x={20} y={27}>
                n {c.n} · events {c.events} · median {medianText(c)}
              </text>
            </g>
          ))}
          <text y={curves.length * 40 + 12} className="legend-title">
            {logRank
              ? `Log-rank χ² = ${logRank.chiSquare.toFixed(2)}, df ${logRank.df}, ${pText(logRank.p)}`
              : 'One group: no log-rank test'}
          </text>
        </g>
      </svg>
    </ChartFrame>
  );
}
