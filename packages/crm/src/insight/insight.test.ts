import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate } from '@parley/store';
import { addApiKey } from '../tenant/keys.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, create, individual } from '../testing/fixtures.js';
import { INSIGHT_MIGRATIONS } from './migrations.js';
import { registerInsightRoutes } from './routes.js';

const CUSTOMER = '/tmf-api/customerManagement/v4/customer';
const DAY = 86_400_000;
const T = Date.now();
const at = (daysAgo: number) => new Date(T - daysAgo * DAY).toISOString();

/** The insight routes and indexes on the test server (unless the server already has them). */
async function withInsight(api: TestApi) {
  await migrate(api.db, INSIGHT_MIGRATIONS);
  if (!api.app.hasRoute({ method: 'GET', url: '/crm/v1/insight/selfcareGuestsOutsideBilling' }))
    registerInsightRoutes(api.app, api.db);
}

/**
 * Tenant A, built through the API:
 * - account a1 of holder Ada: Bo (secondary, parental controls), Dee (secondary), Cy (guest, self-care twice),
 *   Eve (guest on a1 but holder of a2, so in billing). One open ticket raised by Ada, one closed one.
 * - account a3 of Gus with supervised Hal: only a closed ticket.
 * - account a4 of Ivy with supervised Jo: an open ticket raised by Jo.
 * - Fay: guest on a3 who used the phone only. Dee used self-care but is no guest.
 * - Gold SLA (availability >= 99.5, latency <= 40 with tolerance 5) on Bo's, Dee's and Ada's services; Bo's
 *   measurements of the week average 99.1% availability (breach) and latencies 30 and 50 ms (only the worst breaks).
 */
