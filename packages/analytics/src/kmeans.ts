/**
 * k-means clustering: k-means++ seeding (Arthur and Vassilvitskii 2007) from a seeded generator, Lloyd's
 * iterations to convergence, several restarts keeping the lowest inertia; the silhouette (Rousseeuw 1987), exact
 * up to 5,000 points and on a deterministic sample above; k chosen by the best silhouette over a range; z-scores.
 *
 * Points are rows of `d` numbers kept in one Float64Array (row i is data[i*d .. i*d+d)), so a million points
 * of seven features is 56 MB and no garbage.
 */

/** n points of d dimensions, row-major. */
export interface Points {
  n: number;
  d: number;
  data: Float64Array;
}

/** Rows of numbers as Points (every row as long as the first). */
export function toPoints(rows: readonly ArrayLike<number>[]): Points {
  const n = rows.length;
  const d = n > 0 ? (rows[0] as ArrayLike<number>).length : 0;
  const data = new Float64Array(n * d);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new RangeError(`rows[${i}]: expected ${d} values, got ${row.length}`);
    for (let j = 0; j < d; j++) {
      const v = row[j] as number;
      if (!Number.isFinite(v)) throw new RangeError(`rows[${i}][${j}]: expected a finite number, got ${v}`);
      data[i * d + j] = v;
    }
  });
  return { n, d, data };
}

/** A small, fast, seedable generator (mulberry32); a string seed is hashed (FNV-1a). */
export function seededRandom(seed: number | string = 1): () => number {
  let s: number;
  if (typeof seed === 'string') {
    s = 0x811c9dc5;
    for (let i = 0; i < seed.length; i++) s = Math.imul(s ^ seed.charCodeAt(i), 0x01000193);
  } else s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Standardized extends Points {
  mean: number[];
  /** The population standard deviation of each column (1 where a column is constant, so it maps to 0). */
  sd: number[];
}

/** z-scores of each column: (x - mean) / sd. */
export function standardize(points: Points): Standardized {
  const { n, d, data } = points;
  const mean = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (data[i * d + j] as number);
  for (let j = 0; j < d; j++) mean[j] = n > 0 ? (mean[j] as number) / n : 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const e = (data[i * d + j] as number) - (mean[j] as number);
      sd[j] = (sd[j] as number) + e * e;
    }
  for (let j = 0; j < d; j++) {
    const s = n > 0 ? Math.sqrt((sd[j] as number) / n) : 0;
    sd[j] = s > 1e-12 ? s : 1;
  }
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++)
      out[i * d + j] = ((data[i * d + j] as number) - (mean[j] as number)) / (sd[j] as number);
  return { n, d, data: out, mean, sd };
}

const sqDist = (a: Float64Array, i: number, b: Float64Array, c: number, d: number) => {
  let s = 0;
  const ai = i * d;
  const bc = c * d;
  for (let j = 0; j < d; j++) {
    const e = (a[ai + j] as number) - (b[bc + j] as number);
    s += e * e;
  }
  return s;
};

export interface KMeansOptions {
  /** Restarts from fresh k-means++ seeds; the lowest inertia wins (default 4). */
  restarts?: number;
  /** Lloyd iterations per restart at most (default 300). */
  maxIterations?: number;
  seed?: number | string;
}

export interface KMeansFit {
  k: number;
  /** k rows of d numbers, row-major. */
  centroids: Float64Array;
  /** The cluster of each point, 0..k-1. */
  labels: Int32Array;
  sizes: number[];
  /** The sum of squared distances of points to their centroid. */
  inertia: number;
  /** Iterations of the winning restart. */
  iterations: number;
  converged: boolean;
}

/** The nearest centroid of each point, and the inertia of that assignment. */
export function assign(
  points: Points,
  centroids: Float64Array,
  k: number,
  labels = new Int32Array(points.n),
) {
  const { n, d, data } = points;
  let inertia = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      const s = sqDist(data, i, centroids, c, d);
      if (s < bestD) {
        bestD = s;
        best = c;
      }
    }
    if (labels[i] !== best) changed++;
    labels[i] = best;
    inertia += bestD;
  }
  return { labels, inertia, changed };
}

/** k-means++: the first centre uniformly, each next one with probability proportional to D(x)^2. */
function seedPlusPlus(points: Points, k: number, random: () => number): Float64Array {
  const { n, d, data } = points;
  const centroids = new Float64Array(k * d);
  const copy = (c: number, i: number) => centroids.set(data.subarray(i * d, i * d + d), c * d);
  copy(0, Math.min(n - 1, Math.floor(random() * n)));
  const dist = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = sqDist(data, i, centroids, c - 1, d);
      if (s < (dist[i] as number)) dist[i] = s;
      total += dist[i] as number;
    }
    let pick = n - 1;
    if (total > 0) {
      let r = random() * total;
      for (let i = 0; i < n; i++) {
        r -= dist[i] as number;
        if (r < 0) {
          pick = i;
          break;
        }
      }
    } else pick = Math.floor(random() * n);
    copy(c, pick);
  }
  return centroids;
}

