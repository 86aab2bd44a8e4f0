import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addApiKey } from '../tenant/keys.js';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, create } from '../testing/fixtures.js';
import type { SessionVerdict, WastedReport } from './selfcare.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Event {
  sessionId: string;
  at: string;
  kind: string;
  page: string;
  loadMs?: number;
  detail?: string;
  partyId?: string;
}

/** A session's events, a minute apart, ending at `end`. */
function session(
  sessionId: string,
  partyId: string | undefined,
  end: number,
  steps: [kind: string, page: string, extra?: { loadMs?: number; detail?: string }][],
): Event[] {
  return steps.map(([kind, page, extra], i) => ({
    sessionId,
    at: new Date(end - (steps.length - 1 - i) * MINUTE).toISOString(),
    kind,
    page,
    ...(extra ?? {}),
    ...(partyId ? { partyId } : {}),
  }));
}

for (const database of testDatabases()) {
  test(`${database.name}: wasted self-care: ingestion, verdicts and causes, rates by page, funnel, and the agent sees it`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0 });
    t.after(api.close);
    const { db, tenants, keys, call } = api;
    const key = keys.b; // an agent of tenant B, whose store holds nothing else
    const person = (givenName: string) =>
      create(api, `${BASE.party}/individual`, { givenName, familyName: 'Selfcare' }, key);
    const [ana, bea, cleo, dora] = [
      await person('Ana'),
      await person('Bea'),
      await person('Cleo'),
      await person('Dora'),
    ];
    const now = Date.now();
    const post = (events: Event[], as = key) => call(as, 'POST', '/crm/v1/selfcare/events', { events });
    const stored = async () =>
      Number(
        (
          (await db.kysely
            .selectFrom('crm_selfcare_events')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', tenants.b)
            .executeTakeFirstOrThrow()) as { n: unknown }
        ).n,
      );

    const batch: Event[] = [
      // Ana: a top-up that worked; a usage page that took 5.2 s, and she left.
      ...session('s-ok', ana, now - 5 * HOUR, [
        ['page_view', '/topup'],
        ['page_load', '/topup', { loadMs: 800 }],
        ['form_start', '/topup'],
        ['form_submit', '/topup'],
        ['success', '/topup'],
        ['session_end', '/topup'],
      ]),
      ...session('s-slow', ana, now - 4 * HOUR, [
        ['page_view', '/usage'],
        ['page_load', '/usage', { loadMs: 5200 }],
        ['abandon', '/usage'],
        ['session_end', '/usage'],
      ]),
      // Bea: a top-up form that failed; later, a plan change she gave up (she is calling now).
      ...session('s-error', bea, now - 3 * HOUR, [
        ['page_view', '/topup'],
        ['form_start', '/topup'],
        ['form_submit', '/topup'],
        ['form_error', '/topup', { detail: 'card declined' }],
        ['session_end', '/topup'],
      ]),
      ...session('s-abandon', bea, now - 20 * MINUTE, [
        ['page_view', '/plan/change'],
        ['page_load', '/plan/change', { loadMs: 900 }],
        ['form_start', '/plan/change'],
        ['abandon', '/plan/change'],
      ]),
      // Cleo: browsed usage (nothing followed); later read an invoice and called 30 minutes after.
      ...session('s-browse', cleo, now - 6 * HOUR, [
        ['page_view', '/usage'],
        ['session_end', '/usage'],
      ]),
      ...session('s-nosuccess', cleo, now - 2 * HOUR, [
        ['page_view', '/billing/invoice'],
        ['page_load', '/billing/invoice', { loadMs: 1200 }],
        ['session_end', '/billing/invoice'],
      ]),
    ];
    const first = await post(batch);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(first.body, { accepted: batch.length, duplicates: 0, sessions: 6 });
    // The same batch again (a client retrying): stored once.
    assert.deepEqual((await post(batch)).body, { accepted: 0, duplicates: batch.length, sessions: 6 });
    // Bad batches leave nothing behind: a staff key names the party; parties exist; a session is one party's.
    const before = await stored();
    const noParty = await post([{ ...(batch[0] as Event), sessionId: 'x1', partyId: undefined }]);
    assert.equal(noParty.status, 400);
    const unknown = await post([
      { ...(batch[0] as Event), sessionId: 'x2' },
      { ...(batch[1] as Event), sessionId: 'x2', partyId: 'no-such-party' },
    ]);
    assert.equal(unknown.status, 400);
    assert.match(String(unknown.body?.detail), /events\[1\]\.partyId/);
    const stolen = await post([
      { ...(batch[0] as Event), sessionId: 's-ok', partyId: bea, at: new Date(now).toISOString() },
    ]);
    assert.equal(stolen.status, 400);
    const badKind = await post([{ ...(batch[0] as Event), kind: 'click' }]);
    assert.equal(badKind.status, 400);
    assert.equal(await stored(), before);
    // A self-care key sends its own party's events only.
    const anaKey = await addApiKey(db, tenants.b, 'selfcare', 'test', undefined, ana);
    const own = session('s-self', undefined, now - HOUR, [
      ['page_view', '/usage'],
      ['page_load', '/usage', { loadMs: 400 }],
      ['success', '/usage'],
    ]);
    assert.equal((await post(own, anaKey)).status, 201);
    assert.equal((await post([{ ...(own[0] as Event), partyId: bea }], anaKey)).status, 403);
    assert.equal((await call(anaKey, 'GET', '/crm/v1/analytics/selfcare/wasted')).status, 403);

    // Cleo called 30 minutes after her invoice session; Dora only used self-care (an interaction, no session).
    const interaction = (partyId: string, channel: string, at: number, status = 'completed') =>
      db.kysely
        .insertInto('crm_interactions')
        .values({
          tenant_id: tenants.b,
          id: randomUUID(),
          agreement_id: null,
          created_at: new Date(at).toISOString(),
          updated_at: new Date(at).toISOString(),
          doc: '{}',
          party_id: partyId,
          channel,
          direction: 'inbound',
          reason: channel === 'selfcare' ? 'view invoice' : 'billing question',
          status,
          started_at: new Date(at).toISOString(),
        })
        .execute();
    await interaction(cleo, 'phone', now - 2 * HOUR + 30 * MINUTE);
    await interaction(dora, 'selfcare', now - 30 * MINUTE, 'abandoned');

    const sessions = async (partyId: string) => {
      const r = await call(key, 'GET', `/crm/v1/analytics/selfcare/sessions?partyId=${partyId}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as unknown as SessionVerdict[];
    };
    const verdicts = new Map(
      [...(await sessions(ana)), ...(await sessions(bea)), ...(await sessions(cleo))].map((s) => [
        s.sessionId,
        [s.wasted, s.cause, s.page, s.followedByContact],
      ]),
    );
    assert.deepEqual(Object.fromEntries(verdicts), {
      's-ok': [false, null, '/topup', false],
      's-slow': [true, 'slow-page', '/usage', false],
      's-self': [false, null, '/usage', false],
      's-error': [true, 'form-error', '/topup', false],
      's-abandon': [true, 'abandoned-form', '/plan/change', false],
      's-browse': [false, null, '/usage', false],
      's-nosuccess': [true, 'no-success', '/billing/invoice', true],
    });
    assert.deepEqual(
      (await sessions(cleo)).map((s) => s.sessionId),
      ['s-nosuccess', 's-browse'],
      'newest first',
    );

    const from = encodeURIComponent(new Date(now - 24 * HOUR).toISOString());
    const to = encodeURIComponent(new Date(now + HOUR).toISOString());
    const r = await call(key, 'GET', `/crm/v1/analytics/selfcare/wasted?from=${from}&to=${to}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const report = r.body as unknown as WastedReport;
    assert.equal(report.sessions, 7);
    assert.equal(report.wasted, 4);
    assert.equal(report.rate, 0.5714);
    assert.equal(report.followedByContact, 1);
    assert.deepEqual(report.byCause, {
      'slow-page': 1,
      'form-error': 1,
      'abandoned-form': 1,
      'no-success': 1,
    });
    assert.deepEqual(
      Object.fromEntries(report.byPage.map((p) => [p.page, [p.sessions, p.wasted, p.rate, p.causes]])),
      {
        '/usage': [3, 1, 0.3333, { 'slow-page': 1 }],
        '/topup': [2, 1, 0.5, { 'form-error': 1 }],
        '/plan/change': [1, 1, 1, { 'abandoned-form': 1 }],
        '/billing/invoice': [1, 1, 1, { 'no-success': 1 }],
      },
    );
    assert.deepEqual(report.funnel, { pageViews: 7, formStarts: 3, formSubmits: 2, successes: 2 });
    // Another window: nothing.
    const old = await call(
      key,
      'GET',
      '/crm/v1/analytics/selfcare/wasted?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z',
    );
    assert.equal((old.body as unknown as WastedReport).sessions, 0);

    // Bea calls: the agent sees her failed self-care session, why it failed, and an alert.
    const context = await call(key, 'GET', `/crm/v1/desktop/context?partyId=${bea}&reason=plan-change`);
    assert.equal(context.status, 200, JSON.stringify(context.body));
    const c = context.body as unknown as {
      facts: { id: string; type: string; title: string; anomaly?: number; anomalyWhy?: string; at: string }[];
      alerts: { kind: string; severity: string }[];
    };
    const selfcare = c.facts.filter((f) => f.type === 'selfcare-attempt');
    assert.deepEqual(selfcare.map((f) => f.id).sort(), ['selfcare:s-abandon', 'selfcare:s-error']);
    const abandoned = selfcare.find((f) => f.id === 'selfcare:s-abandon');
    assert.equal(abandoned?.anomaly, 0.5);
    assert.match(String(abandoned?.anomalyWhy), /abandoned-form/);
    assert.match(String(abandoned?.title), /\/plan\/change/);
    assert.ok(
      c.alerts.some((a) => a.kind === 'selfcare-failed' && a.severity === 'warning'),
      JSON.stringify(c.alerts),
    );
    // Dora has no sessions: her self-care interaction is the fact, as before.
    const doraContext = (await call(key, 'GET', `/crm/v1/desktop/context?partyId=${dora}&reason=other`))
      .body as unknown as typeof c;
    const doraFacts = doraContext.facts.filter((f) => f.type === 'selfcare-attempt');
    assert.equal(doraFacts.length, 1);
    assert.match(String(doraFacts[0]?.id), /^contact:/);
  });
}
