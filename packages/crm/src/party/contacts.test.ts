import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchParty } from '../channels/intake.js';
import { seedTelco } from '../seed/telco.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, create } from '../testing/fixtures.js';

for (const database of testDatabases()) {
  test(`${database.name}: the contact index follows every write of a party; the queue filters seeded tickets by channel`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const tenantId = api.tenants.a;
    const k = api.db.kysely;
    const match = (from: { email?: string; phone?: string; handle?: string }) =>
      matchParty(k, api.db.kind, tenantId, from).then((m) => m?.id);
    const id = await create(api, `${BASE.party}/individual`, {
      givenName: 'Ada',
      familyName: 'Example',
      contactMedium: [
        { mediumType: 'email', characteristic: { emailAddress: 'Ada@Example.org' } },
        { mediumType: 'phone', characteristic: { phoneNumber: '+44 (20) 7946-0000' } },
        { mediumType: 'social', characteristic: { socialNetworkId: '@ada' } },
      ],
    });
    assert.equal(await match({ email: ' ada@example.ORG ' }), id);
    assert.equal(await match({ phone: '+44 20 7946 0000' }), id);
    assert.equal(await match({ handle: 'Ada' }), id);
    // A change of address: the old one no longer finds her, the new one does.
    const patched = await api.call(
      api.keys.a,
      'PATCH',
      `${BASE.party}/individual/${id}`,
      { contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'ada@new.example' } }] },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(await match({ email: 'ada@example.org' }), undefined);
    assert.equal(await match({ phone: '+442079460000' }), undefined);
    assert.equal(await match({ email: 'ada@new.example' }), id);
    // Another tenant never sees her.
    assert.equal(await matchParty(k, api.db.kind, api.tenants.b, { email: 'ada@new.example' }), undefined);
    // Parties written in bulk by the seed are indexed too, and its tickets carry their channel as a column.
    await seedTelco(api.db, tenantId, { accounts: 20, now: new Date(), analyze: false, cdrsPerUser: 1 });
    const seeded = (await k
      .selectFrom('crm_party_contacts')
      .select(['party_id', 'value'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'email')
      .where('party_id', '!=', id)
      .limit(1)
      .executeTakeFirstOrThrow()) as { party_id: string; value: string };
    assert.equal(await match({ email: seeded.value }), seeded.party_id);
    const phone = await api.call(api.keys.a, 'GET', '/crm/v1/ticketQueue?channel=phone&limit=1000');
    const all = await api.call(api.keys.a, 'GET', '/crm/v1/ticketQueue?limit=1000');
    const list = (r: typeof phone) => r.body as unknown as { channel: string }[];
    assert.ok(list(phone).length > 0);
    assert.deepEqual(list(phone).length, list(all).filter((x) => x.channel === 'phone').length);
  });
}
