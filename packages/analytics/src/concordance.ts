/**
 * Harrell's concordance index of risk scores against survival, in O(n log n) with a Fenwick tree over the
 * scores' ranks: over pairs where one subject has an event before the other's time (a subject censored at the
 * same time counts as surviving past it, as in R's survival), the share where the earlier event has the higher
 * risk; ties in risk count one half. Rows must be in descending time order.
 */
export function concordance(time: Float64Array, event: Uint8Array, risk: Float64Array): number {
  const n = time.length;
  const sorted = Float64Array.from(risk).sort();
  const ranks = new Int32Array(n);
  let unique = 0;
  const values: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) values.push(sorted[i] as number);
  unique = values.length;
  for (let i = 0; i < n; i++) {
    let lo = 0;
    let hi = unique - 1;
    const v = risk[i] as number;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((values[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    ranks[i] = lo + 1;
  }
  const tree = new Float64Array(unique + 1);
  const add = (rank: number) => {
    for (let i = rank; i <= unique; i += i & -i) tree[i] = (tree[i] as number) + 1;
  };
  const below = (rank: number) => {
    let s = 0;
    for (let i = rank; i > 0; i -= i & -i) s += tree[i] as number;
    return s;
  };
  let inTree = 0;
  let concordant = 0;
  let tied = 0;
  let discordant = 0;
  for (let r = 0; r < n;) {
    const t = time[r] as number;
    let end = r;
    while (end < n && time[end] === t) end++;
    for (let i = r; i < end; i++) if (!event[i]) add(ranks[i] as number);
    inTree += countCensored(event, r, end);
    for (let i = r; i < end; i++) {
      if (!event[i]) continue;
      const rank = ranks[i] as number;
      const lower = below(rank - 1);
      const same = below(rank) - lower;
      concordant += lower;
      tied += same;
      discordant += inTree - lower - same;
    }
    for (let i = r; i < end; i++) if (event[i]) add(ranks[i] as number);
    inTree += end - r - countCensored(event, r, end);
    r = end;
  }
  const pairs = concordant + tied + discordant;
  return pairs === 0 ? 0.5 : (concordant + 0.5 * tied) / pairs;
}

function countCensored(event: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) if (!event[i]) c++;
  return c;
}
