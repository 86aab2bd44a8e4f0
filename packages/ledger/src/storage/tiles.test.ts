import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactRange, type StoredNode } from '../compact/range.js';
import { IntegrityError } from '../errors.js';
import { HASH_SIZE, leafHash } from '../rfc6962.js';
import { LeafBatch, LeafBatchBuilder } from './leaf-batch.js';
import {
  BatchTiles,
  bundleCount,
  bundleRecord,
  bundleRows,
  edgeBundle,
  nodesFromTiles,
  TILE_HASHES,
  tileBytes,
  tileHashCount,
  tileOf,
} from './tiles.js';

test('every node of a tile has its own place, and the nodes of a partial tile are a prefix', () => {
  // One tile: levels 0..7 of a subtree of 256 leaves (its root, level 8, lives a tile level up).
  const seen = new Set<number>();
  for (let level = 0; level < 8; level++) {
    for (let index = 0; index < 256 >> level; index++) {
      const at = tileOf(level, index);
      assert.deepEqual([at.level, at.index], [0, 0]);
      assert.equal(at.offset % HASH_SIZE, 0);
      assert.ok(at.offset / HASH_SIZE < TILE_HASHES);
      seen.add(at.offset);
    }
  }
  assert.equal(seen.size, TILE_HASHES);
  assert.deepEqual(tileOf(8, 3), { level: 1, index: 0, offset: tileOf(0, 3).offset });
  assert.deepEqual(tileOf(9, 130), { level: 1, index: 1, offset: tileOf(1, 2).offset });
  // With w leaves, the complete nodes are exactly the first tileHashCount(w) places.
  for (let w = 0; w <= 256; w++) {
    const complete = new Set<number>();
    for (let level = 0; level < 8; level++)
      for (let index = 0; (index + 1) << level <= w; index++)
        complete.add(tileOf(level, index).offset / HASH_SIZE);
    assert.equal(complete.size, tileHashCount(w), `width ${w}`);
    for (const place of complete) assert.ok(place < tileHashCount(w));
  }
  assert.equal(tileBytes(0, 1, 300), tileHashCount(44) * HASH_SIZE);
  assert.equal(tileBytes(1, 0, 300), tileHashCount(1) * HASH_SIZE);
  assert.equal(tileBytes(1, 1, 300), 0);
});

function leaves(from: number, to: number): LeafBatch {
  const b = new LeafBatchBuilder(to - from);
  for (let i = from; i < to; i++) b.add(`{"n":${i}}`);
  return b.build();
}

test('tiles written batch by batch hold every node, across three tile levels', () => {
  const size = 70_000; // past 256^2: nodes of level 16 are in tile level 2
  const range = new CompactRange();
  const expected = new Map<string, Buffer>();
  const stored = new Map<string, Buffer>();
  let start = 0;
  // Batches of uneven sizes: 1, 7, 300, then large ones.
  for (const n of [1, 7, 300, 255, 20_000, 1, 49_436]) {
    const batch = leaves(start, start + n);
    const nodes: StoredNode[] = [];
    for (let i = 0; i < n; i++) {
      expected.set(`0/${start + i}`, batch.hash(i));
      range.append(batch.hash(i), (node) => nodes.push(node));
    }
    for (const node of nodes) expected.set(`${node.level}/${node.index}`, node.hash);
    const tiles = new BatchTiles(start, start + n);
    for (const edge of tiles.edges())
      tiles.setEdge(edge.level, edge.index, stored.get(`${edge.level}/${edge.index}`));
    tiles.putAll(batch, nodes);
    for (const row of tiles.rows()) stored.set(`${row.level}/${row.index}`, Buffer.from(row.hashes));
    tiles.release();
    start += n;
  }
  assert.equal(start, size);
  assert.equal(stored.get('2/0')?.length, tileHashCount(1) * HASH_SIZE);
  const ids = [...expected.keys()].map((key) => {
    const [level, index] = key.split('/').map(Number) as [number, number];
    return { level, index };
  });
  const hashes = nodesFromTiles(ids, (level, index) => stored.get(`${level}/${index}`));
  ids.forEach((id, i) => assert.ok(hashes[i]?.equals(expected.get(`${id.level}/${id.index}`) as Buffer)));
  assert.throws(
    () => nodesFromTiles([{ level: 0, index: size }], (level, index) => stored.get(`${level}/${index}`)),
    IntegrityError,
  );
});

