import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { TestPerson } from '../agreement/testing.js';
import { vendorProfile } from '../compliance/testing.js';
import { seedTelco } from '../seed/telco.js';
import { describe as describeSegment, population } from './segments-profile.js';
import { ruleSegment, type Segmentation } from './segments.js';
import { FEATURES, type Feature } from './segments-features.js';

const URL_ = '/crm/v1/analytics';

/** A person who agreed SD-BASE-A for service analytics (with her policies), made the holder of a seeded account. */
async function agreeingHolder(
  api: TestApi,
  label: string,
  policies: ('DoNotTrack' | 'NoThirdPartyMail')[],
  memberId: string,
) {
  const p = new TestPerson(api, api.tenants.a, label);
  assert.equal(
    (await p.proffer(['SD-BASE-A'], { purposes: ['ServiceDelivery', 'ServiceAnalytics'] })).body.status,
    'agreed',
  );
  assert.equal((await p.data({ givenName: label, email: `${label}@example.org` })).status, 200);
  if (policies.length > 0)
    assert.equal(
      (await p.permissions({ consents: [], channels: [], subscriptions: [], policies })).status,
      200,
    );
  const row = (await api.db.kysely
    .selectFrom('crm_agreements')
    .select('party_id')
    .where('id', '=', p.agreement?.id ?? '')
    .executeTakeFirstOrThrow()) as { party_id: string };
  await api.db.kysely
    .updateTable('crm_account_members')
    .set({ party_id: row.party_id })
    .where('tenant_id', '=', api.tenants.a)
    .where('id', '=', memberId)
    .execute();
  return row.party_id;
}

