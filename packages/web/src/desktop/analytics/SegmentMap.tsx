import { ChartFrame, colour, num, ticks } from './ChartFrame';
import type { Segmentation } from './types';

const W = 720;
const H = 360;
const PAD = { left: 60, right: 24, top: 20, bottom: 44 };

/**
 * The segments as bubbles on two features: each at its profile's means, its area the segment's size. (The
 * members endpoint gives party ids without their features, so customers cannot be placed one by one.)
 */
export function SegmentMap({
  segmentation,
  xFeature,
  yFeature,
  members,
}: {
  segmentation: Segmentation;
  xFeature: string;
  yFeature: string;
  members: Record<string, number>;
}) {
  const segments = segmentation.segments;
  const xs = segments.map((s) => s.profile[xFeature]?.mean ?? 0);
  const ys = segments.map((s) => s.profile[yFeature]?.mean ?? 0);
  const range = (v: number[]) => {
    const lo = Math.min(0, ...v);
    const hi = Math.max(...v, lo + 1e-9);
    return [lo, hi + (hi - lo) * 0.15] as const;
  };
  const [x0, x1] = range(xs);
  const [y0, y1] = range(ys);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + ((v - x0) / (x1 - x0)) * plotW;
  const y = (v: number) => PAD.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const biggest = Math.max(1, ...segments.map((s) => s.size));
  const radius = (size: number) => 6 + 34 * Math.sqrt(size / biggest);
  const csv = () => ({
    header: ['segment', 'label', 'size', 'members', ...segmentation.features.map((f) => `${f}Mean`)],
    rows: segments.map((s) => [
      s.id,
      s.label,
      s.size,
      members[s.id],
      ...segmentation.features.map((f) => s.profile[f]?.mean),
    ]),
  });
  return (
    <ChartFrame name="segment-map" label="the segment map" csv={csv}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="chart"
        role="img"
        aria-labelledby="segments-title segments-desc"
      >
        <title id="segments-title">
          Segments by {xFeature} and {yFeature}
        </title>
        <desc id="segments-desc">
          Each segment at its mean {xFeature} and {yFeature}, its bubble's area the number of customers in it;
          the segments and their profiles are in the table below.
        </desc>
        {ticks(y1, 4, y0).map((v) => (
          <g key={`y${v}`} className="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
              {num(v)}
            </text>
          </g>
        ))}
        {ticks(x1, 6, x0).map((v) => (
          <text key={`x${v}`} x={x(v)} y={H - PAD.bottom + 16} textAnchor="middle">
            {num(v)}
          </text>
        ))}
        <text x={PAD.left + plotW / 2} y={H - 6} textAnchor="middle">
          {xFeature} (mean)
        </text>
        <text
          x={14}
          y={PAD.top + plotH / 2}
          textAnchor="middle"
          transform={`rotate(-90 14 ${PAD.top + plotH / 2})`}
        >
          {yFeature} (mean)
        </text>
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
        <line className="axis" x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={PAD.top + plotH} />
        {segments.map((s, i) => {
          const cx = x(xs[i] ?? 0);
          const cy = y(ys[i] ?? 0);
          const r = radius(s.size);
          // The label beside its bubble, on the side with room.
          const right = cx < PAD.left + plotW * 0.6;
          return (
            <g key={s.id} data-testid="segment-bubble" data-segment={s.id} data-size={s.size}>
              <circle
                cx={cx}
                cy={cy}
                r={r}
                fill={colour(i)}
                fillOpacity={0.35}
                stroke={colour(i)}
                strokeWidth={2}
              >
                <title>{`${s.label}: ${s.size} customers`}</title>
              </circle>
              <text
                x={right ? cx + r + 6 : cx - r - 6}
                y={Math.max(PAD.top + 10, Math.min(PAD.top + plotH - 4, cy + 4))}
                textAnchor={right ? 'start' : 'end'}
                className="legend-title"
              >
                {s.label} ({s.size})
              </text>
            </g>
          );
        })}
      </svg>
    </ChartFrame>
  );
}
