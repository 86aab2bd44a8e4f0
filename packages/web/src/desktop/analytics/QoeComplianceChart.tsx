import { ChartFrame, percent } from './ChartFrame';
import type { QoeItem, QoeReport } from './types';

const W = 880;
const H = 280;
const PAD = { left: 48, right: 12, top: 16, bottom: 40 };

const ink = (c: number | null) =>
  c === null ? '#9aa0aa' : c >= 1 ? '#1d7a3a' : c >= 0.8 ? '#a16207' : '#b3261e';

/**
 * Compliance with the SLA per entity (the share of its measured metrics that meet their targets), one bar each;
 * a bar is a button: it selects the entity, whose violations are listed under the chart.
 */
export function QoeComplianceChart({
  report,
  selected,
  onSelect,
}: {
  report: QoeReport;
  selected: string | null;
  onSelect: (item: QoeItem) => void;
}) {
  const items = report.items;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(items.length, 1);
  const y = (v: number) => PAD.top + plotH - v * plotH;
  const labelEvery = Math.ceil(items.length / 12);
  const csv = () => ({
    header: ['by', 'id', 'name', 'samples', 'services', 'compliance', 'violations'],
    rows: items.map((i) => [i.by, i.id, i.name, i.samples, i.services, i.compliance, i.violations.length]),
  });
  return (
    <ChartFrame name="qoe-compliance" label="compliance with the SLA" csv={csv}>
      <svg viewBox={`0 0 ${W} ${H}`} className="chart wide" role="img" aria-labelledby="qoec-title qoec-desc">
        <title id="qoec-title">Compliance with the SLA by {report.by}</title>
        <desc id="qoec-desc">
          For each {report.by}, the share of its metrics meeting their SLA targets from{' '}
          {report.from.slice(0, 10)} to {report.to.slice(0, 10)}; green is full compliance. The table below
          has the numbers.
        </desc>
        {[0, 0.25, 0.5, 0.75, 1].map((v) => (
          <g key={v} className="grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
              {Math.round(v * 100)}%
            </text>
          </g>
        ))}
        {items.map((item, i) => {
          const c = item.compliance;
          const bx = PAD.left + i * slot + slot * 0.15;
          const top = y(c ?? 0);
          const pick = () => onSelect(item);
          return (
            <g
              key={item.id}
              data-testid="qoe-bar"
              data-id={item.id}
              data-violations={item.violations.length}
              role="button"
              tabIndex={0}
              aria-pressed={selected === item.id}
              aria-label={`${item.name ?? item.id}: ${percent(c)} compliant, ${item.violations.length} violations`}
              onClick={pick}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  pick();
                }
              }}
              className="qoe-bar"
            >
              <rect
                x={PAD.left + i * slot}
                y={PAD.top}
                width={slot}
                height={plotH}
                fill="#ffffff"
                fillOpacity={0}
              />
              <rect
                x={bx}
                y={top}
                width={Math.max(1, slot * 0.7)}
                height={Math.max(c === null ? 0 : 1, y(0) - top)}
                fill={ink(c)}
                stroke={selected === item.id ? '#1d1f24' : 'none'}
                strokeWidth={2}
              />
              {i % labelEvery === 0 && (
                <text x={bx + slot * 0.35} y={H - PAD.bottom + 14} textAnchor="middle">
                  {(item.name ?? item.id).slice(-8)}
                </text>
              )}
            </g>
          );
        })}
        <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
      </svg>
    </ChartFrame>
  );
}
