import { concordance } from './concordance.js';
import { inverse, solve } from './linalg.js';
import { chiSquareSf, normalQuantile, twoSidedP } from './special.js';

const chiSquarePValue = (x: number, df: number) => chiSquareSf(x, df);

export interface CoxInput {
  time: ArrayLike<number>;
  event: ArrayLike<number>;
  /** One column per covariate, each as long as `time`. */
  covariates: Record<string, ArrayLike<number>>;
}

export interface CoxFit {
  n: number;
  events: number;
  covariates: string[];
  coef: Record<string, number>;
  se: Record<string, number>;
  hazardRatio: Record<string, number>;
  /** 95% interval of each hazard ratio. */
  hazardRatioLower: Record<string, number>;
  hazardRatioUpper: Record<string, number>;
  z: Record<string, number>;
  p: Record<string, number>;
  logLikelihood: number;
  nullLogLikelihood: number;
  /** Likelihood ratio test against the null model: statistic, df, p. */
  likelihoodRatio: { statistic: number; df: number; p: number };
  concordance: number;
  iterations: number;
  ties: 'efron';
  /** The covariate means the model is centred on (risk scores are relative to them). */
  means: Record<string, number>;
  /**
   * Breslow's baseline cumulative hazard at the covariate means, at each distinct event time: S(t | x) =
   * exp(-H0(t) exp(lp(x))).
   */
  baseline: { times: number[]; cumulativeHazard: number[] };
}

interface Prepared {
  n: number;
  p: number;
  /** Row-major centred covariates, rows in descending time order. */
  x: Float64Array;
  time: Float64Array;
  event: Uint8Array;
}

