import type { ResourceSpec } from '../tmf/resource.js';
import { refs, text, type Doc } from '../tmf/references.js';
import type { CatalogueItem } from './matching.js';

/**
 * The vendor's catalogue: TMF620 product offerings (packages/crm/tmf/Parley-ProductCatalog-v4.swagger.json),
 * served by the generic resource routes. What matching needs is kept in columns beside the document: the first
 * category, the brand, the tax-included price of the first price that has one, and its currency.
 */
export const PRODUCT_OFFERING: ResourceSpec = {
  api: 'productCatalog',
  path: '/productOffering',
  type: 'ProductOffering',
  createDefinition: 'ProductOffering_Create',
  updateDefinition: 'ProductOffering_Update',
  table: 'crm_product_offerings',
  columns: { name: 'name', brand: 'brand', lifecycleStatus: 'lifecycle_status' },
  row: (doc) => {
    const price = priceOf(doc);
    return {
      name: text(doc.name) ?? '',
      category: categoriesOf(doc)[0] ?? null,
      brand: text(doc.brand) ?? null,
      price: price?.value ?? null,
      currency: price?.unit ?? null,
      lifecycle_status: text(doc.lifecycleStatus) ?? null,
    };
  },
};

/** Offerings in these states are not offered (TMF620 lifecycle, compared case-insensitively). */
const NOT_OFFERED = new Set(['retired', 'obsolete', 'rejected']);

/** The category ids (or names, where a reference has no id) of an offering. */
export function categoriesOf(doc: Doc): string[] {
  return refs(doc.category)
    .map((c) => c.id ?? c.name)
    .filter((c): c is string => typeof c === 'string' && c !== '');
}

/** The tax-included price of the first productOfferingPrice that has one. */
export function priceOf(doc: Doc): { value: number; unit: string } | undefined {
  const prices = Array.isArray(doc.productOfferingPrice) ? (doc.productOfferingPrice as Doc[]) : [];
  for (const p of prices) {
    const amount = (p?.price as Doc | undefined)?.taxIncludedAmount as Doc | undefined;
    if (typeof amount?.value === 'number' && typeof amount.unit === 'string')
      return { value: amount.value, unit: amount.unit };
  }
  return undefined;
}

/** Whether the offering may be offered on its own at all. */
export function isOffered(doc: Doc): boolean {
  const status = text(doc.lifecycleStatus);
  return doc.isSellable !== false && !(status && NOT_OFFERED.has(status.toLowerCase()));
}

/**
 * The offering as matching sees it, or undefined when it cannot be offered (retired, not sellable alone, no
 * price). A price is rounded to cents, as offers carry it.
 */
export function catalogueItem(id: string, doc: Doc): CatalogueItem | undefined {
  const price = priceOf(doc);
  if (!price || !isOffered(doc)) return undefined;
  const cents = Math.round(price.value * 100) / 100;
  const names = refs(doc.category)
    .flatMap((c) => [c.id, c.name])
    .filter((c): c is string => typeof c === 'string' && c !== '');
  const name = text(doc.name)?.trim();
  return {
    sku: id,
    name: name ? name.slice(0, 200) : id,
    categories: [...new Set(names)],
    ...(typeof doc.brand === 'string' ? { brand: doc.brand } : {}),
    tags: Array.isArray(doc.tags) ? doc.tags.filter((t): t is string => typeof t === 'string') : [],
    price: cents,
    currency: price.unit,
  };
}
