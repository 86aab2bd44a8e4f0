import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { seedTelco } from '../seed/telco.js';
import { PARTY_INTERACTION } from '../interaction/interaction.js';
import { TROUBLE_TICKET } from '../ticket/ticket.js';
import type { ResourceSpec } from '../tmf/resource.js';
import { score, SIGNALS } from './satisfaction.js';
import type { Segmentation } from './segments.js';

const URL_ = '/crm/v1/analytics';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** Writes a resource row as the API would (derived columns from the spec). */
async function put(api: TestApi, spec: ResourceSpec, id: string, doc: Record<string, unknown>, at: number) {
  await api.db.kysely
    .insertInto(spec.table)
    .values({
      tenant_id: api.tenants.a,
      id,
      created_at: iso(at),
      ...spec.scope,
      ...spec.row(doc),
      updated_at: iso(at),
      doc: JSON.stringify(doc),
    })
    .execute();
}

for (const database of testDatabases()) {
  test(`${database.name}: satisfaction from behaviour, per customer with each signal's share, and per segment`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const a = api.tenants.a;
    const now = Date.now();
    await seedTelco(api.db, a, { accounts: 30, now: new Date(now), analyze: false });
    // One holder whose history we write ourselves.
    const { party_id: her } = (await api.db.kysely
      .selectFrom('crm_account_members')
      .select('party_id')
      .where('tenant_id', '=', a)
      .where('role', '=', 'holder')
      .orderBy('id')
      .executeTakeFirstOrThrow()) as { party_id: string };
    for (const table of ['crm_interactions', 'crm_tickets'])
      await api.db.kysely.deleteFrom(table).where('tenant_id', '=', a).where('party_id', '=', her).execute();
    const who = [{ id: her, '@referredType': 'Individual', role: 'customer' }];
    const contact = (id: string, at: number, channel: string, reason: string, status = 'completed') =>
      put(
        api,
        PARTY_INTERACTION,
        id,
        {
          '@type': 'PartyInteraction',
          interactionDate: { startDateTime: iso(at) },
          reason,
          status,
          direction: 'inbound',
          channel: [{ id: channel, name: channel }],
          relatedParty: who,
        },
        at,
      );
    // Billing twice within 7 days (one repeat), then again 20 days later (not a repeat); self-care given up once.
    await contact('i1', now - 30 * DAY, 'phone', 'billing');
    await contact('i2', now - 27 * DAY, 'chat', 'billing');
    await contact('i3', now - 7 * DAY, 'phone', 'billing');
    await contact('i4', now - 6 * DAY, 'phone', 'roaming');
    await contact('i5', now - 2 * DAY, 'selfcare', 'change plan', 'abandoned');
    await contact('i6', now - 1 * DAY, 'selfcare', 'pay bill');
    // A high-priority ticket (8 h to resolve) resolved after 20 h, then reopened: late and reopened.
    const created = now - 10 * DAY;
    await put(
      api,
      TROUBLE_TICKET,
      't1',
      {
        '@type': 'TroubleTicket',
        name: 'No signal',
        priority: 'high',
        status: 'inProgress',
        creationDate: iso(created),
        relatedParty: who,
        statusChange: [
          { status: 'acknowledged', changeDate: iso(created) },
          { status: 'inProgress', changeDate: iso(created + HOUR) },
          { status: 'resolved', changeDate: iso(created + 20 * HOUR) },
          { status: 'inProgress', changeDate: iso(created + 40 * HOUR) },
        ],
      },
      created,
    );
    // Resolved in time: no signal.
    await put(
      api,
      TROUBLE_TICKET,
      't2',
      {
        '@type': 'TroubleTicket',
        name: 'Slow data',
        priority: 'low',
        status: 'resolved',
        creationDate: iso(created),
        relatedParty: who,
        statusChange: [
          { status: 'acknowledged', changeDate: iso(created) },
          { status: 'resolved', changeDate: iso(created + 2 * HOUR) },
        ],
      },
      created,
    );

    const r = await api.call(api.keys.aRead, 'GET', `${URL_}/satisfaction?partyId=${her}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // t1 reopened is open again: its resolution is judged by the clock, now past due, so it is late.
    assert.deepEqual(r.body?.contributions, {
      repeatContacts: { events: 1, points: -8 },
      abandonedSelfcare: { events: 1, points: -6 },
      lateResolutions: { events: 1, points: -10 },
      reopenedEscalated: { events: 1, points: -10 },
    });
    assert.equal(r.body?.score, 66);
    assert.deepEqual((r.body?.formula as { signals: unknown }).signals, SIGNALS);

    // The summary, overall and per segment of a segmentation: every customer counted once.
    const seg = await api.call(api.keys.a, 'POST', `${URL_}/segmentations`, { method: 'kmeans', k: 3 });
    assert.equal(seg.status, 201, JSON.stringify(seg.body));
    const segmentation = seg.body as unknown as Segmentation;
    const sum = await api.call(
      api.keys.aRead,
      'GET',
      `${URL_}/satisfaction/summary?segmentationId=${segmentation.id}`,
    );
    assert.equal(sum.status, 200, JSON.stringify(sum.body));
    const body = sum.body as unknown as {
      customers: number;
      meanScore: number;
      segments: { id: string; customers: number; meanScore: number }[];
    };
    assert.equal(
      body.customers,
      segmentation.segments.reduce((x, s) => x + s.size, 0),
    );
    assert.equal(
      body.segments.reduce((x, s) => x + s.customers, 0),
      body.customers,
    );
    assert.ok(body.meanScore > 0 && body.meanScore <= 100);
    assert.deepEqual(
      body.segments.map((s) => s.id),
      segmentation.segments.map((s) => s.id),
    );

    // Problems.
    const missing = await api.call(api.keys.aRead, 'GET', `${URL_}/satisfaction`);
    assert.equal(missing.status, 400);
    assert.match(String(missing.body?.field), /partyId/);
    const nobody = await api.call(api.keys.aRead, 'GET', `${URL_}/satisfaction?partyId=nobody`);
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body?.field, 'partyId');
    const noSeg = await api.call(api.keys.aRead, 'GET', `${URL_}/satisfaction/summary?segmentationId=nope`);
    assert.equal(noSeg.status, 404);
    assert.equal(noSeg.body?.field, 'segmentationId');
  });
}

test('the score caps each signal and adds up to 100', () => {
  const worst = score('p', {
    repeatContacts: 10,
    abandonedSelfcare: 10,
    lateResolutions: 10,
    reopenedEscalated: 10,
  });
  assert.equal(worst.score, 0);
  assert.equal(
    Object.values(SIGNALS).reduce((x, s) => x + s.cap, 0),
    100,
  );
  const best = score('p', {
    repeatContacts: 0,
    abandonedSelfcare: 0,
    lateResolutions: 0,
    reopenedEscalated: 0,
  });
  assert.equal(best.score, 100);
  assert.deepEqual(best.contributions.repeatContacts, { events: 0, points: 0 });
  assert.equal(
    score('p', { repeatContacts: 2, abandonedSelfcare: 0, lateResolutions: 0, reopenedEscalated: 0 }).score,
    84,
  );
});
