import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '@parley/store';
import { buildCrmServer } from './app.js';

test('the OpenAPI document is served without a key, generated from the route schemas', async (t) => {
  const db = await openDatabase({ url: ':memory:' });
  const app = await buildCrmServer({ db });
  t.after(async () => {
    await app.close();
    await db.close();
  });
  const r = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(r.statusCode, 200);
  const doc = r.json() as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
  };
  assert.match(doc.openapi, /^3\./);
  const customer = doc.paths['/tmf-api/customerManagement/v4/customer'];
  assert.ok(customer?.post && customer.get, 'customer collection is documented');
  assert.ok(
    doc.paths['/tmf-api/customerManagement/v4/customer/{id}']?.patch?.requestBody?.content[
      'application/merge-patch+json'
    ],
  );
  // The customer's create schema is the published TMF629 definition, with its required members.
  const create = doc.components.schemas['tmf.customer.Customer_Create'];
  assert.deepEqual(create?.required?.sort(), ['engagedParty', 'name']);
  assert.ok(create?.properties?.engagedParty);

  const docs = await app.inject({ method: 'GET', url: '/docs/' });
  assert.equal(docs.statusCode, 200);
  assert.match(docs.body, /swagger-ui/i);
  // Everything else still needs a key.
  assert.equal(
    (await app.inject({ method: 'GET', url: '/tmf-api/customerManagement/v4/customer' })).statusCode,
    401,
  );
});