for (const database of testDatabases()) {
  test(`${database.name}: segmentations by k-means and by rules over the scoped customers, with members and profiles`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const a = api.tenants.a;
    const profile = (await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<
      string,
      unknown
    >;
    await vendorProfile(api, ['SD-BASE-A'], {
      request: { ...(profile.request as object), purposes: ['ServiceDelivery', 'ServiceAnalytics'] },
    });
    await seedTelco(api.db, a, { accounts: 300, now: new Date(), analyze: false });
    const holders = (await api.db.kysely
      .selectFrom('crm_account_members')
      .select('id')
      .where('tenant_id', '=', a)
      .where('role', '=', 'holder')
      .orderBy('id')
      .limit(2)
      .execute()) as { id: string }[];
    const tracked = await agreeingHolder(api, 'tracked', [], (holders[0] as { id: string }).id);
    const private_ = await agreeingHolder(api, 'private', ['DoNotTrack'], (holders[1] as { id: string }).id);
    const population_ = Number(
      (
        (await api.db.kysely
          .selectFrom('crm_account_members as m')
          .innerJoin('crm_parties as p', (j) =>
            j.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.id', '=', 'm.party_id'),
          )
          .select((eb) => eb.fn.count('m.party_id').distinct().as('n'))
          .where('m.tenant_id', '=', a)
          .where('p.kind', '=', 'Individual')
          .executeTakeFirstOrThrow()) as { n: unknown }
      ).n,
    );
    assert.ok(population_ > 300, `population ${population_}`);

    // k-means, k chosen by silhouette.
    const run = await api.call(api.keys.a, 'POST', `${URL_}/segmentations`, { method: 'kmeans', k: 'auto' });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    const km = run.body as unknown as Segmentation;
    assert.equal(run.headers.location, `${URL_}/segmentations/${km.id}`);
    assert.ok(km.k >= 2 && km.k <= 8, `k ${km.k}`);
    assert.ok(typeof km.silhouette === 'number' && km.silhouette > 0 && km.silhouette <= 1);
    assert.deepEqual(km.features, [...FEATURES]);
    const excluded = Object.values(km.excluded).reduce((x, y) => x + (y ?? 0), 0);
    assert.equal(km.excluded['do-not-track'], 1, JSON.stringify(km.excluded));
    assert.equal(
      km.segments.reduce((x, s) => x + s.size, 0),
      population_ - excluded,
      'the sizes sum to the scoped population',
    );
    for (const s of km.segments) {
      assert.ok(s.label.length > 0 && /^[A-Z]/.test(s.label), s.label);
      assert.match(s.description, new RegExp(`^${s.size} customers \\(\\d+%\\)`));
      for (const f of FEATURES) assert.equal(typeof s.profile[f].median, 'number');
    }
    assert.deepEqual((await api.call(api.keys.aRead, 'GET', `${URL_}/segmentations/${km.id}`)).body, {
      ...km,
      href: `${URL_}/segmentations/${km.id}`,
    });

    // Her segment in each segmentation: the DoNotTrack holder is in none.
    const mine = await api.call(api.keys.aRead, 'GET', `${URL_}/customers/${tracked}/segments`);
    assert.equal(mine.status, 200);
    assert.equal((mine.body as unknown as unknown[]).length, 1);
    const hidden = await api.call(api.keys.aRead, 'GET', `${URL_}/customers/${private_}/segments`);
    assert.deepEqual(hidden.body, []);

    // Members, paged by keyset through Link rel="next": every member once, in order.
    const biggest = km.segments[0] as Segmentation['segments'][number];
    let next: string | null = `${URL_}/segmentations/${km.id}/segments/${biggest.id}/members?limit=37`;
    const seen: string[] = [];
    let pages = 0;
    while (next) {
      const page = await api.call(api.keys.aRead, 'GET', next);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...(page.body as unknown as { partyId: string }[]).map((m) => m.partyId));
      next = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1] ?? null;
      pages++;
    }
    assert.equal(seen.length, biggest.size);
    assert.equal(pages, Math.ceil(biggest.size / 37) + (biggest.size % 37 === 0 ? 1 : 0));
    assert.deepEqual([...seen].sort(), seen);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(!seen.includes(private_));

    // Rules: the first match wins, the rest are "other".
    const rules = await api.call(api.keys.a, 'POST', `${URL_}/segmentations`, {
      method: 'rules',
      segments: [
        { name: 'Newcomers', where: { tenureDays: { lte: 365 } } },
        { name: 'Big spenders', where: { monetary30d: { gte: 5 } } },
      ],
    });
    assert.equal(rules.status, 201, JSON.stringify(rules.body));
    const ru = rules.body as unknown as Segmentation;
    assert.equal(ru.method, 'rules');
    assert.equal(ru.silhouette, null);
    assert.deepEqual(
      ru.segments.map((s) => [s.id, s.label]),
      [
        ['s1', 'Newcomers'],
        ['s2', 'Big spenders'],
        ['other', 'other'],
      ],
    );
    assert.equal(
      ru.segments.reduce((x, s) => x + s.size, 0),
      population_ - excluded,
    );
    for (const s of ru.segments.slice(0, 2))
      assert.ok((s.size === 0 || s.profile.tenureDays.mean >= 0) && s.description.startsWith(`${s.label}: `));
    assert.ok((ru.segments[0] as Segmentation['segments'][number]).profile.tenureDays.mean <= 365);
    const both = await api.call(api.keys.aRead, 'GET', `${URL_}/customers/${tracked}/segments`);
    assert.deepEqual(
      (both.body as unknown as { segmentationId: string }[]).map((s) => s.segmentationId),
      [ru.id, km.id],
    );

    // Problems naming the field; staff only; another tenant sees nothing.
    const bad = async (body: unknown, field: RegExp) => {
      const r = await api.call(api.keys.a, 'POST', `${URL_}/segmentations`, body);
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.match(String(r.body?.field), field, JSON.stringify(r.body));
    };
    await bad({ method: 'kmeans', k: 0 }, /^body/);
    await bad({ method: 'kmeans', features: ['shoeSize'] }, /^body/);
    await bad({ method: 'rules', segments: [] }, /^body/);
    await bad(
      { method: 'rules', segments: [{ name: 'A', where: { monetary30d: { gte: 5, lte: 1 } } }] },
      /^body\.segments\.0\.where\.monetary30d$/,
    );
    await bad(
      {
        method: 'rules',
        segments: [
          { name: 'A', where: {} },
          { name: 'A', where: {} },
        ],
      },
      /^body\.segments\.1\.name$/,
    );
    await bad({ method: 'rules', segments: [{ name: 'other', where: {} }] }, /^body\.segments\.0\.name$/);
    const tooMany = await api.call(api.keys.a, 'POST', `${URL_}/segmentations`, { method: 'kmeans', k: 50 });
    assert.equal(tooMany.status, 201); // 50 segments of a few hundred customers is allowed, if odd
    const missing = async (url: string, field: string) => {
      const r = await api.call(api.keys.aRead, 'GET', url);
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal(r.body?.field, field);
    };
    await missing(`${URL_}/segmentations/nope`, 'id');
    await missing(`${URL_}/segmentations/nope/segments/s1/members`, 'id');
    await missing(`${URL_}/segmentations/${km.id}/segments/s99/members`, 'segmentId');
    await missing(`${URL_}/customers/nobody/segments`, 'partyId');
    const other = await api.call(api.keys.b, 'GET', `${URL_}/segmentations/${km.id}`);
    assert.equal(other.status, 404);
    const readOnly = await api.call(api.keys.aRead, 'POST', `${URL_}/segmentations`, { method: 'kmeans' });
    assert.equal(readOnly.status, 403);
    const limit = await api.call(
      api.keys.aRead,
      'GET',
      `${URL_}/segmentations/${km.id}/segments/s1/members?limit=0`,
    );
    assert.equal(limit.status, 400);
    assert.equal(limit.body?.field, 'limit');
  });
}

