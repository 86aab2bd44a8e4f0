import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  validateAcknowledgedSisaEvent,
  verifyConsentReceipt,
  type JlincEvent,
  type ValidatedSisa,
} from '@parley/protocol';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import { TestPerson, vendorCall } from './testing.js';

const ADDRESS = { street1: '12 Old Road', city: 'Springfield', postCode: 'SP1 2AB', country: 'GB' };

async function connected(api: TestApi, tenantId = api.tenants.a): Promise<TestPerson> {
  const person = new TestPerson(api, tenantId);
  const r = await person.proffer(['SD-BASE']);
  assert.equal(r.body?.status, 'agreed', r.text);
  return person;
}

async function individualOf(api: TestApi, key = api.keys.a) {
  const list = await api.call(key, 'GET', `${BASE.party}/individual`);
  return (list.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
}

const count = async (api: TestApi, table: string) =>
  (
    await api.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
  ).n as number;

for (const database of testDatabases()) {
  test(`${database.name}: a data event updates the individual, is acknowledged and logged; a replay gets the same answer`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = await connected(api);
    const event = person.event('dataEvent', {
      givenName: 'Alice',
      familyName: 'Example',
      email: 'alice@example.org',
      phone: '+44 20 7946 0000',
      postalAddress: ADDRESS,
    });
    const r = await person.send(event);
    assert.equal(r.status, 200, r.text);
    const sisa = {
      sisaId: person.sisa?.sisaId,
      rightsHolderDid: person.identity.did,
      custodianDid: person.vendorDid,
    };
    validateAcknowledgedSisaEvent(r.body.acknowledged, { sisa: sisa as ValidatedSisa, knownEvent: event });
    const verified = person.verifyReceipt(r.body.ledger);
    assert.equal(r.body.ledger.record.type, 'sisaEvent');
    assert.equal(r.body.ledger.record.eventId, event.audit.eventId);
    assert.equal(r.body.ledger.record.dataCustodianSig, r.body.acknowledged.audit.dataCustodianSig);
    assert.ok(!JSON.stringify(r.body.ledger.record).includes('alice'), 'no data in the ledger');
    assert.equal(verified.index, r.body.ledger.index);

    const party = await individualOf(api);
    assert.equal(party.givenName, 'Alice');
    assert.equal(party.familyName, 'Example');
    assert.deepEqual(party.contactMedium, [
      { mediumType: 'postalAddress', characteristic: ADDRESS },
      { mediumType: 'phone', characteristic: { phoneNumber: '+44 20 7946 0000' } },
      { mediumType: 'email', characteristic: { emailAddress: 'alice@example.org' } },
    ]);
    const provenance = await api.db.kysely
      .selectFrom('crm_agreement_data')
      .select(['field', 'event_id', 'agreement_id'])
      .orderBy('field')
      .execute();
    assert.deepEqual(
      provenance.map((p) => p.field),
      ['email', 'familyName', 'givenName', 'phone', 'postalAddress'],
    );
    assert.ok(
      provenance.every((p) => p.event_id === event.audit.eventId && p.agreement_id === person.agreement?.id),
    );

    // Delivered again (the agent missed the answer): the same 200 body, nothing written twice.
    const again = await vendorCall(api, 'POST', `${person.url}/events`, event);
    assert.equal(again.status, 200);
    assert.equal(again.text, r.text);

    // A change of address: the next event replaces the medium this agreement wrote.
    const moved = { ...ADDRESS, street1: '3 New Street' };
    assert.equal((await person.data({ postalAddress: moved })).status, 200);
    const after = await individualOf(api);
    const media = after.contactMedium as { mediumType: string; characteristic: unknown }[];
    assert.deepEqual(
      media.filter((m) => m.mediumType === 'postalAddress').map((m) => m.characteristic),
      [moved],
    );
    assert.equal(await count(api, 'crm_agreement_events'), 2);
  });

  test(`${database.name}: refused events write nothing: outside the schema, bad values, forks, gaps, bad signatures`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = await connected(api);
    assert.equal((await person.data({ email: 'alice@example.org' })).status, 200);
    const first = person.head as string;
    const before = await individualOf(api);
    const rows = await count(api, 'crm_agreement_data');
    const expectNothingWritten = async () => {
      assert.deepEqual(await individualOf(api), before);
      assert.equal(await count(api, 'crm_agreement_data'), rows);
      assert.equal(await count(api, 'crm_agreement_events'), 1);
    };

    const outside = await person.send(person.event('dataEvent', { email: 'a@example.org', shoeSize: '42' }));
    assert.equal(outside.status, 422, outside.text);
    assert.equal(outside.body.field, 'payload.shoeSize');
    assert.equal(outside.body.code, 'not-in-schema');
    await expectNothingWritten();

    for (const [values, field] of [
      [{ email: 'not an address' }, 'payload.email'],
      [{ phone: 'call me' }, 'payload.phone'],
      [{ postalAddress: { ...ADDRESS, country: 'XX' } }, 'payload.postalAddress'],
      [{ postalAddress: { ...ADDRESS, planet: 'Earth' } }, 'payload.postalAddress'],
      [{ givenName: 'x'.repeat(1001) }, 'payload.givenName'],
      [{}, 'payload'],
    ] as const) {
      const r = await person.send(person.event('dataEvent', values));
      assert.equal(r.status, 422, `${JSON.stringify(values)}: ${r.text}`);
      assert.equal(r.body.field, field);
    }
    await expectNothingWritten();

    // A fork (a second event after the first event's predecessor) and a gap (after an unknown event).
    const fork = await person.send(person.event('dataEvent', { email: 'b@example.org' }, null));
    assert.equal(fork.status, 409, fork.text);
    assert.equal(fork.body.code, 'fork');
    const unknown = person.event('dataEvent', { email: 'c@example.org' }, first);
    const gap = await person.send(
      person.event('dataEvent', { email: 'd@example.org' }, unknown.audit.eventId),
    );
    assert.equal(gap.status, 409);
    assert.equal(gap.body.code, 'gap');
    await expectNothingWritten();

    // A tampered event: the signature no longer verifies.
    const event = person.event('dataEvent', { email: 'e@example.org' });
    const tampered: JlincEvent = {
      ...event,
      audit: { ...event.audit, createdAt: new Date(0).toISOString() },
    };
    const bad = await person.send(tampered);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'audit.eventId');
    const strangerEvent = new TestPerson(api, api.tenants.a, 'stranger');
    strangerEvent.sisa = person.sisa;
    const notHers = await person.send(strangerEvent.event('dataEvent', { email: 'f@example.org' }, first));
    assert.equal(notHers.status, 422);
    assert.equal(notHers.body.code, 'wrong-party');
    await expectNothingWritten();

    // The chain is intact: the next good event goes on.
    assert.equal((await person.data({ email: 'g@example.org' })).status, 200);
    const unknownSisa = await vendorCall(api, 'POST', `${person.url}/events`, {
      ...event,
      audit: { ...event.audit, sisaId: 'A'.repeat(43) },
    });
    assert.equal(unknownSisa.status, 404);
    // Another tenant's vendor knows nothing of this SISA, and its staff see nothing of the person.
    const elsewhere = await vendorCall(api, 'POST', `/parley/v1/vendors/${api.tenants.b}/events`, event);
    assert.equal(elsewhere.status, 404);
    const b = await api.call(api.keys.b, 'GET', `${BASE.party}/individual`);
    assert.equal(b.headers['x-total-count'], '0');
    assert.equal((await api.call(api.keys.b, 'GET', `${BASE.party}/individual/${before.id}`)).status, 404);
  });

  test(`${database.name}: a permission event is recorded with a verifiable consent receipt`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const profile = (await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<
      string,
      unknown
    >;
    const put = await api.call(api.keys.a, 'PUT', '/crm/v1/vendorProfile', {
      ...profile,
      policy: { accepts: ['SD-BASE-A'] },
      request: { ...(profile.request as object), purposes: ['ServiceDelivery', 'ServiceAnalytics'] },
      publications: [
        { id: 'newsletter:weekly', name: 'Weekly deals', kind: 'newsletter', channels: ['email'] },
      ],
    });
    assert.equal(put.status, 200);
    const person = new TestPerson(api, api.tenants.a);
    assert.equal(
      (await person.proffer(['SD-BASE-A'], { purposes: ['ServiceDelivery', 'ServiceAnalytics'] })).body
        .status,
      'agreed',
    );
    const r = await person.permissions({
      consents: [{ purpose: 'ServiceAnalytics', granted: false }],
      channels: [
        { channel: 'email', allowed: true },
        { channel: 'phone', allowed: false },
      ],
      policies: ['DoNotTrack'],
      subscriptions: [{ publication: 'newsletter:weekly', subscribed: true, channels: ['email'] }],
    });
    assert.equal(r.status, 200, r.text);
    const receipt = verifyConsentReceipt(r.body.consentReceipt, person.vendorDid);
    assert.equal(receipt.receipt.parley?.event, 'permission-change');
    const analytics = receipt.receipt.services[0]?.purposes.find((p) =>
      p.purposeCategory[0]?.endsWith('ServiceAnalytics'),
    );
    assert.equal(analytics?.consentType, 'WITHDRAWN');
    person.verifyReceipt(r.body.ledger);
    const row = await api.db.kysely
      .selectFrom('crm_agreements')
      .select('permissions')
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(row.permissions as string), {
      consents: [
        { purpose: 'ServiceDelivery', granted: true },
        { purpose: 'ServiceAnalytics', granted: false },
      ],
      channels: [
        { channel: 'email', allowed: true },
        { channel: 'phone', allowed: false },
      ],
      policies: ['DoNotTrack'],
      subscriptions: [{ publication: 'newsletter:weekly', subscribed: true, channels: ['email'] }],
    });

    const unknown = await person.permissions({
      consents: [],
      channels: [],
      subscriptions: [{ publication: 'magazine', subscribed: true, channels: ['post'] }],
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.field, 'payload.subscriptions[0].publication');
    // A purpose the terms forbid cannot be granted (checked against the agreement).
    assert.ok(person.agreement);
    const forbidden = await person.send(
      person.event('permissionEvent', {
        ...(await import('@parley/protocol')).signMessage(
          {
            type: 'PermissionChange',
            agreementId: person.agreement.id,
            consents: [{ purpose: 'Tracking', granted: true }],
            channels: [],
          },
          person.identity,
          person.vendorDid,
        ),
      }),
    );
    assert.equal(forbidden.status, 422, forbidden.text);
    assert.equal(forbidden.body.field, 'payload.consents[0].purpose');
    // The wrong message for the event type.
    const wrong = await person.send(person.event('permissionEvent', { email: 'a@example.org' }));
    assert.equal(wrong.status, 422);
    assert.equal(wrong.body.field, 'payload.type');
  });

  test(`${database.name}: feedback is an interaction on the agent channel and a ticket in the queue`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = await connected(api);
    const party = await individualOf(api);
    assert.equal(
      (await person.feedback('feedback', 'Great coverage', 'The new mast works well.')).status,
      200,
    );
    const report = await person.feedback('error-report', 'Bill shows roaming', 'I never left the country.');
    assert.equal(report.status, 200, report.text);
    person.verifyReceipt(report.body.ledger);

    const interactions = await api.call(api.keys.a, 'GET', `${BASE.interaction}/partyInteraction`);
    const list = interactions.body as unknown as Record<string, unknown>[];
    assert.equal(list.length, 2);
    for (const i of list) {
      assert.deepEqual((i.channel as { id: string }[])[0]?.id, 'agent');
      assert.equal((i.relatedParty as { id: string }[])[0]?.id, party.id);
      assert.equal(i.direction, 'inbound');
    }
    // Every Feedback is a ticket on the agent channel (channels/intake.ts), an error report as any other.
    const tickets = await api.call(api.keys.a, 'GET', `${BASE.ticket}/troubleTicket?ticketType=error-report`);
    const ticket = (tickets.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(tickets.headers['x-total-count'], '1');
    const all = await api.call(api.keys.a, 'GET', `${BASE.ticket}/troubleTicket`);
    assert.equal(all.headers['x-total-count'], '2');
    assert.equal(ticket.name, 'Bill shows roaming');
    assert.equal(ticket.status, 'acknowledged');
    assert.equal((ticket.relatedParty as { id: string }[])[0]?.id, party.id);
    const errorInteraction = list.find((i) => i.reason === 'error-report') as Record<string, unknown>;
    assert.equal((errorInteraction.interactionItem as { item: { id: string } }[])[0]?.item.id, ticket.id);
    const clock = await api.call(api.keys.a, 'GET', `/crm/v1/troubleTicket/${ticket.id}/slaClock`);
    assert.equal(clock.status, 200);
    // Staff can work the ticket as any other.
    const patched = await api.call(
      api.keys.a,
      'PATCH',
      `${BASE.ticket}/troubleTicket/${ticket.id}`,
      { status: 'inProgress' },
      'application/merge-patch+json',
    );
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const agreementIds = await api.db.kysely.selectFrom('crm_tickets').select('agreement_id').execute();
    assert.deepEqual(agreementIds, [
      { agreement_id: person.agreement?.id },
      { agreement_id: person.agreement?.id },
    ]);

    // An AgreementStatus is recorded.
    assert.ok(person.agreement);
    const { agreementStatus } = await import('@parley/protocol');
    const status = await person.send(
      person.event('statusEvent', agreementStatus(person.agreement, person.identity, 'AgreementSuspended')),
    );
    assert.equal(status.status, 200, status.text);
    const row = await api.db.kysely
      .selectFrom('crm_agreements')
      .select('person_status')
      .executeTakeFirstOrThrow();
    assert.equal(row.person_status, 'AgreementSuspended');
  });

  test(`${database.name}: 100 agents post events at once`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const people: TestPerson[] = [];
    for (let i = 0; i < 100; i++) {
      const p = new TestPerson(api, api.tenants.a, `agent-${i}`);
      assert.equal((await p.proffer(['SD-BASE'])).body.status, 'agreed');
      people.push(p);
    }
    const started = performance.now();
    const replies = await Promise.all(people.map((p, i) => p.data({ email: `p${i}@example.org` })));
    const ms = performance.now() - started;
    assert.deepEqual(
      replies.map((r) => r.status),
      people.map(() => 200),
    );
    for (const r of replies) people[0]?.verifyReceipt(r.body.ledger);
    assert.equal(new Set(replies.map((r) => r.body.ledger.index)).size, 100);
    t.diagnostic(`100 concurrent data events in ${ms.toFixed(0)} ms (${(ms / 100).toFixed(2)} ms each)`);
  });
}
