import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogueItem, categoriesOf, priceOf } from './catalogue.js';
import { offering } from './testing.js';

test('catalogue: an offering as matching sees it; what cannot be offered is left out', () => {
  const doc = { ...offering('Gazelle', 'bicycles', 1899.954, { brand: 'Gazelle', tags: ['e-bike'] }) };
  assert.deepEqual(catalogueItem('sku-1', doc), {
    sku: 'sku-1',
    name: 'Gazelle',
    categories: ['bicycles'],
    brand: 'Gazelle',
    tags: ['e-bike'],
    price: 1899.95,
    currency: 'EUR',
  });
  assert.deepEqual(categoriesOf({ category: [{ id: 'a', name: 'A' }, { name: 'B' }] }), ['a', 'B']);
  assert.deepEqual(priceOf({ productOfferingPrice: [{ name: 'no price' }, doc.productOfferingPrice[0]] }), {
    value: 1899.954,
    unit: 'EUR',
  });
  assert.equal(catalogueItem('x', { ...doc, lifecycleStatus: 'retired' }), undefined);
  assert.equal(catalogueItem('x', { ...doc, isSellable: false }), undefined);
  assert.equal(catalogueItem('x', { ...doc, productOfferingPrice: [] }), undefined);
  // 19.99 * 100 is not 1999 in binary floating point; offers carry it all the same.
  assert.equal(catalogueItem('x', offering('Cheap', 'bicycles', 19.99))?.price, 19.99);
  assert.equal(catalogueItem('x', offering('Fine', 'bicycles', 19.95))?.price, 19.95);
});
