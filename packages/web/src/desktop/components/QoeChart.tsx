import { useId, useState } from 'react';
import { dateTime, day } from '../format';
import type { QoeMetric, QoePoint, QoeSeries } from '../types';
import { niceStep } from './TicketLoadChart';

const W = 720;
const H = 220;
const PAD = { left: 52, right: 16, top: 14, bottom: 30 };

export const METRICS: { id: QoeMetric; label: string; unit: string; higherIsBetter: boolean }[] = [
  { id: 'availability', label: 'Availability', unit: '%', higherIsBetter: true },
  { id: 'throughput', label: 'Throughput', unit: 'Mbit/s', higherIsBetter: true },
  { id: 'latency', label: 'Latency', unit: 'ms', higherIsBetter: false },
  { id: 'packetLoss', label: 'Packet loss', unit: '%', higherIsBetter: false },
];

/** Whether a value keeps the SLA's target (higher is better for availability and throughput). */
export function meets(metric: QoeMetric, value: number, target: number | undefined): boolean {
  if (target === undefined) return true;
  const m = METRICS.find((x) => x.id === metric);
  return m?.higherIsBetter ? value >= target : value <= target;
}

function firstMetric(series: QoeSeries): QoeMetric {
  const withTarget = METRICS.find((m) => series.sla?.[m.id] !== undefined && series.sla?.[m.id] !== null);
  return withTarget?.id ?? 'availability';
}

const valueOf = (p: QoePoint, metric: QoeMetric) => {
  const v = p[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/**
 * One service's quality of experience over time against its SLA: a line of the chosen metric, the SLA target as
 * a dashed line, measurements that miss it in red; the violations the CRM recorded listed under it.
 */
export function QoeChart({ series }: { series: QoeSeries }) {
  const [metric, setMetric] = useState<QoeMetric>(() => firstMetric(series));
  const id = useId();
  const info = METRICS.find((m) => m.id === metric) ?? METRICS[0];
  const target = series.sla?.[metric] ?? undefined;
  const points = [...series.points]
    .map((p) => ({ at: Date.parse(p.at), iso: p.at, v: valueOf(p, metric) }))
    .filter((p): p is { at: number; iso: string; v: number } => p.v !== null && !Number.isNaN(p.at))
    .sort((a, b) => a.at - b.at);
  const values = points.map((p) => p.v).concat(target !== undefined ? [target] : []);
  const rawMin = values.length ? Math.min(...values) : 0;
  const rawMax = values.length ? Math.max(...values) : 1;
  const step = niceStep(Math.max(rawMax - rawMin, rawMax * 0.05, 0.001));
  const lo = Math.floor((rawMin - step / 2) / step) * step;
  const bottom = Math.max(0, lo);
  const ceiling = Math.ceil((rawMax + step / 2) / step) * step;
  // A percentage stops at 100.
  const top = info?.unit === '%' && rawMax <= 100 ? Math.min(100, ceiling) : ceiling;
  const t0 = points[0]?.at ?? 0;
  const t1 = points[points.length - 1]?.at ?? t0 + 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t1 === t0 ? plotW / 2 : ((t - t0) / (t1 - t0)) * plotW);
  const y = (v: number) => PAD.top + plotH - ((v - bottom) / (top - bottom || 1)) * plotH;
  const ticks: number[] = [];
  for (let v = bottom; v <= top + step / 1000; v += step) ticks.push(Number(v.toPrecision(6)));
  const missed = points.filter((p) => !meets(metric, p.v, target)).length;
  const violations = series.violations.filter((v) => v.metric === metric);
  const format = (v: number) => `${Number(v.toPrecision(4))} ${info?.unit ?? ''}`;

  return (
    <article className="qoe" data-testid={`qoe-${series.serviceId}`} aria-labelledby={`${id}-h`}>
      <header className="qoe-head">
        <h3 id={`${id}-h`}>{series.name}</h3>
        <div className="field inline">
          <label htmlFor={`${id}-metric`}>Metric</label>
          <select id={`${id}-metric`} value={metric} onChange={(e) => setMetric(e.target.value as QoeMetric)}>
            {METRICS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
      </header>
      <p className="help" data-testid="qoe-summary">
        {points.length} measurements;{' '}
        {target === undefined
          ? series.sla
            ? `no ${info?.label.toLowerCase()} target in the SLA`
            : 'no SLA on this service'
          : `SLA ${info?.higherIsBetter ? 'at least' : 'at most'} ${format(target)}: ${missed} below it`}
        .
      </p>
      {points.length === 0 ? (
        <p data-testid="qoe-no-points">No {info?.label.toLowerCase()} measurements in the period.</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H}`}
          className="chart"
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          data-testid="qoe-chart"
          data-metric={metric}
        >
          <title id={`${id}-title`}>{`${info?.label} of ${series.name} over time`}</title>
          <desc id={`${id}-desc`}>
            {`${points.length} measurements from ${dateTime(points[0]?.iso)} to ${dateTime(points[points.length - 1]?.iso)}` +
              (target !== undefined ? `; SLA target ${format(target)}; ${missed} miss it.` : '.')}
          </desc>
          {ticks.map((v) => (
            <g key={v} className="grid">
              <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
              <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
                {Number(v.toPrecision(4))}
              </text>
            </g>
          ))}
          <text className="axis-label" x={PAD.left} y={H - 8}>
            {day(points[0]?.iso ?? '')}
          </text>
          <text className="axis-label" x={W - PAD.right} y={H - 8} textAnchor="end">
            {day(points[points.length - 1]?.iso ?? '')}
          </text>
          {target !== undefined && (
            <g data-testid="qoe-sla-line">
              <line className="sla-line" x1={PAD.left} x2={W - PAD.right} y1={y(target)} y2={y(target)} />
              <text className="sla-label" x={W - PAD.right} y={y(target) - 4} textAnchor="end">
                SLA {format(target)}
              </text>
            </g>
          )}
          <polyline
            className="qoe-line"
            fill="none"
            points={points.map((p) => `${x(p.at)},${y(p.v)}`).join(' ')}
          />
          {points.map((p, i) => {
            const ok = meets(metric, p.v, target);
            return (
              <circle
                key={i}
                data-testid="qoe-point"
                data-meets={ok}
                className={ok ? 'qoe-point' : 'qoe-point qoe-miss'}
                cx={x(p.at)}
                cy={y(p.v)}
                r={ok ? 3.5 : 5}
              >
                <title>{`${dateTime(p.iso)}: ${format(p.v)}${ok ? '' : ' (below the SLA)'}`}</title>
              </circle>
            );
          })}
        </svg>
      )}
      {violations.length > 0 && (
        <details data-testid="qoe-violations">
          <summary>{violations.length} SLA violations recorded</summary>
          <ul>
            {violations.map((v) => (
              <li key={`${v.metric}-${v.periodStart}`}>
                {day(v.periodStart)}: {format(v.actual)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </article>
  );
}
