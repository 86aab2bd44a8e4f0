import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkAgainstAgreement,
  messageHash,
  validateParleyMessage,
  type TerminationConfirmation,
} from '@parley/protocol';
import { startTestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE } from '../testing/fixtures.js';
import { TestPerson, vendorCall } from './testing.js';

const ADDRESS = { street1: '12 Old Road', city: 'Springfield', postCode: 'SP1 2AB', country: 'GB' };

for (const database of testDatabases()) {
  test(`${database.name}: termination with destroy: values gone, contact data blanked, a signed confirmation, 410 after`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const person = new TestPerson(api, api.tenants.a);
    assert.equal((await person.proffer(['SD-BASE'])).body.status, 'agreed');
    const firstEvent = person.event('dataEvent', {
      givenName: 'Alice',
      familyName: 'Example',
      email: 'alice@example.org',
    });
    assert.equal((await person.send(firstEvent)).status, 200);
    assert.equal((await person.data({ postalAddress: ADDRESS, phone: '+44 1234 567890' })).status, 200);

    const { termination, event } = person.terminate('destroy');
    const r = await person.send(event);
    assert.equal(r.status, 200, r.text);
    person.verifyReceipt(r.body.ledger);
    assert.equal(r.body.returnedData, undefined);
    const confirmation = validateParleyMessage<TerminationConfirmation>(r.body.confirmation, {
      type: 'TerminationConfirmation',
    });
    assert.ok(person.agreement);
    checkAgainstAgreement(confirmation, person.agreement);
    assert.equal(confirmation.from, person.vendorDid);
    assert.equal(confirmation.terminationHash, messageHash(termination));
    assert.equal(confirmation.dataDisposition, 'destroy');
    assert.match(confirmation.summary, /5 fields .* 2 data events/);
    assert.ok(!/alice|Springfield/i.test(confirmation.summary), 'the summary holds no data');

    const list = await api.call(api.keys.a, 'GET', `${BASE.party}/individual`);
    const party = (list.body as unknown as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(party.givenName, '');
    assert.equal(party.familyName, '');
    assert.equal(party.contactMedium, undefined);
    assert.equal(
      (party.partyCharacteristic as { value: { status: string } }[])[0]?.value.status,
      'terminated',
    );
    const held = await api.db.kysely.selectFrom('crm_agreement_data').selectAll().execute();
    assert.deepEqual(held, []);
    const stored = await api.db.kysely.selectFrom('crm_agreement_events').select('response').execute();
    assert.ok(!JSON.stringify(stored).includes(firstEvent.eventJwt), 'no stored answer carries the data');
    assert.equal(stored.filter((s) => s.response !== null).length, 1, 'only the termination answer is kept');
    const agreement = await api.db.kysely
      .selectFrom('crm_agreements')
      .select('status')
      .executeTakeFirstOrThrow();
    assert.equal(agreement.status, 'terminated');

    // Afterwards: a new event is gone (410); the termination delivered again gets its answer; an earlier
    // event's answer (which carried data) is no longer held.
    const late = await person.data({ email: 'alice@example.org' });
    assert.equal(late.status, 410);
    assert.equal(late.body.code, 'terminated');
    const again = await vendorCall(api, 'POST', `${person.url}/events`, event);
    assert.equal(again.status, 200);
    assert.equal(again.text, r.text);
    assert.equal((await vendorCall(api, 'POST', `${person.url}/events`, firstEvent)).status, 410);
    assert.equal((await person.pull(person.dataRequest(['party']))).status, 410);
  });

  test(`${database.name}: termination with return: the values come back; the vendor's own data stays`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const created = await api.call(api.keys.a, 'POST', `${BASE.party}/individual`, {
      givenName: 'Ada',
      familyName: 'Example',
      contactMedium: [{ mediumType: 'email', characteristic: { emailAddress: 'ada@vendor.example' } }],
    });
    const partyId = created.body?.id as string;
    const { code } = (await api.call(api.keys.a, 'POST', '/crm/v1/agreementInvitations', { partyId }))
      .body as { code: string };
    const person = new TestPerson(api, api.tenants.a);
    assert.equal((await person.proffer(['SD-BASE'], { invitation: code })).body.status, 'agreed');
    const sent = { givenName: 'Adelaide', email: 'ada@person.example', phone: '+44 1234 567890' };
    const data = await person.data(sent);
    assert.equal(data.status, 200, data.text);
    const during = (await api.call(api.keys.a, 'GET', `${BASE.party}/individual/${partyId}`)).body as Record<
      string,
      unknown
    >;
    assert.equal(during.givenName, 'Adelaide');
    assert.equal((during.contactMedium as unknown[]).length, 3);

    const { event } = person.terminate('return');
    const r = await person.send(event);
    assert.equal(r.status, 200, r.text);
    const returned = r.body.returnedData;
    assert.equal(returned.agreementId, person.agreement?.id);
    assert.equal(returned.party.givenName, 'Adelaide');
    const values = Object.fromEntries(
      (returned.agreement.values as { field: string; value: unknown; eventId: string }[]).map((v) => [
        v.field,
        v.value,
      ]),
    );
    assert.deepEqual(values, sent);
    assert.ok(
      returned.agreement.values.every(
        (v: { eventId: string }) => v.eventId === data.body.acknowledged.audit.eventId,
      ),
    );
    assert.equal(r.body.confirmation.dataDisposition, 'return');

    const after = (await api.call(api.keys.a, 'GET', `${BASE.party}/individual/${partyId}`)).body as Record<
      string,
      unknown
    >;
    assert.equal(after.givenName, 'Ada', "the vendor's own name is back");
    assert.equal(after.familyName, 'Example');
    assert.deepEqual(after.contactMedium, [
      { mediumType: 'email', characteristic: { emailAddress: 'ada@vendor.example' } },
    ]);
    // Delivered again: the same confirmation, but the data is no longer held to be returned twice.
    const again = await vendorCall(api, 'POST', `${person.url}/events`, event);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.confirmation, r.body.confirmation);
    assert.equal(again.body.returnedData, undefined);
  });
}
