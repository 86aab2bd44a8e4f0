import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addApiKey } from '../tenant/keys.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';

for (const database of testDatabases()) {
  test(`${database.name}: a self-care key sees only what is about its own party, and changes nothing`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { call, keys, db, tenants } = api;
    const h = await household(api);
    const ticket = await call(keys.a, 'POST', `${BASE.ticket}/troubleTicket`, {
      description: 'Parental controls block homework site',
      severity: 'minor',
      ticketType: 'service',
      relatedParty: [{ ...individual(h.child), role: 'customer' }],
    });
    await call(keys.a, 'POST', `${BASE.ticket}/troubleTicket`, {
      description: 'Bill too high',
      severity: 'minor',
      ticketType: 'billing',
      relatedParty: [{ ...individual(h.holder), role: 'customer' }],
    });
    const child = await addApiKey(db, tenants.a, 'selfcare', 'app', undefined, h.child);

    // Own records: the party, the membership, the service, the ticket.
    assert.equal((await call(child, 'GET', `${BASE.party}/individual/${h.child}`)).status, 200);
    assert.equal((await call(child, 'GET', `${BASE.party}/individual/${h.holder}`)).status, 404);
    const parties = await call(child, 'GET', `${BASE.party}/individual`);
    assert.equal(parties.headers['x-total-count'], '1');
    const members = await call(child, 'GET', `${BASE.account}/accountMember`);
    assert.deepEqual(
      (members.body as unknown as { id: string }[]).map((m) => m.id),
      [h.members.child],
    );
    assert.equal((await call(child, 'GET', `${BASE.service}/service/${h.service}`)).status, 200);
    const tickets = await call(child, 'GET', `${BASE.ticket}/troubleTicket`);
    assert.deepEqual(
      (tickets.body as unknown as { id: string }[]).map((x) => x.id),
      [ticket.body?.id],
    );
    // Not the holder's account, not the staff's tools, not resources without a party, no writes.
    assert.equal((await call(child, 'GET', `${BASE.account}/billingAccount/${h.account}`)).status, 404);
    assert.equal((await call(child, 'GET', `${BASE.account}/userGroup`)).status, 403);
    assert.equal((await call(child, 'GET', `${BASE.sla}/sla`)).status, 403);
    assert.equal((await call(child, 'GET', '/crm/v1/ticketQueue')).status, 403);
    assert.equal((await call(child, 'GET', `/crm/v1/customer/${h.child}/360`)).status, 403);
    const patch = await call(
      child,
      'PATCH',
      `${BASE.party}/individual/${h.child}`,
      { givenName: 'Robert' },
      'application/merge-patch+json',
    );
    assert.equal(patch.status, 403);
    await assert.rejects(addApiKey(db, tenants.a, 'selfcare', 'no party'), /needs/);
  });
}