test('profiles read as a marketer would say them', () => {
  const base: Record<Feature, number> = {
    recencyDays: 2,
    frequency30d: 30,
    monetary30d: 10,
    tenureDays: 700,
    contacts90d: 1,
    openTickets: 0,
    slaViolations90d: 0,
  };
  const many = (n: number, f: (i: number) => Partial<Record<Feature, number>>) =>
    Array.from({ length: n }, (_, i) => ({ ...base, ...f(i) }));
  const loyal = many(50, (i) => ({ monetary30d: 60 + i, tenureDays: 2500 + i, contacts90d: 0 }));
  const risky = many(50, (i) => ({ recencyDays: 60 + (i % 20), openTickets: 2 + (i % 2), contacts90d: 5 }));
  const typical = many(100, (i) => ({ monetary30d: 8 + (i % 5), tenureDays: 600 + i }));
  const pop = population([...loyal, ...risky, ...typical]);
  const l = describeSegment(loyal, pop, 200);
  assert.equal(l.label, 'High value, long tenure, rarely contacts us');
  assert.match(
    l.description,
    /^50 customers \(25%\), high value, long tenure, rarely contacts us: on average /,
  );
  assert.match(l.description, /per 30 days in charges \(\d+\.\dx the average\)/);
  const r = describeSegment(risky, pop, 200);
  assert.equal(r.label, 'Recently quiet, many complaints, contacts us often: at risk');
  assert.match(r.description, /worth a call before they leave\.$/);
  assert.equal(describeSegment(typical, pop, 200).label.length > 0, true);
  const sameAll = describeSegment([base, base], population([base, base]), 2);
  assert.equal(sameAll.label, 'Typical customers');
  assert.equal(sameAll.profile.tenureDays.median, 700);

  const rules = [
    { name: 'a', where: { monetary30d: { gte: 20 } } },
    { name: 'b', where: { monetary30d: { gte: 5, lte: 30 }, tenureDays: { gte: 100 } } },
  ];
  assert.equal(ruleSegment(rules, { ...base, monetary30d: 25 }), 0); // the first match wins
  assert.equal(ruleSegment(rules, base), 1);
  assert.equal(ruleSegment(rules, { ...base, monetary30d: 1 }), 2); // other
});
