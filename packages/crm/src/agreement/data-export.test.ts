import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signMessage, type DataRequest } from '@parley/protocol';
import { CSV_FORMATS } from '../csv/import.js';
import { startTestApi, type TestApi } from '../testing/api.js';
import { testDatabases } from '../testing/databases.js';
import { BASE, household, individual } from '../testing/fixtures.js';
import { TestPerson } from './testing.js';

const BULK = 1205;

/** A household with one CDR posted through TMF635 and BULK imported from CSV (stored without documents). */
async function telco(api: TestApi) {
  const h = await household(api);
  const posted = await api.call(api.keys.a, 'POST', `${BASE.usage}/usage`, {
    usageDate: '2026-03-01T10:00:00Z',
    usageType: 'voice',
    relatedParty: [{ ...individual(h.holder), role: 'user' }],
    usageCharacteristic: [
      { name: 'duration', value: 61, valueType: 'number' },
      { name: 'accountId', value: h.account, valueType: 'string' },
    ],
  });
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  const rows = ['usageType,usageDate,durationSeconds,accountId,partyId'];
  for (let i = 0; i < BULK; i++) {
    const minute = String(i % 60).padStart(2, '0');
    const hour = String(Math.floor(i / 60) % 24).padStart(2, '0');
    rows.push(`sms,2026-03-02T${hour}:${minute}:00Z,,${h.account},${i % 5 === 0 ? h.child : h.holder}`);
  }
  const imported = await api.app.inject({
    method: 'POST',
    url: '/crm/v1/import/usage',
    headers: { authorization: `Bearer ${api.keys.a}`, 'content-type': 'text/csv' },
    payload: rows.join('\n'),
  });
  assert.equal(imported.statusCode, 200, imported.body);
  await api.call(api.keys.a, 'POST', `${BASE.ticket}/troubleTicket`, {
    description: 'No signal at home',
    severity: 'minor',
    ticketType: 'service',
    relatedParty: [{ ...individual(h.holder), role: 'customer' }],
  });
  return h;
}

async function invited(api: TestApi, partyId: string, label: string): Promise<TestPerson> {
  const { code } = (await api.call(api.keys.a, 'POST', '/crm/v1/agreementInvitations', { partyId })).body as {
    code: string;
  };
  const person = new TestPerson(api, api.tenants.a, label);
  assert.equal((await person.proffer(['SD-BASE'], { invitation: code })).body.status, 'agreed');
  return person;
}

for (const database of testDatabases()) {
  test(`${database.name}: the person pulls her data as JSON and CSV, usage included; a request is answered once`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const h = await telco(api);
    const ada = await invited(api, h.holder, 'ada');
    assert.equal((await ada.data({ email: 'ada@example.org' })).status, 200);

    const request = ada.dataRequest([
      'party',
      'agreement',
      'accounts',
      'services',
      'usage',
      'interactions',
      'tickets',
    ]);
    const r = await ada.pull(request);
    assert.equal(r.status, 200, r.text.slice(0, 500));
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = r.body;
    assert.deepEqual(Object.keys(body), [
      'agreementId',
      'party',
      'agreement',
      'accounts',
      'services',
      'usage',
      'interactions',
      'tickets',
    ]);
    assert.equal(body.agreementId, ada.agreement?.id);
    assert.equal(body.party.id, h.holder);
    assert.equal(body.party.href, `${BASE.party}/individual/${h.holder}`);
    assert.equal(body.agreement.status, 'active');
    assert.deepEqual(
      body.agreement.values.map((v: { field: string; value: unknown }) => [v.field, v.value]),
      [['email', 'ada@example.org']],
    );
    assert.equal(body.agreement.record.id, ada.agreement?.id);
    assert.deepEqual(
      body.accounts.map((a: { id: string }) => a.id),
      [h.account],
    );
    assert.deepEqual(
      body.services.map((s: { id: string }) => s.id),
      [h.service],
    );
    assert.equal(body.usage.length, BULK + 1, 'every CDR of the account she holds');
    const bulk = body.usage.find((u: { usageType: string }) => u.usageType === 'sms');
    assert.equal(bulk['@type'], 'Usage');
    assert.ok(
      bulk.usageCharacteristic.some(
        (c: { name: string; value: unknown }) => c.name === 'accountId' && c.value === h.account,
      ),
    );
    assert.equal(body.usage.filter((u: { usageType: string }) => u.usageType === 'voice').length, 1);
    assert.equal(body.tickets.length, 1);
    assert.deepEqual(body.interactions, []);

    // The same request again, or one older than five minutes: refused as a replay.
    const replay = await ada.pull(request);
    assert.equal(replay.status, 409);
    assert.equal(replay.body.code, 'replay');
    assert.equal(replay.body.field, 'id');
    const old = ada.dataRequest(['party'], 'json', { now: () => Date.now() - 6 * 60_000 });
    const stale = await ada.pull(old);
    assert.equal(stale.status, 409);
    assert.equal(stale.body.field, 'createdAt');

    // CSV: one kind, in the columns of the CRM's export.
    const csv = await ada.pull(ada.dataRequest(['usage'], 'csv'));
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.text.trim().split(/\r?\n/);
    assert.equal(lines[0], CSV_FORMATS.usage.columns.join(','));
    assert.equal(lines.length, 1 + BULK + 1);
    const party = await ada.pull(ada.dataRequest(['party'], 'csv'));
    const partyLines = party.text.trim().split(/\r?\n/);
    assert.equal(partyLines[0], CSV_FORMATS.parties.columns.join(','));
    assert.equal(partyLines.length, 2);
    assert.ok(partyLines[1]?.includes(h.holder));
    assert.ok(partyLines[1]?.includes('ada@example.org'));
    const accounts = await ada.pull(ada.dataRequest(['accounts'], 'csv'));
    assert.equal(accounts.text.trim().split(/\r?\n/).length, 2);
    const services = await ada.pull(ada.dataRequest(['services'], 'csv'));
    assert.equal(services.status, 422);
    assert.equal(services.body.field, 'include[0]');

    // Only the person of the agreement may ask.
    assert.ok(ada.agreement);
    const stranger = new TestPerson(api, api.tenants.a, 'stranger');
    const forged = signMessage<DataRequest>(
      { type: 'DataRequest', agreementId: ada.agreement.id, include: ['party'], format: 'json' },
      stranger.identity,
      ada.vendorDid,
    );
    const refused = await ada.pull(forged);
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'wrong-party');
    // Another tenant's vendor does not know the agreement.
    const elsewhere = await ada.api.app.inject({
      method: 'POST',
      url: `/parley/v1/vendors/${api.tenants.b}/data`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(ada.dataRequest(['party'])),
    });
    assert.ok([404, 422].includes(elsewhere.statusCode), elsewhere.body);
  });

  test(`${database.name}: a member of an account gets her own usage of it, not the holder's`, async (t) => {
    const api = await startTestApi(database, { escalationIntervalMs: 0 });
    t.after(api.close);
    const h = await telco(api);
    const child = await invited(api, h.child, 'child');
    const r = await child.pull(child.dataRequest(['accounts', 'services', 'usage']));
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.deepEqual(
      r.body.accounts.map((a: { id: string }) => a.id),
      [h.account],
    );
    assert.deepEqual(
      r.body.services.map((s: { id: string }) => s.id),
      [h.service],
      'the service she uses',
    );
    assert.equal(r.body.usage.length, Math.ceil(BULK / 5));
    for (const u of r.body.usage) assert.equal(u.relatedParty[0].id, h.child);
  });
}