function prepare(input: CoxInput, names: string[]): { data: Prepared; means: number[] } {
  const n = input.time.length;
  const p = names.length;
  if (input.event.length !== n) throw new RangeError('event: expected as many values as time');
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) =>
      (input.time[b] as number) - (input.time[a] as number) ||
      (input.event[a] as number) - (input.event[b] as number),
  );
  const means = names.map((name) => {
    const column = input.covariates[name] as ArrayLike<number>;
    if (column.length !== n) throw new RangeError(`${name}: expected as many values as time`);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = column[i] as number;
      if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}]: expected a number, got ${v}`);
      s += v;
    }
    return s / n;
  });
  const x = new Float64Array(n * p);
  const time = new Float64Array(n);
  const event = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const i = order[r] as number;
    const t = input.time[i] as number;
    if (!Number.isFinite(t) || t < 0)
      throw new RangeError(`time[${i}]: expected a finite duration >= 0, got ${t}`);
    time[r] = t;
    event[r] = input.event[i] ? 1 : 0;
    for (let j = 0; j < p; j++)
      x[r * p + j] =
        ((input.covariates[names[j] as string] as ArrayLike<number>)[i] as number) - (means[j] as number);
  }
  return { data: { n, p, x, time, event }, means };
}

/**
 * The Efron partial log-likelihood at `beta`, its gradient and information matrix, in one pass over the rows
 * in descending time: the risk set's sums S0, S1, S2 grow as time goes back; each tie group's events enter
 * Efron's correction (the l-th of d tied events sees the risk set less l/d of the tied events' weight).
 */
function efron(d: Prepared, beta: readonly number[]) {
  const { n, p, x, time, event } = d;
  const s1 = new Float64Array(p);
  const s2 = new Float64Array(p * p);
  const e1 = new Float64Array(p);
  const e2 = new Float64Array(p * p);
  const gradient = new Float64Array(p);
  const info = new Float64Array(p * p);
  const a = new Float64Array(p);
  let s0 = 0;
  let loglik = 0;
  for (let r = 0; r < n;) {
    const t = time[r] as number;
    let e0 = 0;
    e1.fill(0);
    e2.fill(0);
    let deaths = 0;
    let end = r;
    for (; end < n && time[end] === t; end++) {
      let eta = 0;
      const row = end * p;
      for (let j = 0; j < p; j++) eta += (beta[j] as number) * (x[row + j] as number);
      const w = Math.exp(eta);
      s0 += w;
      for (let j = 0; j < p; j++) {
        const xj = x[row + j] as number;
        s1[j] = (s1[j] as number) + w * xj;
        for (let k = 0; k <= j; k++)
          s2[j * p + k] = (s2[j * p + k] as number) + w * xj * (x[row + k] as number);
      }
      if (event[end]) {
        deaths++;
        loglik += eta;
        e0 += w;
        for (let j = 0; j < p; j++) {
          const xj = x[row + j] as number;
          gradient[j] = (gradient[j] as number) + xj;
          e1[j] = (e1[j] as number) + w * xj;
          for (let k = 0; k <= j; k++)
            e2[j * p + k] = (e2[j * p + k] as number) + w * xj * (x[row + k] as number);
        }
      }
    }
    for (let l = 0; l < deaths; l++) {
      const f = l / deaths;
      const d0 = s0 - f * e0;
      loglik -= Math.log(d0);
      for (let j = 0; j < p; j++) {
        a[j] = ((s1[j] as number) - f * (e1[j] as number)) / d0;
        gradient[j] = (gradient[j] as number) - (a[j] as number);
      }
      for (let j = 0; j < p; j++)
        for (let k = 0; k <= j; k++)
          info[j * p + k] =
            (info[j * p + k] as number) +
            ((s2[j * p + k] as number) - f * (e2[j * p + k] as number)) / d0 -
            (a[j] as number) * (a[k] as number);
    }
    r = end;
  }
  const information = Array.from({ length: p }, (_, j) =>
    Array.from({ length: p }, (_, k) => (j >= k ? (info[j * p + k] as number) : (info[k * p + j] as number))),
  );
  return { loglik, gradient: Array.from(gradient), information };
}

/**
 * Cox proportional hazards, Efron's tie handling, fitted by Newton-Raphson with step halving (as R's `coxph`
 * and lifelines do): coefficients, standard errors from the inverse information, hazard ratios with 95%
 * intervals, Wald z and p, the log partial likelihood and its null, the likelihood ratio test, Harrell's C.
 */
export function fitCox(
  input: CoxInput,
  options: { maxIterations?: number; tolerance?: number } = {},
): CoxFit {
  const names = Object.keys(input.covariates);
  if (names.length === 0) throw new RangeError('covariates: name at least one');
  const { data, means } = prepare(input, names);
  const events = data.event.reduce((s, e) => s + e, 0);
  if (events === 0) throw new RangeError('event: no events, nothing to fit');
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-9;
  let beta = new Array<number>(names.length).fill(0);
  let current = efron(data, beta);
  const nullLogLikelihood = current.loglik;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const step = solve(current.information, current.gradient);
    let scale = 1;
    let next = beta.map((b, j) => b + (step[j] as number));
    let candidate = efron(data, next);
    while (!(candidate.loglik >= current.loglik - 1e-12) && scale > 1e-6) {
      scale /= 2;
      next = beta.map((b, j) => b + scale * (step[j] as number));
      candidate = efron(data, next);
    }
    const gain = candidate.loglik - current.loglik;
    beta = next;
    current = candidate;
    if (Math.abs(gain) <= tolerance * Math.max(1, Math.abs(current.loglik))) {
      iterations++;
      break;
    }
  }
  const covariance = inverse(current.information);
  const z975 = normalQuantile(0.975);
  const record = (f: (j: number) => number) => Object.fromEntries(names.map((name, j) => [name, f(j)]));
  const se = names.map((_, j) => Math.sqrt((covariance[j] as number[])[j] as number));
  const risk = new Float64Array(data.n);
  for (let r = 0; r < data.n; r++) {
    let eta = 0;
    for (let j = 0; j < data.p; j++) eta += (beta[j] as number) * (data.x[r * data.p + j] as number);
    risk[r] = eta;
  }
  const lr = 2 * (current.loglik - nullLogLikelihood);
  const baseline = breslow(data, risk);
  return {
    n: data.n,
    events,
    covariates: names,
    coef: record((j) => beta[j] as number),
    se: record((j) => se[j] as number),
    hazardRatio: record((j) => Math.exp(beta[j] as number)),
    hazardRatioLower: record((j) => Math.exp((beta[j] as number) - z975 * (se[j] as number))),
    hazardRatioUpper: record((j) => Math.exp((beta[j] as number) + z975 * (se[j] as number))),
    z: record((j) => (beta[j] as number) / (se[j] as number)),
    p: record((j) => twoSidedP((beta[j] as number) / (se[j] as number))),
    logLikelihood: current.loglik,
    nullLogLikelihood,
    likelihoodRatio: { statistic: lr, df: names.length, p: chiSquarePValue(lr, names.length) },
    concordance: concordance(data.time, data.event, risk),
    iterations,
    ties: 'efron',
    means: record((j) => means[j] as number),
    baseline,
  };
}

/** Breslow's estimator of the baseline cumulative hazard (rows in descending time, linear predictors given). */
function breslow(d: Prepared, lp: Float64Array) {
  const steps: [number, number][] = [];
  let s0 = 0;
  for (let r = 0; r < d.n;) {
    const t = d.time[r] as number;
    let deaths = 0;
    let end = r;
    for (; end < d.n && d.time[end] === t; end++) {
      s0 += Math.exp(lp[end] as number);
      if (d.event[end]) deaths++;
    }
    if (deaths > 0) steps.push([t, deaths / s0]);
    r = end;
  }
  steps.reverse();
  const times: number[] = [];
  const cumulativeHazard: number[] = [];
  let h = 0;
  for (const [t, dh] of steps) {
    h += dh;
    times.push(t);
    cumulativeHazard.push(h);
  }
  return { times, cumulativeHazard };
}

/** The probability that a subject with this linear predictor has the event by time t (1 - S(t | x)). */
export function eventProbability(fit: CoxFit, lp: number, t: number): number {
  const { times, cumulativeHazard } = fit.baseline;
  let lo = 0;
  let hi = times.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) <= t) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const h0 = at < 0 ? 0 : (cumulativeHazard[at] as number);
  return 1 - Math.exp(-h0 * Math.exp(lp));
}

/** The linear predictor (log relative hazard, against the fit's covariate means) of one subject. */
export function linearPredictor(fit: CoxFit, subject: Record<string, number>): number {
  return fit.covariates.reduce(
    (s, name) => s + (fit.coef[name] as number) * ((subject[name] as number) - (fit.means[name] as number)),
    0,
  );
}
