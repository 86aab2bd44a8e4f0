import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';

for (const database of testDatabases()) {
  test(`${database.name}: accounts, members and services: roles, parental controls, guests outside billing`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { call, keys } = api;
    const h = await household(api);

    const account = await call(keys.a, 'GET', `${BASE.account}/billingAccount/${h.account}`);
    assert.equal(account.status, 200);
    assert.equal(account.body?.['@type'], 'BillingAccount');
    const guest = await call(keys.a, 'GET', `${BASE.account}/accountMember/${h.members.guest}`);
    assert.equal(guest.body?.inBilling, false, 'a guest is outside billing by default');
    const child = await call(keys.a, 'GET', `${BASE.account}/accountMember/${h.members.child}`);
    assert.equal(child.body?.inBilling, true);

    // Filters: by role, by a boolean, by a nested reference.
    const secondaries = await call(
      keys.a,
      'GET',
      `${BASE.account}/accountMember?role=secondary&parentalControls.enabled=true`,
    );
    assert.deepEqual(
      (secondaries.body as unknown as { id: string }[]).map((m) => m.id),
      [h.members.child],
    );
    const outside = await call(keys.a, 'GET', `${BASE.account}/accountMember?inBilling=false`);
    assert.deepEqual(
      (outside.body as unknown as { id: string }[]).map((m) => m.id),
      [h.members.guest],
    );
    const ofAccount = await call(keys.a, 'GET', `${BASE.account}/accountMember?account.id=${h.account}`);
    assert.equal(ofAccount.headers['x-total-count'], '3');
    assert.equal((await call(keys.a, 'GET', `${BASE.account}/accountMember?inBilling=maybe`)).status, 400);

    // A guest is never in billing.
    const bad = await call(keys.a, 'POST', `${BASE.account}/accountMember`, {
      account: h.accountRef,
      party: individual(h.guest),
      role: 'guest',
      inBilling: true,
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body?.field, 'body.inBilling');

    // Groups belong to one account.
    const group = await call(keys.a, 'POST', `${BASE.account}/userGroup`, {
      name: 'Family',
      account: h.accountRef,
    });
    assert.equal(group.status, 201);
    const moved = await call(
      keys.a,
      'PATCH',
      `${BASE.account}/accountMember/${h.members.child}`,
      { group: { id: group.body?.id } },
      'application/merge-patch+json',
    );
    assert.equal(moved.status, 200);
    assert.equal(
      (await call(keys.a, 'GET', `${BASE.account}/accountMember?group.id=${String(group.body?.id)}`)).headers[
        'x-total-count'
      ],
      '1',
    );

    // The service knows its account, user, cell and SLA.
    const services = await call(
      keys.a,
      'GET',
      `${BASE.service}/service?account.id=${h.account}&serviceLevelAgreement.id=${h.sla}`,
    );
    assert.equal(services.headers['x-total-count'], '1');

    // References across tenants are not found; another tenant sees nothing.
    const foreign = await call(keys.b, 'POST', `${BASE.account}/accountMember`, {
      account: { id: h.account },
      party: individual(h.child),
      role: 'secondary',
    });
    assert.equal(foreign.status, 422);
    assert.equal(foreign.body?.field, 'body.account.id');
    assert.equal((await call(keys.b, 'GET', `${BASE.account}/billingAccount/${h.account}`)).status, 404);
    assert.equal((await call(keys.b, 'GET', `${BASE.account}/accountMember`)).headers['x-total-count'], '0');
    const wrongKind = await call(keys.a, 'POST', `${BASE.account}/billingAccount`, {
      name: 'x',
      relatedParty: [{ id: h.holder, name: 'Ada', '@referredType': 'Organization', role: 'holder' }],
    });
    assert.equal(wrongKind.status, 422, 'an Individual is not an Organization');
  });
}