async function telcoA(api: TestApi, key = api.keys.a) {
  const post = (url: string, body: unknown) => create(api, url, body, key);
  const person = (givenName: string) =>
    post(`${BASE.party}/individual`, { givenName, familyName: 'Example' });
  const p = {
    ada: await person('Ada'),
    bo: await person('Bo'),
    cy: await person('Cy'),
    dee: await person('Dee'),
    eve: await person('Eve'),
    fay: await person('Fay'),
    gus: await person('Gus'),
    hal: await person('Hal'),
    ivy: await person('Ivy'),
    jo: await person('Jo'),
  };
  const account = (holder: string, name: string) =>
    post(`${BASE.account}/billingAccount`, {
      name,
      state: 'active',
      relatedParty: [{ ...individual(holder), name, role: 'holder' }],
    });
  const a = {
    a1: await account(p.ada, 'Ada household'),
    a2: await account(p.eve, 'Eve household'),
    a3: await account(p.gus, 'Gus household'),
    a4: await account(p.ivy, 'Ivy household'),
  };
  const ref = (id: string) => ({ id, '@referredType': 'BillingAccount' });
  const member = (accountId: string, party: string, role: string, extra = {}) =>
    post(`${BASE.account}/accountMember`, {
      account: ref(accountId),
      party: individual(party),
      role,
      ...extra,
    });
  const supervised = { parentalControls: { enabled: true, contentFilter: 'child' } };
  const m = {
    ada: await member(a.a1, p.ada, 'holder'),
    bo: await member(a.a1, p.bo, 'secondary', supervised),
    dee: await member(a.a1, p.dee, 'secondary', { parentalControls: { enabled: false } }),
    cy: await member(a.a1, p.cy, 'guest'),
    eveGuest: await member(a.a1, p.eve, 'guest'),
    eve: await member(a.a2, p.eve, 'holder'),
    gus: await member(a.a3, p.gus, 'holder'),
    hal: await member(a.a3, p.hal, 'secondary', supervised),
    fay: await member(a.a3, p.fay, 'guest'),
    ivy: await member(a.a4, p.ivy, 'holder'),
    jo: await member(a.a4, p.jo, 'secondary', supervised),
  };
  const gold = await post(`${BASE.sla}/sla`, {
    name: 'Gold',
    state: 'active',
    rule: [
      { metric: 'availability', unit: '%', referenceValue: 99.5, operator: '>=' },
      { metric: 'latency', unit: 'ms', referenceValue: 40, operator: '<=', tolerance: 5 },
      { metric: 'throughput', unit: 'Mbit/s', referenceValue: 50, operator: '>=' },
      { metric: 'resolutionTime', unit: 'h', referenceValue: 4, operator: '<=' },
    ],
  });
  const service = (user: string, name: string) =>
    post(`${BASE.service}/service`, {
      name,
      serviceType: 'mobile',
      state: 'active',
      account: ref(a.a1),
      relatedParty: [{ ...individual(user), role: 'user' }],
      serviceLevelAgreement: { id: gold },
    });
  const s = { bo: await service(p.bo, 'Bo mobile'), dee: await service(p.dee, 'Dee mobile') };
  const adaService = await service(p.ada, 'Ada mobile');
  const qoe = (svc: string, daysAgo: number, values: Record<string, number>) =>
    post(`${BASE.sla}/qoeMeasurement`, { service: { id: svc }, measuredAt: at(daysAgo), ...values });
  await qoe(s.bo, 1, { availability: 99.0, latency: 30 });
  await qoe(s.bo, 2, { availability: 99.2, latency: 50 });
  await qoe(s.dee, 1, { availability: 99.9, latency: 20 });
  await qoe(adaService, 1, { availability: 99.8 });
  await qoe(adaService, 8, { availability: 90 }); // outside the week

  const ticket = (reporter: string, accountId: string, status: string) =>
    post(`${BASE.ticket}/troubleTicket`, {
      description: 'No data',
      severity: 'Minor',
      ticketType: 'connectivity',
      priority: 'high',
      status,
      relatedParty: [{ ...individual(reporter), role: 'customer' }],
      relatedEntity: [{ ...ref(accountId), role: 'account' }],
    });
  const t = {
    a1Open: await ticket(p.ada, a.a1, 'acknowledged'),
    a1Closed: await ticket(p.ada, a.a1, 'closed'),
    a3Closed: await ticket(p.gus, a.a3, 'resolved'),
    a4Open: await ticket(p.jo, a.a4, 'inProgress'),
  };
  const contact = (who: string, channel: string, daysAgo: number, accountId = a.a1) =>
    post(`${BASE.interaction}/partyInteraction`, {
      interactionDate: { startDateTime: at(daysAgo) },
      reason: 'question',
      status: 'completed',
      direction: 'inbound',
      channel: [{ id: channel, href: `/channel/${channel}`, name: channel }],
      relatedParty: [{ ...individual(who), href: `${BASE.party}/individual/${who}`, role: 'customer' }],
      interactionItem: [{ item: { ...ref(accountId), role: 'account' } }],
    });
  const i = {
    cyRecent: await contact(p.cy, 'selfcare', 3),
    cyOld: await contact(p.cy, 'selfcare', 40),
    eve: await contact(p.eve, 'selfcare', 2),
    fay: await contact(p.fay, 'phone', 2, a.a3),
    dee: await contact(p.dee, 'selfcare', 1),
    adaOld: await contact(p.ada, 'email', 20),
    adaNew: await contact(p.ada, 'phone', 1),
    adaMid: await contact(p.ada, 'chat', 5),
  };
  const customer = await post(CUSTOMER, {
    name: 'Ada Example',
    engagedParty: { ...individual(p.ada), name: 'Ada Example' },
  });
  return { p, a, m, gold, s, adaService, t, i, customer };
}

/** The ids of a member of each item of a list body, e.g. each item's account id. */
const ids = (body: unknown, member: string) =>
  (body as Record<string, { id: string }>[]).map((x) => x[member]?.id);

