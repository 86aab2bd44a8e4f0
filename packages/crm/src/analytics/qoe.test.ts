import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestPerson } from '../agreement/testing.js';
import { vendorProfile } from '../compliance/testing.js';
import { seedTelco } from '../seed/telco.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import type { QoeEntity, QoePage } from './qoe.js';

const NOW = Date.parse('2026-03-02T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = new Date(NOW - DAY).toISOString();
const TO = new Date(NOW + HOUR).toISOString();

for (const database of testDatabases()) {
  test(`${database.name}: QoE against SLA by service, account, cell, user and group, with evidence; the terms respected`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const { db, tenants, keys, call } = api;
    const seeded = await seedTelco(db, tenants.a, { accounts: 200, now: new Date(NOW), analyze: false });
    const k = db.kysely;
    const gold = (await k
      .selectFrom('crm_services')
      .select(['id', 'user_party_id', 'account_id', 'cell_id'])
      .where('tenant_id', '=', tenants.a)
      .where('sla_id', '=', seeded.slas.Gold as string)
      .where('user_party_id', 'is not', null)
      .where('cell_id', 'is not', null)
      .orderBy('id')
      .limit(3)
      .execute()) as { id: string; user_party_id: string; account_id: string; cell_id: string }[];
    assert.equal(gold.length, 3, 'the seed has Gold services');
    const [broken, refused, agreed] = gold as [(typeof gold)[0], (typeof gold)[0], (typeof gold)[0]];

    // Eight measurements in the last day at 90% availability: a Gold SLA wants 99.9%.
    const inserted: string[] = [];
    for (let i = 0; i < 8; i++) {
      const at = new Date(NOW - (i + 1) * HOUR).toISOString();
      const id = `qoe-test-${i}`;
      inserted.push(id);
      await k
        .insertInto('crm_qoe_measurements')
        .values({
          tenant_id: tenants.a,
          id,
          created_at: at,
          updated_at: at,
          doc: '{}',
          service_id: broken.id,
          account_id: broken.account_id,
          party_id: broken.user_party_id,
          measured_at: at,
          availability: 90,
          throughput: 400,
          latency: 10,
          packet_loss: 0.1,
          cell_id: broken.cell_id,
        })
        .execute();
    }
    const window = `from=${encodeURIComponent(FROM)}&to=${encodeURIComponent(TO)}`;
    const one = async (by: string, id: string, extra = '') => {
      const r = await call(keys.a, 'GET', `/crm/v1/analytics/qoe/${by}/${id}?${window}${extra}`);
      assert.equal(r.status, 200, `${by}: ${JSON.stringify(r.body)}`);
      return r.body as unknown as QoeEntity;
    };
    const checkEvidence = (entity: QoeEntity, by: string) => {
      const v = entity.violations.find((x) => x.serviceId === broken.id && x.metric === 'availability');
      assert.ok(v, `${by}: the availability violation of the broken service`);
      assert.equal(v.target, 99.9);
      assert.equal(v.operator, '>=');
      assert.ok(v.observed < 99.9, `${by}: observed ${v.observed}`);
      const ids = v.evidence.map((e) => e.id);
      for (const id of inserted) assert.ok(ids.includes(id), `${by}: evidence ${id}`);
      for (const e of v.evidence) {
        assert.equal(e.serviceId, broken.id);
        assert.ok(e.value < 99.9 && e.target === 99.9);
        assert.ok(e.measuredAt >= FROM && e.measuredAt < TO);
      }
      assert.ok(entity.compliance !== null && entity.compliance < 1);
      const availability = entity.metrics.find((m) => m.metric === 'availability');
      assert.equal(availability?.met, false);
      assert.equal(availability?.target, 99.9);
    };
    const service = await one('service', broken.id);
    checkEvidence(service, 'service');
    assert.equal(service.samples >= 8, true);
    assert.equal(service.serviceResults?.[0]?.sla?.name, 'Gold');
    const throughput = service.metrics.find((m) => m.metric === 'throughput');
    assert.equal(throughput?.met, true, 'the other metrics meet their targets');
    checkEvidence(await one('account', broken.account_id), 'account');
    checkEvidence(await one('cell', broken.cell_id), 'cell');
    checkEvidence(await one('user', broken.user_party_id), 'user');
    const worst = await one('service', broken.id, '&basis=worst');
    assert.equal(worst.metrics.find((m) => m.metric === 'availability')?.observed, 90);

    // The list, by cell, in keyset pages: every cell once, in order, ours with its violation.
    const cells: QoeEntity[] = [];
    let after = '';
    for (let pages = 0; pages < 50; pages++) {
      const r = await call(
        keys.a,
        'GET',
        `/crm/v1/analytics/qoe?by=cell&${window}&limit=20${after ? `&after=${after}` : ''}`,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const page = r.body as unknown as QoePage;
      assert.ok(page.items.length <= 20);
      cells.push(...page.items);
      if (page.next === null) break;
      assert.match(String(r.headers.link), /rel="next"/);
      after = encodeURIComponent(page.next);
    }
    const ids = cells.map((c) => c.id);
    assert.deepEqual(ids, [...new Set(ids)].sort());
    assert.ok(ids.length > 20, `cells ${ids.length}`);
    checkEvidence(cells.find((c) => c.id === broken.cell_id) as QoeEntity, 'cell list');
    for (const c of cells) {
      assert.ok(c.samples > 0);
      assert.ok(c.compliance === null || (c.compliance >= 0 && c.compliance <= 1));
    }
    const groups = await call(keys.a, 'GET', `/crm/v1/analytics/qoe?by=group&${window}&limit=50`);
    assert.equal(groups.status, 200);
    const groupPage = groups.body as unknown as QoePage;
    assert.ok(groupPage.items.length > 0, 'some Family groups have measurements');
    const group = groupPage.items[0] as QoeEntity;
    assert.equal((await one('group', group.id)).samples, group.samples);

    // A bad `by` is a 400 naming it; self-care keys may not read analytics.
    const bad = await call(keys.a, 'GET', `/crm/v1/analytics/qoe?by=planet&${window}`);
    assert.equal(bad.status, 400);
    assert.match(String(bad.body?.field), /by/);
    assert.equal((await call(keys.a, 'GET', `/crm/v1/analytics/qoe/planet/x?${window}`)).status, 400);
    assert.equal((await call(keys.a, 'GET', `/crm/v1/analytics/qoe?by=cell&from=yesterday`)).status, 400);
    assert.equal((await call(keys.a, 'GET', `/crm/v1/analytics/qoe/service/nope?${window}`)).status, 404);

    // The terms: one person withdrew her consent to service analytics, another agreed to it. Both use a Gold
    // service; only the second appears per user.
    const profile = (await call(keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<string, unknown>;
    await vendorProfile(api, ['SD-BASE-A'], {
      request: { ...(profile.request as object), purposes: ['ServiceDelivery', 'ServiceAnalytics'] },
    });
    const partyOf = async (p: TestPerson) =>
      (
        (await k
          .selectFrom('crm_agreements')
          .select('party_id')
          .where('id', '=', p.agreement?.id ?? '')
          .executeTakeFirstOrThrow()) as { party_id: string }
      ).party_id;
    const people: string[] = [];
    for (const [i, target] of [refused, agreed].entries()) {
      const p = new TestPerson(api, tenants.a, `qoe${i}`);
      assert.equal(
        (await p.proffer(['SD-BASE-A'], { purposes: ['ServiceDelivery', 'ServiceAnalytics'] })).body.status,
        'agreed',
      );
      if (i === 0) {
        const r = await p.permissions({
          consents: [{ purpose: 'ServiceAnalytics', granted: false }],
          channels: [],
          subscriptions: [],
        });
        assert.equal(r.status, 200, r.text);
      }
      const party = await partyOf(p);
      people.push(party);
      await k
        .updateTable('crm_services')
        .set({ user_party_id: party })
        .where('tenant_id', '=', tenants.a)
        .where('id', '=', target.id)
        .execute();
      await k
        .updateTable('crm_qoe_measurements')
        .set({ party_id: party })
        .where('tenant_id', '=', tenants.a)
        .where('service_id', '=', target.id)
        .execute();
      // A measurement in the window, so that she has one.
      const at = new Date(NOW - 2 * HOUR).toISOString();
      await k
        .insertInto('crm_qoe_measurements')
        .values({
          tenant_id: tenants.a,
          id: `qoe-person-${i}`,
          created_at: at,
          updated_at: at,
          doc: '{}',
          service_id: target.id,
          account_id: target.account_id,
          party_id: party,
          measured_at: at,
          availability: 99.95,
          throughput: 300,
          latency: 12,
          packet_loss: 0.1,
          cell_id: target.cell_id,
        })
        .execute();
    }
    const [refusing, agreeing] = people as [string, string];
    const users: QoeEntity[] = [];
    const excluded: Record<string, number> = {};
    after = '';
    for (let pages = 0; pages < 50; pages++) {
      const r = await call(
        keys.a,
        'GET',
        `/crm/v1/analytics/qoe?by=user&${window}&limit=100${after ? `&after=${after}` : ''}`,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const page = r.body as unknown as QoePage;
      users.push(...page.items);
      for (const [reason, n] of Object.entries(page.excluded)) excluded[reason] = (excluded[reason] ?? 0) + n;
      if (page.next === null) break;
      after = encodeURIComponent(page.next);
    }
    assert.ok(
      users.some((u) => u.id === agreeing),
      'the person who agreed to service analytics is in',
    );
    assert.ok(!users.some((u) => u.id === refusing), 'the person who withdrew her consent is out');
    assert.deepEqual(excluded, { 'consent-withdrawn': 1 });
    const out = await call(keys.a, 'GET', `/crm/v1/analytics/qoe/user/${refusing}?${window}`);
    assert.equal(out.status, 404);
    assert.match(String(out.body?.detail), /do not allow service analytics/);
    assert.equal((await one('user', agreeing)).id, agreeing);
    // Cells and services hold no personal data: her service still counts there.
    assert.equal((await one('service', refused.id)).id, refused.id);
  });
}
