import type { Database } from '@parley/store';
import { parseDoc } from '../agreement/records.js';
import { catalogueItem, categoriesOf, isOffered } from './catalogue.js';
import { CatalogueIndex, type CatalogueItem } from './matching.js';

interface Entry {
  index: CatalogueIndex;
  fingerprint: string;
  checkedAt: number;
}

/**
 * Each tenant's catalogue as an in-memory `CatalogueIndex`, so an intentcast is matched without a query. A
 * change made through this server drops the tenant's index at once (`invalidate`, after the change is
 * committed); one made by another process is seen within `ttlMs`, when a cheap fingerprint (count and latest
 * update of the tenant's offerings) says the catalogue moved and the index is rebuilt.
 */
export class Catalogues {
  readonly #db: Database;
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<CatalogueIndex>>();
  readonly #generation = new Map<string, number>();

  constructor(db: Database, ttlMs = 5_000) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  /** The tenant's index (built on first use, checked again after ttlMs). */
  async get(tenantId: string): Promise<CatalogueIndex> {
    const entry = this.#entries.get(tenantId);
    if (entry && Date.now() - entry.checkedAt < this.#ttlMs) return entry.index;
    let loading = this.#loading.get(tenantId);
    if (!loading) {
      loading = this.#refresh(tenantId, entry).finally(() => this.#loading.delete(tenantId));
      this.#loading.set(tenantId, loading);
    }
    return loading;
  }

  /** The categories `GET {vendor}` publishes. */
  async categories(tenantId: string): Promise<string[]> {
    return (await this.get(tenantId)).categories();
  }

  /** Forgets the tenant's index: the next intentcast rebuilds it. */
  invalidate(tenantId: string): void {
    this.#entries.delete(tenantId);
    this.#generation.set(tenantId, (this.#generation.get(tenantId) ?? 0) + 1);
  }

  async #fingerprint(tenantId: string): Promise<string> {
    const row = (await this.#db.kysely
      .selectFrom('crm_product_offerings')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('updated_at').as('t')])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst()) as { n: number | string; t: unknown } | undefined;
    const t = row?.t instanceof Date ? row.t.toISOString() : String(row?.t ?? '');
    return `${Number(row?.n ?? 0)}|${t}`;
  }

  async #refresh(tenantId: string, previous: Entry | undefined): Promise<CatalogueIndex> {
    const generation = this.#generation.get(tenantId) ?? 0;
    const fingerprint = await this.#fingerprint(tenantId);
    let index = previous?.index;
    if (!index || previous?.fingerprint !== fingerprint) index = await this.#load(tenantId);
    if ((this.#generation.get(tenantId) ?? 0) === generation) {
      if (this.#entries.size >= 10_000) this.#entries.clear();
      this.#entries.set(tenantId, { index, fingerprint, checkedAt: Date.now() });
    }
    return index;
  }

  async #load(tenantId: string): Promise<CatalogueIndex> {
    const rows = (await this.#db.kysely
      .selectFrom('crm_product_offerings')
      .select(['id', 'doc'])
      .where('tenant_id', '=', tenantId)
      .execute()) as { id: string; doc: unknown }[];
    const items: CatalogueItem[] = [];
    const categories: string[] = [];
    for (const row of rows) {
      const doc = parseDoc(row.doc);
      if (isOffered(doc)) categories.push(...categoriesOf(doc));
      const item = catalogueItem(row.id, doc);
      if (item) items.push(item);
    }
    return CatalogueIndex.build(items, categories);
  }
}
