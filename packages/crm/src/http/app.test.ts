import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';

const PARTY = '/tmf-api/party/v4';
const CUSTOMER = '/tmf-api/customerManagement/v4';

for (const database of testDatabases()) {
  test(`${database.name}: TMF632 individual and TMF629 customer: create, read, list, patch, delete`, async (t) => {
    const { keys, call, close } = await startTestApi(database);
    t.after(close);
    const alice = await call(keys.a, 'POST', `${PARTY}/individual`, {
      givenName: 'Alice',
      familyName: 'Example',
      status: 'validated',
    });
    assert.equal(alice.status, 201);
    assert.equal(alice.headers.location, `${PARTY}/individual/${alice.body?.id}`);
    assert.equal(alice.body?.['@type'], 'Individual');
    const customers = [];
    for (const [i, status] of ['approved', 'approved', 'prospective'].entries()) {
      const c = await call(keys.a, 'POST', `${CUSTOMER}/customer`, {
        name: `Customer ${i}`,
        status,
        engagedParty: { id: alice.body?.id, '@referredType': 'Individual' },
      });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      customers.push(c.body);
    }
    const list = await call(keys.a, 'GET', `${CUSTOMER}/customer?status=approved&fields=name&limit=1`);
    assert.equal(list.status, 200);
    assert.equal(list.headers['x-total-count'], '2');
    assert.equal(list.headers['x-result-count'], '1');
    assert.deepEqual(Object.keys((list.body as unknown as object[])[0] as object).sort(), [
      '@type',
      'href',
      'id',
      'name',
    ]);
    const byParty = await call(
      keys.a,
      'GET',
      `${CUSTOMER}/customer?engagedParty.id=${alice.body?.id}&offset=2`,
    );
    assert.equal(byParty.headers['x-total-count'], '3');
    assert.equal((byParty.body as unknown as object[]).length, 1);
    const byJson = await call(keys.a, 'GET', `${PARTY}/individual?givenName=Alice`);
    assert.equal(byJson.headers['x-total-count'], '1');

    const id = customers[0]?.id as string;
    const patched = await call(
      keys.a,
      'PATCH',
      `${CUSTOMER}/customer/${id}`,
      {
        engagedParty: { id: alice.body?.id, '@referredType': 'Individual' },
        status: 'inactive',
        statusReason: 'moved',
      },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body?.status, 'inactive');
    const read = await call(keys.a, 'GET', `${CUSTOMER}/customer/${id}`);
    assert.equal(read.body?.statusReason, 'moved');
    assert.equal(read.body?.name, 'Customer 0');
    assert.equal((await call(keys.a, 'DELETE', `${CUSTOMER}/customer/${id}`)).status, 204);
    assert.equal((await call(keys.a, 'GET', `${CUSTOMER}/customer/${id}`)).status, 404);
  });

  test(`${database.name}: tenants never see each other's data; roles and keys are enforced`, async (t) => {
    const { app, keys, call, close } = await startTestApi(database);
    t.after(close);
    const alice = await call(keys.a, 'POST', `${PARTY}/individual`, {
      givenName: 'Alice',
      familyName: 'Example',
    });
    const customer = await call(keys.a, 'POST', `${CUSTOMER}/customer`, {
      name: 'A',
      engagedParty: { id: alice.body?.id, '@referredType': 'Individual' },
    });
    assert.equal((await call(keys.b, 'GET', `${CUSTOMER}/customer/${customer.body?.id}`)).status, 404);
    const listed = await call(keys.b, 'GET', `${CUSTOMER}/customer`);
    assert.equal(listed.headers['x-total-count'], '0');
    const borrowed = await call(keys.b, 'POST', `${CUSTOMER}/customer`, {
      name: 'B',
      engagedParty: { id: alice.body?.id, '@referredType': 'Individual' },
    });
    assert.equal(borrowed.status, 422);
    assert.equal(borrowed.body?.field, 'body.engagedParty.id');
    assert.equal(
      (
        await call(
          keys.b,
          'PATCH',
          `${CUSTOMER}/customer/${customer.body?.id}`,
          { name: 'x', engagedParty: { id: 'x', '@referredType': 'Individual' } },
          'application/merge-patch+json',
        )
      ).status,
      404,
    );
    assert.equal((await call(keys.b, 'DELETE', `${CUSTOMER}/customer/${customer.body?.id}`)).status, 404);
    assert.equal((await call(keys.a, 'GET', `${CUSTOMER}/customer/${customer.body?.id}`)).status, 200);
    const readOnly = await call(keys.aRead, 'POST', `${PARTY}/individual`, {
      givenName: 'X',
      familyName: 'Y',
    });
    assert.equal(readOnly.status, 403);
    assert.equal((await call(keys.aRead, 'GET', `${PARTY}/individual`)).status, 200);
    assert.equal((await call('pk_not_a_key', 'GET', `${PARTY}/individual`)).status, 401);
    const none = await app.inject({ method: 'GET', url: `${PARTY}/individual` });
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test(`${database.name}: bad input gets a 4xx problem+json naming the field, and nothing is written`, async (t) => {
    const { keys, call, close } = await startTestApi(database);
    t.after(close);
    const cases: [string, unknown, number, string | RegExp][] = [
      [`${CUSTOMER}/customer`, { name: 'x' }, 400, 'body'],
      [
        `${CUSTOMER}/customer`,
        { name: 'x', engagedParty: { id: 'p', '@referredType': 'Individual' }, loyalty: 3 },
        400,
        'body.loyalty',
      ],
      [
        `${CUSTOMER}/customer`,
        { name: 42, engagedParty: { id: 'p', '@referredType': 'Individual' } },
        400,
        'body.name',
      ],
      [`${CUSTOMER}/customer`, '{"name": "x", ', 400, 'body'],
      [
        `${CUSTOMER}/customer`,
        {
          name: 'x',
          engagedParty: { id: 'p', '@referredType': 'Individual' },
          validFor: { startDateTime: 'yesterday' },
        },
        400,
        'body.validFor.startDateTime',
      ],
      [`${PARTY}/individual`, { givenName: 'x'.repeat(2_000_000), familyName: 'y' }, 413, /.*/],
      [`${PARTY}/individual`, { familyName: 'y' }, 400, 'body'],
    ];
    for (const [url, body, status, field] of cases) {
      const r = await call(keys.a, 'POST', url, body);
      assert.equal(
        r.status,
        status,
        `${url} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`,
      );
      if (typeof field === 'string') assert.equal(r.body?.field, field, JSON.stringify(r.body));
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    // SQL-ish text is data, stored and returned as is.
    const sqlish = "Robert'); DROP TABLE crm_parties;--";
    const bobby = await call(keys.a, 'POST', `${PARTY}/individual`, {
      givenName: sqlish,
      familyName: 'Tables',
    });
    assert.equal(bobby.status, 201);
    assert.equal(
      (await call(keys.a, 'GET', `${PARTY}/individual?givenName=${encodeURIComponent(sqlish)}`)).headers[
        'x-total-count'
      ],
      '1',
    );
    for (const [query, field] of [
      ['limit=-1', 'limit'],
      ['limit=5000', 'limit'],
      ['offset=abc', 'offset'],
      ['shoeSize=9', 'shoeSize'],
      ['contactMedium=x', 'contactMedium'],
      ["name')--=1", "name')--"],
      ['fields=password', 'fields'],
    ] as const) {
      const r = await call(keys.a, 'GET', `${PARTY}/individual?${query}`);
      assert.equal(r.status, 400, query);
      assert.equal(r.body?.field, field, query);
    }
    const patch = await call(
      keys.a,
      'PATCH',
      `${PARTY}/individual/${bobby.body?.id}`,
      { givenName: null },
      'application/merge-patch+json',
    );
    assert.equal(patch.status, 422, 'removing a required member is refused');
    assert.equal(
      (await call(keys.a, 'GET', `${PARTY}/individual/${bobby.body?.id}`)).body?.givenName,
      sqlish,
    );
    const count = await call(keys.a, 'GET', `${PARTY}/individual`);
    assert.equal(count.headers['x-total-count'], '1', 'only the one valid individual was written');
  });
}
