import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedTelco } from '../seed/telco.js';
import { simulateChurn, SIMULATED_CHURN_EFFECTS } from '../seed/churn.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';

interface Model {
  subjects: number;
  churned: number;
  fit: { coef: Record<string, number>; se: Record<string, number>; concordance: number; events: number };
}

for (const database of testDatabases()) {
  test(`${database.name}: attrition: survival by plan with log-rank, a churn model that recovers the simulated hazards, risk on the desktop`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const tenantId = api.tenants.a;
    const now = new Date();
    await seedTelco(api.db, tenantId, {
      accounts: 1500,
      now,
      analyze: false,
      cdrsPerUser: 1,
      qoePerService: 1,
    });
    const churn = await simulateChurn(api.db, tenantId, { seed: 3, now });
    assert.ok(churn.closed > 100 && churn.closed < churn.accounts, JSON.stringify(churn));

    const survival = await api.call(api.keys.a, 'GET', '/crm/v1/analytics/survival?by=plan');
    assert.equal(survival.status, 200, JSON.stringify(survival.body));
    const s = survival.body as unknown as {
      subjects: number;
      curves: { group: string; n: number; survival: number[]; lower: number[]; upper: number[] }[];
      logRank: { p: number };
    };
    assert.deepEqual(
      s.curves.map((c) => c.group),
      ['Gold', 'other'],
    );
    assert.equal(
      s.curves.reduce((n, c) => n + c.n, 0),
      s.subjects,
    );
    assert.ok(s.curves.every((c) => c.survival.every((v, i) => (c.lower[i] as number) <= v + 1e-12)));
    assert.ok(s.logRank.p < 0.05, `Gold keeps its customers: log-rank p ${s.logRank.p}`);

    // By segment: the newest segmentation's labels, every subject in one curve or "not segmented".
    const seg = await api.call(api.keys.a, 'POST', '/crm/v1/analytics/segmentations', {
      method: 'kmeans',
      k: 3,
    });
    assert.equal(seg.status, 201, JSON.stringify(seg.body));
    const labels = (seg.body as unknown as { segments: { label: string }[] }).segments.map((g) => g.label);
    const bySegment = (await api.call(api.keys.a, 'GET', '/crm/v1/analytics/survival?by=segment'))
      .body as unknown as {
      subjects: number;
      curves: { group: string; n: number }[];
    };
    assert.ok(
      bySegment.curves.some((c) => labels.includes(c.group)),
      JSON.stringify(bySegment.curves.map((c) => c.group)),
    );
    assert.equal(
      bySegment.curves.reduce((n, c) => n + c.n, 0),
      bySegment.subjects,
    );

    const fitted = await api.call(api.keys.a, 'POST', '/crm/v1/analytics/churnModel');
    assert.equal(fitted.status, 201, JSON.stringify(fitted.body));
    const model = fitted.body as unknown as Model;
    assert.equal(model.fit.events, model.churned);
    // The simulation's hazards are recovered within three standard errors each.
    for (const [name, truth] of Object.entries(SIMULATED_CHURN_EFFECTS)) {
      const coef = model.fit.coef[name] as number;
      const se = model.fit.se[name] as number;
      assert.ok(Math.abs(coef - truth) < 3 * se + 0.02, `${name}: ${coef} (se ${se}) vs ${truth}`);
    }
    assert.ok(model.fit.concordance > 0.55);
    const read = await api.call(api.keys.aRead, 'GET', '/crm/v1/analytics/churnModel');
    assert.equal(read.status, 200);

    const holder = (await api.db.kysely
      .selectFrom('crm_accounts')
      .select('holder_party_id')
      .where('tenant_id', '=', tenantId)
      .where('state', '=', 'active')
      .orderBy('id')
      .executeTakeFirstOrThrow()) as { holder_party_id: string };
    const risk = await api.call(
      api.keys.a,
      'GET',
      `/crm/v1/analytics/churnRisk?partyId=${holder.holder_party_id}`,
    );
    assert.equal(risk.status, 200, JSON.stringify(risk.body));
    const r = risk.body as unknown as { risk: number; horizonDays: number; drivers: { covariate: string }[] };
    assert.ok(r.risk > 0 && r.risk < 1);
    assert.equal(r.horizonDays, 90);
    assert.equal(r.drivers.length, 5);
    const context = await api.call(
      api.keys.a,
      'GET',
      `/crm/v1/desktop/context?partyId=${holder.holder_party_id}&reason=cancel`,
    );
    assert.equal(context.status, 200, JSON.stringify(context.body));
    const churnInContext = (context.body as unknown as { churn: { risk: number; source: string } }).churn;
    assert.match(churnInContext.source, /Cox model fitted .* accounts \(C = 0\.\d\d\)/);
    assert.ok(Math.abs(churnInContext.risk - r.risk) < 1e-9);
    assert.equal(
      (await api.call(api.keys.a, 'GET', '/crm/v1/analytics/churnRisk?partyId=nobody')).status,
      404,
    );
  });
}
