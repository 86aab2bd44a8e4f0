import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { household } from '../testing/fixtures.js';
import { TestPerson } from '../agreement/testing.js';
import { movableClock, vendorProfile } from './testing.js';

const DAY = 86_400_000;

interface Item {
  field: string;
  source: string;
  agreementId: string | null;
  eventId: string | null;
  purposes: string[];
  retentionUntil: string | null;
  onwardSharing: string;
  onRecord: string | null;
}

for (const database of testDatabases()) {
  test(`${database.name}: provenance of every item held, and a compliance report of what was received, used and purged, with proofs`, async (t) => {
    const clock = movableClock();
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0, clock });
    t.after(api.close);
    const profile = (await api.call(api.keys.a, 'GET', '/crm/v1/vendorProfile')).body as Record<
      string,
      unknown
    >;
    await vendorProfile(api, ['2P-30D'], {
      request: {
        ...(profile.request as object),
        purposes: ['ServiceDelivery', 'ServiceAnalytics'],
        retentionDays: 30,
      },
    });
    const person = new TestPerson(api, api.tenants.a);
    const agreed = await person.proffer(['2P-30D'], {
      purposes: ['ServiceDelivery', 'ServiceAnalytics'],
      retentionDays: 30,
    });
    assert.equal(agreed.body.status, 'agreed', agreed.text);
    const agreementId = person.agreement?.id as string;
    const first = person.event('dataEvent', { givenName: 'Alice', email: 'alice@example.org' });
    assert.equal((await person.send(first)).status, 200);
    clock.advance(10 * DAY);
    assert.equal((await person.data({ phone: '+44 1234 567890' })).status, 200);
    const partyId = (
      (await api.db.kysely.selectFrom('crm_agreements').select('party_id').executeTakeFirst()) as {
        party_id: string;
      }
    ).party_id;

    // Provenance: each value with its agreement, event, purposes now, retention deadline and sharing.
    const prov = await api.call(api.keys.a, 'GET', `/crm/v1/individual/${partyId}/provenance`);
    assert.equal(prov.status, 200, JSON.stringify(prov.body));
    const items = (prov.body as unknown as { items: Item[] }).items;
    const email = items.find((i) => i.field === 'email');
    assert.ok(email);
    assert.equal(email.source, 'agreement');
    assert.equal(email.agreementId, agreementId);
    assert.equal(email.eventId, first.audit.eventId);
    assert.deepEqual(email.purposes, ['ServiceDelivery', 'ServiceAnalytics']);
    assert.equal(email.onwardSharing, 'no');
    assert.match(email.onRecord ?? '', /^contactMedium\[\d\]$/);
    const phone = items.find((i) => i.field === 'phone');
    assert.ok(phone?.retentionUntil && email.retentionUntil);
    const apart = Date.parse(phone.retentionUntil) - Date.parse(email.retentionUntil);
    assert.ok(Math.abs(apart - 10 * DAY) < 5_000, `deadlines ten days apart as the values were: ${apart}`);
    assert.ok(
      items.every((i) => i.source === 'agreement'),
      'nothing on this party came from the vendor itself',
    );
    // The vendor's own customer: every item marked as entered by the vendor, for its own purposes only.
    const h = await household(api);
    const own = await api.call(api.keys.a, 'GET', `/crm/v1/individual/${h.holder}/provenance`);
    const ownItems = (own.body as unknown as { items: Item[] }).items;
    assert.ok(ownItems.length >= 2);
    assert.ok(
      ownItems.every((i) => i.source === 'vendor' && i.agreementId === null && i.onwardSharing === 'no'),
    );
    assert.equal((await api.call(api.keys.a, 'GET', '/crm/v1/individual/nobody/provenance')).status, 404);

    // Used: an analytics export that included her. Purged: day 31 for the first event.
    const use = await api.call(api.keys.a, 'POST', '/crm/v1/dataUses', {
      kind: 'export',
      purpose: 'ServiceAnalytics',
      description: 'Monthly churn study',
      partyIds: [partyId],
    });
    assert.equal(use.status, 201);
    clock.advance(21 * DAY);
    assert.equal((await api.app.parleyRetention.purgeDue()).length, 1);

    const r = await api.call(
      api.keys.a,
      'GET',
      `/crm/v1/compliance/agreement/${encodeURIComponent(agreementId)}`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const report = r.body as unknown as {
      agreement: { id: string; retentionDays: number; ledger: unknown };
      received: { eventId: string; fields?: string[]; status?: string; ledger: unknown }[];
      used: { useId: string; included: boolean; ledger: unknown }[];
      shared: unknown[];
      purged: { fields: string[]; receipt: { type: string }; ledger: unknown }[];
    };
    assert.equal(report.agreement.retentionDays, 30);
    assert.deepEqual(
      report.received.map((e) => [e.fields, e.status]),
      [
        [['givenName', 'email'], 'purged'],
        [['phone'], 'held'],
      ],
    );
    assert.deepEqual(
      report.used.map((u) => [u.useId, u.included]),
      [[(use.body as unknown as { id: string }).id, true]],
    );
    assert.deepEqual(report.shared, []);
    assert.equal(report.purged.length, 1);
    assert.equal(report.purged[0]?.receipt.type, 'RetentionPurge');
    // Every entry is proven in the vendor's log, against one and the same checkpoint.
    const proofs = [
      report.agreement.ledger,
      ...report.received.map((e) => e.ledger),
      ...report.used.map((u) => u.ledger),
      ...report.purged.map((p) => p.ledger),
    ];
    const checkpoints = new Set(proofs.map((p) => (p as { checkpoint: string }).checkpoint));
    assert.equal(checkpoints.size, 1);
    for (const p of proofs) person.verifyReceipt(p);
    const types = proofs.map((p) => (p as { record: { type: string } }).record.type);
    assert.deepEqual(types, ['agreement', 'sisaEvent', 'sisaEvent', 'dataUse', 'retentionPurge']);

    const byPerson = await api.call(api.keys.a, 'GET', `/crm/v1/compliance/individual/${partyId}`);
    assert.equal(byPerson.status, 200);
    const agreements = (byPerson.body as unknown as { agreements: { agreement: { id: string } }[] })
      .agreements;
    assert.deepEqual(
      agreements.map((a) => a.agreement.id),
      [agreementId],
    );
    assert.equal((await api.call(api.keys.a, 'GET', '/crm/v1/compliance/agreement/nope')).status, 404);
  });
}
