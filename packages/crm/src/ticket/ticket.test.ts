import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';
import { escalateTickets } from './escalation.js';
import { slaClockAt } from './ticket.js';

test('the SLA clock: due dates from priority, breaches, response from the first status change', () => {
  const doc = {
    creationDate: '2026-11-23T08:00:00.000Z',
    priority: 'high',
    status: 'inProgress',
    statusChange: [
      { status: 'acknowledged', changeDate: '2026-11-23T08:00:00.000Z' },
      { status: 'inProgress', changeDate: '2026-11-23T09:30:00.000Z' },
    ],
  };
  const clock = slaClockAt(doc, new Date('2026-11-23T10:00:00.000Z'));
  assert.equal(clock.responseDue, '2026-11-23T09:00:00.000Z');
  assert.equal(clock.resolutionDue, '2026-11-23T16:00:00.000Z');
  assert.equal(clock.responseBreached, true, 'responded after an hour');
  assert.equal(clock.resolutionBreached, false);
  assert.equal(clock.resolutionSecondsLeft, 6 * 3600);
});

for (const database of testDatabases()) {
  test(`${database.name}: trouble tickets keep their status history, run an SLA clock and escalate; interactions link to them`, async (t) => {
    const api = await startTestApi(database);
    t.after(api.close);
    const { call, keys, db, tenants } = api;
    const h = await household(api);
    const ticket = await call(keys.a, 'POST', `${BASE.ticket}/troubleTicket`, {
      description: 'No signal at home',
      severity: 'major',
      ticketType: 'connectivity',
      priority: 'critical',
      relatedParty: [{ ...individual(h.child), role: 'customer' }],
      relatedEntity: [{ id: h.account, '@referredType': 'BillingAccount', role: 'account' }],
    });
    assert.equal(ticket.status, 201);
    const id = ticket.body?.id as string;
    assert.equal(ticket.body?.status, 'acknowledged');
    assert.equal((ticket.body?.statusChange as unknown[]).length, 1);
    const created = Date.parse(ticket.body?.creationDate as string);
    assert.equal(Date.parse(ticket.body?.expectedResolutionDate as string) - created, 4 * 3600_000);

    const patch = (body: unknown) =>
      call(keys.a, 'PATCH', `${BASE.ticket}/troubleTicket/${id}`, body, 'application/merge-patch+json');
    const working = await patch({ status: 'inProgress', statusChangeReason: 'Engineer assigned' });
    assert.equal(working.status, 200);
    assert.deepEqual(
      (working.body?.statusChange as { status: string; changeReason?: string }[]).map((c) => [
        c.status,
        c.changeReason,
      ]),
      [
        ['acknowledged', undefined],
        ['inProgress', 'Engineer assigned'],
      ],
    );
    const forged = await patch({ statusChange: [] });
    assert.equal(forged.status, 400, 'the status history is kept by the server');
    assert.equal(forged.body?.field, 'body.statusChange');
    assert.equal(
      (await call(keys.a, 'GET', `${BASE.ticket}/troubleTicket?status=inProgress`)).headers['x-total-count'],
      '1',
    );

    const clock = await call(keys.a, 'GET', `/crm/v1/troubleTicket/${id}/slaClock`);
    assert.equal(clock.body?.responseBreached, false);
    assert.equal(clock.body?.escalationLevel, 0);

    // Five hours later the 4-hour resolution target of a critical ticket has passed: escalation level 2 is not
    // reached through level 1 (it responded in time), and it happens once.
    const later = new Date(created + 5 * 3600_000);
    assert.equal(await escalateTickets(db, tenants.a, later), 1);
    assert.equal(await escalateTickets(db, tenants.a, later), 0);
    const escalated = await call(keys.a, 'GET', `${BASE.ticket}/troubleTicket/${id}`);
    assert.equal((escalated.body?.note as { author: string }[]).length, 2);
    const queue = await call(keys.a, 'GET', '/crm/v1/ticketQueue');
    assert.deepEqual(
      (queue.body as unknown as { id: string }[]).map((q) => q.id),
      [id],
    );

    // The call that started it all, linked to the ticket and the account.
    const call1 = await call(keys.a, 'POST', `${BASE.interaction}/partyInteraction`, {
      interactionDate: { startDateTime: '2026-11-23T07:55:00.000Z', endDateTime: '2026-11-23T08:01:00.000Z' },
      reason: 'no signal',
      status: 'completed',
      direction: 'inbound',
      channel: [{ id: 'phone', href: '/channel/phone', name: 'phone' }],
      relatedParty: [
        { ...individual(h.child), href: `${BASE.party}/individual/${h.child}`, role: 'customer' },
      ],
      interactionItem: [
        { item: { id, '@referredType': 'TroubleTicket', role: 'raised' } },
        { item: { id: h.account, '@referredType': 'BillingAccount', role: 'account' } },
      ],
    });
    assert.equal(call1.status, 201, JSON.stringify(call1.body));
    const row = await db.kysely
      .selectFrom('crm_interactions')
      .selectAll()
      .where('id', '=', call1.body?.id as string)
      .executeTakeFirstOrThrow();
    assert.equal(row.ticket_id, id);
    assert.equal(row.account_id, h.account);
    assert.equal(row.channel, 'phone');

    // Resolve, close, and a closed ticket stays closed.
    assert.equal((await patch({ status: 'resolved' })).body?.resolutionDate !== undefined, true);
    assert.equal((await patch({ status: 'closed' })).status, 200);
    const reopen = await patch({ status: 'inProgress' });
    assert.equal(reopen.status, 422);
    assert.equal(reopen.body?.field, 'body.status');
    assert.deepEqual((await call(keys.a, 'GET', '/crm/v1/ticketQueue')).body, []);
    // A ticket naming another tenant's party is refused.
    const foreign = await call(keys.b, 'POST', `${BASE.ticket}/troubleTicket`, {
      description: 'x',
      severity: 'minor',
      ticketType: 'billing',
      relatedParty: [{ ...individual(h.child), role: 'customer' }],
    });
    assert.equal(foreign.status, 422);
  });
}
