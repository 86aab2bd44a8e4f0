import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { chooseK, kmeans, silhouette, standardize, toPoints } from '@parley/analytics';
import { CliError, printJson, readText } from '../io.js';

const table = (rows: string[][]) => {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) =>
            c === 0 || c === r.length - 1
              ? cell.padEnd(widths[c] as number)
              : cell.padStart(widths[c] as number),
          )
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
};

/** `auto` or a whole number >= 1 (for --k). */
function parseK(value: string | undefined): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  const k = Number(value);
  if (!Number.isInteger(k) || k < 1)
    throw new CliError(`--k: expected a whole number >= 1 or "auto", got "${value}"`);
  return k;
}

interface Segment {
  id: string;
  label: string;
  size: number;
  profile: Record<string, { mean: number; median: number }>;
  description: string;
}

/** Adds `parley analytics segments` (on a running CRM) and `parley analytics kmeans` (on a CSV). */
export function addSegmentCommands(analytics: Command): void {
  analytics
    .command('segments')
    .description(
      'Segment the customers of a running CRM by k-means on RFM-style features (only those whose agreements ' +
        'allow segmentation) and print the segments with their profiles',
    )
    .requiredOption('--crm <url>', 'the CRM server, e.g. http://127.0.0.1:8080')
    .requiredOption('--key <apiKey>', 'an admin or agent API key of the tenant')
    .option('--k <n>', 'the number of segments, or "auto" for the best silhouette over 2..8', 'auto')
    .option('--json', 'print the stored segmentation as the API answers it')
    .action(async (o: { crm: string; key: string; k?: string; json?: boolean }) => {
      const k = parseK(o.k);
      const url = `${o.crm.replace(/\/+$/, '')}/crm/v1/analytics/segmentations`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ method: 'kmeans', k }),
          signal: AbortSignal.timeout(600_000),
        });
      } catch (e) {
        throw new CliError(`--crm: cannot reach ${o.crm} (${(e as Error).message})`);
      }
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (response.status !== 201)
        throw new CliError(
          `${url}: ${response.status} ${String(body.detail ?? body.title ?? response.statusText)}`,
        );
      if (o.json) return printJson(body);
      const segments = body.segments as Segment[];
      const excluded = Object.entries((body.excluded ?? {}) as Record<string, number>);
      const total = segments.reduce((a, s) => a + s.size, 0);
      let out =
        `Segmentation ${String(body.id)}: k-means, k = ${String(body.k)}, silhouette ${String(body.silhouette)}, ` +
        `${total} customers` +
        (excluded.length ? ` (left out: ${excluded.map(([r, n]) => `${n} ${r}`).join(', ')})` : '') +
        '\n\n' +
        table([
          ['segment', 'size', 'share', 'spend/30d', 'recency', 'tenure (y)', 'contacts/90d', 'label'],
          ...segments.map((s) => [
            s.id,
            String(s.size),
            `${total ? Math.round((100 * s.size) / total) : 0}%`,
            (s.profile.monetary30d?.mean ?? 0).toFixed(2),
            (s.profile.recencyDays?.mean ?? 0).toFixed(1),
            ((s.profile.tenureDays?.mean ?? 0) / 365).toFixed(1),
            (s.profile.contacts90d?.mean ?? 0).toFixed(2),
            s.label,
          ]),
        ]);
      out += '\n' + segments.map((s) => `${s.id}: ${s.description}`).join('\n') + '\n';
      process.stdout.write(out);
    });

  analytics
    .command('kmeans')
    .description('k-means on columns of a CSV (z-scores of each column; k stated or chosen by silhouette)')
    .argument('<file>', 'a CSV file with a header row')
    .requiredOption('--columns <a,b,c>', 'the numeric columns to cluster on')
    .option('--k <n>', 'the number of clusters, or "auto" for the best silhouette over 2..8', 'auto')
    .option('--seed <seed>', 'the seed of k-means++ (the same seed, the same clusters)', '1')
    .option(
      '--json',
      'print the fit as one JSON object (centroids in the units of the data, a label per row)',
    )
    .action((file: string, o: { columns: string; k?: string; seed: string; json?: boolean }) => {
      const k = parseK(o.k);
      const columns = o.columns
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      if (columns.length === 0) throw new CliError('--columns: name at least one column');
      const records = parse(readText(file), { columns: true, skip_empty_lines: true, trim: true }) as Record<
        string,
        string
      >[];
      if (records.length === 0) throw new CliError(`${file}: no rows`);
      const header = Object.keys(records[0] as object);
      for (const c of columns)
        if (!header.includes(c))
          throw new CliError(`${c}: no such column in ${file} (columns: ${header.join(', ')})`);
      let dropped = 0;
      const rows: number[][] = [];
      records.forEach((r, i) => {
        const cells = columns.map((c) => r[c] ?? '');
        if (cells.some((c) => c === '' || /^(na|nan|null)$/i.test(c))) {
          dropped++;
          return;
        }
        rows.push(
          cells.map((cell, j) => {
            const v = Number(cell);
            if (!Number.isFinite(v))
              throw new CliError(`${columns[j]}, line ${i + 2}: expected a number, got "${cell}"`);
            return v;
          }),
        );
      });
      const z = standardize(toPoints(rows));
      if (k !== 'auto' && k > z.n)
        throw new CliError(`--k: ${k} clusters need at least ${k} rows, got ${z.n}`);
      if (k === 'auto' && z.n < 3) throw new CliError(`--k auto: needs at least 3 rows, got ${z.n}`);
      const chosen = k === 'auto' ? chooseK(z, { seed: o.seed }) : null;
      const fit = chosen ?? kmeans(z, k === 'auto' ? 2 : k, { seed: o.seed });
      const s: number | null = chosen ? chosen.silhouette : fit.k > 1 ? silhouette(z, fit.labels) : null;
      const d = columns.length;
      const centroids = Array.from({ length: fit.k }, (_, c) =>
        Object.fromEntries(
          columns.map((name, j) => [
            name,
            (fit.centroids[c * d + j] as number) * (z.sd[j] as number) + (z.mean[j] as number),
          ]),
        ),
      );
      if (o.json)
        return printJson({
          k: fit.k,
          silhouette: s,
          inertia: fit.inertia,
          sizes: fit.sizes,
          centroids,
          labels: [...fit.labels],
          dropped,
          ...(chosen ? { tried: chosen.tried } : {}),
        });
      process.stdout.write(
        `k-means on ${z.n} rows (z-scores of ${columns.join(', ')}), k = ${fit.k}` +
          (s === null ? '' : `, silhouette ${s.toFixed(4)}`) +
          (dropped ? `, ${dropped} rows left out for missing values` : '') +
          '\n\n' +
          table([
            ['cluster', 'size', ...columns, ''],
            ...centroids.map((c, i) => [
              String(i + 1),
              String(fit.sizes[i]),
              ...columns.map((n) => (c[n] as number).toFixed(3)),
              '',
            ]),
          ]) +
          (chosen
            ? '\nk chosen by silhouette: ' +
              chosen.tried.map((t) => `k=${t.k} ${t.silhouette.toFixed(4)}`).join(', ') +
              '\n'
            : ''),
      );
    });
}
