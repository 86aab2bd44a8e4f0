import { Command, Option } from 'commander';
import { parse } from 'csv-parse/sync';
import { fitCox, kaplanMeier, logRank, type ConfType, type KaplanMeier } from '@parley/analytics';
import { CliError, printJson, readText } from '../io.js';
import { addSegmentCommands } from './analytics-segments.js';
import { addQoeCommands } from './analytics-qoe.js';

interface Columns {
  rows: number;
  dropped: number;
  numbers: Record<string, number[]>;
  labels: Record<string, string[]>;
}

/**
 * Reads the CSV (header row) and keeps the rows where every column named has a value, as R's na.omit does;
 * `numeric` columns must be numbers, `event` 0/1 (or true/false), `label` columns anything.
 */
function readColumns(file: string, spec: { numeric: string[]; event: string; label?: string }): Columns {
  const records = parse(readText(file), { columns: true, skip_empty_lines: true, trim: true }) as Record<
    string,
    string
  >[];
  if (records.length === 0) throw new CliError(`${file}: no rows`);
  const header = Object.keys(records[0] as object);
  for (const name of [...spec.numeric, spec.event, ...(spec.label ? [spec.label] : [])])
    if (!header.includes(name))
      throw new CliError(`${name}: no such column in ${file} (columns: ${header.join(', ')})`);
  const numbers: Record<string, number[]> = Object.fromEntries(
    [...spec.numeric, spec.event].map((n) => [n, []]),
  );
  const labels: Record<string, string[]> = spec.label ? { [spec.label]: [] } : {};
  let dropped = 0;
  records.forEach((record, i) => {
    const line = i + 2;
    const cells = [...spec.numeric, spec.event, ...(spec.label ? [spec.label] : [])].map(
      (n) => record[n] ?? '',
    );
    if (cells.some((c) => c === '' || /^(na|nan|null)$/i.test(c))) {
      dropped++;
      return;
    }
    for (const name of spec.numeric) {
      const v = Number(record[name]);
      if (!Number.isFinite(v))
        throw new CliError(`${name}, line ${line}: expected a number, got "${record[name]}"`);
      (numbers[name] as number[]).push(v);
    }
    const e = String(record[spec.event]).toLowerCase();
    // As R's Surv: 0/1 (or false/true), or 1/2 with 2 the event when no 0 appears (R's lung is coded so).
    const event = e === '1' || e === 'true' ? 1 : e === '0' || e === 'false' ? 0 : e === '2' ? 2 : NaN;
    if (Number.isNaN(event))
      throw new CliError(
        `${spec.event}, line ${line}: expected 1 (event) or 0 (censored), or R's 2 (event) and 1 (censored), got "${record[spec.event]}"`,
      );
    (numbers[spec.event] as number[]).push(event);
    if (spec.label) (labels[spec.label] as string[]).push(String(record[spec.label]));
  });
  const events = numbers[spec.event] as number[];
  if (events.includes(2)) {
    if (events.includes(0))
      throw new CliError(`${spec.event}: mixes 0/1 and 1/2 codings; use 0 (censored) and 1 (event)`);
    numbers[spec.event] = events.map((v) => (v === 2 ? 1 : 0));
  }
  return { rows: records.length - dropped, dropped, numbers, labels };
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const pValue = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toFixed(4));
const table = (rows: string[][]) => {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
          .join('  '),
      )
      .join('\n') + '\n'
  );
};

const kmSummary = (group: string | null, km: KaplanMeier) => ({
  ...(group === null ? {} : { group }),
  n: km.n,
  events: km.events,
  median: km.median,
  medianLower: km.medianLower,
  medianUpper: km.medianUpper,
});

