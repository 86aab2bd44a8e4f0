import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventProbability, fitCox, linearPredictor } from './cox.js';
import { kaplanMeier, survivalAt } from './km.js';
import { logRank } from './logrank.js';

/** A CSV of numbers (empty cells: NaN) from the package's data folder, by column. */
function dataset(name: string): Record<string, number[]> {
  const text = readFileSync(fileURLToPath(new URL(`../data/${name}`, import.meta.url)), 'utf8').trim();
  const [header, ...rows] = text.split(/\r?\n/);
  const names = (header as string).split(',');
  const columns = Object.fromEntries(names.map((n) => [n, [] as number[]]));
  for (const row of rows)
    row
      .split(',')
      .forEach((cell, i) => (columns[names[i] as string] as number[]).push(cell === '' ? NaN : Number(cell)));
  return columns;
}

const near = (actual: number, expected: number, decimals: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) < 0.5 * 10 ** -decimals,
    `${what}: ${actual} is not ${expected} to ${decimals} decimals`,
  );

test('Cox (Efron ties) on the Rossi recidivism data matches R survival and lifelines to 3 decimals', () => {
  // The reference: R, coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi)
  // (Efron is R's default), as printed in Fox & Weisberg, "Cox Proportional-Hazards Regression for Survival
  // Data in R", and reproduced by lifelines' CoxPHFitter on the same rossi.csv (its documentation's example):
  // coefficients and standard errors to 5 decimals, log partial likelihood -658.748, likelihood ratio 33.27 on
  // 7 df (p = 2.362e-05), concordance 0.640. We require every coefficient and SE to 3 decimals (as the issue
  // asks), and the rest as printed.
  const rossi = dataset('rossi.csv');
  const names = ['fin', 'age', 'race', 'wexp', 'mar', 'paro', 'prio'];
  const fit = fitCox({
    time: rossi.week as number[],
    event: rossi.arrest as number[],
    covariates: Object.fromEntries(names.map((n) => [n, rossi[n] as number[]])),
  });
  const R = {
    coef: {
      fin: -0.37942,
      age: -0.05744,
      race: 0.3139,
      wexp: -0.1498,
      mar: -0.4337,
      paro: -0.08487,
      prio: 0.0915,
    },
    se: {
      fin: 0.19138,
      age: 0.022,
      race: 0.30799,
      wexp: 0.21222,
      mar: 0.38187,
      paro: 0.19576,
      prio: 0.02865,
    },
  };
  for (const n of names) {
    near(fit.coef[n] as number, R.coef[n as keyof typeof R.coef], 3, `coef ${n}`);
    near(fit.se[n] as number, R.se[n as keyof typeof R.se], 3, `se ${n}`);
    // And in fact to the 5 printed decimals.
    near(fit.coef[n] as number, R.coef[n as keyof typeof R.coef], 4, `coef ${n} (4 decimals)`);
  }
  near(fit.logLikelihood, -658.748, 3, 'log-likelihood');
  near(fit.likelihoodRatio.statistic, 33.27, 2, 'likelihood ratio');
  assert.ok(Math.abs(fit.likelihoodRatio.p - 2.362e-5) < 0.005e-5, `LR p ${fit.likelihoodRatio.p}`);
  near(fit.concordance, 0.64, 2, 'concordance');
  near(fit.hazardRatio.prio as number, 1.09581, 4, 'hazard ratio prio');
  near(fit.p.prio as number, 0.0014, 4, 'p prio');
  near(fit.p.fin as number, 0.0474, 4, 'p fin');
  assert.equal(fit.n, 432);
  assert.equal(fit.events, 114);
  // Breslow's baseline: the model's mean predicted probability of arrest within the 52 weeks observed is the
  // share arrested (114 of 432, everyone followed to week 52 or arrested), within sampling noise.
  const mean =
    (rossi.week as number[]).reduce((s, _, i) => {
      const subject = Object.fromEntries(names.map((n) => [n, (rossi[n] as number[])[i] as number]));
      return s + eventProbability(fit, linearPredictor(fit, subject), 52);
    }, 0) / 432;
  near(mean, 114 / 432, 2, 'mean predicted arrest by week 52');
  assert.ok(fit.baseline.cumulativeHazard.every((h, i, a) => i === 0 || h >= (a[i - 1] as number)));
});

