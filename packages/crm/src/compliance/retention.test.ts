import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAgainstAgreement,
  messageHash,
  validateParleyMessage,
  type RetentionPurge,
} from '@parley/protocol';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import { TestPerson } from '../agreement/testing.js';
import { movableClock, vendorProfile } from './testing.js';

const DAY = 86_400_000;

for (const database of testDatabases()) {
  test(`${database.name}: 2P-30D: values are held on day 29, purged on day 31 with a signed receipt in the ledger`, async (t) => {
    const clock = movableClock();
    const api = await startTestApi(database, { escalationIntervalMs: 0, retentionIntervalMs: 0, clock });
    t.after(api.close);
    await vendorProfile(api, ['2P-30D']);
    const person = new TestPerson(api, api.tenants.a);
    const agreed = await person.proffer(['2P-30D'], { retentionDays: 30 });
    assert.equal(agreed.body.status, 'agreed', agreed.text);
    const first = person.event('dataEvent', { givenName: 'Alice', email: 'alice@example.org' });
    assert.equal((await person.send(first)).status, 200);
    clock.advance(10 * DAY);
    assert.equal((await person.data({ phone: '+44 1234 567890' })).status, 200);

    const individual = async () => {
      const list = await api.call(api.keys.a, 'GET', `${BASE.party}/individual`);
      return (list.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    };
    const held = async () =>
      (await api.db.kysely.selectFrom('crm_agreement_data').select('field').orderBy('field').execute()).map(
        (r) => r.field as string,
      );

    clock.advance(19 * DAY); // day 29
    assert.deepEqual(await api.app.parleyRetention.purgeDue(), []);
    assert.deepEqual(await held(), ['email', 'givenName', 'phone']);
    assert.equal((await individual()).givenName, 'Alice');

    clock.advance(2 * DAY); // day 31: the first event's values are due, the second's (day 10) are not
    const done = await api.app.parleyRetention.purgeDue();
    assert.equal(done.length, 1);
    assert.deepEqual(await held(), ['phone']);
    const party = await individual();
    assert.equal(party.givenName, '');
    const media = JSON.stringify(party.contactMedium ?? []);
    assert.ok(!media.includes('alice@example.org') && media.includes('+44 1234 567890'), media);
    const stored = await api.db.kysely
      .selectFrom('crm_agreement_events')
      .select(['event_id', 'response'])
      .execute();
    assert.ok(!JSON.stringify(stored).includes(first.eventJwt), 'no stored answer carries the purged data');

    // The receipt: signed by the vendor, about her agreement, naming the event and fields, logged.
    const [purge] = done;
    assert.ok(purge && person.agreement);
    const receipt = validateParleyMessage<RetentionPurge>(JSON.parse(JSON.stringify(purge.receipt)), {
      type: 'RetentionPurge',
      now: clock.now,
    });
    checkAgainstAgreement(receipt, person.agreement);
    assert.equal(receipt.from, person.vendorDid);
    assert.deepEqual(receipt.eventIds, [first.audit.eventId]);
    assert.deepEqual([...receipt.fields].sort(), ['email', 'givenName']);
    assert.ok(Date.parse(receipt.dueAt) <= Date.parse(receipt.createdAt));
    assert.ok(!/alice/i.test(receipt.summary), 'the receipt holds no data');
    person.verifyReceipt(purge.ledger);
    assert.equal((purge.ledger.record as Record<string, unknown>).purgeHash, messageHash(receipt));

    // Her agent collects it as a notice with a signed request, with a fresh proof against the log's head.
    const pulled = await person.pull(person.dataRequest(['notices']));
    assert.equal(pulled.status, 200, pulled.text);
    const [notice] = pulled.body.notices as { receipt: unknown; ledger: unknown; purgedAt: string }[];
    assert.ok(notice);
    assert.deepEqual(notice.receipt, JSON.parse(JSON.stringify(purge.receipt)));
    person.verifyReceipt(notice.ledger);

    // A re-delivery of the purged event is refused, not answered with its data; purging again does nothing.
    const again = await person.send(first);
    assert.equal(again.status, 410);
    assert.equal(again.body.code, 'purged');
    assert.deepEqual(await api.app.parleyRetention.purgeDue(), []);

    clock.advance(10 * DAY); // day 41: the phone number's turn
    const second = await api.app.parleyRetention.purgeDue();
    assert.deepEqual(second[0]?.receipt.fields, ['phone']);
    assert.deepEqual(await held(), []);
  });
}