test('a batch refuses a missing or short edge tile, and a batch that lacks nodes', () => {
  const tiles = new BatchTiles(10, 12);
  assert.deepEqual(tiles.edges(), [{ level: 0, index: 0, bytes: tileHashCount(10) * HASH_SIZE }]);
  assert.throws(() => tiles.setEdge(0, 0, undefined), IntegrityError);
  assert.throws(() => tiles.setEdge(0, 0, Buffer.alloc(32)), IntegrityError);
  tiles.setEdge(0, 0, Buffer.alloc(tileHashCount(10) * HASH_SIZE));
  const batch = leaves(10, 12);
  tiles.putAll(batch, []); // leaf 11 completes nodes (1,5) and more: none given
  assert.throws(() => tiles.rows(), RangeError);
  assert.throws(() => tiles.put(0, 12, batch.hashes), RangeError);
  tiles.release();
});

test('a leaf batch hashes its records as RFC 6962 leaves and slices them into bundles', () => {
  const texts = ['{"a":1}', '{"b":"é"}', '{"c":[true,null]}'];
  const b = new LeafBatchBuilder(1); // grows
  for (const t of texts) b.add(t);
  const batch = b.build();
  assert.equal(batch.count, 3);
  texts.forEach((t, i) => {
    assert.ok(batch.hash(i).equals(leafHash(Buffer.from(t))));
    assert.equal(batch.record(i), t);
  });
  assert.equal(batch.joined(0, 3).toString(), texts.join('\n'));
  assert.throws(() => new LeafBatchBuilder(1).add('{"a":\n1}'), RangeError);
  const both = LeafBatch.concat([batch, LeafBatch.of([{ leafHash: Buffer.alloc(32, 1), record: '{}' }])]);
  assert.equal(both.count, 4);
  assert.equal(both.record(3), '{}');
  assert.equal(both.record(1), texts[1]);
  assert.ok(both.hash(3).equals(Buffer.alloc(32, 1)));
  assert.equal(both.joined(1, 4).toString(), [texts[1], texts[2], '{}'].join('\n'));
});

test('bundles: 256 records to a row, the last one continued by the next batch', () => {
  const first = bundleRows(0, leaves(0, 300), undefined);
  assert.deepEqual(
    first.map((r) => [r.index, bundleCount(r.records)]),
    [
      [0, 256],
      [1, 44],
    ],
  );
  assert.deepEqual(edgeBundle(300), { index: 1, count: 44 });
  assert.equal(edgeBundle(512), undefined);
  const next = bundleRows(300, leaves(300, 600), first[1]?.records);
  assert.deepEqual(
    next.map((r) => [r.index, bundleCount(r.records)]),
    [
      [1, 256],
      [2, 88],
    ],
  );
  const bundle = next[0]?.records as Buffer;
  assert.equal(bundleRecord(bundle, 0), '{"n":256}');
  assert.equal(bundleRecord(bundle, 44), '{"n":300}');
  assert.equal(bundleRecord(bundle, 255), '{"n":511}');
  assert.equal(bundleRecord(bundle, 256), undefined);
  assert.throws(() => bundleRows(300, leaves(300, 301), undefined), IntegrityError);
  assert.throws(() => bundleRows(300, leaves(300, 301), Buffer.from('{}')), IntegrityError);
});

test('the upper tile cache keeps complete tiles above the bottom level only, least recently used out first', async () => {
  const { UpperTileCache, TILE_HASHES } = await import('./tiles.js');
  const cache = new UpperTileCache(2);
  const full = Buffer.alloc(TILE_HASHES * 32, 1);
  cache.offer(0, 0, full);
  assert.equal(cache.get(0, 0), undefined, 'bottom tiles are not cached');
  cache.offer(1, 0, full.subarray(0, 64));
  assert.equal(cache.get(1, 0), undefined, 'a partial (right-edge) tile is not cached');
  cache.offer(1, 0, full);
  cache.offer(1, 1, full);
  assert.ok(cache.get(1, 0));
  cache.offer(2, 0, full);
  assert.equal(cache.get(1, 1), undefined, 'the least recently used tile went first');
  assert.ok(cache.get(1, 0) && cache.get(2, 0));
});