function lloyd(points: Points, k: number, random: () => number, maxIterations: number) {
  const { n, d, data } = points;
  const centroids = seedPlusPlus(points, k, random);
  const labels = new Int32Array(n).fill(-1);
  const sums = new Float64Array(k * d);
  const counts = new Int32Array(k);
  let iterations = 0;
  let converged = false;
  let inertia = Infinity;
  while (iterations < maxIterations) {
    iterations++;
    const a = assign(points, centroids, k, labels);
    inertia = a.inertia;
    if (a.changed === 0) {
      converged = true;
      break;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i] as number;
      counts[c] = (counts[c] as number) + 1;
      for (let j = 0; j < d; j++) sums[c * d + j] = (sums[c * d + j] as number) + (data[i * d + j] as number);
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty cluster takes the point farthest from its centre.
        let far = 0;
        let farD = -1;
        for (let i = 0; i < n; i++) {
          const s = sqDist(data, i, centroids, labels[i] as number, d);
          if (s > farD) {
            farD = s;
            far = i;
          }
        }
        centroids.set(data.subarray(far * d, far * d + d), c * d);
        labels[far] = c;
        continue;
      }
      for (let j = 0; j < d; j++) centroids[c * d + j] = (sums[c * d + j] as number) / (counts[c] as number);
    }
  }
  return { centroids, labels, inertia, iterations, converged };
}

/** k-means on `points`: the best of `restarts` k-means++ starts, each run by Lloyd's algorithm to convergence. */
export function kmeans(points: Points, k: number, options: KMeansOptions = {}): KMeansFit {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k: expected a whole number >= 1, got ${k}`);
  if (k > points.n) throw new RangeError(`k: ${k} clusters need at least ${k} points, got ${points.n}`);
  const random = seededRandom(options.seed ?? 1);
  const restarts = Math.max(1, options.restarts ?? 4);
  let best: ReturnType<typeof lloyd> | undefined;
  for (let r = 0; r < restarts; r++) {
    const run = lloyd(points, k, random, options.maxIterations ?? 300);
    if (!best || run.inertia < best.inertia) best = run;
  }
  const fit = best as ReturnType<typeof lloyd>;
  const sizes = new Array<number>(k).fill(0);
  for (const c of fit.labels) sizes[c] = (sizes[c] as number) + 1;
  return { k, ...fit, sizes };
}

export interface SilhouetteOptions {
  /** Above this many points the silhouette is computed on a sample of this size (default 5,000). */
  sampleSize?: number;
  seed?: number | string;
}

/**
 * The mean silhouette s(i) = (b - a) / max(a, b), where a is the mean distance of point i to the other points of
 * its cluster and b the least mean distance to another cluster's points; 0 for a point alone in its cluster.
 * Exact up to `sampleSize` points; above, over a deterministic sample of that many points (as scikit-learn's
 * `sample_size`).
 */
export function silhouette(
  points: Points,
  labels: ArrayLike<number>,
  options: SilhouetteOptions = {},
): number {
  const { n, d, data } = points;
  const limit = options.sampleSize ?? 5000;
  let index: Int32Array;
  if (n <= limit) index = Int32Array.from({ length: n }, (_, i) => i);
  else {
    // A partial Fisher-Yates shuffle from a seeded generator: the same sample every time.
    const random = seededRandom(options.seed ?? 'silhouette');
    const all = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < limit; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = all[i] as number;
      all[i] = all[j] as number;
      all[j] = t;
    }
    index = all.slice(0, limit);
  }
  const m = index.length;
  let k = 0;
  for (let s = 0; s < m; s++) k = Math.max(k, (labels[index[s] as number] as number) + 1);
  if (k < 2) return 0;
  const counts = new Float64Array(k);
  for (let s = 0; s < m; s++) {
    const c = labels[index[s] as number] as number;
    counts[c] = (counts[c] as number) + 1;
  }
  const sums = new Float64Array(k);
  let total = 0;
  for (let s = 0; s < m; s++) {
    const i = index[s] as number;
    const own = labels[i] as number;
    sums.fill(0);
    for (let t = 0; t < m; t++) {
      if (t === s) continue;
      const j = index[t] as number;
      let q = 0;
      for (let e = 0; e < d; e++) {
        const x = (data[i * d + e] as number) - (data[j * d + e] as number);
        q += x * x;
      }
      const c = labels[j] as number;
      sums[c] = (sums[c] as number) + Math.sqrt(q);
    }
    if ((counts[own] as number) <= 1) continue; // s(i) = 0
    const a = (sums[own] as number) / ((counts[own] as number) - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++)
      if (c !== own && (counts[c] as number) > 0)
        b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    if (!Number.isFinite(b)) continue;
    const den = Math.max(a, b);
    total += den > 0 ? (b - a) / den : 0;
  }
  return total / m;
}

export interface ChooseKOptions extends KMeansOptions, SilhouetteOptions {
  /** The range of k tried (default 2..8, capped at the number of distinct points less one). */
  kMin?: number;
  kMax?: number;
}

export interface ChosenK extends KMeansFit {
  silhouette: number;
  /** The silhouette of each k tried. */
  tried: { k: number; silhouette: number; inertia: number }[];
}

/** k-means for each k in the range; the fit with the best silhouette wins (the smaller k on a tie). */
export function chooseK(points: Points, options: ChooseKOptions = {}): ChosenK {
  const kMin = Math.max(2, options.kMin ?? 2);
  const kMax = Math.min(options.kMax ?? 8, points.n - 1);
  if (kMax < kMin) throw new RangeError(`k: choosing k needs at least ${kMin + 1} points, got ${points.n}`);
  const tried: ChosenK['tried'] = [];
  let best: ChosenK | undefined;
  for (let k = kMin; k <= kMax; k++) {
    const fit = kmeans(points, k, options);
    const s = silhouette(points, fit.labels, options);
    tried.push({ k, silhouette: s, inertia: fit.inertia });
    if (!best || s > best.silhouette + 1e-12) best = { ...fit, silhouette: s, tried };
  }
  return best as ChosenK;
}
