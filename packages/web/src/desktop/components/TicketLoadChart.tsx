import { PATHS } from '../api';
import { useDesktop } from '../desktop';
import { day } from '../format';
import { useLoad } from '../hooks';
import type { TicketLoadDay } from '../types';
import { ErrorMessage, Loading, NotAvailable } from './Messages';

const W = 720;
const H = 240;
const PAD = { left: 40, right: 12, top: 12, bottom: 36 };
const SERIES = [
  { key: 'opened', label: 'Opened', className: 'bar-opened' },
  { key: 'resolved', label: 'Resolved', className: 'bar-resolved' },
  { key: 'breached', label: 'Breached SLA', className: 'bar-breached' },
] as const;

/** A round step for an axis that reaches `max` in about four steps. */
export function niceStep(max: number): number {
  const raw = Math.max(max, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** Bars per day: tickets opened, resolved and breached; the numbers in a table under the chart. */
export function LoadBars({ days }: { days: TicketLoadDay[] }) {
  const max = Math.max(1, ...days.flatMap((d) => [d.opened, d.resolved, d.breached]));
  // Counts: whole steps only.
  const step = Math.max(1, niceStep(max));
  const top = Math.ceil(max / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(days.length, 1);
  const bar = Math.max(2, (slot * 0.8) / SERIES.length);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  const labelEvery = Math.ceil(days.length / 10);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="chart"
      role="img"
      aria-labelledby="load-title load-desc"
      data-testid="load-chart"
    >
      <title id="load-title">Ticket load per day</title>
      <desc id="load-desc">
        Tickets opened, resolved and breaching their SLA on each of the last {days.length} days; the same
        numbers are in the table below.
      </desc>
      {ticks.map((v) => (
        <g key={v} className="grid">
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
          <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end">
            {v}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        const x0 = PAD.left + i * slot + slot * 0.1;
        return (
          <g key={d.day} data-testid="load-day" data-day={d.day}>
            {SERIES.map((s, j) => (
              <rect
                key={s.key}
                className={s.className}
                x={x0 + j * bar}
                y={y(d[s.key])}
                width={bar - 1}
                height={Math.max(0, PAD.top + plotH - y(d[s.key]))}
              >
                <title>{`${day(d.day)}: ${d[s.key]} ${s.label.toLowerCase()}`}</title>
              </rect>
            ))}
            {i % labelEvery === 0 && (
              <text
                className="axis-label"
                x={x0 + (bar * SERIES.length) / 2}
                y={H - PAD.bottom + 16}
                textAnchor="middle"
              >
                {day(d.day)}
              </text>
            )}
          </g>
        );
      })}
      <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} />
    </svg>
  );
}

export function Legend({ items }: { items: readonly { label: string; className: string }[] }) {
  return (
    <ul className="legend" aria-hidden="true">
      {items.map((item) => (
        <li key={item.label}>
          <span className={`swatch ${item.className}`} />
          {item.label}
        </li>
      ))}
    </ul>
  );
}

/** The ticket load of the last 14 days (`GET /crm/v1/desktop/ticketLoad?days=14`). */
export function TicketLoadChart() {
  const { api, caps } = useDesktop();
  const available = caps.has(PATHS.ticketLoad);
  const load = useLoad(() => (available ? api.ticketLoad(14) : undefined), [api, available]);
  return (
    <section aria-labelledby="load-heading" data-testid="ticket-load">
      <h2 id="load-heading">Ticket load, last 14 days</h2>
      {!available && (
        <NotAvailable what="Ticket load" endpoint={PATHS.ticketLoad} testId="load-not-available" />
      )}
      <ErrorMessage message={load.error} testId="load-error" />
      {available && !load.data && !load.error && <Loading what="the ticket load" />}
      {load.data && (
        <>
          <Legend items={SERIES} />
          <LoadBars days={load.data} />
          <details>
            <summary>The numbers</summary>
            <table data-testid="load-table">
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {SERIES.map((s) => (
                    <th scope="col" key={s.key}>
                      {s.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {load.data.map((d) => (
                  <tr key={d.day}>
                    <td>{day(d.day)}</td>
                    <td>{d.opened}</td>
                    <td>{d.resolved}</td>
                    <td>{d.breached}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}
