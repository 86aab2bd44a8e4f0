import { useRef, useState, type ReactNode } from 'react';
import { download, svgToPng, toCsv, type Cell } from './export';

export interface CsvData {
  header: string[];
  rows: Cell[][];
}

/**
 * A chart with its exports: "CSV" downloads the chart's data (`{name}.csv`), "PNG" the drawing (`{name}.png`,
 * the SVG on a canvas). `name` is also the test id of the frame.
 */
export function ChartFrame({
  name,
  label,
  csv,
  children,
}: {
  name: string;
  label: string;
  csv: () => CsvData;
  children: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const exportCsv = () => {
    const { header, rows } = csv();
    download(new Blob([toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }), `${name}.csv`);
  };
  const exportPng = async () => {
    const svg = box.current?.querySelector('svg');
    if (!svg) return;
    try {
      download(await svgToPng(svg), `${name}.png`);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <figure className="chart-frame" data-testid={name}>
      <div className="chart-tools">
        <button type="button" className="secondary small" onClick={exportCsv} data-testid={`${name}-csv`}>
          Export CSV<span className="visually-hidden"> of {label}</span>
        </button>
        <button
          type="button"
          className="secondary small"
          onClick={() => void exportPng()}
          data-testid={`${name}-png`}
        >
          Export PNG<span className="visually-hidden"> of {label}</span>
        </button>
      </div>
      <div ref={box}>{children}</div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </figure>
  );
}

/** Colours for groups and segments, distinguishable and dark enough for text. */
export const PALETTE = [
  '#1f5fbf',
  '#c2410c',
  '#1d7a3a',
  '#7c3aed',
  '#b3261e',
  '#0e7490',
  '#a16207',
  '#be185d',
];
export const colour = (i: number): string => PALETTE[i % PALETTE.length] ?? '#1f5fbf';

/** A number a person reads: 3 significant digits, whole numbers as they are. */
export function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(digits)).toString();
}

export const percent = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${(value * 100).toFixed(digits)}%`;

/** A p-value as it is reported: "p < 0.001" or "p = 0.043". */
export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** Round ticks from 0 (or `min`) to about `max` in about `count` steps. */
export function ticks(max: number, count = 5, min = 0): number[] {
  const span = Math.max(max - min, 1e-9);
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-6; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}
