import { normalQuantile } from './special.js';

/** How the pointwise confidence interval of S(t) is built: on log S (R's default), log(-log S) (lifelines'), or S. */
export type ConfType = 'log' | 'log-log' | 'plain';

export interface KaplanMeier {
  n: number;
  events: number;
  /** Distinct times with an event or a censoring, ascending. */
  times: number[];
  atRisk: number[];
  /** Events at each time. */
  died: number[];
  censored: number[];
  survival: number[];
  /** Greenwood's standard error of S(t). */
  se: number[];
  lower: number[];
  upper: number[];
  /** The median survival time and its confidence interval (null where the curve does not reach 0.5). */
  median: number | null;
  medianLower: number | null;
  medianUpper: number | null;
  confLevel: number;
  confType: ConfType;
}

/**
 * The distinct times of a sample with the events and censorings at each, from two native numeric sorts (one of
 * event times, one of censoring times) merged: no comparator, so ten million rows sort in about a second.
 */
export function tally(time: ArrayLike<number>, event: ArrayLike<number>) {
  const n = time.length;
  let nEvents = 0;
  for (let i = 0; i < n; i++) if (event[i]) nEvents++;
  const ev = new Float64Array(nEvents);
  const ce = new Float64Array(n - nEvents);
  for (let i = 0, a = 0, b = 0; i < n; i++) {
    const t = time[i] as number;
    if (!Number.isFinite(t) || t < 0)
      throw new RangeError(`time[${i}]: expected a finite duration >= 0, got ${t}`);
    if (event[i]) ev[a++] = t;
    else ce[b++] = t;
  }
  ev.sort();
  ce.sort();
  const times: number[] = [];
  const died: number[] = [];
  const censored: number[] = [];
  let i = 0;
  let j = 0;
  while (i < ev.length || j < ce.length) {
    const t = Math.min(
      i < ev.length ? (ev[i] as number) : Infinity,
      j < ce.length ? (ce[j] as number) : Infinity,
    );
    let d = 0;
    let c = 0;
    while (i < ev.length && ev[i] === t) {
      d++;
      i++;
    }
    while (j < ce.length && ce[j] === t) {
      c++;
      j++;
    }
    times.push(t);
    died.push(d);
    censored.push(c);
  }
  return { n, events: nEvents, times, died, censored };
}

/**
 * The Kaplan-Meier estimate with Greenwood's variance and pointwise confidence intervals, as R's
 * `survfit(Surv(time, event) ~ 1, conf.type = "log")` gives them (or "log-log", "plain"); the median and its
 * interval as R prints them (the first time each curve is at or below one half; a curve exactly at one half
 * over an interval gives the midpoint).
 */
export function kaplanMeier(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  options: { confLevel?: number; confType?: ConfType } = {},
): KaplanMeier {
  if (time.length !== event.length) throw new RangeError('event: expected as many values as time');
  const confLevel = options.confLevel ?? 0.95;
  const confType = options.confType ?? 'log';
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const { n, events, times, died, censored } = tally(time, event);
  const atRisk: number[] = [];
  const survival: number[] = [];
  const se: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  let risk = n;
  let s = 1;
  let greenwood = 0;
  for (let k = 0; k < times.length; k++) {
    const d = died[k] as number;
    atRisk.push(risk);
    if (d > 0) {
      s *= 1 - d / risk;
      greenwood += risk > d ? d / (risk * (risk - d)) : Infinity;
    }
    survival.push(s);
    se.push(s * Math.sqrt(greenwood));
    let lo: number;
    let hi: number;
    if (s <= 0 || !Number.isFinite(greenwood)) {
      lo = 0;
      hi = confType === 'plain' ? 0 : NaN;
    } else if (confType === 'log') {
      const w = z * Math.sqrt(greenwood);
      lo = s * Math.exp(-w);
      hi = Math.min(1, s * Math.exp(w));
    } else if (confType === 'log-log') {
      const w = (z * Math.sqrt(greenwood)) / Math.log(s);
      lo = greenwood === 0 ? 1 : Math.pow(s, Math.exp(-w));
      hi = greenwood === 0 ? 1 : Math.pow(s, Math.exp(w));
      if (lo > hi) [lo, hi] = [hi, lo];
    } else {
      lo = Math.max(0, s - z * s * Math.sqrt(greenwood));
      hi = Math.min(1, s + z * s * Math.sqrt(greenwood));
    }
    lower.push(lo);
    upper.push(hi);
    risk -= d + (censored[k] as number);
  }
  return {
    n,
    events,
    times,
    atRisk,
    died,
    censored,
    survival,
    se,
    lower,
    upper,
    median: crossing(times, survival),
    medianLower: crossing(times, lower),
    medianUpper: crossing(times, upper),
    confLevel,
    confType,
  };
}

const EPS = 1e-9;

/** The first time a step curve is at or below 0.5 (R's rule: exactly 0.5 over an interval gives the midpoint). */
export function crossing(times: readonly number[], curve: readonly number[], q = 0.5): number | null {
  for (let k = 0; k < times.length; k++) {
    const v = curve[k] as number;
    if (Number.isNaN(v)) continue;
    if (Math.abs(v - q) < EPS) {
      for (let m = k + 1; m < times.length; m++)
        if ((curve[m] as number) < q - EPS) return ((times[k] as number) + (times[m] as number)) / 2;
      return times[k] as number;
    }
    if (v < q) return times[k] as number;
  }
  return null;
}

/** S(t) of a fitted curve at any time (the step function). */
export function survivalAt(km: Pick<KaplanMeier, 'times' | 'survival'>, t: number): number {
  let lo = 0;
  let hi = km.times.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((km.times[mid] as number) <= t) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at < 0 ? 1 : (km.survival[at] as number);
}