export function analyticsCommand(): Command {
  const analytics = new Command('analytics').description(
    'Survival analytics on a CSV file: Cox proportional hazards and Kaplan-Meier with the log-rank test',
  );
  analytics
    .command('cox')
    .description(
      'Fit a Cox proportional hazards model (Efron ties, as R coxph and lifelines): coefficients, standard ' +
        'errors, hazard ratios with 95% intervals, z and p, log partial likelihood, likelihood ratio test, ' +
        'concordance. Rows missing any named column are left out (counted). Exit 1 on bad input.',
    )
    .argument('<file>', 'a CSV file with a header row')
    .requiredOption('--duration <column>', 'time to the event or to censoring')
    .requiredOption('--event <column>', '1 when the event happened, 0 when censored')
    .requiredOption('--covariates <columns>', 'comma-separated numeric columns, e.g. fin,age,prio')
    .option('--json', 'print the fit as one JSON object (coef and se keyed by covariate)')
    .action((file: string, o: { duration: string; event: string; covariates: string; json?: boolean }) => {
      const names = o.covariates
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (names.length === 0) throw new CliError('--covariates: name at least one column');
      const data = readColumns(file, { numeric: [o.duration, ...names], event: o.event });
      let fit;
      try {
        fit = fitCox({
          time: data.numbers[o.duration] as number[],
          event: data.numbers[o.event] as number[],
          covariates: Object.fromEntries(names.map((n) => [n, data.numbers[n] as number[]])),
        });
      } catch (error) {
        throw new CliError(`cox: ${(error as Error).message}`);
      }
      if (o.json) return printJson({ ...fit, dropped: data.dropped });
      process.stdout.write(
        `Cox proportional hazards (Efron ties): n = ${fit.n}, events = ${fit.events}` +
          (data.dropped ? `, ${data.dropped} rows left out for missing values` : '') +
          '\n\n' +
          table([
            ['', 'coef', 'exp(coef)', 'se(coef)', 'lower .95', 'upper .95', 'z', 'p'],
            ...names.map((n) => [
              n,
              fixed(fit.coef[n] as number, 5),
              fixed(fit.hazardRatio[n] as number, 5),
              fixed(fit.se[n] as number, 5),
              fixed(fit.hazardRatioLower[n] as number, 4),
              fixed(fit.hazardRatioUpper[n] as number, 4),
              fixed(fit.z[n] as number, 3),
              pValue(fit.p[n] as number),
            ]),
          ]) +
          `\nConcordance = ${fixed(fit.concordance, 3)}\nLog partial likelihood = ${fixed(fit.logLikelihood, 3)} ` +
          `(null ${fixed(fit.nullLogLikelihood, 3)})\nLikelihood ratio test = ${fixed(fit.likelihoodRatio.statistic, 2)} ` +
          `on ${fit.likelihoodRatio.df} df, p = ${pValue(fit.likelihoodRatio.p)}\n`,
      );
    });
  analytics
    .command('km')
    .description(
      'Kaplan-Meier survival curves (Greenwood variance; R survfit intervals), overall or by a group column, ' +
        'with the median and its interval; with --group, the log-rank test (R survdiff).',
    )
    .argument('<file>', 'a CSV file with a header row')
    .requiredOption('--duration <column>', 'time to the event or to censoring')
    .requiredOption('--event <column>', '1 when the event happened, 0 when censored')
    .option('--group <column>', 'one curve per value of this column, and the log-rank test between them')
    .addOption(
      new Option('--conf-type <type>', 'interval on log S (R), log(-log S) (lifelines) or S')
        .choices(['log', 'log-log', 'plain'])
        .default('log'),
    )
    .option('--conf-level <level>', 'confidence level', '0.95')
    .option('--curve', 'print every step of each curve (time, at risk, events, survival, interval)')
    .option('--json', 'print the curves (every step) and the test as one JSON object')
    .action(
      (
        file: string,
        o: {
          duration: string;
          event: string;
          group?: string;
          confType: ConfType;
          confLevel: string;
          curve?: boolean;
          json?: boolean;
        },
      ) => {
        const confLevel = Number(o.confLevel);
        if (!(confLevel > 0 && confLevel < 1))
          throw new CliError('--conf-level: expected a number between 0 and 1');
        const data = readColumns(file, {
          numeric: [o.duration],
          event: o.event,
          ...(o.group ? { label: o.group } : {}),
        });
        const time = data.numbers[o.duration] as number[];
        const event = data.numbers[o.event] as number[];
        const options = { confLevel, confType: o.confType };
        const groups: [string | null, KaplanMeier][] = [];
        if (o.group) {
          const labels = data.labels[o.group] as string[];
          for (const g of [...new Set(labels)].sort()) {
            const rows = labels.flatMap((l, i) => (l === g ? [i] : []));
            groups.push([
              g,
              kaplanMeier(
                rows.map((i) => time[i] as number),
                rows.map((i) => event[i] as number),
                options,
              ),
            ]);
          }
        } else groups.push([null, kaplanMeier(time, event, options)]);
        const test =
          o.group && groups.length > 1 ? logRank(time, event, data.labels[o.group] as string[]) : undefined;
        if (o.json)
          return printJson({
            confLevel,
            confType: o.confType,
            dropped: data.dropped,
            curves: groups.map(([g, km]) => ({
              ...kmSummary(g, km),
              times: km.times,
              atRisk: km.atRisk,
              events: km.died,
              censored: km.censored,
              survival: km.survival,
              se: km.se,
              lower: km.lower,
              upper: km.upper,
            })),
            ...(test ? { logRank: test } : {}),
          });
        const pct = `${Math.round(confLevel * 100)}%`;
        let out =
          `Kaplan-Meier (${o.confType} intervals, ${pct})` +
          (data.dropped ? `, ${data.dropped} rows left out for missing values` : '') +
          '\n\n' +
          table([
            [o.group ?? '', 'n', 'events', 'median', `${pct} lower`, `${pct} upper`],
            ...groups.map(([g, km]) => [
              g ?? 'all',
              String(km.n),
              String(km.events),
              String(km.median ?? 'NA'),
              String(km.medianLower ?? 'NA'),
              String(km.medianUpper ?? 'NA'),
            ]),
          ]);
        if (test)
          out +=
            `\nLog-rank test: chi-square = ${fixed(test.chiSquare, 2)} on ${test.df} df, p = ${pValue(test.p)}\n` +
            table([
              ['', 'observed', 'expected'],
              ...test.groups.map((g) => [g.group, String(g.observed), fixed(g.expected, 2)]),
            ]);
        if (o.curve)
          for (const [g, km] of groups)
            out +=
              `\n${g ?? 'all'}\n` +
              table([
                ['time', 'at risk', 'events', 'survival', 'se', 'lower', 'upper'],
                ...km.times.map((t, i) => [
                  String(t),
                  String(km.atRisk[i]),
                  String(km.died[i]),
                  fixed(km.survival[i] as number, 4),
                  fixed(km.se[i] as number, 4),
                  fixed(km.lower[i] as number, 4),
                  fixed(km.upper[i] as number, 4),
                ]),
              ]);
        process.stdout.write(out);
      },
    );
  addSegmentCommands(analytics);
  addQoeCommands(analytics);
  return analytics;
}
