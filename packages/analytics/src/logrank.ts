import { solve } from './linalg.js';
import { chiSquareSf } from './special.js';

export interface LogRank {
  groups: { group: string; n: number; observed: number; expected: number }[];
  chiSquare: number;
  df: number;
  p: number;
}

/**
 * The log-rank test of equal survival across groups (R's `survdiff`, rho = 0): observed and expected events
 * per group, and the chi-square of the first k-1 groups' (O - E) against their hypergeometric covariance.
 */
export function logRank(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
  group: ArrayLike<string | number>,
): LogRank {
  const n = time.length;
  if (event.length !== n || group.length !== n)
    throw new RangeError('event, group: expected as many values as time');
  const labels = [...new Set(Array.from(group, String))].sort();
  const k = labels.length;
  if (k < 2) throw new RangeError('group: expected at least two groups');
  const gi = new Map(labels.map((g, i) => [g, i]));
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (time[a] as number) - (time[b] as number),
  );
  const atRisk = new Float64Array(k);
  const size = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const g = gi.get(String(group[i])) as number;
    atRisk[g] = (atRisk[g] as number) + 1;
    size[g] = (size[g] as number) + 1;
  }
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const v = Array.from({ length: k }, () => new Float64Array(k));
  const dg = new Float64Array(k);
  const leaving = new Float64Array(k);
  let total = n;
  for (let a = 0; a < n;) {
    const t = time[order[a] as number] as number;
    dg.fill(0);
    leaving.fill(0);
    let d = 0;
    let b = a;
    for (; b < n && time[order[b] as number] === t; b++) {
      const i = order[b] as number;
      const g = gi.get(String(group[i])) as number;
      leaving[g] = (leaving[g] as number) + 1;
      if (event[i]) {
        dg[g] = (dg[g] as number) + 1;
        d++;
      }
    }
    if (d > 0) {
      for (let g = 0; g < k; g++) {
        const share = (atRisk[g] as number) / total;
        observed[g] = (observed[g] as number) + (dg[g] as number);
        expected[g] = (expected[g] as number) + d * share;
        if (total > 1) {
          const f = (d * (total - d)) / (total - 1);
          for (let h = 0; h < k; h++) {
            const row = v[g] as Float64Array;
            row[h] = (row[h] as number) + f * share * ((g === h ? 1 : 0) - (atRisk[h] as number) / total);
          }
        }
      }
    }
    for (let g = 0; g < k; g++) atRisk[g] = (atRisk[g] as number) - (leaving[g] as number);
    total -= b - a;
    a = b;
  }
  const m = k - 1;
  const diff = Array.from({ length: m }, (_, g) => (observed[g] as number) - (expected[g] as number));
  const cov = Array.from({ length: m }, (_, g) => Array.from((v[g] as Float64Array).subarray(0, m)));
  const x = solve(cov, diff);
  const chiSquare = diff.reduce((s, d, i) => s + d * (x[i] as number), 0);
  return {
    groups: labels.map((group, g) => ({
      group,
      n: size[g] as number,
      observed: observed[g] as number,
      expected: expected[g] as number,
    })),
    chiSquare,
    df: m,
    p: chiSquareSf(chiSquare, m),
  };
}
