import type { Intent, PriceRange } from '@parley/protocol';

/**
 * Matching an intentcast against a catalogue, with no I/O: the offerings of her category (by category id or
 * name), in her currency, priced within [min, max], of one of her brands when she names brands; scored by the
 * number of her tags they carry; the best first (most tags, then cheapest, then by SKU). Text compares
 * case-insensitively.
 *
 * `CatalogueIndex` answers from buckets per (category, currency) sorted by price, so a price range is two
 * binary searches and tags and brands are posting lists inside the bucket. `matchLinear` is the same rule as a
 * scan of every item (the baseline of bench/crm-intent-evaluation.js, and the oracle of the tests).
 */

/** A catalogue offering as matching sees it. */
export interface CatalogueItem {
  /** The productOffering id, which offers name as `sku`. */
  sku: string;
  name: string;
  /** Category ids and names, as given. */
  categories: string[];
  brand?: string;
  tags: string[];
  /** Tax included, two decimals at most. */
  price: number;
  /** ISO 4217. */
  currency: string;
}

/** What matching reads of an intentcast. */
export interface MatchQuery {
  intent: Pick<Intent, 'category' | 'tags' | 'brands'>;
  price: PriceRange;
}

export interface Match {
  item: CatalogueItem;
  /** How many of her tags the item carries. */
  score: number;
}

const lower = (s: string) => s.toLowerCase();

interface Bucket {
  items: CatalogueItem[];
  prices: Float64Array;
  /** Tag -> positions in `items` (ascending, so by price). */
  tags: Map<string, Int32Array>;
  /** Brand -> positions in `items` (ascending). */
  brands: Map<string, Int32Array>;
  brandOf: (string | undefined)[];
}

const byPriceThenSku = (a: CatalogueItem, b: CatalogueItem) =>
  a.price - b.price || (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

/** The first index whose value is >= x (sorted ascending). */
function lowerBound(values: ArrayLike<number>, x: number, from = 0, to = values.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is > x. */
function upperBound(values: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const postings = (lists: Map<string, number[]>) =>
  new Map([...lists].map(([k, v]) => [k, Int32Array.from(v)] as const));

function bucketOf(items: CatalogueItem[]): Bucket {
  items.sort(byPriceThenSku);
  const tags = new Map<string, number[]>();
  const brands = new Map<string, number[]>();
  const brandOf: (string | undefined)[] = [];
  items.forEach((item, i) => {
    for (const tag of new Set(item.tags.map(lower))) {
      let list = tags.get(tag);
      if (!list) tags.set(tag, (list = []));
      list.push(i);
    }
    const brand = item.brand === undefined ? undefined : lower(item.brand);
    brandOf.push(brand);
    if (brand !== undefined) {
      let list = brands.get(brand);
      if (!list) brands.set(brand, (list = []));
      list.push(i);
    }
  });
  return {
    items,
    prices: Float64Array.from(items, (i) => i.price),
    tags: postings(tags),
    brands: postings(brands),
    brandOf,
  };
}

/** The positions of a posting list that fall in [lo, hi). */
function* within(list: Int32Array, lo: number, hi: number): Generator<number> {
  for (let k = lowerBound(list, lo); k < list.length && (list[k] as number) < hi; k++)
    yield list[k] as number;
}

export class CatalogueIndex {
  readonly #buckets = new Map<string, Bucket>();
  readonly #categories: string[];
  readonly #bySku: Map<string, CatalogueItem>;
  readonly size: number;

  private constructor(items: readonly CatalogueItem[], categories: Iterable<string>) {
    const groups = new Map<string, CatalogueItem[]>();
    for (const item of items) {
      for (const category of new Set(item.categories.map(lower))) {
        const key = `${category}\u0000${item.currency}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push(item);
      }
    }
    for (const [key, group] of groups) this.#buckets.set(key, bucketOf(group));
    this.#categories = [...new Set(categories)].sort();
    this.#bySku = new Map(items.map((i) => [i.sku, i]));
    this.size = items.length;
  }

  /** Indexes the priced items; `categories` are those to publish (default: every category of the items). */
  static build(items: readonly CatalogueItem[], categories?: Iterable<string>): CatalogueIndex {
    return new CatalogueIndex(items, categories ?? items.flatMap((i) => i.categories));
  }

  /** The catalogue's categories, as `GET {vendor}` publishes them. */
  categories(): string[] {
    return this.#categories;
  }

  /** An offerable item by its SKU (the productOffering id). */
  item(sku: string): CatalogueItem | undefined {
    return this.#bySku.get(sku);
  }

  /** The best `max` matches, best first. */
  match(query: MatchQuery, max = 1): Match[] {
    const bucket = this.#buckets.get(`${lower(query.intent.category)}\u0000${query.price.currency}`);
    if (!bucket || max < 1) return [];
    const lo = lowerBound(bucket.prices, query.price.min ?? 0);
    const hi = upperBound(bucket.prices, query.price.max);
    if (hi <= lo) return [];
    const brands = query.intent.brands?.map(lower);
    const brandSet = brands ? new Set(brands) : undefined;
    const allowed = (i: number) => !brandSet || brandSet.has(bucket.brandOf[i] as string);

    // Positions carrying at least one of her tags, with their counts.
    const scores = new Map<number, number>();
    for (const tag of new Set(query.intent.tags.map(lower))) {
      const list = bucket.tags.get(tag);
      if (!list) continue;
      for (const i of within(list, lo, hi)) if (allowed(i)) scores.set(i, (scores.get(i) ?? 0) + 1);
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, max);
    const out: Match[] = ranked.map(([i, score]) => ({ item: bucket.items[i] as CatalogueItem, score }));
    if (out.length >= max) return out;

    // Then the cheapest of the rest (no tag in common, still her category, price and brand).
    const taken = new Set(ranked.map(([i]) => i));
    const fill = (i: number) => {
      if (taken.has(i)) return false;
      taken.add(i);
      out.push({ item: bucket.items[i] as CatalogueItem, score: 0 });
      return out.length >= max;
    };
    if (brands) {
      const merged = new Set<number>();
      for (const b of brandSet as Set<string>) {
        const list = bucket.brands.get(b);
        if (list) for (const i of within(list, lo, hi)) merged.add(i);
      }
      for (const i of [...merged].sort((a, b) => a - b)) if (fill(i)) break;
    } else {
      for (let i = lo; i < hi; i++) if (fill(i)) break;
    }
    return out;
  }
}

/** The same rule as `CatalogueIndex.match`, by scanning every item: the naive baseline. */
export function matchLinear(items: readonly CatalogueItem[], query: MatchQuery, max = 1): Match[] {
  const category = lower(query.intent.category);
  const { min = 0, max: ceiling, currency } = query.price;
  const tags = new Set(query.intent.tags.map(lower));
  const brands = query.intent.brands && new Set(query.intent.brands.map(lower));
  const found: Match[] = [];
  for (const item of items) {
    if (item.currency !== currency || item.price < min || item.price > ceiling) continue;
    if (!item.categories.some((c) => lower(c) === category)) continue;
    if (brands && (item.brand === undefined || !brands.has(lower(item.brand)))) continue;
    let score = 0;
    for (const tag of new Set(item.tags.map(lower))) if (tags.has(tag)) score++;
    found.push({ item, score });
  }
  found.sort((a, b) => b.score - a.score || byPriceThenSku(a.item, b.item));
  return found.slice(0, max);
}