test('Cox on R lung (age + sex) matches R; a fit with no events or collinear covariates is refused', () => {
  // R: coxph(Surv(time, status) ~ age + sex, data = lung): age 0.017045 (se 0.009223), sex -0.513219 (se 0.167458).
  const lung = dataset('lung.csv');
  const fit = fitCox({
    time: lung.time as number[],
    event: lung.status as number[],
    covariates: { age: lung.age as number[], sex: lung.sex as number[] },
  });
  near(fit.coef.age as number, 0.017045, 5, 'age');
  near(fit.coef.sex as number, -0.513219, 5, 'sex');
  near(fit.se.age as number, 0.009223, 5, 'se age');
  near(fit.se.sex as number, 0.167458, 5, 'se sex');
  assert.throws(() => fitCox({ time: [1, 2], event: [0, 0], covariates: { a: [1, 2] } }), /no events/);
  assert.throws(
    () =>
      fitCox({ time: [1, 2, 3, 4], event: [1, 1, 0, 1], covariates: { a: [1, 2, 3, 4], b: [2, 4, 6, 8] } }),
    /positive definite/,
  );
  assert.throws(() => fitCox({ time: [1, NaN], event: [1, 1], covariates: { a: [1, 2] } }), /time\[1\]/);
});

test('Kaplan-Meier on R lung matches survfit: median 310 (285, 363), S(t) with Greenwood and log intervals', () => {
  // R: survfit(Surv(time, status) ~ 1, data = lung): n 228, events 165, median 310, 0.95 CI 285 to 363;
  // summary(fit, times = 365): survival 0.409, std.err 0.0358, lower 0.345, upper 0.486.
  const lung = dataset('lung.csv');
  const km = kaplanMeier(lung.time as number[], lung.status as number[]);
  assert.equal(km.n, 228);
  assert.equal(km.events, 165);
  assert.deepEqual([km.median, km.medianLower, km.medianUpper], [310, 285, 363]);
  const at = km.times.filter((t) => t <= 365).length - 1;
  near(km.survival[at] as number, 0.409, 3, 'S(365)');
  near(km.se[at] as number, 0.0358, 4, 'se(365)');
  near(km.lower[at] as number, 0.345, 3, 'lower(365)');
  near(km.upper[at] as number, 0.486, 3, 'upper(365)');
  near(survivalAt(km, 365), 0.409, 3, 'survivalAt');
  assert.equal(survivalAt(km, 0), 1);
  // Ties and censoring by hand: times 1,1,2,3(censored),4: S = 3/5, then 2/3 of that, then 0 at 4.
  const small = kaplanMeier([1, 1, 2, 3, 4], [1, 1, 1, 0, 1]);
  assert.deepEqual(small.times, [1, 2, 3, 4]);
  assert.deepEqual(small.atRisk, [5, 3, 2, 1]);
  near(small.survival[1] as number, 0.4, 9, 'S(2)');
  assert.equal(small.survival[3], 0);
});

test('log-rank on R lung by sex matches survdiff: chi-square 10.3, p 0.00131', () => {
  // R: survdiff(Surv(time, status) ~ sex, data = lung): observed 112 / 53, expected 91.6 / 73.4,
  // Chisq = 10.3 on 1 degree of freedom, p = 0.00131.
  const lung = dataset('lung.csv');
  const lr = logRank(lung.time as number[], lung.status as number[], lung.sex as number[]);
  assert.deepEqual(
    lr.groups.map((g) => [g.group, g.observed, Math.round(g.expected * 10) / 10]),
    [
      ['1', 112, 91.6],
      ['2', 53, 73.4],
    ],
  );
  near(lr.chiSquare, 10.3267, 4, 'chi-square');
  assert.equal(lr.df, 1);
  near(lr.p, 0.00131, 5, 'p');
});
