import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';

for (const database of testDatabases()) {
  test(`${database.name}: TMF635 usage records: integer ids, columns for CDR fields, rows ingested without a document`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { call, keys, db, tenants } = api;
    const h = await household(api);
    const cdr = {
      usageDate: '2026-11-22T18:04:05.000Z',
      usageType: 'data',
      status: 'rated',
      relatedParty: [{ ...individual(h.child), role: 'user' }],
      usageCharacteristic: [
        { name: 'duration', value: 600, valueType: 'number' },
        { name: 'volume', value: 52428800, valueType: 'number' },
        { name: 'cellId', value: 'cell-0042', valueType: 'string' },
        { name: 'accountId', value: h.account, valueType: 'string' },
        { name: 'serviceId', value: h.service, valueType: 'string' },
      ],
      ratedProductUsage: [{ taxIncludedRatingAmount: { value: 0.5, unit: 'EUR' } }],
    };
    const r = await call(keys.a, 'POST', `${BASE.usage}/usage`, cdr);
    assert.equal(r.status, 201);
    assert.match(r.body?.id as string, /^[1-9][0-9]*$/);
    const got = await call(keys.a, 'GET', `${BASE.usage}/usage/${String(r.body?.id)}`);
    assert.deepEqual(got.body, { ...cdr, id: r.body?.id, href: r.body?.href, '@type': 'Usage' });
    const row = await db.kysely.selectFrom('crm_usage').selectAll().executeTakeFirstOrThrow();
    assert.equal(Number(row.volume_bytes), 52428800);
    assert.equal(row.account_id, h.account);

    // A row ingested in bulk has columns only; the API rebuilds its TMF635 form.
    await db.kysely
      .insertInto('crm_usage')
      .values({
        tenant_id: tenants.a,
        usage_type: 'voice',
        status: 'rated',
        started_at: '2026-11-22T19:00:00.000Z',
        duration_s: 75,
        party_id: h.child,
        account_id: h.account,
        charge: 0.1,
        currency: 'EUR',
        created_at: '2026-11-22T19:05:00.000Z',
        updated_at: '2026-11-22T19:05:00.000Z',
        doc: null,
      })
      .execute();
    const voice = await call(keys.a, 'GET', `${BASE.usage}/usage?usageType=voice`);
    assert.equal(voice.headers['x-total-count'], '1');
    const [bulk] = voice.body as unknown as Record<string, unknown>[];
    assert.equal(bulk?.usageDate, '2026-11-22T19:00:00.000Z');
    assert.deepEqual(bulk?.ratedProductUsage, [{ taxIncludedRatingAmount: { value: 0.1, unit: 'EUR' } }]);
    assert.deepEqual(bulk?.relatedParty, [{ id: h.child, '@referredType': 'Individual', role: 'user' }]);

    // Ids are numbers; anything else, or another tenant's record, is not found.
    assert.equal((await call(keys.a, 'GET', `${BASE.usage}/usage/abc`)).status, 404);
    assert.equal((await call(keys.a, 'GET', `${BASE.usage}/usage/99999999999999999999`)).status, 404);
    assert.equal((await call(keys.b, 'GET', `${BASE.usage}/usage/${String(r.body?.id)}`)).status, 404);
    assert.equal((await call(keys.a, 'GET', `${BASE.usage}/usage?id=abc`)).status, 400);
    const noDate = await call(keys.a, 'POST', `${BASE.usage}/usage`, { usageType: 'sms' });
    assert.equal(noDate.status, 422);
    assert.equal(noDate.body?.field, 'body.usageDate');
    const deleted = await call(keys.a, 'DELETE', `${BASE.usage}/usage/${String(r.body?.id)}`);
    assert.equal(deleted.status, 204);
  });
}
