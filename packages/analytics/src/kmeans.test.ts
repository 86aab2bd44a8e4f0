import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseK, kmeans, seededRandom, silhouette, standardize, toPoints } from './kmeans.js';

/** Gaussian blobs around `centres`, `per` points each (Box-Muller from a seeded generator). */
function blobs(centres: number[][], per: number, spread: number, seed = 7) {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: number[][] = [];
  const truth: number[] = [];
  centres.forEach((c, k) => {
    for (let i = 0; i < per; i++) {
      rows.push(c.map((x) => x + spread * normal()));
      truth.push(k);
    }
  });
  return { points: toPoints(rows), truth };
}

test('silhouette matches the hand-computed value on a small case', () => {
  // 1-D points 0, 1 | 4, 5: s(0) = (4.5 - 1)/4.5 = 7/9, s(1) = (3.5 - 1)/3.5 = 5/7, and symmetrically;
  // the mean is (7/9 + 5/7)/2 = 47/63.
  const s = silhouette(toPoints([[0], [1], [4], [5]]), [0, 0, 1, 1]);
  assert.ok(Math.abs(s - 47 / 63) < 1e-12, `${s}`);
  // A point alone in its cluster counts 0: points 0, 1 | 10 give (9/10 + 8/9 + 0)/3.
  const t = silhouette(toPoints([[0], [1], [10]]), [0, 0, 1]);
  assert.ok(Math.abs(t - (9 / 10 + 8 / 9) / 3) < 1e-12, `${t}`);
  // In two dimensions: (0,0), (0,1) | (3,0): a = 1; b(0,0) = 3, b(0,1) = sqrt(10).
  const u = silhouette(
    toPoints([
      [0, 0],
      [0, 1],
      [3, 0],
    ]),
    [0, 0, 1],
  );
  const expected = ((3 - 1) / 3 + (Math.sqrt(10) - 1) / Math.sqrt(10)) / 3;
  assert.ok(Math.abs(u - expected) < 1e-12, `${u}`);
});

test('k-means recovers well-separated blobs, and the silhouette chooses their number', () => {
  const centres = [
    [0, 0, 0],
    [10, 0, 0],
    [0, 10, 0],
    [0, 0, 10],
  ];
  const { points, truth } = blobs(centres, 100, 1);
  const chosen = chooseK(points, { kMin: 2, kMax: 7, seed: 3 });
  assert.equal(chosen.k, 4, JSON.stringify(chosen.tried));
  assert.ok(chosen.silhouette > 0.7, `silhouette ${chosen.silhouette}`);
  // Every true blob lies in one cluster, and the clusters are distinct (recovered up to relabelling).
  const mapping = new Map<number, number>();
  truth.forEach((t, i) => {
    const c = chosen.labels[i] as number;
    if (!mapping.has(t)) mapping.set(t, c);
    assert.equal(mapping.get(t), c, `point ${i} of blob ${t}`);
  });
  assert.equal(new Set(mapping.values()).size, 4);
  assert.deepEqual(chosen.sizes, [100, 100, 100, 100]);
  // Each centroid is within 0.5 of its blob's centre.
  for (const [t, c] of mapping) {
    const centre = centres[t] as number[];
    centre.forEach((x, j) => assert.ok(Math.abs((chosen.centroids[c * 3 + j] as number) - x) < 0.5));
  }
  // A stated k: the same fit every time from the same seed, converged.
  const a = kmeans(points, 3, { seed: 9 });
  const b = kmeans(points, 3, { seed: 9 });
  assert.ok(a.converged);
  assert.deepEqual([...a.labels], [...b.labels]);
  assert.equal(a.inertia, b.inertia);
  assert.ok(a.inertia > chosen.inertia);
});

test('the silhouette above 5,000 points is computed on a deterministic sample, close to the exact one', () => {
  const { points, truth } = blobs(
    [
      [0, 0],
      [6, 0],
      [0, 6],
    ],
    2000,
    1.5,
  );
  const sampled = silhouette(points, truth);
  assert.equal(silhouette(points, truth), sampled);
  const exact = silhouette(points, truth, { sampleSize: points.n });
  assert.ok(Math.abs(sampled - exact) < 0.02, `${sampled} vs ${exact}`);
});

test('z-scores: mean 0 and standard deviation 1 per column; a constant column maps to 0', () => {
  const s = standardize(
    toPoints([
      [1, 5],
      [2, 5],
      [3, 5],
      [6, 5],
    ]),
  );
  assert.deepEqual(s.mean, [3, 5]);
  assert.equal(s.sd[1], 1);
  const col0 = [0, 1, 2, 3].map((i) => s.data[i * 2] as number);
  assert.ok(Math.abs(col0.reduce((a, b) => a + b, 0)) < 1e-12);
  assert.ok(Math.abs(col0.reduce((a, b) => a + b * b, 0) / 4 - 1) < 1e-12);
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => s.data[i * 2 + 1]),
    [0, 0, 0, 0],
  );
  assert.throws(() => toPoints([[1, 2], [3]]), /rows\[1\]/);
  assert.throws(() => kmeans(toPoints([[1]]), 2), /k: 2 clusters/);
});
