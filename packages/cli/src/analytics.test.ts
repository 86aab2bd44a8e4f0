import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const DATA = (name: string) => fileURLToPath(new URL(`../../analytics/data/${name}`, import.meta.url));

function parley(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('parley analytics cox --json on Rossi: coef and se keyed by covariate match R coxph to 3 decimals', () => {
  // R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi) (Efron), as printed
  // in Fox & Weisberg's appendix and reproduced by lifelines: see packages/analytics/src/survival.test.ts.
  const r = parley(
    'analytics',
    'cox',
    DATA('rossi.csv'),
    '--duration',
    'week',
    '--event',
    'arrest',
    '--covariates',
    'fin,age,race,wexp,mar,paro,prio',
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const fit = JSON.parse(r.out) as {
    coef: Record<string, number>;
    se: Record<string, number>;
    logLikelihood: number;
    concordance: number;
  };
  const expected = {
    fin: [-0.37942, 0.19138],
    age: [-0.05744, 0.022],
    prio: [0.0915, 0.02865],
    mar: [-0.4337, 0.38187],
  };
  for (const [name, [coef, se]] of Object.entries(expected)) {
    assert.ok(
      Math.abs((fit.coef[name] as number) - (coef as number)) < 5e-4,
      `coef ${name} ${fit.coef[name]}`,
    );
    assert.ok(Math.abs((fit.se[name] as number) - (se as number)) < 5e-4, `se ${name} ${fit.se[name]}`);
  }
  assert.ok(Math.abs(fit.logLikelihood + 658.748) < 5e-4);
  assert.ok(Math.abs(fit.concordance - 0.64) < 5e-3);
  const text = parley(
    'analytics',
    'cox',
    DATA('rossi.csv'),
    '--duration',
    'week',
    '--event',
    'arrest',
    '--covariates',
    'fin,prio',
  );
  assert.equal(text.code, 0);
  assert.match(text.out, /^fin\s+-0\.\d{5}\s/m);
  assert.match(text.out, /Concordance = 0\.\d{3}/);
});

test('parley analytics km by group prints medians and the log-rank test; --json gives every step', () => {
  const r = parley(
    'analytics',
    'km',
    DATA('lung.csv'),
    '--duration',
    'time',
    '--event',
    'status',
    '--group',
    'sex',
    '--json',
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as {
    curves: {
      group: string;
      n: number;
      median: number;
      medianLower: number;
      medianUpper: number;
      times: number[];
      survival: number[];
    }[];
    logRank: { chiSquare: number; p: number };
  };
  // R survfit(Surv(time, status) ~ sex, lung): 1: n 138, median 270 (212, 310); 2: n 90, median 426 (348, 550).
  assert.deepEqual(
    out.curves.map((c) => [c.group, c.n, c.median, c.medianLower, c.medianUpper]),
    [
      ['1', 138, 270, 212, 310],
      ['2', 90, 426, 348, 550],
    ],
  );
  assert.equal(out.curves[0]?.times.length, out.curves[0]?.survival.length);
  assert.ok(Math.abs(out.logRank.chiSquare - 10.33) < 0.01);
  const text = parley('analytics', 'km', DATA('lung.csv'), '--duration', 'time', '--event', 'status');
  assert.match(text.out, /all\s+228\s+165\s+310\s+285\s+363/);
});

test('parley analytics refuses bad input with a message naming the column and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-analytics-'));
  try {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'days,churned,plan\n10,1,1\n12,yes,2\n');
    const r = parley(
      'analytics',
      'cox',
      file,
      '--duration',
      'days',
      '--event',
      'churned',
      '--covariates',
      'plan',
    );
    assert.equal(r.code, 1);
    assert.match(r.err, /churned, line 3: expected 1 \(event\) or 0 \(censored\)/);
    // R's 1/2 coding (2 = the event), as in R's own lung data, gives the same fit as 0/1.
    const coded = join(dir, 'coded.csv');
    const lung = readFileSync(DATA('lung.csv'), 'utf8').trim().split(/\r?\n/);
    const status = (lung[0] as string).split(',').indexOf('status');
    writeFileSync(
      coded,
      lung
        .map((row, i) =>
          i === 0
            ? row
            : row
                .split(',')
                .map((c, j) => (j === status ? String(Number(c) + 1) : c))
                .join(','),
        )
        .join('\n'),
    );
    const r12 = parley('analytics', 'km', coded, '--duration', 'time', '--event', 'status', '--json');
    const r01 = parley(
      'analytics',
      'km',
      DATA('lung.csv'),
      '--duration',
      'time',
      '--event',
      'status',
      '--json',
    );
    assert.equal(r12.code, 0, r12.err);
    assert.deepEqual(JSON.parse(r12.out).curves, JSON.parse(r01.out).curves);
    const missing = parley('analytics', 'km', file, '--duration', 'nope', '--event', 'churned');
    assert.match(missing.err, /nope: no such column/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