for (const database of testDatabases()) {
  test(`${database.name}: relationship queries answer from hand-built data and never cross tenants`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    await withInsight(api);
    const { call, keys } = api;
    const A = await telcoA(api);
    // Tenant B has the same shapes: a supervised secondary with an open ticket, a self-care guest, QoE breaches.
    const B = await telcoA(api, keys.b);

    await t.test('QoE below SLA this week, by average and by worst sample', async () => {
      const to = new Date(T + 60_000).toISOString();
      const r = await call(keys.a, 'GET', `/crm/v1/account/${A.a.a1}/qoeBelowSla?to=${to}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const body = r.body as unknown as {
        basis: string;
        users: { party: { id: string; name: string }; roles: string[]; services: Record<string, never>[] }[];
      };
      assert.equal(body.basis, 'average');
      assert.equal(body.users.length, 1);
      const [user] = body.users;
      assert.deepEqual(user?.party, { id: A.p.bo, name: 'Bo Example' });
      assert.deepEqual(user?.roles, ['secondary']);
      assert.deepEqual(
        user?.services.map((s) => [s['id'], s['sla']]),
        [[A.s.bo, { id: A.gold, name: 'Gold' }]],
      );
      assert.deepEqual(user?.services[0]?.['breaches'], [
        {
          metric: 'availability',
          operator: '>=',
          target: 99.5,
          tolerance: 0,
          unit: '%',
          observed: 99.1,
          average: 99.1,
          worst: 99,
          samples: 2,
        },
      ]);

      const worst = await call(keys.a, 'GET', `/crm/v1/account/${A.a.a1}/qoeBelowSla?to=${to}&basis=worst`);
      const breaches = (worst.body as unknown as typeof body).users[0]?.services[0]?.[
        'breaches'
      ] as unknown as {
        metric: string;
        observed: number;
      }[];
      assert.deepEqual(
        breaches.map((b) => [b.metric, b.observed]),
        [
          ['availability', 99],
          ['latency', 50],
        ],
      );
      // A wider period takes in Ada's bad sample of 8 days ago.
      const wide = await call(
        keys.a,
        'GET',
        `/crm/v1/account/${A.a.a1}/qoeBelowSla?from=${at(10)}&to=${encodeURIComponent(to)}`,
      );
      assert.deepEqual(
        (wide.body as unknown as typeof body).users.map((u) => u.party.id).sort(),
        [A.p.ada, A.p.bo].sort(),
      );
      // Another tenant's account is not found; bad periods name the field.
      assert.equal((await call(keys.a, 'GET', `/crm/v1/account/${B.a.a1}/qoeBelowSla`)).status, 404);
      const bad = await call(keys.a, 'GET', `/crm/v1/account/${A.a.a1}/qoeBelowSla?from=yesterday`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body?.field, 'from');
      const reversed = await call(
        keys.a,
        'GET',
        `/crm/v1/account/${A.a.a1}/qoeBelowSla?from=${at(1)}&to=${at(2)}`,
      );
      assert.equal(reversed.status, 400);
      const unknown = await call(keys.a, 'GET', `/crm/v1/account/${A.a.a1}/qoeBelowSla?color=red`);
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body?.field, 'querystring.color');
    });

    await t.test('accounts with supervised secondaries and open tickets, paged', async () => {
      const url = '/crm/v1/insight/supervisedSecondariesWithOpenTickets';
      const all = await call(keys.a, 'GET', url);
      assert.equal(all.status, 200);
      const expected = [A.a.a1, A.a.a4].sort();
      assert.deepEqual(ids(all.body, 'account'), expected);
      assert.equal(all.headers['x-result-count'], '2');
      assert.equal(all.headers['link'], undefined);
      const a1 = (all.body as unknown as Record<string, { id: string }>[]).find(
        (x) => x['account']?.id === A.a.a1,
      ) as unknown as {
        account: { name: string; holderPartyId: string };
        supervisedMembers: { id: string; partyId: string; partyName: string }[];
        openTickets: { id: string; status: string; partyId: string }[];
      };
      assert.equal(a1.account.holderPartyId, A.p.ada);
      assert.deepEqual(
        a1.supervisedMembers.map((m) => [m.id, m.partyId, m.partyName]),
        [[A.m.bo, A.p.bo, 'Bo Example']],
      );
      assert.deepEqual(
        a1.openTickets.map((x) => [x.id, x.status, x.partyId]),
        [[A.t.a1Open, 'acknowledged', A.p.ada]],
      );

      const first = await call(keys.a, 'GET', `${url}?limit=1`);
      assert.deepEqual(ids(first.body, 'account'), [expected[0]]);
      assert.equal(first.headers['link'], `<${url}?limit=1&after=${expected[0]}>; rel="next"`);
      const next = await call(keys.a, 'GET', `${url}?limit=1&after=${expected[0]}`);
      assert.deepEqual(ids(next.body, 'account'), [expected[1]]);
      assert.equal(next.headers['link'], undefined);
      const second = await call(keys.a, 'GET', `${url}?limit=1&offset=1`);
      assert.deepEqual(ids(second.body, 'account'), [expected[1]]);
      assert.equal(second.headers['link'], undefined);

      // Only tickets raised by the supervised user: a4 (Jo's ticket), not a1 (Ada's).
      const bySecondary = await call(keys.a, 'GET', `${url}?ticketOf=secondary`);
      assert.deepEqual(ids(bySecondary.body, 'account'), [A.a.a4]);
      // Tenant B sees its own two accounts only.
      const b = await call(keys.b, 'GET', url);
      assert.deepEqual(ids(b.body, 'account'), [B.a.a1, B.a.a4].sort());
      assert.equal((await call(keys.a, 'GET', `${url}?limit=0`)).status, 400);
      assert.equal((await call(keys.a, 'GET', `${url}?limit=ten`)).body?.field, 'querystring.limit');
      assert.equal((await call(keys.a, 'GET', `${url}?ticketOf=anyone`)).status, 400);
    });

    await t.test('guests outside billing who used self-care', async () => {
      const url = '/crm/v1/insight/selfcareGuestsOutsideBilling';
      const r = await call(keys.a, 'GET', url);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, [
        {
          party: { id: A.p.cy, name: 'Cy Example' },
          accounts: [{ id: A.a.a1, name: 'Ada household', memberId: A.m.cy }],
          selfcare: { interactions: 2, last: at(3) },
        },
      ]);
      const recent = await call(keys.a, 'GET', `${url}?since=${at(10)}`);
      assert.deepEqual(
        (recent.body as unknown as { selfcare: unknown }[]).map((g) => g.selfcare),
        [{ interactions: 1, last: at(3) }],
      );
      const none = await call(keys.a, 'GET', `${url}?since=${at(2)}`);
      assert.deepEqual(none.body, []);
      const b = await call(keys.b, 'GET', url);
      assert.deepEqual(ids(b.body, 'party'), [B.p.cy]);
      assert.equal((await call(keys.a, 'GET', `${url}?since=soon`)).body?.field, 'since');
    });

    await t.test("a customer's 360 from the customer id or a party id", async () => {
      const r = await call(keys.a, 'GET', `/crm/v1/customer/${A.customer}/360?interactions=2`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const c = r.body as unknown as {
        resolvedFrom: string;
        party: { id: string; name: string };
        customers: { id: string }[];
        parties: { id: string }[];
        accounts: { id: string; roles: string[] }[];
        members: { id: string; role: string; inBilling: boolean; parentalControls: boolean }[];
        services: { id: string; sla: { id: string; name: string } }[];
        openTickets: { id: string }[];
        recentInteractions: { id: string; channel: string }[];
        truncated: boolean;
      };
      assert.equal(c.resolvedFrom, 'customer');
      assert.deepEqual(c.party.id, A.p.ada);
      assert.deepEqual(
        c.customers.map((x) => x.id),
        [A.customer],
      );
      assert.deepEqual(
        c.accounts.map((x) => [x.id, x.roles]),
        [[A.a.a1, ['holder']]],
      );
      assert.deepEqual(
        c.members.map((x) => x.id).sort(),
        [A.m.ada, A.m.bo, A.m.dee, A.m.cy, A.m.eveGuest].sort(),
      );
      const bo = c.members.find((x) => x.id === A.m.bo);
      assert.equal(bo?.parentalControls, true);
      assert.equal(c.members.find((x) => x.id === A.m.cy)?.inBilling, false);
      assert.deepEqual(c.parties.map((x) => x.id).sort(), [A.p.bo, A.p.cy, A.p.dee, A.p.eve].sort());
      assert.deepEqual(c.services.map((x) => x.id).sort(), [A.s.bo, A.s.dee, A.adaService].sort());
      assert.deepEqual(c.services[0]?.sla, { id: A.gold, name: 'Gold' });
      assert.deepEqual(
        c.openTickets.map((x) => x.id),
        [A.t.a1Open],
      );
      assert.deepEqual(
        c.recentInteractions.map((x) => [x.id, x.channel]),
        [
          [A.i.adaNew, 'phone'],
          [A.i.adaMid, 'chat'],
        ],
      );
      assert.equal(c.truncated, false);

      // Eve: a party id, holder of a2 and guest on a1.
      const eve = await call(keys.a, 'GET', `/crm/v1/customer/${A.p.eve}/360`);
      const e = eve.body as unknown as typeof c;
      assert.equal(e.resolvedFrom, 'party');
      assert.deepEqual(
        e.accounts.map((x) => [x.id, x.roles]).sort(),
        [
          [A.a.a1, ['guest']],
          [A.a.a2, ['holder']],
        ].sort(),
      );
      // Jo raised the open ticket of a4 as a secondary user.
      const jo = await call(keys.a, 'GET', `/crm/v1/customer/${A.p.jo}/360`);
      assert.deepEqual(
        (jo.body as unknown as typeof c).openTickets.map((x) => x.id),
        [A.t.a4Open],
      );
      // Another tenant's customer and party are not found.
      assert.equal((await call(keys.a, 'GET', `/crm/v1/customer/${B.customer}/360`)).status, 404);
      assert.equal((await call(keys.a, 'GET', `/crm/v1/customer/${B.p.ada}/360`)).status, 404);
      const bView = await call(keys.b, 'GET', `/crm/v1/customer/${B.customer}/360`);
      assert.equal((bView.body as unknown as typeof c).party.id, B.p.ada);
      assert.equal(
        (await call(keys.a, 'GET', `/crm/v1/customer/${A.customer}/360?interactions=101`)).status,
        400,
      );
    });

    await t.test(
      'staff keys may ask, self-care keys may not; the routes are in the OpenAPI document',
      async () => {
        const r = await call(keys.aRead, 'GET', '/crm/v1/insight/selfcareGuestsOutsideBilling');
        assert.equal(r.status, 200);
        const selfcare = await addApiKey(
          api.db,
          api.tenants.a,
          'selfcare',
          'test',
          undefined,
          'a-self-care-party',
        );
        const refused = await call(selfcare, 'GET', `/crm/v1/customer/${A.customer}/360`);
        assert.equal(refused.status, 403);
        assert.equal(refused.body?.field, 'authorization');
        const doc = await api.app.inject({ method: 'GET', url: '/openapi.json' });
        const paths = Object.keys((JSON.parse(doc.body) as { paths: Record<string, unknown> }).paths);
        for (const p of [
          '/crm/v1/account/{id}/qoeBelowSla',
          '/crm/v1/insight/supervisedSecondariesWithOpenTickets',
          '/crm/v1/insight/selfcareGuestsOutsideBilling',
          '/crm/v1/customer/{id}/360',
        ])
          assert.ok(paths.includes(p), `${p} in the OpenAPI document`);
      },
    );
  });
}
