import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, create, household } from '../testing/fixtures.js';
import { breaks } from './evaluate.js';

test('an SLA rule is broken beyond its tolerance only', () => {
  const latency = { metric: 'latency', referenceValue: 40, operator: '<=' as const, tolerance: 5 };
  assert.equal(breaks(latency, 45), false);
  assert.equal(breaks(latency, 45.1), true);
  const availability = { metric: 'availability', referenceValue: 99.5, operator: '>=' as const };
  assert.equal(breaks(availability, 99.5), false);
  assert.equal(breaks(availability, 99.4), true);
});

for (const database of testDatabases()) {
  test(`${database.name}: QoE measurements against the SLA give violations, once per service, metric and period`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { call, keys } = api;
    const h = await household(api);
    const day = '2026-11-20';
    const measure = (hour: number, latency: number, availability = 100) =>
      create(api, `${BASE.sla}/qoeMeasurement`, {
        service: { id: h.service },
        measuredAt: `${day}T${String(hour).padStart(2, '0')}:00:00.000Z`,
        latency,
        availability,
        throughput: 120,
      });
    await measure(1, 30);
    await measure(2, 60);
    const m = await measure(3, 90); // average latency 60 ms > 40 + 5: a violation; availability 100: none
    const sample = await call(keys.a, 'GET', `${BASE.sla}/qoeMeasurement/${m}`);
    assert.deepEqual(
      sample.body?.account,
      { id: h.account, '@referredType': 'BillingAccount' },
      'filled in from the service',
    );
    assert.equal(sample.body?.cellId, 'cell-0042');

    const period = { from: `${day}T00:00:00.000Z`, to: `2026-11-21T00:00:00.000Z` };
    const run = await call(keys.a, 'POST', '/crm/v1/sla/evaluation', period);
    assert.equal(run.status, 200);
    assert.equal(run.body?.violations, 1);
    await measure(4, 10); // late data lowers the average (50 ms): still a violation, updated in place
    assert.equal((await call(keys.a, 'POST', '/crm/v1/sla/evaluation', period)).body?.violations, 1);
    const violations = await call(keys.a, 'GET', `${BASE.sla}/slaViolation?service.id=${h.service}`);
    assert.equal(violations.headers['x-total-count'], '1');
    const [v] = violations.body as unknown as Record<string, unknown>[];
    assert.equal((v?.rule as { metric: string }).metric, 'latency');
    assert.equal(v?.actualValue, 47.5);
    assert.equal(v?.samples, 4);
    assert.equal(
      (await call(keys.a, 'GET', `${BASE.sla}/slaViolation?rule.metric=availability`)).headers[
        'x-total-count'
      ],
      '0',
    );
    // Violations are computed, not written by clients; another tenant sees none.
    assert.equal((await call(keys.a, 'POST', `${BASE.sla}/slaViolation`, {})).status, 404);
    assert.equal((await call(keys.b, 'GET', `${BASE.sla}/slaViolation`)).headers['x-total-count'], '0');
    assert.equal(
      (await call(keys.a, 'POST', '/crm/v1/sla/evaluation', { from: period.to, to: period.from })).status,
      400,
    );
  });
}
