import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogueIndex, matchLinear, type CatalogueItem, type MatchQuery } from './matching.js';

const item = (sku: string, price: number, extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  sku,
  name: sku,
  categories: ['bikes'],
  tags: [],
  price,
  currency: 'EUR',
  ...extra,
});

const query = (
  change: Partial<MatchQuery['intent']> = {},
  price: Partial<MatchQuery['price']> = {},
): MatchQuery => ({
  intent: { category: 'bikes', tags: [], ...change },
  price: { max: 1000, currency: 'EUR', ...price },
});

const skus = (index: CatalogueIndex, q: MatchQuery, max = 1) => index.match(q, max).map((m) => m.item.sku);

test('matching: category by id or name, case-insensitive; price bounds inclusive; currency exact', () => {
  const index = CatalogueIndex.build([
    item('a', 100, { categories: ['e-bikes', 'Electric Bicycles'] }),
    item('b', 200),
    item('c', 300, { currency: 'GBP' }),
  ]);
  assert.deepEqual(skus(index, query({ category: 'electric bicycles' })), ['a']);
  assert.deepEqual(skus(index, query({ category: 'E-BIKES' })), ['a']);
  assert.deepEqual(skus(index, query({}, { min: 200, max: 200 })), ['b']);
  assert.deepEqual(skus(index, query({}, { min: 201 })), []);
  assert.deepEqual(skus(index, query({}, { currency: 'GBP' })), ['c']);
  assert.deepEqual(skus(index, query({}, { currency: 'USD' })), []);
  assert.deepEqual(skus(index, query({ category: 'boats' })), []);
  assert.deepEqual(index.categories(), ['Electric Bicycles', 'bikes', 'e-bikes']);
  assert.equal(index.item('b')?.price, 200);
});

test('matching: most tags first, then cheapest, then by SKU; brands filter; the rest fill up to max', () => {
  const index = CatalogueIndex.build([
    item('one-tag-cheap', 100, { tags: ['city'], brand: 'Cortina' }),
    item('two-tags', 900, { tags: ['City', 'e-bike'], brand: 'Gazelle' }),
    item('no-tag-cheapest', 50, { brand: 'Gazelle' }),
    item('one-tag-b', 100, { tags: ['e-bike'], brand: 'Batavus' }),
    item('no-brand', 10),
  ]);
  const tags = ['city', 'E-BIKE'];
  assert.deepEqual(skus(index, query({ tags }), 10), [
    'two-tags',
    'one-tag-b',
    'one-tag-cheap',
    'no-brand',
    'no-tag-cheapest',
  ]);
  assert.deepEqual(skus(index, query({ tags: [] }), 2), ['no-brand', 'no-tag-cheapest']);
  assert.deepEqual(skus(index, query({ tags, brands: ['gazelle'] }), 5), ['two-tags', 'no-tag-cheapest']);
  assert.deepEqual(skus(index, query({ tags, brands: ['Cortina', 'BATAVUS'] }), 5), [
    'one-tag-b',
    'one-tag-cheap',
  ]);
  assert.deepEqual(skus(index, query({ tags }, { max: 500 }), 1), ['one-tag-b']);
  assert.deepEqual(index.match(query({ tags }), 1)[0]?.score, 2);
  assert.deepEqual(skus(index, query({ tags }), 0), []);
});

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('matching: the index answers as the linear scan does, on random catalogues and intents', () => {
  const rnd = random(7);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)] as T;
  const CATEGORIES = ['bikes', 'phones', 'Plans', 'tv'];
  const TAGS = ['a', 'b', 'C', 'd', 'e', 'f'];
  const BRANDS = ['X', 'y', 'Z'];
  for (let round = 0; round < 20; round++) {
    const items: CatalogueItem[] = Array.from({ length: 50 + Math.floor(rnd() * 300) }, (_, i) => ({
      sku: `sku-${round}-${i}`,
      name: `item ${i}`,
      categories: [pick(CATEGORIES), ...(rnd() < 0.2 ? [pick(CATEGORIES)] : [])],
      ...(rnd() < 0.8 ? { brand: pick(BRANDS) } : {}),
      tags: TAGS.filter(() => rnd() < 0.3),
      price: Math.round(rnd() * 100) * 10,
      currency: rnd() < 0.9 ? 'EUR' : 'GBP',
    }));
    const index = CatalogueIndex.build(items);
    for (let k = 0; k < 50; k++) {
      const min = rnd() < 0.5 ? Math.round(rnd() * 500) : undefined;
      const q: MatchQuery = {
        intent: {
          category: pick(CATEGORIES).toUpperCase(),
          tags: TAGS.filter(() => rnd() < 0.3).map((t) => t.toLowerCase()),
          ...(rnd() < 0.3 ? { brands: BRANDS.filter(() => rnd() < 0.5).map((b) => b.toLowerCase()) } : {}),
        },
        price: {
          ...(min !== undefined ? { min } : {}),
          max: (min ?? 0) + Math.round(rnd() * 600),
          currency: rnd() < 0.9 ? 'EUR' : 'GBP',
        },
      };
      if (q.intent.brands?.length === 0) delete q.intent.brands;
      const max = 1 + Math.floor(rnd() * 4);
      assert.deepEqual(
        index.match(q, max).map((m) => [m.item.sku, m.score]),
        matchLinear(items, q, max).map((m) => [m.item.sku, m.score]),
        JSON.stringify(q),
      );
    }
  }
});
